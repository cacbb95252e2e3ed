// The reliability matrix's corruption cases (issue 10, items 5-7), run through the CLI: one flipped byte
// in a label, a dense value, an index, an offsets section or the header of a merged processed file is
// refused by train, eval and inspect --check with the row group (or header) and its byte range, and read
// with --no-verify; values out of contract (NaN/Inf dense, a label other than 0/1, an index at or above
// its table's count, overlapping or outside splits) are refused naming the row and column; a checkpoint
// holding NaN/Inf is refused at load naming the section, and one whose table, bias, optimizer-state
// section or header no longer matches its CRC-32 (a flipped bit, a finite absurd weight) is refused by
// eval and train --load-model naming the section and its bytes; a version-1 checkpoint (no checksums)
// still loads, said once in the log. A damaged run never exits 0 without --no-verify.
import * as path from 'node:path';
import * as fs from 'node:fs';
import { readCheckpointHeader } from '../../src/model/checkpoint';
import { ProcessedFileReader } from '../../src/dataset/processedFile';
import { encodeProcessedFile } from '../dataset/fixtures';
import type { FaultCase, FaultRun } from './faultCase';
import {
  ARCH_FLAGS,
  flipByte,
  groupSections,
  ROWS_PER_GROUP,
  SPLITS,
  writeMerged,
  writeModel,
  writeVersion1,
  type RowEdits,
} from './corruptionFixtures';

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The three commands that read a processed file's rows, each with its refusal's expected outputs. */
type Reader = 'train' | 'eval' | 'inspect';

function readerRun(reader: Reader, dir: string, file: string, extra: string[] = []): Omit<FaultRun, 'expectExit'> {
  const saved = path.join(dir, 'trained.ckpt');
  switch (reader) {
    case 'train':
      return {
        args: [
          'train',
          '--processed-data-file',
          file,
          ...ARCH_FLAGS,
          '--mini-batch-size',
          '32',
          '--save-model',
          saved,
          ...extra,
        ],
        absent: [saved],
      };
    case 'eval': {
      const model = path.join(dir, 'model.ckpt');
      writeModel(model);
      return { args: ['eval', '--processed-data-file', file, '--load-model', model, '--split', 'train', ...extra] };
    }
    case 'inspect':
      return {
        args: [
          'inspect',
          '--processed-data-file',
          file,
          ...(extra.includes('--no-verify') ? ['--rows', '0:600'] : ['--check']),
          ...extra,
        ],
      };
  }
}

/**
 * A byte of group 1's offsets of table 2 whose lowest bit changes one offset by 1 and keeps them
 * non-decreasing (strictly between its neighbours), so --no-verify can still read the file.
 */
function offsetsByte(file: string): number {
  const at = groupSections(file, 1).offsets[2];
  const bytes = fs.readFileSync(file);
  const o = (i: number): number => bytes.readUInt32LE(at + 4 * i);
  for (let i = 1; i < ROWS_PER_GROUP; i++) if (o(i - 1) < o(i) && o(i) + 1 < o(i + 1)) return at + 4 * i;
  throw new Error('no offset strictly between its neighbours');
}

/** Where each byte flip lands: group 1 (rows 128-255, all in the train split). */
const FLIPS: { what: string; at: (file: string) => number; group: boolean }[] = [
  { what: 'a label', at: (f) => groupSections(f, 1).labels + 4 * 5 + 3, group: true },
  { what: 'a dense value', at: (f) => groupSections(f, 1).dense + 4 * 17 + 1, group: true },
  { what: 'an index', at: (f) => groupSections(f, 1).indices[0] + 4 * 9, group: true },
  { what: 'an offsets section', at: offsetsByte, group: true },
  { what: 'the header (rowsPerGroup)', at: () => 20, group: false },
];

function flipCase(flip: (typeof FLIPS)[number], reader: Reader): FaultCase {
  return {
    name: `${reader} refuses a processed file with one flipped byte in ${flip.what}`,
    kind: 'corruption',
    prepare(dir) {
      const file = path.join(dir, 'm.dlrm');
      writeMerged(file);
      const g = groupSections(file, 1);
      flipByte(file, flip.at(file));
      const expectMessage = flip.group
        ? new RegExp(
            `^dlrm: ${escape(file)}: damaged processed file: row group 1 \\(rows ${ROWS_PER_GROUP}-${2 * ROWS_PER_GROUP - 1}, bytes ${g.start}-${g.end - 1}\\) does not match its checksum`,
          )
        : new RegExp(
            `^dlrm: ${escape(file)}: damaged processed file: the header, group index or metadata \\(bytes 0-63, \\d+-\\d+, \\d+-\\d+\\) do not match their checksum`,
          );
      return { ...readerRun(reader, dir, file), expectExit: 2, expectMessage, unchanged: [file] };
    },
  };
}

function noVerifyCase(flip: (typeof FLIPS)[number]): FaultCase {
  return {
    name: `inspect --no-verify reads a processed file with one flipped byte in ${flip.what}`,
    kind: 'corruption',
    prepare(dir) {
      const file = path.join(dir, 'm.dlrm');
      writeMerged(file);
      flipByte(file, flip.at(file));
      return {
        ...readerRun('inspect', dir, file, ['--no-verify']),
        expectExit: 0,
        check: (r) =>
          r.stdout.trim().split('\n').length === 600
            ? undefined
            : `printed ${r.stdout.trim().split('\n').length} rows, expected 600`,
      };
    },
  };
}

/** A file whose rows break the value contract at `row`; train (train split) or eval (test split) must refuse it. */
function valueCase(name: string, reader: 'train' | 'eval', edits: RowEdits, message: RegExp): FaultCase {
  return {
    name: `${reader} refuses ${name}`,
    kind: 'bad-input',
    prepare(dir) {
      const file = path.join(dir, 'm.dlrm');
      writeMerged(file, { edits });
      const run = readerRun(reader, dir, file);
      if (reader === 'eval') run.args[run.args.indexOf('--split') + 1] = 'test';
      return { ...run, expectExit: 2, expectMessage: new RegExp(`^dlrm: ${escape(file)}: ${message.source}`) };
    },
  };
}

/** A file whose manifest is wrong (table counts, splits). */
function manifestCase(
  name: string,
  reader: 'train' | 'eval',
  opts: Parameters<typeof writeMerged>[1],
  message: RegExp,
  extra: string[] = [],
): FaultCase {
  return {
    name: `${reader}${extra.length ? ' ' + extra.join(' ') : ''} refuses ${name}`,
    kind: 'bad-input',
    prepare(dir) {
      const file = path.join(dir, 'm.dlrm');
      writeMerged(file, opts);
      return {
        ...readerRun(reader, dir, file, extra),
        expectExit: 2,
        expectMessage: new RegExp(`^dlrm: ${escape(file)}: ${message.source}`),
      };
    },
  };
}

/** A checkpoint with `value` written into element `element` of section `section`; eval must refuse it. */
function checkpointCase(section: string, element: number, value: number): FaultCase {
  return {
    name: `eval refuses a checkpoint whose ${section} holds ${value}`,
    kind: 'corruption',
    prepare(dir) {
      const file = path.join(dir, 'm.dlrm');
      writeMerged(file);
      const run = readerRun('eval', dir, file);
      const model = run.args[run.args.indexOf('--load-model') + 1];
      const s = readCheckpointHeader(model).sections.find((x) => x.name === section);
      if (!s) throw new Error(`no section ${section}`);
      const bytes = fs.readFileSync(model);
      bytes.writeFloatLE(value, s.offset + 4 * element);
      fs.writeFileSync(model, bytes);
      return {
        ...run,
        expectExit: 2,
        expectMessage: new RegExp(
          `^dlrm: ${escape(model)}: checkpoint section ${escape(section)} holds ${value} at element ${element}`,
        ),
      };
    },
  };
}

/** The commands that load a checkpoint: eval, and train resuming from it (which must then save nothing). */
type ModelReader = 'eval' | 'train --load-model';

/** A processed file and an adagrad checkpoint fitting it in `dir`, and the `reader` run loading that checkpoint. */
function modelRun(reader: ModelReader, dir: string): { model: string; run: Omit<FaultRun, 'expectExit'> } {
  const file = path.join(dir, 'm.dlrm');
  writeMerged(file);
  const model = path.join(dir, 'model.ckpt');
  writeModel(model, 'adagrad');
  if (reader === 'eval')
    return { model, run: { args: ['eval', '--processed-data-file', file, '--load-model', model, '--split', 'train'] } };
  const saved = path.join(dir, 'trained.ckpt');
  const args = [
    'train',
    '--processed-data-file',
    file,
    ...ARCH_FLAGS,
    '--optimizer',
    'adagrad',
    '--mini-batch-size',
    '32',
    '--load-model',
    model,
    '--save-model',
    saved,
  ];
  return { model, run: { args, absent: [saved] } };
}

/**
 * A checkpoint changed after it was written: a section's element set to `value` (a finite absurd weight)
 * or, without one, the lowest bit of its first byte flipped. Refused by its checksum, naming the section
 * and its bytes; the file stays as it was.
 */
function checksumCase(reader: ModelReader, section: string, element: number, value?: number): FaultCase {
  return {
    name: `${reader} refuses a checkpoint whose ${section} ${value === undefined ? 'has one flipped bit' : `holds ${value} instead of its weight`} (checksum)`,
    kind: 'corruption',
    prepare(dir) {
      const { model, run } = modelRun(reader, dir);
      const s = readCheckpointHeader(model).sections.find((x) => x.name === section);
      if (!s) throw new Error(`no section ${section}`);
      if (value === undefined) {
        flipByte(model, s.offset + 4 * element);
      } else {
        const bytes = fs.readFileSync(model);
        bytes.writeFloatLE(value, s.offset + 4 * element);
        fs.writeFileSync(model, bytes);
      }
      const end = s.offset + 4 * s.shape.reduce((a, b) => a * b, 1) - 1;
      const message = new RegExp(
        `^dlrm: ${escape(model)}: damaged checkpoint: section ${escape(section)} \\(bytes ${s.offset}-${end}\\) does not match its checksum$`,
      );
      return { ...run, unchanged: [model], expectExit: 2, expectMessage: message };
    },
  };
}

/** A checkpoint with one flipped bit in its JSON header (a digit of the first section's offset): refused before it is parsed. */
function headerChecksumCase(reader: ModelReader): FaultCase {
  return {
    name: `${reader} refuses a checkpoint with one flipped bit in its header (checksum)`,
    kind: 'corruption',
    prepare(dir) {
      const { model, run } = modelRun(reader, dir);
      const header = readCheckpointHeader(model);
      const at = fs.readFileSync(model).indexOf(`"offset":${header.sections[0].offset}`) + '"offset":'.length;
      flipByte(model, at);
      const end = header.sections[0].offset - 1;
      const message = new RegExp(
        `^dlrm: ${escape(model)}: damaged checkpoint: the header \\(bytes 0-${end}\\) does not match its checksum$`,
      );
      return { ...run, unchanged: [model], expectExit: 2, expectMessage: message };
    },
  };
}

/** A version-1 checkpoint (written before checksums): eval loads it and the log says once that it has none. */
const version1CheckpointCase: FaultCase = {
  name: 'eval loads a version-1 checkpoint (no checksums) and says so once in the log',
  kind: 'corruption',
  prepare(dir) {
    const { model, run } = modelRun('eval', dir);
    const v1 = path.join(dir, 'v1.ckpt');
    writeVersion1(model, v1);
    const args = run.args.map((a) => (a === model ? v1 : a));
    return {
      ...run,
      args,
      expectExit: 0,
      check: (res) => {
        const said = res.stderr.split('\n').filter((l) => l.includes('checkpoint without checksums')).length;
        return said === 1
          ? undefined
          : `the log says ${said} times that the checkpoint has no checksums, expected once:\n${res.stderr}`;
      },
    };
  },
};

/** The same case with the native addon hidden: the JS twin of the group check refuses the same way. */
function withoutAddon(c: FaultCase): FaultCase {
  return {
    ...c,
    name: `${c.name} (JS check, DLRM_NATIVE_ADDON=none)`,
    async prepare(dir) {
      const run = await c.prepare(dir);
      return { ...run, env: { ...run.env, DLRM_NATIVE_ADDON: 'none' } };
    },
  };
}

/** A version-2 file (no checksums) of the same rows: train reads it, and the log says once that it has no checksums. */
const version2Case: FaultCase = {
  name: 'train reads a version-2 processed file (no checksums) and says so once in the log',
  kind: 'corruption',
  prepare(dir) {
    const v3 = path.join(dir, 'v3.dlrm');
    writeMerged(v3);
    const r = ProcessedFileReader.open(v3);
    const b = r.read(0, r.rows);
    const metadata = r.metadata as object;
    r.close();
    const rows = Array.from({ length: b.size }, (_, i) => ({
      label: b.labels[i],
      dense: Array.from(b.dense.subarray(i * b.numDense, (i + 1) * b.numDense)),
      bags: b.sparse.map((bag) => Array.from(bag.indices.subarray(bag.offsets[i], bag.offsets[i + 1]))),
    }));
    const file = path.join(dir, 'v2.dlrm');
    fs.writeFileSync(file, encodeProcessedFile(rows, b.numDense, b.sparse.length, ROWS_PER_GROUP, metadata, 2));
    return {
      ...readerRun('train', dir, file),
      absent: [],
      expectExit: 0,
      check: (res) => {
        const said = res.stderr.split('\n').filter((l) => l.includes('without checksums')).length;
        return said === 1
          ? undefined
          : `the log says ${said} times that the file has no checksums, expected once:\n${res.stderr}`;
      },
    };
  },
};

export const corruptionCases: FaultCase[] = [
  ...FLIPS.flatMap((flip) => (['train', 'eval', 'inspect'] as const).map((reader) => flipCase(flip, reader))),
  ...FLIPS.map(noVerifyCase),
  {
    name: 'train --no-verify trains on a processed file with a flipped byte in a dense value (what the checks prevent otherwise)',
    kind: 'corruption',
    prepare(dir) {
      const file = path.join(dir, 'm.dlrm');
      writeMerged(file);
      flipByte(file, FLIPS[1].at(file));
      const run = readerRun('train', dir, file, ['--no-verify']);
      return {
        ...run,
        absent: [],
        expectExit: 0,
        check: () => (fs.existsSync(path.join(dir, 'trained.ckpt')) ? undefined : 'no checkpoint written'),
      };
    },
  },
  valueCase(
    'a NaN dense value',
    'train',
    { dense: (row, col, v) => (row === 300 && col === 2 ? NaN : v) },
    /row 300: dense column 2 is NaN, not a finite number \(row group 2 /,
  ),
  {
    name: 'train refuses a label of 2 in the last row group of its split before its first step (no metrics line, no checkpoint)',
    kind: 'bad-input',
    prepare(dir) {
      const file = path.join(dir, 'm.dlrm');
      writeMerged(file, { edits: { label: (row, l) => (row === 390 ? 2 : l) } });
      const metrics = path.join(dir, 'run.jsonl');
      const run = readerRun('train', dir, file, ['--metrics-file', metrics]);
      return {
        ...run,
        absent: [...(run.absent ?? []), metrics],
        expectExit: 2,
        expectMessage: new RegExp(`^dlrm: ${escape(file)}: row 390: label 2 is not 0 or 1 \\(row group 3 `),
      };
    },
  },
  valueCase(
    'an infinite dense value',
    'eval',
    { dense: (row, col, v) => (row === 450 && col === 0 ? -Infinity : v) },
    /row 450: dense column 0 is -Infinity, not a finite number \(row group 3 /,
  ),
  valueCase(
    'a label of 2',
    'train',
    { label: (row, l) => (row === 130 ? 2 : l) },
    /row 130: label 2 is not 0 or 1 \(row group 1 /,
  ),
  valueCase(
    'a label of 0.5',
    'eval',
    { label: (row, l) => (row === 401 ? 0.5 : l) },
    /row 401: label 0.5 is not 0 or 1 \(row group 3 /,
  ),
  manifestCase(
    'manifest table counts below the largest index',
    'train',
    { tableRows: [50, 40, 20] },
    /row \d+: table 2: index 2\d is not below the table's 20 rows \(the manifest's tables\[2\]\.count\)/,
  ),
  manifestCase(
    'manifest table counts below the largest index',
    'train',
    { tableRows: [20, 40, 30] },
    /row \d+: table 0: index 2\d is not below the table's 20 rows .*read without verification/,
    ['--no-verify'],
  ),
  manifestCase(
    'a test split that overlaps the train split',
    'train',
    { splits: { ...SPLITS, train: { start: 0, end: 450 } } },
    /split 'train' \[0, 450\) overlaps split 'test' \[400, 500\)/,
  ),
  manifestCase(
    'a val split outside the rows (opening the train split)',
    'eval',
    { splits: { ...SPLITS, val: { start: 500, end: 700 } } },
    /split 'val' \[500, 700\) falls outside the file's 600 rows/,
  ),
  withoutAddon(flipCase(FLIPS[2], 'train')),
  withoutAddon(
    valueCase(
      'a NaN dense value',
      'eval',
      { dense: (row, col, v) => (row === 420 && col === 3 ? NaN : v) },
      /row 420: dense column 3 is NaN, not a finite number \(row group 3 /,
    ),
  ),
  version2Case,
  checkpointCase('bottom.0.weight', 3, NaN),
  checkpointCase('table.1', 17, -Infinity),
  checksumCase('eval', 'table.1', 17, -2.6e38),
  checksumCase('eval', 'bottom.0.bias', 2),
  checksumCase('eval', 'opt.table.2', 40),
  headerChecksumCase('eval'),
  checksumCase('train --load-model', 'table.2', 5),
  checksumCase('train --load-model', 'top.0.bias', 0),
  checksumCase('train --load-model', 'opt.bottom.1.weight', 3),
  headerChecksumCase('train --load-model'),
  withoutAddon(checksumCase('eval', 'table.0', 9)),
  version1CheckpointCase,
];
