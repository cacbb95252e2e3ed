// Data without dense features (a custom schema with no dense column: numDense 0) as the model sees it:
// ONE constant dense input equal to 1 per row, so the bottom MLP (first width 1) turns it into a learned
// vector x and the dot/cat interactions work unchanged on every engine. Shapes: the wrapped batches carry
// dense = ones [B, 1] and numDense 1; sources that have dense features pass through untouched. A model
// trained this way records it only through its architecture (mlpBot[0] = 1), so train, train-time eval,
// `dlrm eval` and `dlrm predict` all wrap their sources with withConstantDense and agree.
import type { Batch } from './batch';
import type { BatchSource } from './source';

/** Marks a source whose single dense input is the constant 1 added by withConstantDense. */
export interface ConstantDenseSource extends BatchSource {
  readonly constantDenseInput: true;
}

/** `batch` (of data without dense features) with its one constant dense input equal to 1 per row. */
export function constantDenseBatch(batch: Batch): Batch {
  return { ...batch, numDense: 1, dense: new Float32Array(batch.size).fill(1) };
}

/** `source` itself when it has dense features; else a source with one dense input equal to 1 per row. */
export function withConstantDense(source: BatchSource): BatchSource {
  if (source.numDense > 0) return source;
  const wrapped: ConstantDenseSource = {
    constantDenseInput: true,
    numDense: 1,
    tableSizes: source.tableSizes,
    rows: source.rows,
    async *batches(batchSize: number, startRow?: number): AsyncGenerator<Batch> {
      for await (const batch of source.batches(batchSize, startRow)) yield constantDenseBatch(batch);
    },
  };
  return wrapped;
}

/** True when `source` is a withConstantDense wrapper (its data has no dense feature of its own). */
export function hasConstantDenseInput(source: BatchSource): source is ConstantDenseSource {
  return (source as Partial<ConstantDenseSource>).constantDenseInput === true;
}
