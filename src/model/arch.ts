// The DLRM architecture, independent of any engine: widths of the bottom and top MLPs, the embedding
// tables and the interaction. Shapes (B = batch rows, D = dense features, T = tables, d = embedding dim):
//   dense [B,D] -> bottomMlp -> x [B,d]; bags -> pooled [B,T,d]; interaction -> [B, topIn]; topMlp -> p [B].
// dcn is TorchRec's DLRM_DCN interaction: a low-rank cross network over x_0 = [x, e_1..e_T] ([B, N], N = (T+1)d),
// its output [B, N] feeds the top MLP (src/model/crossNet.ts).
// deepCross (--model dcn) is instead the original Deep & Cross Network (src/model/deepCross.ts): the top MLP's
// hidden layers run on x_0 = [x, e_1..e_T] beside a rank-1 cross network, its last layer reads both.

export type InteractionOp = 'dot' | 'cat' | 'dcn';
export type LossFunction = 'mse' | 'bce' | 'wbce';
export type OptimizerName = 'sgd' | 'adagrad' | 'rowwise-adagrad';

export interface DlrmArch {
  /** Bottom MLP widths including its input D and output d, e.g. [13, 512, 256, 64, 16]. */
  mlpBot: number[];
  /** Top MLP widths including the derived input width and the output 1, e.g. [367, 512, 256, 1]. */
  mlpTop: number[];
  /** Rows of each embedding table, length T. */
  tableSizes: number[];
  /** Embedding dimension d (= last bottom MLP width). */
  embeddingDim: number;
  interaction: InteractionOp;
  /** dot only: keep the diagonal of T·Tᵀ too. */
  interactionItself: boolean;
  /** dcn only (absent otherwise, and in checkpoints written before dcn): the cross network's shape. */
  dcn?: DcnShape;
  /** Quotient-remainder or mixed-dimension tables (absent: plain tables; src/embedding/compressedLayout.ts). */
  compression?: EmbeddingCompression;
  /**
   * --model dcn (absent: DLRM, and in checkpoints written before it): the original Deep & Cross Network;
   * `interaction` is then 'cat' (x_0) and mlpTop is the deep network plus the output layer.
   */
  deepCross?: DeepCrossShape;
}

/** The original DCN's cross network (src/model/deepCross.ts): `crossLayers` rank-1 cross layers. */
export interface DeepCrossShape {
  crossLayers: number;
}

/** --model: DLRM (with any --arch-interaction-op) or the original Deep & Cross Network. */
export const MODEL_KINDS = ['dlrm', 'dcn'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/** The low-rank cross network of the dcn interaction: `numLayers` layers of rank `lowRankDim`. */
export interface DcnShape {
  numLayers: number;
  lowRankDim: number;
}

export type QrOperation = 'mult' | 'add' | 'concat';

/** The reference's --qr-* / --md-* flags (at most one of qr, md). */
export interface EmbeddingCompression {
  qr?: { operation: QrOperation; collisions: number; threshold: number };
  md?: { temperature: number; threshold: number; roundDims: boolean };
}
