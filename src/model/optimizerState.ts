// Optimizer state beside the parameters, engine-independent like DlrmParams (checkpoints save it).
//   sgd:             no state.
//   adagrad:         one accumulator per element, for dense layers and embedding tables (eps 1e-10, init 0).
//   rowwise-adagrad: embeddings keep one accumulator per row (acc += mean(g_row^2)); dense layers use adagrad.
import type { OptimizerName } from './arch';

export interface LinearState {
  weight: Float32Array;
  bias: Float32Array;
}

export interface OptimizerState {
  name: OptimizerName;
  /** Per bottom/top layer accumulators (empty arrays for sgd). */
  bottom: LinearState[];
  top: LinearState[];
  /** dcn: per cross layer of DlrmParams.cross (absent when the model has none). */
  cross?: LinearState[];
  /**
   * Per table, chunked like EmbeddingTableParams.chunks: adagrad [rowsInChunk*dim] per chunk,
   * rowwise-adagrad [rowsInChunk] per chunk; sgd: no chunks.
   */
  tables: Float32Array[][];
  /** Per compressed feature (as DlrmParams.compressed): its tables' state as above, its projection's adagrad accumulator. */
  compressed?: ({ tables: Float32Array[][]; projection?: Float32Array } | undefined)[];
}
