// End to end on a user's own log (test/schema/fixtures.ts: header, quoted CSV field, string categoricals,
// a multi-hot list, a standardize dense column, a date split) through the CLI: preprocess --schema, then
// every processed row is compared with an independent naive computation (Map vocabularies in file order,
// mean/std by hand), then train a few steps on both engines, report, eval, and predict raw rows (labelled and
// unlabelled give the same scores; unseen values fall back to the table's oovIndex).
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProcessedFileReader } from '../../src/dataset/processedFile';
import type { Manifest } from '../../src/dataset/manifest';
import { tempDir } from '../helpers/sharedData';
import { dlrm, LOG_SCHEMA, logCsv, logRows, writeJson } from './fixtures';

const dir = tempDir('schema-e2e');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const rows = logRows(900, 7);
const raw = path.join(dir, 'logs.csv');
fs.writeFileSync(raw, logCsv(rows));
const schemaFile = writeJson(path.join(dir, 'schema.json'), LOG_SCHEMA);
const merged = path.join(dir, 'logs.dlrm');

test('preprocess --schema: splits, vocabularies, standardize and multi-hot bags match a naive computation', () => {
  const r = dlrm('preprocess', '--schema', schemaFile, '--raw-data-file', raw);
  assert.equal(r.status, 0, r.stderr);
  const manifest = JSON.parse(fs.readFileSync(`${merged}.parts/manifest.json`, 'utf8')) as Manifest;
  // the date split: days 01..05 train (one shard each), day 06 halved into test then val
  const train = rows.filter((x) => x.day < '2024-01-06');
  const holdout = rows.length - train.length;
  assert.deepEqual(manifest.splits, {
    train: { start: 0, end: train.length },
    test: { start: train.length, end: train.length + Math.ceil(holdout / 2) },
    val: { start: train.length + Math.ceil(holdout / 2), end: rows.length },
  });
  assert.deepEqual(
    manifest.days.map((d) => d.name),
    ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05', 'holdout'],
  );
  // naive first-appearance vocabularies over the file order
  const index = (m: Map<string, number>, v: string): number => {
    if (!m.has(v)) m.set(v, m.size);
    return m.get(v) as number;
  };
  const country = new Map<string, number>(),
    user = new Map<string, number>(),
    tags = new Map<string, number>();
  const expected = rows.map((x) => ({
    country: index(country, x.country),
    user: index(user, x.user),
    tags: x.tags.map((t) => index(tags, t)),
  }));
  assert.deepEqual(
    manifest.tables.map((t) => [t.name, t.count, t.keyBits]),
    [
      ['country', country.size, 64],
      ['user', user.size, 64],
      ['tags', tags.size, 64],
    ],
  );
  const prices = rows.filter((x) => x.price !== '').map((x) => Number(x.price));
  const mean = prices.reduce((a, b) => a + b, 0) / prices.length;
  const std = Math.sqrt(prices.reduce((a, b) => a + (b - mean) ** 2, 0) / (prices.length - 1));
  const recorded = manifest.schema.dense[0];
  assert.ok(
    Math.abs((recorded.mean as number) - mean) < 1e-9 && Math.abs((recorded.std as number) - std) < 1e-9,
    `mean/std ${recorded.mean}/${recorded.std} vs ${mean}/${std}`,
  );
  // every day shard, row by row, in file order
  let at = 0;
  for (const day of manifest.days) {
    const reader = ProcessedFileReader.open(path.join(`${merged}.parts`, day.shard));
    const b = reader.read(0, reader.rows);
    reader.close();
    assert.equal(b.size, day.rows);
    for (let i = 0; i < b.size; i++, at++) {
      const x = rows[at],
        e = expected[at];
      const bag = (t: number): number[] =>
        Array.from(b.sparse[t].indices.subarray(b.sparse[t].offsets[i], b.sparse[t].offsets[i + 1]));
      assert.equal(b.labels[i], x.click);
      assert.equal(b.dense[i], x.price === '' ? 0 : Math.fround((Number(x.price) - mean) / std), `row ${at} price`);
      assert.deepEqual([bag(0), bag(1), bag(2)], [[e.country], [e.user], e.tags], `row ${at}`);
    }
  }
  assert.equal(at, rows.length);
  assert.ok(
    expected.some((e) => e.tags.length === 0) && expected.some((e) => e.tags.length >= 2),
    'the fixture has empty and multi-element bags',
  );
  // the vocabulary files hold the 64-bit keys in index order
  assert.equal(fs.statSync(path.join(`${merged}.parts`, manifest.tables[0].vocabFile)).size, 8 * country.size);
});

test('train (both engines), eval and predict work on the custom dataset', () => {
  const ckpt = path.join(dir, 'model.ckpt');
  const arch = ['--arch-mlp-bot', '1-8-4', '--arch-mlp-top', '8-1', '--mini-batch-size', '32', '--num-batches', '10'];
  const metrics = path.join(dir, 'metrics.jsonl');
  for (const engine of [
    ['--engine', 'tfjs', '--backend', 'cpu'],
    ['--engine', 'auto'],
  ]) {
    const r = dlrm(
      'train',
      '--processed-data-file',
      merged,
      ...arch,
      ...engine,
      '--save-model',
      ckpt,
      '--metrics-file',
      metrics,
    );
    assert.equal(r.status, 0, r.stderr);
  }
  const html = path.join(dir, 'report.html');
  const rep = dlrm('report', '--metrics', metrics, '--out', html);
  assert.equal(rep.status, 0, rep.stderr);
  assert.ok(fs.statSync(html).size > 1000);
  const ev = dlrm(
    'eval',
    '--processed-data-file',
    merged,
    '--load-model',
    ckpt,
    '--json',
    '--engine',
    'tfjs',
    '--backend',
    'cpu',
  );
  assert.equal(ev.status, 0, ev.stderr);
  const evaluation = JSON.parse(ev.stdout) as Record<string, unknown>;
  assert.ok(
    JSON.stringify(evaluation).includes(`"rows":${Math.ceil(rows.filter((x) => x.day >= '2024-01-06').length / 2)}`),
    ev.stdout,
  );

  const holdout = rows.filter((x) => x.day >= '2024-01-06');
  const labelled = path.join(dir, 'holdout.csv'),
    unlabelled = path.join(dir, 'holdout-nolabel.csv');
  fs.writeFileSync(labelled, logCsv(holdout));
  // an unseen country and user: mapped to the tables' oovIndex, still scored
  fs.writeFileSync(
    unlabelled,
    logCsv([...holdout, { ...holdout[0], country: 'nowhere', user: 'new-user', tags: ['unseen-tag'] }], false),
  );
  const p1 = dlrm('predict', '--load-model', ckpt, '--input', labelled, '--engine', 'tfjs', '--backend', 'cpu');
  const p2 = dlrm('predict', '--load-model', ckpt, '--input', unlabelled, '--engine', 'tfjs', '--backend', 'cpu');
  assert.equal(p1.status, 0, p1.stderr);
  assert.equal(p2.status, 0, p2.stderr);
  const l1 = p1.stdout.trim().split('\n'),
    l2 = p2.stdout.trim().split('\n');
  assert.equal(l1[0], 'line,probability,label');
  assert.equal(l2[0], 'line,probability');
  assert.equal(l1.length, holdout.length + 1);
  assert.equal(l2.length, holdout.length + 2);
  for (let i = 1; i <= holdout.length; i++) {
    const [line, prob, label] = l1[i].split(',');
    assert.equal(`${line},${prob}`, l2[i]);
    assert.equal(Number(label), holdout[i - 1].click);
    assert.ok(Number(prob) > 0 && Number(prob) < 1);
  }
});

test('--no-merged-file with a one-hot schema: train and eval from the parts folder; eval equals the merged file', () => {
  const oneHot = writeJson(path.join(dir, 'one-hot.json'), {
    ...LOG_SCHEMA,
    columns: LOG_SCHEMA.columns.map((c) => (c === 'tags' ? 'ignore' : c)),
    categorical: LOG_SCHEMA.categorical.filter((c) => c.multiHotSeparator === undefined),
  });
  const both = path.join(dir, 'one-hot.dlrm');
  const partsOnly = path.join(dir, 'parts-only.dlrm');
  for (const [out, extra] of [
    [both, []],
    [partsOnly, ['--no-merged-file']],
  ] as const) {
    const r = dlrm('preprocess', '--schema', oneHot, '--raw-data-file', raw, '--processed-data-file', out, ...extra);
    assert.equal(r.status, 0, r.stderr);
  }
  assert.equal(fs.existsSync(partsOnly), false, 'no merged file');
  const parts = `${partsOnly}.parts`;
  const arch = ['--arch-mlp-bot', '1-8-4', '--arch-mlp-top', '8-1', '--mini-batch-size', '32', '--num-batches', '10'];
  const ckpt = path.join(dir, 'parts.ckpt');
  const t = dlrm('train', '--processed-data-file', parts, ...arch, '--save-model', ckpt);
  assert.equal(t.status, 0, t.stderr);
  const evalOf = (data: string) => {
    const r = dlrm(
      'eval',
      '--processed-data-file',
      data,
      '--load-model',
      ckpt,
      '--json',
      '--engine',
      'tfjs',
      '--backend',
      'cpu',
    );
    assert.equal(r.status, 0, r.stderr);
    const {
      samplesPerSec: _speed,
      seconds: _seconds,
      processedDataFile: _data,
      ...figures
    } = JSON.parse(r.stdout) as Record<string, unknown>;
    return figures;
  };
  const fromParts = evalOf(parts);
  assert.ok(Number(fromParts.rows) > 0, JSON.stringify(fromParts));
  assert.deepEqual(fromParts, evalOf(both), 'the same test rows through either layout');
});
