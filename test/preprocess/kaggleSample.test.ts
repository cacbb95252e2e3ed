// End to end on the real Kaggle sample (../shared/data/criteo/kaggle-sample.txt, 21,609 lines): the
// reference's results for that file are 3087 rows per day and these counts per table.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runPreprocess } from '../../src/preprocess/pipeline';
import { setupLogger } from '../../src/util/log';
import { sharedCriteoFile, tempDir } from '../helpers/sharedData';
import { readProcessed, readVocab } from './fixtures';
import type { Manifest } from '../../src/dataset/manifest';
import { preprocessConfig } from '../../src/preprocess/preprocessConfig';

setupLogger({ level: 'error' });
const dir = tempDir('pp-sample');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const REFERENCE_COUNTS = [
  278, 459, 12098, 8240, 75, 10, 4817, 135, 3, 5235, 2780, 11472, 2231, 24, 3089, 10096, 10, 1678, 785, 4, 10901, 9, 14,
  4824, 45, 3672,
];

test('the real Kaggle sample gives the reference rows per day and counts per table', async (t) => {
  const s = sharedCriteoFile('kaggle-sample.txt');
  if ('skip' in s) return t.skip(s.skip);
  const out = path.join(dir, 'sample.dlrm');
  const res = await runPreprocess(preprocessConfig(s.path, out));
  const m: Manifest = res.manifest;
  assert.deepEqual(
    m.days.map((d) => d.rows),
    new Array(7).fill(3087),
  );
  assert.deepEqual(
    m.tables.map((x) => x.count),
    REFERENCE_COUNTS,
  );
  assert.deepEqual(m.splits, {
    train: { start: 0, end: 18522 },
    test: { start: 18522, end: 20066 },
    val: { start: 20066, end: 21609 },
  });
  assert.equal(m.sources[0].sha256, '0785a7658dadedb98d3d847e851b33bcf4b4c88c39421ba751b2c555f8c23ebb');
  // the first line of train.txt: 0 1 1 5 0 1382 4 15 2 181 1 2 _ 2 | 68fd1e64 80e26c9b ... -> index 0 everywhere
  const day0 = readProcessed(path.join(res.partsDir, 'day_0.dlrm'));
  assert.equal(day0.labels[0], 0);
  assert.deepEqual(
    day0.dense[0],
    [1, 1, 5, 0, 1382, 4, 15, 2, 181, 1, 2, 0, 2].map((x) => Math.fround(Math.log(x + 1))),
  );
  assert.deepEqual(
    day0.indices.map((tbl) => tbl[0]),
    new Array(26).fill(0),
  );
  assert.equal(readVocab(path.join(res.partsDir, 'vocab/C1.u32'))[0], 0x68fd1e64);
  assert.equal(readVocab(path.join(res.partsDir, 'vocab/C2.u32'))[0], 0x80e26c9b);
  // C6 has 3001 missing values: its oovIndex is the missing value's index
  const c6 = readVocab(path.join(res.partsDir, 'vocab/C6.u32'));
  assert.equal(m.tables[5].oovIndex, c6.indexOf(0));
  assert.ok(c6.indexOf(0) >= 0);
});
