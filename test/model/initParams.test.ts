// Init statistics (normal/uniform parameters as the reference), determinism, chunking and state allocation.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { buildDlrmArch } from '../../src/model/archConfig';
import { initDlrmParams } from '../../src/model/initParams';
import { allocEmbeddingTable, chunkRowsFor } from '../../src/model/allocParams';
import { allocOptimizerState } from '../../src/model/allocOptimizerState';

function stats(arrays: Float32Array[]): { mean: number; std: number; min: number; max: number } {
  let n = 0,
    s = 0,
    s2 = 0,
    min = Infinity,
    max = -Infinity;
  for (const a of arrays)
    for (const v of a) {
      n++;
      s += v;
      s2 += v * v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  const mean = s / n;
  return { mean, std: Math.sqrt(s2 / n - mean * mean), min, max };
}

const arch = buildDlrmArch({
  mlpBot: [13, 512, 64, 16],
  mlpTop: [256, 1],
  tableSizes: [50, 40000],
  interaction: 'dot',
  interactionItself: false,
});

test('Linear init: W ~ N(0, sqrt(2/(in+out))), b ~ N(0, sqrt(1/out))', () => {
  const p = initDlrmParams(arch, 1);
  const w = p.bottom[1]; // 512 -> 64
  const sw = stats([w.weight]);
  const expW = Math.sqrt(2 / (512 + 64));
  assert.ok(Math.abs(sw.mean) < 0.03 * expW, `mean ${sw.mean}`);
  assert.ok(Math.abs(sw.std / expW - 1) < 0.03, `std ${sw.std} vs ${expW}`);
  const sb = stats([p.bottom[0].bias]);
  assert.ok(Math.abs(sb.std / Math.sqrt(1 / 512) - 1) < 0.15, `bias std ${sb.std}`);
  assert.equal(p.top[0].inFeatures, 16 + 3);
  assert.equal(p.top[0].weight.length, 19 * 256);
});

test('embedding init: U(-sqrt(1/n), sqrt(1/n)) per table', () => {
  const p = initDlrmParams(arch, 2);
  const t = p.tables[1];
  const b = Math.sqrt(1 / 40000);
  const s = stats(t.chunks);
  assert.ok(s.min >= -b && s.max <= b);
  assert.ok(s.max > 0.99 * b && s.min < -0.99 * b);
  assert.ok(Math.abs(s.std / (b / Math.sqrt(3)) - 1) < 0.01, `std ${s.std}`);
  assert.ok(Math.abs(s.mean) < 0.01 * b);
  assert.ok(stats(p.tables[0].chunks).max <= Math.sqrt(1 / 50));
});

test('init is deterministic per seed', () => {
  const a = initDlrmParams(arch, 5),
    b = initDlrmParams(arch, 5),
    c = initDlrmParams(arch, 6);
  assert.deepEqual(a.top[1].weight, b.top[1].weight);
  assert.deepEqual(a.tables[1].chunks[0], b.tables[1].chunks[0]);
  assert.notDeepEqual(a.top[1].weight, c.top[1].weight);
});

test('tables are chunked under the byte cap, every chunk but the last full', () => {
  assert.equal(chunkRowsFor(10, 16), 10);
  assert.equal(chunkRowsFor(1e9, 16), 2 ** 24);
  assert.equal(chunkRowsFor(1e9, 64), 2 ** 22);
  const t = allocEmbeddingTable(1000, 4, 4 * 4 * 300); // cap 300 rows -> 256-row chunks
  assert.equal(t.chunkRows, 256);
  assert.deepEqual(
    t.chunks.map((c) => c.length / 4),
    [256, 256, 256, 232],
  );
  const initChunked = initDlrmParams({ ...arch, tableSizes: [1000] }, 3, 4 * 16 * 300);
  assert.equal(initChunked.tables[0].chunks.length, 4);
  assert.ok(stats(initChunked.tables[0].chunks.slice(3)).max > 0);
});

test('optimizer state shapes: sgd none, adagrad per element, rowwise per row', () => {
  const p = initDlrmParams({ ...arch, tableSizes: [1000] }, 3, 4 * 16 * 300);
  const sgd = allocOptimizerState(p, 'sgd');
  assert.deepEqual(sgd.tables, [[]]);
  assert.equal(sgd.bottom[0].weight.length, 0);
  const ada = allocOptimizerState(p, 'adagrad');
  assert.deepEqual(
    ada.tables[0].map((c) => c.length),
    p.tables[0].chunks.map((c) => c.length),
  );
  assert.equal(ada.top[0].weight.length, p.top[0].weight.length);
  const rw = allocOptimizerState(p, 'rowwise-adagrad');
  assert.deepEqual(
    rw.tables[0].map((c) => c.length),
    [256, 256, 256, 232],
  );
  assert.equal(rw.bottom[1].bias.length, 64);
});
