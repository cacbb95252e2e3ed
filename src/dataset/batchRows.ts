// Row selection on a Batch (B rows, D dense, T tables of embedding-bag offsets + indices): a contiguous
// slice as views, with which the loader cuts batches out of a read-ahead chunk, and the concatenation of
// batches, with which dlrm serve scores the rows of many requests in one engine call.
import type { BagInput, Batch } from './batch';

/**
 * Rows [a, b) of `batch`; labels, dense and indices are views into it, offsets are rebased copies (all T
 * tables' offsets in one allocation: one typed array per table made a Kaggle-shaped B=128 slice 35 us, not 9.5).
 */
export function sliceBatch(batch: Batch, a: number, b: number): Batch {
  const D = batch.numDense;
  const n = b - a;
  const T = batch.sparse.length;
  const allOffsets = new Uint32Array(T * (n + 1));
  const sparse: BagInput[] = new Array<BagInput>(T);
  for (let t = 0; t < T; t++) {
    const bag = batch.sparse[t];
    const src = bag.offsets;
    const base = src[a];
    const offsets = allOffsets.subarray(t * (n + 1), (t + 1) * (n + 1));
    for (let i = 0; i <= n; i++) offsets[i] = src[a + i] - base;
    sparse[t] = { offsets, indices: bag.indices.subarray(base, src[b]) };
  }
  return {
    size: n,
    numDense: D,
    labels: batch.labels.subarray(a, b),
    dense: batch.dense.subarray(a * D, b * D),
    sparse,
  };
}

/** The rows of `batches` one after another as one batch (same D and T in all; copies). */
export function concatBatches(batches: readonly Batch[]): Batch {
  if (batches.length === 1) return batches[0];
  const D = batches[0].numDense;
  const T = batches[0].sparse.length;
  let size = 0;
  for (const b of batches) size += b.size;
  const dense = new Float32Array(size * D);
  const labels = new Float32Array(size);
  let row = 0;
  for (const b of batches) {
    dense.set(b.dense, row * D);
    labels.set(b.labels, row);
    row += b.size;
  }
  const sparse: BagInput[] = new Array<BagInput>(T);
  for (let t = 0; t < T; t++) {
    let nnz = 0;
    for (const b of batches) nnz += b.sparse[t].indices.length;
    const offsets = new Uint32Array(size + 1);
    const indices = new Uint32Array(nnz);
    let r = 0,
      base = 0;
    for (const b of batches) {
      const bag = b.sparse[t];
      indices.set(bag.indices, base);
      for (let i = 1; i <= b.size; i++) offsets[r + i] = base + bag.offsets[i];
      r += b.size;
      base += bag.indices.length;
    }
    sparse[t] = { offsets, indices };
  }
  return { size, numDense: D, dense, labels, sparse };
}
