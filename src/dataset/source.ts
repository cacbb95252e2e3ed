// Where batches come from: a processed file, the random generator or the synthetic (Criteo-shaped,
// planted-signal) generator. Training, evaluation and benchmarks only see this interface.
import type { Batch } from './batch';

export interface BatchSource {
  /** Number of dense features D and the row count of each table (the embedding table sizes). */
  readonly numDense: number;
  readonly tableSizes: readonly number[];
  /** Total rows this source yields per epoch (may be Infinity for unbounded generators). */
  readonly rows: number;
  /** Yields batches of `batchSize` rows (the last may be smaller), starting at row `startRow`. */
  batches(batchSize: number, startRow?: number): AsyncIterable<Batch>;
}
