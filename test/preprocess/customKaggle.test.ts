// The general custom-schema path agrees with the Criteo fast path: the real Kaggle sample preprocessed with
// `--schema configs/kaggle.schema.json` (the preset run through the user-schema pipeline: default 7-block
// split = Kaggle's day cut) gives the same merged rows, splits and vocabularies as `--data-set kaggle`.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Manifest } from '../../src/dataset/manifest';
import { ProcessedFileReader } from '../../src/dataset/processedFile';
import { repoRoot, sharedCriteoFile, tempDir } from '../helpers/sharedData';
import { dlrm } from '../schema/fixtures';

const sample = sharedCriteoFile('kaggle-sample.txt');
const dir = tempDir('custom-kaggle');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('--schema configs/kaggle.schema.json equals --data-set kaggle on the real sample', { skip: 'skip' in sample ? sample.skip : false }, () => {
  if ('skip' in sample) return;
  const preset = path.join(dir, 'preset.dlrm'), custom = path.join(dir, 'custom.dlrm');
  const a = dlrm('preprocess', '--raw-data-file', sample.path, '--processed-data-file', preset, '--max-ind-range', '5000');
  const b = dlrm('preprocess', '--raw-data-file', sample.path, '--processed-data-file', custom, '--max-ind-range', '5000', '--schema', path.join(repoRoot(), 'configs', 'kaggle.schema.json'));
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.status, 0, b.stderr);
  const ra = ProcessedFileReader.open(preset), rb = ProcessedFileReader.open(custom);
  const ma = ra.metadata as Manifest, mb = rb.metadata as Manifest;
  assert.deepEqual(mb.splits, ma.splits);
  assert.deepEqual(mb.days.map((d) => d.rows), ma.days.map((d) => d.rows));
  assert.deepEqual(mb.tables.map((t) => [t.count, t.oovIndex]), ma.tables.map((t) => [t.count, t.oovIndex]));
  const x = ra.read(0, ra.rows), y = rb.read(0, rb.rows);
  ra.close();
  rb.close();
  assert.deepEqual(y.labels, x.labels);
  assert.deepEqual(y.dense, x.dense);
  y.sparse.forEach((bag, t) => assert.deepEqual(bag, x.sparse[t], `table ${t}`));
  for (const t of ma.tables) assert.deepEqual(fs.readFileSync(path.join(`${custom}.parts`, t.vocabFile)), fs.readFileSync(path.join(`${preset}.parts`, t.vocabFile)));
});
