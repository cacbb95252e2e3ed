// `dlrm predict` on the real Criteo samples in ../shared/data/criteo (skipped with the reason when absent):
// preprocess kaggle-sample.txt, train briefly, then score kaggle-test-sample.txt (Kaggle test.txt rows: 39
// fields, no label) end to end, one probability per line; and the labelled sample's raw lines score exactly
// as their processed rows (real hex values, empty fields, negative I2).
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Engine } from '../../src/engine/engine';
import { setupLogger } from '../../src/util/log';
import { sharedCriteoFile, tempDir } from '../helpers/sharedData';
import { dlrm, mergedRows, predictInChunks, preprocessAndTrain, referenceEngine, type Fixture } from './fixtures';

const train = sharedCriteoFile('kaggle-sample.txt');
const unlabelled = sharedCriteoFile('kaggle-test-sample.txt');
const skip = 'skip' in train ? train.skip : 'skip' in unlabelled ? unlabelled.skip : false;
if (skip) console.log(`# skipping the real-sample predict tests: ${skip}`);

const dir = tempDir('predict-kaggle');
let fx: Fixture;
let engine: Engine;

before(async () => {
  if (skip || 'skip' in train) return;
  setupLogger({ level: 'warn', pretty: false });
  fx = await preprocessAndTrain(dir, 'kaggle', train.path);
  engine = await referenceEngine(fx);
});
after(() => {
  engine?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

const lineCount = (file: string): number =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '').length;

test('kaggle-test-sample.txt (39 fields): one probability per line, in (0, 1)', { skip }, () => {
  if ('skip' in unlabelled) return;
  const out = path.join(dir, 'test-sample.csv');
  const r = dlrm('predict', '--load-model', fx.model, '--input', unlabelled.path, '--output', out);
  assert.equal(r.status, 0, r.stderr);
  const [header, ...rows] = fs.readFileSync(out, 'utf8').trimEnd().split('\n');
  assert.equal(header, 'line,probability');
  assert.equal(rows.length, lineCount(unlabelled.path));
  rows.forEach((row, i) => {
    const [line, p] = row.split(',');
    assert.equal(Number(line), i + 1);
    assert.ok(Number(p) > 0 && Number(p) < 1, `line ${i + 1}: ${p}`);
  });
});

test('kaggle-sample.txt: raw lines score exactly as their processed rows', { skip }, async () => {
  if ('skip' in train) return;
  const r = dlrm('predict', '--mini-batch-size', '4096', '--load-model', fx.model, '--input', train.path);
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.trimEnd().split('\n').slice(1);
  const batch = mergedRows(fx, 0, fx.manifest.totalRows);
  const want = await predictInChunks(engine, batch, 4096);
  assert.equal(rows.length, want.length);
  rows.forEach((row, i) => {
    const [, p, label] = row.split(',');
    assert.equal(Math.fround(Number(p)), want[i], `line ${i + 1}`);
    assert.equal(Number(label), batch.labels[i]);
  });
});
