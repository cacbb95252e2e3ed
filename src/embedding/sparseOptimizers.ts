// In-place sparse updates of one embedding table (chunked [rows, d]) from its batch gradient:
//   sgd:             w -= lr g (straight from the bags: duplicates add up, no coalescing needed);
//   adagrad:         per element, on the coalesced gradient: acc += g^2; w -= lr g / (sqrt(acc) + eps);
//   rowwise-adagrad: per row, on the coalesced gradient: acc_row += mean(g_row^2); w -= lr g / (sqrt(acc_row) + eps).
// eps = 1e-10 and accumulators start at 0 (OptimizerState), as the reference.
import type { BagInput } from '../dataset/batch';
import type { EmbeddingTableParams } from '../model/params';
import type { SparseRowGradient } from './embeddingBagBackward';

export const ADAGRAD_EPS = 1e-10;

/** SGD straight from the pooled gradient (layout as embeddingBagForward's output). */
export function sgdEmbeddingUpdate(
  table: EmbeddingTableParams,
  bag: BagInput,
  gradPooled: Float32Array,
  stride: number,
  offset: number,
  lr: number,
): void {
  const { dim: d, chunkRows, chunks } = table;
  const { offsets, indices } = bag;
  const B = offsets.length - 1;
  const single = chunks.length === 1 ? chunks[0] : undefined;
  for (let b = 0; b < B; b++) {
    const g = b * stride + offset;
    for (let p = offsets[b], end = offsets[b + 1]; p < end; p++) {
      const row = indices[p];
      if (single) {
        const base = row * d;
        for (let k = 0; k < d; k++) single[base + k] -= lr * gradPooled[g + k];
      } else {
        const c = Math.floor(row / chunkRows);
        const w = chunks[c];
        const base = (row - c * chunkRows) * d;
        for (let k = 0; k < d; k++) w[base + k] -= lr * gradPooled[g + k];
      }
    }
  }
}

/** Element-wise Adagrad; `acc` is chunked like the table ([rowsInChunk*d] per chunk). */
export function adagradEmbeddingUpdate(
  table: EmbeddingTableParams,
  acc: Float32Array[],
  grad: SparseRowGradient,
  lr: number,
  eps = ADAGRAD_EPS,
): void {
  const { dim: d, chunkRows, chunks } = table;
  const { rows, grads, count } = grad;
  for (let i = 0; i < count; i++) {
    const row = rows[i];
    const c = chunks.length === 1 ? 0 : Math.floor(row / chunkRows);
    const w = chunks[c],
      a = acc[c];
    const base = (row - c * chunkRows) * d;
    const gb = i * d;
    for (let k = 0; k < d; k++) {
      const g = grads[gb + k];
      const s = (a[base + k] += g * g);
      w[base + k] -= (lr * g) / (Math.sqrt(s) + eps);
    }
  }
}

/** Row-wise Adagrad; `acc` is chunked like the table ([rowsInChunk] per chunk). */
export function rowwiseAdagradEmbeddingUpdate(
  table: EmbeddingTableParams,
  acc: Float32Array[],
  grad: SparseRowGradient,
  lr: number,
  eps = ADAGRAD_EPS,
): void {
  const { dim: d, chunkRows, chunks } = table;
  const { rows, grads, count } = grad;
  for (let i = 0; i < count; i++) {
    const row = rows[i];
    const c = chunks.length === 1 ? 0 : Math.floor(row / chunkRows);
    const w = chunks[c],
      a = acc[c];
    const local = row - c * chunkRows;
    const base = local * d;
    const gb = i * d;
    let sq = 0;
    for (let k = 0; k < d; k++) sq += grads[gb + k] * grads[gb + k];
    const s = (a[local] += sq / d);
    const scale = lr / (Math.sqrt(s) + eps);
    for (let k = 0; k < d; k++) w[base + k] -= scale * grads[gb + k];
  }
}
