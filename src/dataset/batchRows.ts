// Row selection on a Batch (B rows, D dense, T tables of embedding-bag offsets + indices): a contiguous
// slice as views, with which the loader cuts batches out of a read-ahead chunk.
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
