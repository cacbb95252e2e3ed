// Row selection on a Batch (B rows, D dense, T tables of embedding-bag offsets + indices): a contiguous
// slice as views (the loader cuts batches out of a read-ahead chunk) and a gather of arbitrary rows as
// copies (the merged-file shuffle scatters rows to buckets and permutes them).
import type { BagInput, Batch } from './batch';

/** Rows [a, b) of `batch`; labels, dense and indices are views into it, offsets are rebased copies. */
export function sliceBatch(batch: Batch, a: number, b: number): Batch {
  const D = batch.numDense;
  return {
    size: b - a,
    numDense: D,
    labels: batch.labels.subarray(a, b),
    dense: batch.dense.subarray(a * D, b * D),
    sparse: batch.sparse.map((bag): BagInput => {
      const base = bag.offsets[a];
      const offsets = new Uint32Array(b - a + 1);
      for (let i = 0; i <= b - a; i++) offsets[i] = bag.offsets[a + i] - base;
      return { offsets, indices: bag.indices.subarray(base, bag.offsets[b]) };
    }),
  };
}

/** The rows `rows[0], rows[1], ...` of `batch`, in that order, as a new Batch (copies). */
export function gatherRows(batch: Batch, rows: ArrayLike<number>): Batch {
  const n = rows.length;
  const D = batch.numDense;
  const labels = new Float32Array(n);
  const dense = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    labels[i] = batch.labels[r];
    for (let j = 0, src = r * D, dst = i * D; j < D; j++) dense[dst + j] = batch.dense[src + j];
  }
  const sparse = batch.sparse.map((bag): BagInput => {
    const offsets = new Uint32Array(n + 1);
    for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + bag.offsets[rows[i] + 1] - bag.offsets[rows[i]];
    const indices = new Uint32Array(offsets[n]);
    for (let i = 0; i < n; i++) {
      const from = bag.offsets[rows[i]];
      const len = offsets[i + 1] - offsets[i];
      for (let k = 0; k < len; k++) indices[offsets[i] + k] = bag.indices[from + k];
    }
    return { offsets, indices };
  });
  return { size: n, numDense: D, labels, dense, sparse };
}
