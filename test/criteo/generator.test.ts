// Tests of the Criteo-shaped generator (src/criteo/generator*.ts): byte-for-byte determinism per seed,
// the format of every line, missing and click rates near the profile's targets, cardinalities, and a
// planted signal that a model can learn (a tiny logistic regression on hashed features, in plain TS).
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BLOCK_ROWS, CriteoGenerator } from '../../src/criteo/generator';
import { loadProfile, validateProfile } from '../../src/criteo/generatorProfile';
import { main } from '../../src/cli/main';
import { UserError } from '../../src/util/errors';
import { generateTextFile } from '../../src/criteo/generatorText';
import { rocAuc } from '../../src/eval/metrics';
import { Rng } from '../../src/util/random';
import { tempDir } from '../helpers/sharedData';

const profile = loadProfile('kaggle');
const dir = tempDir('generator');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const ROWS = 40_000;
const file = path.join(dir, 'train.txt');
let lines: string[] = [];
let fields: string[][] = [];
before(async () => {
  await generateTextFile({ profile, rows: ROWS, out: file, seed: 7, withLabel: true });
  lines = fs.readFileSync(file, 'utf8').split('\n');
  assert.equal(lines.pop(), '', 'the file ends with a newline');
  fields = lines.map((l) => l.split('\t'));
});

test('the same seed gives the same bytes (with any number of workers), another seed other bytes; no temp file is left', async () => {
  const again = path.join(dir, 'again.txt');
  const other = path.join(dir, 'other.txt');
  await generateTextFile({ profile, rows: ROWS, out: again, seed: 7, withLabel: true, workers: 3 });
  await generateTextFile({ profile, rows: 1000, out: other, seed: 8, withLabel: true });
  assert.ok(fs.readFileSync(again).equals(fs.readFileSync(file)));
  assert.notEqual(fs.readFileSync(other, 'utf8').slice(0, 5000), lines.slice(0, 1000).join('\n').slice(0, 5000));
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.includes('.tmp-')),
    [],
  );
});

test('every line has 40 fields: 0/1 label, 13 integers, 26 hex8 values, empty when missing', () => {
  assert.equal(fields.length, ROWS);
  fields.forEach((f, i) => {
    assert.equal(f.length, 40, `line ${i + 1}`);
    assert.match(f[0], /^[01]$/);
    for (let j = 1; j <= 13; j++) assert.match(f[j], /^(-?[0-9]+)?$/, `line ${i + 1} field ${j + 1}`);
    for (let j = 14; j < 40; j++) assert.match(f[j], /^([0-9a-f]{8})?$/, `line ${i + 1} field ${j + 1}`);
  });
  // only I2 is ever negative; integers stay within the profile's maxima
  for (let j = 0; j < 13; j++) {
    const present = fields
      .map((f) => f[1 + j])
      .filter((v) => v !== '')
      .map(Number);
    assert.ok(Math.max(...present) <= profile.dense[j].max);
    assert.equal(
      present.some((x) => x < 0),
      profile.dense[j].negativeRate > 0,
      `I${j + 1} negatives`,
    );
  }
});

test('--no-label lines are the same rows with 39 fields', async () => {
  const noLabel = path.join(dir, 'test.txt');
  await generateTextFile({ profile, rows: 500, out: noLabel, seed: 7, withLabel: false });
  const got = fs.readFileSync(noLabel, 'utf8').split('\n').slice(0, 500);
  got.forEach((l, i) => assert.equal(l, lines[i].slice(lines[i].indexOf('\t') + 1)));
});

test('missing rates follow the profile groups and the click rate is near the target', () => {
  const names = [...profile.dense.map((d) => d.name), ...profile.categorical.map((c) => c.name)];
  const rateOf = new Map<string, number>();
  for (const g of profile.missingGroups) for (const c of g.columns) rateOf.set(c, g.rate);
  names.forEach((name, c) => {
    const missing = fields.filter((f) => f[1 + c] === '').length / ROWS;
    const want = rateOf.get(name) ?? 0;
    const tol = 4 * Math.sqrt((want * (1 - want)) / ROWS) + 1e-9;
    assert.ok(Math.abs(missing - want) <= tol, `${name}: missing ${missing} vs ${want}`);
  });
  // columns of one group are missing on the same rows
  for (const g of profile.missingGroups) {
    const idx = g.columns.map((c) => 1 + names.indexOf(c));
    for (const f of fields)
      assert.ok(
        idx.every((i) => (f[i] === '') === (f[idx[0]] === '')),
        g.columns.join(','),
      );
  }
  const clicks = fields.filter((f) => f[0] === '1').length / ROWS;
  assert.ok(Math.abs(clicks - profile.signal.clickRate) < 0.015, `click rate ${clicks}`);
});

test('categorical values respect the cardinalities: ranks in range, values a bijection of ranks', () => {
  const gen = new CriteoGenerator(profile, 3);
  const block = gen.newBlock();
  const T = gen.numTables;
  for (let b = 0; b < 5; b++) {
    gen.fillBlock(b, block);
    for (let i = 0; i < BLOCK_ROWS * T; i++) {
      const t = i % T;
      const valueCount = gen.cardinalities[t] - (gen.canBeMissing[t] ? 1 : 0);
      assert.ok(block.ranks[i] >= (gen.canBeMissing[t] ? -1 : 0) && block.ranks[i] < valueCount);
    }
  }
  profile.categorical.forEach((c, t) => {
    if (c.cardinality > 100_000) return;
    const values = new Set<number>();
    for (let k = 0; k < c.cardinality; k++) values.add(gen.categoryValue(t, k));
    assert.equal(values.size, c.cardinality, `${c.name}: distinct values`);
    assert.ok(!values.has(0), `${c.name}: 0 is reserved for missing`);
  });
  // small tables: the text shows no more distinct values than the table holds
  profile.categorical.forEach((c, t) => {
    const distinct = new Set(fields.map((f) => f[14 + t]));
    assert.ok(distinct.size <= c.cardinality, `${c.name}: ${distinct.size} > ${c.cardinality}`);
  });
});

test('the planted logit ranks clicks well above chance and a shuffled one does not', () => {
  const gen = new CriteoGenerator(profile, 7);
  const block = gen.newBlock();
  const n = 10 * BLOCK_ROWS;
  const scores = new Float32Array(n);
  const labels = new Float32Array(n);
  for (let b = 0; b < 10; b++) {
    gen.fillBlock(b, block);
    scores.set(block.logits, b * BLOCK_ROWS);
    labels.set(block.labels, b * BLOCK_ROWS);
  }
  assert.deepEqual(
    Array.from(labels.subarray(0, 2000)),
    fields.slice(0, 2000).map((f) => Number(f[0])),
  );
  const oracle = rocAuc(scores, labels);
  assert.ok(oracle > 0.7, `oracle AUC ${oracle}`);
  new Rng(1).shuffle(scores);
  const shuffled = rocAuc(scores, labels);
  assert.ok(Math.abs(shuffled - 0.5) < 0.02, `shuffled AUC ${shuffled}`);
});

test('a logistic regression on hashed features learns the signal from the text (held-out AUC > 0.6)', () => {
  const BUCKETS = 1 << 18;
  const featuresOf = (f: string[]): Int32Array => {
    const idx = new Int32Array(39);
    for (let j = 1; j < 40; j++) {
      let h = 2166136261 ^ j;
      for (let k = 0; k < f[j].length; k++) h = Math.imul(h ^ f[j].charCodeAt(k), 16777619);
      idx[j - 1] = (h >>> 0) % BUCKETS;
    }
    return idx;
  };
  const rows = fields.map(featuresOf);
  const y = fields.map((f) => Number(f[0]));
  const trainRows = 30_000;
  const w = new Float64Array(BUCKETS);
  let bias = 0;
  for (let epoch = 0; epoch < 3; epoch++) {
    for (let i = 0; i < trainRows; i++) {
      let z = bias;
      for (const k of rows[i]) z += w[k];
      const g = 1 / (1 + Math.exp(-z)) - y[i];
      bias -= 0.05 * g;
      for (const k of rows[i]) w[k] -= 0.05 * g;
    }
  }
  const held = ROWS - trainRows;
  const scores = new Float32Array(held);
  const labels = new Float32Array(held);
  for (let i = 0; i < held; i++) {
    let z = bias;
    for (const k of rows[trainRows + i]) z += w[k];
    scores[i] = 1 / (1 + Math.exp(-z));
    labels[i] = y[trainRows + i];
  }
  const auc = rocAuc(scores, labels);
  assert.ok(auc > 0.6, `held-out AUC ${auc}`);
});

test('dlrm generate (2 workers) writes the library bytes; a bad profile is a UserError', async () => {
  const out = path.join(dir, 'cli.txt');
  await main([
    'node',
    'dlrm',
    'generate',
    '--rows',
    '9000',
    '--out',
    out,
    '--seed',
    '7',
    '--workers',
    '2',
    '--log-level',
    'warn',
  ]);
  assert.equal(fs.readFileSync(out, 'utf8'), lines.slice(0, 9000).join('\n') + '\n');
  const bad = { ...profile, categorical: profile.categorical.map((c, t) => (t === 2 ? { ...c, cardinality: 1 } : c)) };
  assert.throws(
    () => validateProfile(bad, 'p.json'),
    (e: unknown) => e instanceof UserError && /^p\.json: categorical C3: cardinality/.test(e.message),
  );
  const badGroup = { ...profile, missingGroups: [{ rate: 0.5, columns: ['C99'] }] };
  assert.throws(() => validateProfile(badGroup, 'p.json'), /unknown column 'C99'/);
});
