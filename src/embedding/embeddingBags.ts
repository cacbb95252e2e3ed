// All T embedding bags of a model at once, on the host: pooled forward into the engines' [B, T, d] layout
// and the sparse optimizer step from d(loss)/d(pooled) in the same layout. Also converts between that
// layout and the Engine interface's [T][B*d] pooled gradients. A compressed feature (QR/MD) is pooled and
// updated by its CompressedFeature instead of its (empty placeholder) table.
import type { Batch } from '../dataset/batch';
import type { OptimizerName } from '../model/arch';
import type { OptimizerState } from '../model/optimizerState';
import type { EmbeddingTableParams } from '../model/params';
import type { CompressedFeature } from './compressedFeature';
import { EmbeddingBagBackward } from './embeddingBagBackward';
import { embeddingBagForward } from './embeddingBagForward';
import { adagradEmbeddingUpdate, rowwiseAdagradEmbeddingUpdate, sgdEmbeddingUpdate } from './sparseOptimizers';

export class EmbeddingBags {
  private readonly backward = new EmbeddingBagBackward();

  constructor(
    readonly tables: EmbeddingTableParams[],
    readonly optimizer: OptimizerName,
    readonly state: OptimizerState,
    readonly compressed: readonly (CompressedFeature | undefined)[] = [],
  ) {}

  get dim(): number {
    return this.tables.length ? this.tables[0].dim : 0;
  }

  /** Pooled bags [B, T, d] (into `out` when it has the right size). */
  forward(batch: Batch, out?: Float32Array): Float32Array {
    const T = this.tables.length,
      d = this.dim,
      B = batch.size;
    const pooled = out && out.length === B * T * d ? out : new Float32Array(B * T * d);
    for (let t = 0; t < T; t++) {
      const c = this.compressed[t];
      if (c) c.forward(batch.sparse[t], pooled, T * d, t * d);
      else embeddingBagForward(this.tables[t], batch.sparse[t], pooled, T * d, t * d, t);
    }
    return pooled;
  }

  /** Applies the optimizer to every table from d(loss)/d(pooled) [B, T, d]. */
  update(batch: Batch, gradPooled: Float32Array, lr: number): void {
    const T = this.tables.length,
      d = this.dim;
    for (let t = 0; t < T; t++) {
      const table = this.tables[t],
        bag = batch.sparse[t],
        c = this.compressed[t];
      if (c) {
        c.update(gradPooled, T * d, t * d, lr);
        continue;
      }
      if (this.optimizer === 'sgd') {
        sgdEmbeddingUpdate(table, bag, gradPooled, T * d, t * d, lr);
        continue;
      }
      const grad = this.backward.backward(bag, gradPooled, T * d, t * d, d);
      if (this.optimizer === 'adagrad') adagradEmbeddingUpdate(table, this.state.tables[t], grad, lr);
      else rowwiseAdagradEmbeddingUpdate(table, this.state.tables[t], grad, lr);
    }
  }
}

/** [B, T, d] -> [T][B*d] (the Engine interface's DlrmGradients.pooled layout). */
export function splitPooledByTable(pooled: Float32Array, B: number, T: number, d: number): Float32Array[] {
  const out = Array.from({ length: T }, () => new Float32Array(B * d));
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) out[t].set(pooled.subarray((b * T + t) * d, (b * T + t + 1) * d), b * d);
  }
  return out;
}
