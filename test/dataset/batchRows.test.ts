// sliceBatch: rows [a, b) of a multi-hot batch, each table's offsets rebased to 0 and its indices the
// bags' own, checked bag by bag against the source batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Batch } from '../../src/dataset/batch';
import { sliceBatch } from '../../src/dataset/batchRows';

test('sliceBatch returns the rows, dense values and bags of rows [a, b) of every table', () => {
  const n = 9,
    D = 2,
    T = 3;
  const sparse = Array.from({ length: T }, (_, t) => {
    const offsets = new Uint32Array(n + 1);
    for (let r = 0; r < n; r++) offsets[r + 1] = offsets[r] + ((r * (t + 1)) % 3); // bags of 0..2 indices
    return { offsets, indices: Uint32Array.from({ length: offsets[n] }, (_, i) => 100 * t + i) };
  });
  const batch: Batch = {
    size: n,
    numDense: D,
    labels: Float32Array.from({ length: n }, (_, r) => r % 2),
    dense: Float32Array.from({ length: n * D }, (_, i) => i / 10),
    sparse,
  };
  for (const [a, b] of [
    [0, 9],
    [2, 7],
    [4, 5],
    [8, 9],
    [3, 3],
  ]) {
    const s = sliceBatch(batch, a, b);
    assert.equal(s.size, b - a);
    assert.deepEqual([...s.labels], [...batch.labels.subarray(a, b)]);
    assert.deepEqual([...s.dense], [...batch.dense.subarray(a * D, b * D)]);
    assert.equal(s.sparse.length, T);
    for (let t = 0; t < T; t++) {
      const src = batch.sparse[t];
      const got = s.sparse[t];
      assert.equal(got.offsets.length, b - a + 1);
      assert.equal(got.offsets[0], 0);
      for (let r = a; r < b; r++) {
        const bag = [...got.indices.subarray(got.offsets[r - a], got.offsets[r - a + 1])];
        assert.deepEqual(bag, [...src.indices.subarray(src.offsets[r], src.offsets[r + 1])], `table ${t} row ${r}`);
      }
    }
  }
});
