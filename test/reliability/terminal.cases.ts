// Fault cases of the terminal and input-text area (issue 10, items 9 and 10), run through the CLI:
// CRLF input read exactly as LF (Criteo and custom-schema paths), a stray '\r' named with the character
// escaped, --skip-invalid-lines runs that skipped every line (fail, publish nothing) or more than 1% (warn
// with the count), and resumes that differ from the interrupted run (each difference on its own line).
// The progress bars on a real terminal are tested in terminal.pty.test.ts.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadSchemaPreset } from '../../src/criteo/schemaPresets';
import { ProcessedFileReader } from '../../src/dataset/processedFile';
import type { Checkpoint } from '../../src/preprocess/checkpoint';
import { criteoLines } from '../preprocess/fixtures';
import { type FaultCase, type FaultResult, runDlrm } from './faultCase';

const LINES = 700;

/** The differences between two processed files' rows (labels, dense, bags), or undefined when equal. */
function rowDifference(a: string, b: string): string | undefined {
  const ra = ProcessedFileReader.open(a),
    rb = ProcessedFileReader.open(b);
  try {
    if (ra.rows !== rb.rows) return `${a} holds ${ra.rows} rows, ${b} ${rb.rows}`;
    const x = ra.read(0, ra.rows),
      y = rb.read(0, rb.rows);
    const same = (p: ArrayBufferView, q: ArrayBufferView): boolean =>
      Buffer.from(p.buffer, p.byteOffset, p.byteLength).equals(Buffer.from(q.buffer, q.byteOffset, q.byteLength));
    if (!same(x.labels, y.labels)) return `labels of ${a} and ${b} differ`;
    if (!same(x.dense, y.dense)) return `dense values of ${a} and ${b} differ`;
    const t = x.sparse.findIndex(
      (bag, i) => !same(bag.offsets, y.sparse[i].offsets) || !same(bag.indices, y.sparse[i].indices),
    );
    return t >= 0 ? `table ${t} of ${a} and ${b} differs` : undefined;
  } finally {
    ra.close();
    rb.close();
  }
}

/**
 * The first file of folder `a` (recursively) missing from folder `b` or different there: processed files
 * (.dlrm) by their rows (their metadata names the source), the others byte for byte.
 */
function folderDifference(a: string, b: string, skip: Set<string>): string | undefined {
  for (const e of fs.readdirSync(a, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const rel = path.relative(a, path.join(e.parentPath, e.name));
    if (skip.has(rel)) continue;
    const mine = path.join(a, rel),
      other = path.join(b, rel);
    if (!fs.existsSync(other)) return `${rel} is in ${a} but not in ${b}`;
    const differs = rel.endsWith('.dlrm')
      ? rowDifference(mine, other)
      : fs.readFileSync(other).equals(fs.readFileSync(mine))
        ? undefined
        : `${rel} differs between ${a} and ${b}`;
    if (differs) return differs;
  }
  return undefined;
}

/** Fails when stderr holds a raw carriage return or escape byte (they garble the terminal). */
const noRawControls = (r: FaultResult): string | undefined =>
  // eslint-disable-next-line no-control-regex -- the escape byte is what it looks for
  /[\r\x1b]/.test(r.stderr) ? `raw control characters on stderr: ${JSON.stringify(r.stderr.slice(-300))}` : undefined;

/** The 'msg' of every JSON log line on stderr. */
const logMessages = (r: FaultResult): string[] =>
  r.stderr.split('\n').flatMap((l) => {
    try {
      return [String((JSON.parse(l) as { msg?: unknown }).msg)];
    } catch {
      return [];
    }
  });

/** The indented detail lines under the `dlrm: ` line. */
const detailLines = (r: FaultResult): string[] => r.stderr.split('\n').filter((l) => l.startsWith('  '));

/** Writes the `LINES` Criteo lines of seed 5 to dir/name with `eol` line ends; returns the path. */
function writeCriteo(dir: string, name: string, eol = '\n', edit: (lines: string[]) => string[] = (l) => l): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, edit(criteoLines(LINES, 5)).join(eol) + eol);
  return file;
}

/** A custom schema (label, one dense, one string categorical) and its lines, `eol`-terminated. */
function writeCustom(
  dir: string,
  eol: string,
  label = (i: number): string => String(i % 2),
): { schema: string; file: string } {
  const schema = path.join(dir, 'schema.json');
  fs.writeFileSync(
    schema,
    JSON.stringify({
      delimiter: ',',
      columns: ['y', 'n', 'k'],
      label: { name: 'y' },
      dense: [{ name: 'n', transform: 'log1p' }],
      categorical: [{ name: 'k' }],
    }),
  );
  const file = path.join(dir, 'log.csv');
  fs.writeFileSync(file, Array.from({ length: 350 }, (_, i) => `${label(i)},${i % 17},key${i % 23}${eol}`).join(''));
  return { schema, file };
}

/**
 * Writes the work folder of an interrupted `dlrm preprocess --raw-data-file raw` whose checkpoint records
 * `options` and `inputs` (as the pipeline records them) but no completed day: a resume checks them first.
 */
function interruptedRun(raw: string, out: string, change: (fp: Checkpoint['fingerprint']) => void): string {
  const work = path.join(path.dirname(out), `.${path.basename(out)}.parts.partial`);
  fs.mkdirSync(path.join(work, 'vocab'), { recursive: true });
  const fingerprint: Checkpoint['fingerprint'] = {
    schema: loadSchemaPreset('kaggle'),
    options: {
      dataSet: 'kaggle',
      maxIndRange: -1,
      dataSubSampleRate: 0,
      dataRandomize: 'total',
      minFrequency: 0,
      skipInvalidLines: false,
      seed: 0,
    },
    inputs: [
      {
        path: raw,
        bytes: fs.statSync(raw).size,
        sha256: crypto.createHash('sha256').update(fs.readFileSync(raw)).digest('hex'),
      },
    ],
  };
  change(fingerprint);
  const cp: Checkpoint = {
    version: 1,
    fingerprint,
    days: [],
    vocabSizes: new Array<number>(26).fill(0),
    zeroIndex: new Array<number>(26).fill(-1),
    createdAt: new Date(0).toISOString(),
  };
  const file = path.join(work, 'checkpoint.json');
  fs.writeFileSync(file, JSON.stringify(cp));
  return file;
}

const SMALL_TRAIN = [
  '--data-generation',
  'random',
  '--nepochs',
  '1',
  '--arch-embedding-size',
  '10-20-30',
  '--arch-sparse-feature-size',
  '4',
  '--arch-mlp-bot',
  '13-8-4',
  '--arch-mlp-top',
  '8-1',
];

export const terminalCases: FaultCase[] = [
  {
    name: 'preprocess reads a CRLF train.txt exactly as its LF twin',
    kind: 'bad-input',
    prepare(dir) {
      writeCriteo(dir, 'lf.txt');
      const crlf = writeCriteo(dir, 'crlf.txt', '\r\n');
      return {
        args: ['preprocess', '--raw-data-file', crlf],
        expectExit: 0,
        check(r) {
          const lf = runDlrm(['preprocess', '--raw-data-file', path.join(dir, 'lf.txt')]);
          if (lf.status !== 0) return `the LF twin failed: ${lf.stderr}`;
          return (
            noRawControls(r) ??
            rowDifference(path.join(dir, 'crlf.dlrm'), path.join(dir, 'lf.dlrm')) ??
            folderDifference(
              path.join(dir, 'crlf.dlrm.parts'),
              path.join(dir, 'lf.dlrm.parts'),
              new Set(['manifest.json']),
            )
          );
        },
      };
    },
  },
  {
    name: 'preprocess --schema reads a CRLF file exactly as its LF twin',
    kind: 'bad-input',
    prepare(dir) {
      const lfDir = path.join(dir, 'lf');
      fs.mkdirSync(lfDir);
      const lf = writeCustom(lfDir, '\n');
      const crlf = writeCustom(dir, '\r\n');
      return {
        args: ['preprocess', '--schema', crlf.schema, '--raw-data-file', crlf.file],
        expectExit: 0,
        check(r) {
          const twin = runDlrm(['preprocess', '--schema', lf.schema, '--raw-data-file', lf.file]);
          if (twin.status !== 0) return `the LF twin failed: ${twin.stderr}`;
          return noRawControls(r) ?? rowDifference(path.join(dir, 'log.dlrm'), path.join(lfDir, 'log.dlrm'));
        },
      };
    },
  },
  {
    name: "a '\\r' inside a line is named with the character escaped, never printed raw",
    kind: 'bad-input',
    prepare(dir) {
      const raw = writeCriteo(dir, 'train.txt', '\n', (lines) =>
        lines.map((l, i) =>
          i === 4
            ? l
                .split('\t')
                .map((f, k) => (k === 20 ? 'ab\rcd' : f))
                .join('\t')
            : l,
        ),
      );
      return {
        args: ['preprocess', '--raw-data-file', raw],
        expectExit: 2,
        expectMessage:
          /train\.txt:5: field 21 \(C7\): 'ab\\rcd' holds a carriage return \('\\r'\) that does not end the line$/,
        absent: [
          path.join(dir, 'train.dlrm'),
          path.join(dir, 'train.dlrm.parts'),
          path.join(dir, '.train.dlrm.parts.partial'),
        ],
        check: noRawControls,
      };
    },
  },
  {
    name: '--skip-invalid-lines where every line is invalid fails and publishes nothing',
    kind: 'bad-input',
    prepare(dir) {
      const raw = writeCriteo(dir, 'train.txt', '\n', (lines) => lines.map((l) => `2${l.slice(1)}`));
      return {
        args: ['preprocess', '--raw-data-file', raw, '--skip-invalid-lines'],
        expectExit: 2,
        expectMessage: new RegExp(`train\\.txt: all ${LINES} lines were invalid`),
        absent: [
          path.join(dir, 'train.dlrm'),
          path.join(dir, 'train.dlrm.parts'),
          path.join(dir, '.train.dlrm.parts.partial'),
        ],
      };
    },
  },
  {
    name: '--skip-invalid-lines where every line is invalid fails for a custom schema too',
    kind: 'bad-input',
    prepare(dir) {
      const { schema, file } = writeCustom(dir, '\n', () => 'yes');
      return {
        args: ['preprocess', '--schema', schema, '--raw-data-file', file, '--skip-invalid-lines'],
        expectExit: 2,
        expectMessage: /log\.csv: all 350 lines were invalid/,
        absent: [path.join(dir, 'log.dlrm'), path.join(dir, 'log.dlrm.parts')],
      };
    },
  },
  ...(['total', 'none'] as const).map((randomize): FaultCase => ({
    name: `--data-sub-sample-rate 1 on a log of label-0 lines fails and publishes nothing (--data-randomize ${randomize})`,
    kind: 'bad-input',
    prepare(dir) {
      const raw = writeCriteo(dir, 'train.txt', '\n', (lines) => lines.map((l) => `0${l.slice(1)}`));
      return {
        args: ['preprocess', '--raw-data-file', raw, '--data-sub-sample-rate', '1', '--data-randomize', randomize],
        expectExit: 2,
        expectMessage: new RegExp(`train\\.txt: no row is left of its ${LINES} lines: --data-sub-sample-rate 1`),
        absent: [
          path.join(dir, 'train.dlrm'),
          path.join(dir, 'train.dlrm.parts'),
          path.join(dir, '.train.dlrm.parts.partial'),
        ],
      };
    },
  })),
  {
    name: '--skip-invalid-lines skipping more than 1% warns with the count',
    kind: 'bad-input',
    prepare(dir) {
      const raw = writeCriteo(dir, 'train.txt', '\n', (lines) =>
        lines.map((l, i) => (i % 50 === 0 ? `2${l.slice(1)}` : l)),
      );
      return {
        args: ['preprocess', '--raw-data-file', raw, '--skip-invalid-lines'],
        expectExit: 0,
        check: (r) =>
          logMessages(r).includes(`14 of ${LINES} lines (2.0%) were invalid and skipped (--skip-invalid-lines)`)
            ? undefined
            : `no warning with the count:\n${r.stderr}`,
      };
    },
  },
  {
    name: 'preprocess --resume with another --max-ind-range names that option, was and now',
    kind: 'bad-input',
    prepare(dir) {
      const raw = writeCriteo(dir, 'train.txt');
      const cp = interruptedRun(raw, path.join(dir, 'train.dlrm'), (fp) => (fp.options.maxIndRange = 10_000_000));
      return {
        args: ['preprocess', '--raw-data-file', raw, '--resume', '--max-ind-range', '5000000'],
        expectExit: 2,
        expectMessage: /--resume: the interrupted run in .*\.train\.dlrm\.parts\.partial differs from this one/,
        unchanged: [cp],
        absent: [path.join(dir, 'train.dlrm')],
        check: (r) => {
          const lines = detailLines(r);
          return lines.join('\n') === '  --max-ind-range: was 10000000, now 5000000'
            ? undefined
            : `detail lines ${JSON.stringify(lines)}`;
        },
      };
    },
  },
  {
    name: 'preprocess --resume after the input changed names the input and how',
    kind: 'bad-input',
    prepare(dir) {
      const raw = writeCriteo(dir, 'train.txt');
      const cp = interruptedRun(raw, path.join(dir, 'train.dlrm'), (fp) => {
        fp.inputs[0].bytes += 100;
        fp.options.seed = 4;
      });
      return {
        args: ['preprocess', '--raw-data-file', raw, '--resume'],
        expectExit: 2,
        expectMessage: /--resume: the interrupted run in .* differs from this one/,
        unchanged: [cp],
        check: (r) => {
          const want = [
            '  --seed: was 4, now 0',
            `  input ${raw}: size changed (was ${fs.statSync(raw).size + 100} bytes, now ${fs.statSync(raw).size})`,
          ];
          const lines = detailLines(r);
          return lines.join('\n') === want.join('\n')
            ? undefined
            : `detail lines ${JSON.stringify(lines)}, expected ${JSON.stringify(want)}`;
        },
      };
    },
  },
  {
    name: 'train --load-model on other data warns once per difference, naming each',
    kind: 'bad-input',
    prepare(dir) {
      const model = path.join(dir, 'm.ckpt');
      const first = runDlrm([
        'train',
        ...SMALL_TRAIN,
        '--data-size',
        '256',
        '--mini-batch-size',
        '64',
        '--save-model',
        model,
      ]);
      if (first.status !== 0) throw new Error(`the first training run failed: ${first.stderr}`);
      return {
        args: ['train', ...SMALL_TRAIN, '--data-size', '512', '--mini-batch-size', '32', '--load-model', model],
        expectExit: 0,
        check: (r) => {
          const got = logMessages(r).filter((m) => m.startsWith('resume: '));
          const want = [
            'resume: training rows (--data-size, or the train split of --processed-data-file): was 256, now 512',
            'resume: --mini-batch-size: was 64, now 32 (continuing at row 0 of epoch 1)',
          ];
          return got.join('\n') === want.join('\n')
            ? undefined
            : `resume warnings ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`;
        },
      };
    },
  },
];
