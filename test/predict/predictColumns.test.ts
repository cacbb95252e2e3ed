// `dlrm predict`'s output columns through the built CLI: `line` is the line number in the input file
// (header and empty lines counted) for a CSV with a header, plain and .gz; --format kaggle-submission
// writes `Id,Predicted` numbered from 60000000 (Kaggle's test.txt) with the same probabilities as the
// default CSV; --id-column/--id-start add an id column; contradictory flags are refused.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { setupLogger } from '../../src/util/log';
import { tempDir } from '../helpers/sharedData';
import { dlrm as dlrmCli, LOG_SCHEMA, logCsv, logRows, writeJson } from '../schema/fixtures';
import { buildFixture, dlrm, type Fixture } from './fixtures';

const dir = tempDir('predict-columns');
let fx: Fixture;

before(async () => {
  setupLogger({ level: 'warn', pretty: false });
  fx = await buildFixture(dir, 'cols', { rows: 1200, seed: 11 });
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The CSV text as its header and rows of fields. */
function csvRows(text: string): { header: string; rows: string[][] } {
  const [header, ...rest] = text.trimEnd().split('\n');
  return { header, rows: rest.map((l) => l.split(',')) };
}

function predict(...args: string[]): string {
  const r = dlrm('predict', '--load-model', fx.model, ...args);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('--format kaggle-submission: Id,Predicted from 60000000 on unlabelled .gz lines, the same probabilities as the CSV', () => {
  const lines = fs.readFileSync(fx.raw, 'utf8').trimEnd().split('\n');
  const gz = path.join(dir, 'test.txt.gz');
  fs.writeFileSync(gz, zlib.gzipSync(lines.map((l) => l.slice(l.indexOf('\t') + 1)).join('\n') + '\n'));
  const plain = csvRows(predict('--input', fx.raw, '--mini-batch-size', '500'));
  assert.equal(plain.header, 'line,probability,label');
  const out = path.join(dir, 'submission.csv');
  predict('--input', gz, '--format', 'kaggle-submission', '--output', out, '--mini-batch-size', '500');
  const sub = csvRows(fs.readFileSync(out, 'utf8'));
  assert.equal(sub.header, 'Id,Predicted');
  assert.equal(sub.rows.length, lines.length);
  sub.rows.forEach(([id, p], i) => {
    assert.equal(id, String(60_000_000 + i));
    assert.equal(p, plain.rows[i][1], `row ${i}`);
  });
  const from = csvRows(predict('--input', gz, '--format', 'kaggle-submission', '--id-start', '0'));
  assert.deepEqual([from.rows[0][0], from.rows.at(-1)![0]], ['0', String(lines.length - 1)]);
});

test('--id-column NAME [--id-start N]: a column of positions after line; the line column is unchanged', () => {
  const csv = csvRows(predict('--input', fx.raw, '--id-column', 'Id', '--id-start', '7', '--mini-batch-size', '300'));
  assert.equal(csv.header, 'line,Id,probability,label');
  csv.rows.forEach((r, i) => assert.deepEqual(r.slice(0, 2), [String(i + 1), String(7 + i)]));
  const zero = csvRows(predict('--input', fx.raw, '--id-column', 'row_id'));
  assert.equal(zero.header, 'line,row_id,probability,label');
  assert.equal(zero.rows[0][1], '0');
});

test('contradictory id flags are refused with one line, exit 2, and no output', () => {
  const out = path.join(dir, 'refused.csv');
  const cases: [string[], RegExp][] = [
    [
      ['--format', 'kaggle-submission', '--id-column', 'Id'],
      /^dlrm: --id-column: --format kaggle-submission has its own columns Id,Predicted/,
    ],
    [['--id-start', '5'], /^dlrm: --id-start needs --id-column <name>/],
  ];
  for (const [args, want] of cases) {
    const r = dlrm('predict', '--load-model', fx.model, '--input', fx.raw, '--output', out, ...args);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, want);
    assert.ok(!fs.existsSync(out));
  }
  const bad = dlrm('predict', '--load-model', fx.model, '--input', fx.raw, '--id-column', 'probability');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^dlrm: option .*'probability' is already a column of the CSV/);
});

test('a CSV with a header (and an empty line), plain and .gz: `line` is the line number in the input file', () => {
  const rows = logRows(300, 5);
  const raw = path.join(dir, 'logs.csv');
  fs.writeFileSync(raw, logCsv(rows));
  const schema = writeJson(path.join(dir, 'schema.json'), LOG_SCHEMA);
  const merged = path.join(dir, 'logs.dlrm');
  const ckpt = path.join(dir, 'logs.ckpt');
  for (const args of [
    ['preprocess', '--schema', schema, '--raw-data-file', raw, '--processed-data-file', merged],
    [
      'train',
      '--processed-data-file',
      merged,
      '--arch-mlp-bot',
      '1-8-4',
      '--arch-mlp-top',
      '8-1',
      '--mini-batch-size',
      '32',
      '--num-batches',
      '3',
      '--save-model',
      ckpt,
    ],
  ]) {
    const r = dlrmCli(...args);
    assert.equal(r.status, 0, r.stderr);
  }
  // header (line 1), 10 rows (lines 2..11), an empty line (12), 10 rows (lines 13..22)
  const text = logCsv(rows.slice(0, 20)).split('\n');
  const input = [...text.slice(0, 11), '', ...text.slice(11)].join('\n');
  const want = [
    ...Array.from({ length: 10 }, (_, i) => String(i + 2)),
    ...Array.from({ length: 10 }, (_, i) => String(i + 13)),
  ];
  const plain = path.join(dir, 'head.csv');
  fs.writeFileSync(plain, input);
  const gz = path.join(dir, 'head.csv.gz');
  fs.writeFileSync(gz, zlib.gzipSync(input));
  for (const file of [plain, gz]) {
    for (const batch of ['4', '100']) {
      const r = dlrmCli('predict', '--load-model', ckpt, '--input', file, '--mini-batch-size', batch);
      assert.equal(r.status, 0, r.stderr);
      const csv = csvRows(r.stdout);
      assert.equal(csv.header, 'line,probability,label');
      assert.deepEqual(
        csv.rows.map((x) => x[0]),
        want,
        `${path.basename(file)}, batches of ${batch}`,
      );
    }
  }
});
