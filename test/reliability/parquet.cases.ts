// Fault cases of Parquet input (issue 12): a missing column, a column of a type its schema role cannot take,
// a file that is not Parquet or is cut short, a bad value in a row, through preprocess, predict and schema
// --infer. Each is one `dlrm: ` line naming the file (and the column, or the row and field: for a part
// folder, the part file and its own row), exit 2, and no output written, nor the work folder that holds the
// rendered rows.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { FaultCase, FaultRun } from './faultCase';
import { repoRoot } from '../helpers/sharedData';
import { CLICK_SCHEMA, clickCsv, clickRows, writeClickParquet } from '../rawformat/fixtures';

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A preprocess run of `schema` over logs.parquet, prepared by `damage` (after the fixture is written). */
function preprocessCase(
  name: string,
  schema: object,
  message: (file: string) => RegExp,
  damage?: (file: string) => void | Promise<void>,
): FaultCase {
  return {
    name,
    kind: 'bad-input',
    prepare: async (dir): Promise<FaultRun> => {
      const file = path.join(dir, 'logs.parquet');
      await writeClickParquet(file, clickRows(300, 3), 100);
      await damage?.(file);
      fs.writeFileSync(path.join(dir, 's.json'), JSON.stringify(schema));
      const out = path.join(dir, 'out.dlrm');
      return {
        args: [
          'preprocess',
          '--schema',
          path.join(dir, 's.json'),
          '--raw-data-file',
          file,
          '--processed-data-file',
          out,
        ],
        expectExit: 2,
        expectMessage: message(file),
        absent: [out, `${out}.parts`, workFolder(out)],
        unchanged: [file],
      };
    },
  };
}

/** The run's work folder, which holds the rendered Parquet rows while it runs (src/preprocess/outputs.ts). */
const workFolder = (out: string): string => path.join(path.dirname(out), `.${path.basename(out)}.parts.partial`);

const cutShort = (file: string): void => fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 1000));

export const parquetCases: FaultCase[] = [
  preprocessCase(
    'preprocess --schema: a schema column the Parquet file lacks',
    {
      ...CLICK_SCHEMA,
      columns: [...CLICK_SCHEMA.columns, 'ignore', 'dwell'],
      dense: [...CLICK_SCHEMA.dense, { name: 'dwell', transform: 'log1p' }],
    },
    (file) =>
      new RegExp(
        `^dlrm: ${escape(file)}: no column 'dwell' \\(the schema's dense column\\); the file has: ts, click, price, qty, score, country, user_id, tags$`,
      ),
  ),
  preprocessCase(
    'preprocess --schema: a string column given as dense',
    {
      ...CLICK_SCHEMA,
      dense: [...CLICK_SCHEMA.dense, { name: 'country', transform: 'none' }],
      categorical: CLICK_SCHEMA.categorical.filter((c) => c.name !== 'country'),
    },
    (file) =>
      new RegExp(
        `^dlrm: ${escape(file)}: column 'country' is BYTE_ARRAY \\(UTF8\\), which the schema's dense column cannot take \\(it takes number, int64, bool\\)$`,
      ),
  ),
  preprocessCase(
    'preprocess --schema: a Parquet file cut short',
    CLICK_SCHEMA,
    (file) => new RegExp(`^dlrm: ${escape(file)}: not a readable Parquet file \\(.+\\)$`),
    cutShort,
  ),
  preprocessCase(
    'preprocess --schema: a .parquet file that is not Parquet',
    CLICK_SCHEMA,
    (file) => new RegExp(`^dlrm: ${escape(file)}: not a readable Parquet file \\(.+\\)$`),
    (file) => fs.writeFileSync(file, 'click,price\n1,2\n'.repeat(50)),
  ),
  preprocessCase(
    'preprocess --schema: an int64 id past 32 bits in a decimal column names the row and column',
    CLICK_SCHEMA,
    (file) =>
      new RegExp(
        `^dlrm: ${escape(file)}:1: field 7 \\(user_id\\): '5000000000' is not an unsigned 32-bit decimal integer$`,
      ),
    (file) => {
      // rewrite the file with a first row whose id does not fit the schema's decimal encoding
      const rows = clickRows(300, 3);
      rows[0].userId = 5000000000n;
      return writeClickParquet(file, rows, 100);
    },
  ),
  {
    name: 'preprocess --schema: a bad id in the second part file of a folder names that part and its own row',
    kind: 'bad-input',
    prepare: async (dir): Promise<FaultRun> => {
      // rows are rendered into one text file across the parts; the error must map back to part 2, row 5
      const parts = path.join(dir, 'events');
      fs.mkdirSync(parts);
      const rows = clickRows(300, 3);
      rows[104].userId = 5000000000n;
      const names = ['part-00000.parquet', 'part-00001.parquet', 'part-00002.parquet'];
      for (let i = 0; i < 3; i++)
        await writeClickParquet(path.join(parts, names[i]), rows.slice(100 * i, 100 * (i + 1)), 40);
      fs.writeFileSync(path.join(dir, 's.json'), JSON.stringify(CLICK_SCHEMA));
      const out = path.join(dir, 'out.dlrm');
      const bad = path.join(parts, names[1]);
      return {
        args: [
          'preprocess',
          '--schema',
          path.join(dir, 's.json'),
          '--raw-data-file',
          parts,
          '--processed-data-file',
          out,
        ],
        expectExit: 2,
        expectMessage: new RegExp(
          `^dlrm: ${escape(bad)}:5: field 7 \\(user_id\\): '5000000000' is not an unsigned 32-bit decimal integer$`,
        ),
        absent: [out, `${out}.parts`, workFolder(out)],
        unchanged: names.map((n) => path.join(parts, n)),
      };
    },
  },
  {
    name: 'schema --infer: a Parquet file cut short',
    kind: 'bad-input',
    prepare: async (dir): Promise<FaultRun> => {
      const file = path.join(dir, 'new.parquet');
      await writeClickParquet(file, clickRows(50, 1), 100);
      cutShort(file);
      const out = path.join(dir, 'schema.json');
      return {
        args: ['schema', '--infer', file, '--out', out],
        expectExit: 2,
        expectMessage: new RegExp(`^dlrm: ${escape(file)}: not a readable Parquet file \\(.+\\)$`),
        absent: [out],
        unchanged: [file],
      };
    },
  },
  {
    name: 'predict --input: a Parquet file lacking a column of the training schema',
    kind: 'bad-input',
    prepare: async (dir): Promise<FaultRun> => {
      // a model trained on the CSV twin's schema, then a Parquet input without its 'qty' column
      const csv = path.join(dir, 'logs.csv'),
        schema = path.join(dir, 's.json'),
        ckpt = path.join(dir, 'm.ckpt');
      fs.writeFileSync(csv, clickCsv(clickRows(400, 2)));
      fs.writeFileSync(schema, JSON.stringify(CLICK_SCHEMA));
      cli(['preprocess', '--schema', schema, '--raw-data-file', csv]);
      cli([
        'train',
        '--processed-data-file',
        path.join(dir, 'logs.dlrm'),
        '--arch-mlp-bot',
        '3-4',
        '--arch-sparse-feature-size',
        '4',
        '--arch-mlp-top',
        '4-1',
        '--num-batches',
        '2',
        '--save-model',
        ckpt,
      ]);
      const file = path.join(dir, 'new.parquet');
      await writeClickParquet(file, clickRows(50, 1), 100, true, ['qty']);
      const out = path.join(dir, 'p.csv');
      return {
        args: ['predict', '--load-model', ckpt, '--input', file, '--output', out],
        expectExit: 2,
        expectMessage: new RegExp(
          `^dlrm: ${escape(file)}: no column 'qty' \\(the schema's dense column\\); the file has: ts, click, price, score, country, user_id, tags$`,
        ),
        absent: [out],
        unchanged: [file],
      };
    },
  },
];

/** Runs the CLI for a case's preparation; throws when it fails. */
function cli(args: string[]): void {
  const r = spawnSync(process.execPath, [path.join(repoRoot(), 'bin', 'dlrm.js'), ...args, '--log-level', 'warn'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`dlrm ${args.join(' ')}: ${r.stderr}`);
}
