// Fault cases of the Terabyte route: generate --days, preprocess --no-merged-file, train/eval from a parts
// folder, export-data --format torchrec, import of a TorchRec state_dict. Each must end with one `dlrm: `
// line, exit 2, and no output under its final name.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadProfile } from '../../src/criteo/generatorProfile';
import { generateDayFiles } from '../../src/criteo/generatorText';
import { writeSafetensors } from '../../src/export/safetensors';
import { runPreprocess } from '../../src/preprocess/pipeline';
import { setupLogger } from '../../src/util/log';
import { flipByte } from './corruptionFixtures';
import type { FaultCase } from './faultCase';
import { LOG_SCHEMA, logCsv, logRows, writeJson } from '../schema/fixtures';
import { preprocessConfig } from '../../src/preprocess/preprocessConfig';

/** A 3-day Terabyte-shaped parts folder (no merged file) in `dir`; returns its path. */
async function partsFolder(dir: string): Promise<string> {
  setupLogger({ level: 'warn', pretty: false });
  await generateDayFiles({
    profile: loadProfile('terabyte'),
    prefix: path.join(dir, 'day'),
    days: 3,
    rowsPerDay: 400,
    seed: 1,
    withLabel: true,
  });
  await runPreprocess(
    preprocessConfig(path.join(dir, 'day'), path.join(dir, 'tb.dlrm'), {
      dataSet: 'terabyte',
      maxIndRange: 10_000_000,
      workers: 1,
      mergedFile: false,
    }),
  );
  return path.join(dir, 'tb.dlrm.parts');
}

const TRAIN = [
  'train',
  '--arch-sparse-feature-size',
  '4',
  '--arch-mlp-bot',
  '13-4',
  '--arch-mlp-top',
  '4-1',
  '--save-model',
];

export const terabyteCases: FaultCase[] = [
  {
    name: 'generate --days without --rows-per-day',
    kind: 'bad-input',
    prepare: (dir) => ({
      args: ['generate', '--data-set', 'terabyte', '--days', '2', '--out', path.join(dir, 'day')],
      expectExit: 2,
      expectMessage: /^dlrm: --days and --rows-per-day go together/,
      absent: [path.join(dir, 'day_0')],
    }),
  },
  {
    name: 'preprocess --no-merged-file with a multi-hot --schema (parts training takes one index per table)',
    kind: 'bad-input',
    prepare: (dir) => {
      fs.writeFileSync(path.join(dir, 'logs.csv'), logCsv(logRows(50, 1)));
      return {
        args: [
          'preprocess',
          '--schema',
          writeJson(path.join(dir, 's.json'), LOG_SCHEMA),
          '--raw-data-file',
          path.join(dir, 'logs.csv'),
          '--no-merged-file',
        ],
        expectExit: 2,
        expectMessage:
          /^dlrm: --no-merged-file: training from the parts folder takes one index per table, and .*column tags is multi-hot/,
        absent: [path.join(dir, 'logs.dlrm.parts'), path.join(dir, 'logs.dlrm')],
      };
    },
  },
  {
    name: 'train --processed-data-file: a folder without manifest.json',
    kind: 'bad-input',
    prepare: (dir) => {
      fs.mkdirSync(path.join(dir, 'x.parts'));
      return {
        args: ['train', '--processed-data-file', path.join(dir, 'x.parts'), '--save-model', path.join(dir, 'm.ckpt')],
        expectExit: 2,
        expectMessage: /x\.parts: is a folder without manifest\.json/,
        absent: [path.join(dir, 'm.ckpt')],
      };
    },
  },
  {
    name: 'train from a parts folder whose day shard is missing',
    kind: 'bad-input',
    prepare: async (dir) => {
      const parts = await partsFolder(dir);
      fs.rmSync(path.join(parts, 'day_1.dlrm'));
      return {
        args: ['train', '--processed-data-file', parts, ...TRAIN.slice(1), path.join(dir, 'm.ckpt')],
        expectExit: 2,
        expectMessage: /day_1\.dlrm: cannot open processed file \(ENOENT\)/,
        absent: [path.join(dir, 'm.ckpt')],
      };
    },
  },
  {
    name: 'train from a parts folder whose manifest disagrees with a shard',
    kind: 'corruption',
    prepare: async (dir) => {
      const parts = await partsFolder(dir);
      const file = path.join(parts, 'manifest.json');
      const m = JSON.parse(fs.readFileSync(file, 'utf8')) as { days: { rows: number }[] };
      m.days[0].rows += 1;
      fs.writeFileSync(file, JSON.stringify(m));
      return {
        args: ['train', '--processed-data-file', parts, ...TRAIN.slice(1), path.join(dir, 'm.ckpt')],
        expectExit: 2,
        expectMessage: /day_0\.dlrm: holds 400 rows .*the manifest says 401 rows/,
        absent: [path.join(dir, 'm.ckpt')],
      };
    },
  },
  {
    name: 'train from a parts folder with a damaged day shard',
    kind: 'corruption',
    prepare: async (dir) => {
      const parts = await partsFolder(dir);
      const shard = path.join(parts, 'day_1.dlrm');
      flipByte(shard, 64 + 7); // in the first row group's labels section
      return {
        args: ['train', '--processed-data-file', parts, ...TRAIN.slice(1), path.join(dir, 'm.ckpt')],
        expectExit: 2,
        expectMessage: /day_1\.dlrm: damaged processed file: row group 0 .* does not match its checksum/,
        absent: [path.join(dir, 'm.ckpt')],
        unchanged: [shard],
      };
    },
  },
  {
    name: 'export-data --out inside the parts folder',
    kind: 'output-safety',
    prepare: async (dir) => {
      const parts = await partsFolder(dir);
      return {
        args: ['export-data', '--format', 'torchrec', '--processed-data-file', parts, '--out', path.join(parts, 'npy')],
        expectExit: 2,
        expectMessage: /lies inside .*the parts folder of a processed dataset/,
        absent: [path.join(parts, 'npy')],
      };
    },
  },
  {
    name: 'export-data --format other than torchrec',
    kind: 'bad-input',
    prepare: (dir) => ({
      args: [
        'export-data',
        '--format',
        'parquet',
        '--processed-data-file',
        path.join(dir, 'tb.dlrm'),
        '--out',
        path.join(dir, 'npy'),
      ],
      expectExit: 2,
      expectMessage: /^dlrm: --format: 'parquet' is not one of torchrec/,
      absent: [path.join(dir, 'npy')],
    }),
  },
  {
    name: 'import a TorchRec state_dict with a tensor TorchRec DLRM does not have',
    kind: 'bad-input',
    prepare: (dir) => {
      const file = path.join(dir, 'tr.safetensors');
      const w = (name: string, shape: number[]) => ({
        name,
        shape,
        parts: [new Float32Array(shape.reduce((a, b) => a * b, 1))],
      });
      writeSafetensors(
        file,
        [
          w('sparse_arch.embedding_bag_collection.embedding_bags.t_cat_0.weight', [3, 2]),
          w('dense_arch.model._mlp.0._linear.weight', [2, 13]),
          w('dense_arch.model._mlp.0._linear.bias', [2]),
          w('over_arch.model.1.weight', [1, 3]),
          w('over_arch.model.1.bias', [1]),
          w('extra.weight', [1]),
        ],
        {},
      );
      return {
        args: ['import', '--format', 'safetensors', '--in', file, '--out', path.join(dir, 'm.ckpt')],
        expectExit: 2,
        expectMessage: /tensor extra\.weight is not part of a TorchRec DLRM state_dict/,
        absent: [path.join(dir, 'm.ckpt')],
      };
    },
  },
];
