// The parameters of a DLRM model as host typed arrays, owned by the model (not by an engine), so that
// checkpoints, engines and tests all share one layout. Linear layers follow PyTorch: weight [out, in]
// row-major, y = x Wᵀ + b. Embedding tables are split into chunks of `chunkRows` rows because one typed
// array cannot hold the largest tables.

export interface LinearParams {
  /** [out, in] row-major. */
  weight: Float32Array;
  /** [out]. */
  bias: Float32Array;
  inFeatures: number;
  outFeatures: number;
}

export interface EmbeddingTableParams {
  rows: number;
  dim: number;
  /** Rows per chunk (every chunk but the last holds exactly this many rows). */
  chunkRows: number;
  /** chunks[k] holds rows [k*chunkRows, min(rows, (k+1)*chunkRows)), row-major [rowsInChunk, dim]. */
  chunks: Float32Array[];
}

/**
 * A compressed feature's parameters (src/embedding/compressedLayout.ts): QR [quotient, remainder] tables;
 * MD [its table] and the projection weight [d, m] (PyTorch Linear layout, absent when m = d).
 */
export interface CompressedFeatureParams {
  tables: EmbeddingTableParams[];
  projection?: Float32Array;
}

export interface DlrmParams {
  bottom: LinearParams[];
  top: LinearParams[];
  /** Per feature; a compressed feature's entry is an empty placeholder (0 rows) and its tables are in `compressed`. */
  tables: EmbeddingTableParams[];
  /**
   * dcn interaction only (absent otherwise): the cross network's layers as Linear pairs, layer l at
   * [2l] = V_l [r, N] with no bias (bias.length 0) and [2l+1] = W_l [N, r] with the bias b_l [N]
   * (src/model/crossNet.ts). deepCross (--model dcn): layer l is {w_l [1, N], b_l [N]} (src/model/deepCross.ts).
   */
  cross?: LinearParams[];
  /** Per feature, set for compressed features only (absent: every table plain). */
  compressed?: (CompressedFeatureParams | undefined)[];
}
