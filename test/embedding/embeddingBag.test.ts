// EmbeddingBag on host arrays: sum-pooling forward (multi-hot, empty, duplicate indices, chunked tables),
// backward checked by central finite differences, and one SGD / Adagrad / row-wise Adagrad step against
// hand-computed updates (duplicates summed before Adagrad).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { BagInput } from '../../src/dataset/batch';
import { allocEmbeddingTable } from '../../src/model/allocParams';
import { initEmbeddingTable } from '../../src/model/initParams';
import type { EmbeddingTableParams } from '../../src/model/params';
import { Rng } from '../../src/util/random';
import { embeddingBagForward } from '../../src/embedding/embeddingBagForward';
import { EmbeddingBagBackward } from '../../src/embedding/embeddingBagBackward';
import {
  adagradEmbeddingUpdate,
  rowwiseAdagradEmbeddingUpdate,
  sgdEmbeddingUpdate,
} from '../../src/embedding/sparseOptimizers';

const d = 3;
/** rows 0..9 of dim 3, in 4-row chunks (3 chunks), values row*10 + k. */
function table(): EmbeddingTableParams {
  const t = allocEmbeddingTable(10, d, 4 * d * 4);
  for (let r = 0; r < 10; r++) for (let k = 0; k < d; k++) t.chunks[Math.floor(r / 4)][(r % 4) * d + k] = r * 10 + k;
  return t;
}
const rowOf = (t: EmbeddingTableParams, r: number) =>
  Array.from(t.chunks[Math.floor(r / t.chunkRows)].subarray((r % t.chunkRows) * d, ((r % t.chunkRows) + 1) * d));
// bags: [1, 5, 5] (duplicate, multi-hot), [] (empty), [9], [5, 0]
const bag: BagInput = { offsets: Uint32Array.from([0, 3, 3, 4, 6]), indices: Uint32Array.from([1, 5, 5, 9, 5, 0]) };

test('forward sums each bag (duplicates twice, empty bag zero) into a strided layout', () => {
  assert.equal(table().chunks.length, 3);
  const out = new Float32Array(4 * 2 * d).fill(7);
  embeddingBagForward(table(), bag, out, 2 * d, d); // second table slot of a [B, 2, d] layout
  const slot = (b: number) => Array.from(out.subarray(b * 2 * d + d, b * 2 * d + 2 * d));
  assert.deepEqual(slot(0), [110, 113, 116]);
  assert.deepEqual(slot(1), [0, 0, 0]);
  assert.deepEqual(slot(2), [90, 91, 92]);
  assert.deepEqual(slot(3), [50, 52, 54]);
  assert.deepEqual(Array.from(out.subarray(0, d)), [7, 7, 7]); // other slot untouched
  assert.throws(
    () =>
      embeddingBagForward(
        table(),
        { offsets: Uint32Array.from([0, 1]), indices: Uint32Array.from([10]) },
        out,
        d,
        0,
        4,
      ),
    /table 4: index 10 is out of range/,
  );
});

test('backward coalesces duplicates and matches central finite differences', () => {
  const t = allocEmbeddingTable(10, d, 4 * d * 4);
  initEmbeddingTable(t, new Rng(3));
  const B = 4;
  const c = Float64Array.from({ length: B * d }, (_, i) => Math.cos(i));
  // L = sum_b,k c[b,k] * sin(pooled[b,k]); dL/dpooled = c cos(pooled)
  const loss = (): number => {
    const pooled = new Float32Array(B * d);
    embeddingBagForward(t, bag, pooled, d, 0);
    let s = 0;
    for (let i = 0; i < B * d; i++) s += c[i] * Math.sin(pooled[i]);
    return s;
  };
  const pooled = new Float32Array(B * d);
  embeddingBagForward(t, bag, pooled, d, 0);
  const gPooled = Float32Array.from(pooled, (p, i) => c[i] * Math.cos(p));
  const g = new EmbeddingBagBackward().backward(bag, gPooled, d, 0, d);
  assert.equal(g.count, 4);
  assert.deepEqual(Array.from(g.rows.subarray(0, 4)), [1, 5, 9, 0]);
  const h = 1e-2;
  for (let i = 0; i < g.count; i++) {
    const r = g.rows[i];
    const chunk = t.chunks[Math.floor(r / 4)];
    for (let k = 0; k < d; k++) {
      const j = (r % 4) * d + k,
        v = chunk[j];
      chunk[j] = v + h;
      const lp = loss();
      chunk[j] = v - h;
      const lm = loss();
      chunk[j] = v;
      const fd = (lp - lm) / (2 * h);
      assert.ok(Math.abs(fd - g.grads[i * d + k]) < 1e-3, `row ${r} k ${k}: fd ${fd} vs ${g.grads[i * d + k]}`);
    }
  }
});

// gradient of pooled per bag row: bag0 -> [1,2,3], bag1 (empty) -> [9,9,9], bag2 -> [0.5,0,0], bag3 -> [-1,1,0]
const gp = Float32Array.from([1, 2, 3, 9, 9, 9, 0.5, 0, 0, -1, 1, 0]);
// coalesced: row1 [1,2,3], row5 2*[1,2,3]+[-1,1,0] = [1,5,6], row9 [0.5,0,0], row0 [-1,1,0]
const coalesced: Record<number, number[]> = { 1: [1, 2, 3], 5: [1, 5, 6], 9: [0.5, 0, 0], 0: [-1, 1, 0] };

test('SGD: w -= lr * summed gradient', () => {
  const t = table();
  sgdEmbeddingUpdate(t, bag, gp, d, 0, 0.1);
  for (const [r, g] of Object.entries(coalesced)) {
    rowOf(t, Number(r)).forEach((w, k) => assert.ok(Math.abs(w - (Number(r) * 10 + k - 0.1 * g[k])) < 1e-5));
  }
  assert.deepEqual(rowOf(t, 2), [20, 21, 22]);
});

test('Adagrad: acc += g^2 per element on the coalesced gradient, then w -= lr g/(sqrt(acc)+eps), twice', () => {
  const t = table();
  const acc = t.chunks.map((c) => new Float32Array(c.length));
  const bb = new EmbeddingBagBackward();
  adagradEmbeddingUpdate(t, acc, bb.backward(bag, gp, d, 0, d), 0.1);
  adagradEmbeddingUpdate(t, acc, bb.backward(bag, gp, d, 0, d), 0.1);
  for (const [r, g] of Object.entries(coalesced)) {
    rowOf(t, Number(r)).forEach((w, k) => {
      const a1 = g[k] ** 2,
        a2 = 2 * g[k] ** 2;
      const exp = Number(r) * 10 + k - (0.1 * g[k]) / (Math.sqrt(a1) + 1e-10) - (0.1 * g[k]) / (Math.sqrt(a2) + 1e-10);
      assert.ok(Math.abs(w - exp) < 1e-5, `row ${r} k ${k}: ${w} vs ${exp}`);
    });
  }
  assert.ok(Math.abs(acc[1][1 * d + 2] - 2 * 36) < 1e-4); // row 5, k 2
});

test('row-wise Adagrad: acc_row += mean(g_row^2); w -= lr g/(sqrt(acc_row)+eps)', () => {
  const t = table();
  const acc = t.chunks.map((c) => new Float32Array(c.length / d));
  rowwiseAdagradEmbeddingUpdate(t, acc, new EmbeddingBagBackward().backward(bag, gp, d, 0, d), 0.5);
  for (const [r, g] of Object.entries(coalesced)) {
    const a = (g[0] ** 2 + g[1] ** 2 + g[2] ** 2) / 3;
    assert.ok(Math.abs(acc[Math.floor(Number(r) / 4)][Number(r) % 4] - a) < 1e-5);
    rowOf(t, Number(r)).forEach((w, k) =>
      assert.ok(Math.abs(w - (Number(r) * 10 + k - (0.5 * g[k]) / Math.sqrt(a))) < 1e-5),
    );
  }
  assert.equal(acc[0][2], 0);
});

test('backward hash handles many rows and reuse across calls', () => {
  const bb = new EmbeddingBagBackward();
  const rng = new Rng(9);
  for (const n of [5, 5000, 50]) {
    const indices = Uint32Array.from({ length: n }, () => rng.nextInt(n));
    const offsets = Uint32Array.from({ length: n + 1 }, (_, i) => i);
    const g = bb.backward({ offsets, indices }, new Float32Array(n).fill(1), 1, 0, 1);
    const counts = new Map<number, number>();
    for (const i of indices) counts.set(i, (counts.get(i) ?? 0) + 1);
    assert.equal(g.count, counts.size);
    for (let i = 0; i < g.count; i++) assert.equal(g.grads[i], counts.get(g.rows[i]));
  }
});
