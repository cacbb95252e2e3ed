// --max-ind-range M for any BatchSource or single Batch: every categorical index becomes index % M and each
// table has min(count, M) rows, as the reference folds them. Batches are copied only where a table is folded.
import type { BagInput, Batch } from '../dataset/batch';
import type { BatchSource } from '../dataset/source';

/** The table sizes after folding modulo `maxIndRange` (unchanged when M <= 0). */
export function foldedTableSizes(tableSizes: readonly number[], maxIndRange: number): number[] {
  return maxIndRange <= 0 ? [...tableSizes] : tableSizes.map((n) => Math.min(n, maxIndRange));
}

/** The per-batch folding for tables of `tableSizes`, or null when no table exceeds M (or M <= 0). */
export function batchFolder(tableSizes: readonly number[], maxIndRange: number): ((batch: Batch) => Batch) | null {
  if (maxIndRange <= 0 || tableSizes.every((n) => n <= maxIndRange)) return null;
  const folded = tableSizes.map((n) => n > maxIndRange);
  const foldBag = (bag: BagInput, t: number): BagInput => {
    if (!folded[t]) return bag;
    const indices = new Uint32Array(bag.indices.length);
    for (let i = 0; i < indices.length; i++) indices[i] = bag.indices[i] % maxIndRange;
    return { offsets: bag.offsets, indices };
  };
  return (batch) => ({ ...batch, sparse: batch.sparse.map(foldBag) });
}

/** `source` with its indices folded modulo `maxIndRange` (returned unchanged when no table exceeds it or M is 0). */
export function foldIndices(source: BatchSource, maxIndRange: number): BatchSource {
  const fold = batchFolder(source.tableSizes, maxIndRange);
  if (fold === null) return source;
  return {
    numDense: source.numDense,
    tableSizes: foldedTableSizes(source.tableSizes, maxIndRange),
    rows: source.rows,
    async *batches(batchSize: number, startRow?: number): AsyncGenerator<Batch> {
      for await (const batch of source.batches(batchSize, startRow)) yield fold(batch);
    },
  };
}
