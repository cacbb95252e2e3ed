// --max-ind-range M for any BatchSource: every categorical index becomes index % M and each table has
// min(count, M) rows, as the reference folds them. Batches are copied only where a table is folded.
import type { BagInput, Batch } from '../dataset/batch';
import type { BatchSource } from '../dataset/source';

/** `source` with its indices folded modulo `maxIndRange` (returned unchanged when no table exceeds it or M is 0). */
export function foldIndices(source: BatchSource, maxIndRange: number): BatchSource {
  if (maxIndRange <= 0 || source.tableSizes.every((n) => n <= maxIndRange)) return source;
  const folded = source.tableSizes.map((n) => n > maxIndRange);
  const foldBag = (bag: BagInput, t: number): BagInput => {
    if (!folded[t]) return bag;
    const indices = new Uint32Array(bag.indices.length);
    for (let i = 0; i < indices.length; i++) indices[i] = bag.indices[i] % maxIndRange;
    return { offsets: bag.offsets, indices };
  };
  return {
    numDense: source.numDense,
    tableSizes: source.tableSizes.map((n) => Math.min(n, maxIndRange)),
    rows: source.rows,
    async *batches(batchSize: number, startRow?: number): AsyncGenerator<Batch> {
      for await (const batch of source.batches(batchSize, startRow)) yield { ...batch, sparse: batch.sparse.map(foldBag) };
    },
  };
}
