// EmbeddingBag backward for sum pooling: the gradient of a table row is the sum of d(loss)/d(pooled[b])
// over every occurrence of that row in the batch's bags. The result is coalesced (one entry per unique
// row, in first-appearance order), as PyTorch's sparse gradient after coalesce(), which row-wise and
// element-wise Adagrad need before their update. Uses a reusable open-addressing hash (no Map, no
// per-step allocation once the buffers have grown). Gradient input layout as embeddingBagForward's output.
import type { BagInput } from '../dataset/batch';

/** Coalesced sparse gradient of one table: rows[i] has gradient grads[i*d .. (i+1)*d), i < count. */
export interface SparseRowGradient {
  count: number;
  dim: number;
  rows: Uint32Array;
  grads: Float64Array;
}

export class EmbeddingBagBackward {
  private keys = new Uint32Array(0);
  private slots = new Int32Array(0);
  private rows = new Uint32Array(0);
  private grads = new Float64Array(0);
  private mask = 0;

  private reserve(nnz: number, dim: number): void {
    if (this.rows.length < nnz) this.rows = new Uint32Array(Math.max(nnz, 2 * this.rows.length));
    if (this.grads.length < this.rows.length * dim) this.grads = new Float64Array(this.rows.length * dim);
    let cap = 16;
    while (cap < 2 * nnz) cap *= 2;
    if (this.slots.length < cap) {
      this.keys = new Uint32Array(cap);
      this.slots = new Int32Array(cap);
    }
    this.mask = this.slots.length - 1;
    this.slots.fill(-1);
  }

  /**
   * Coalesced row gradients of one table for `bag`, reading d(loss)/d(pooled[b]) at
   * gradPooled[b*stride + offset .. + dim). The returned arrays are reused by the next call.
   */
  backward(bag: BagInput, gradPooled: Float32Array, stride: number, offset: number, dim: number): SparseRowGradient {
    const { offsets, indices } = bag;
    const B = offsets.length - 1;
    this.reserve(indices.length, dim);
    const { keys, slots, rows, grads, mask } = this;
    let count = 0;
    for (let b = 0; b < B; b++) {
      const start = offsets[b],
        end = offsets[b + 1];
      if (start === end) continue;
      const g = b * stride + offset;
      for (let p = start; p < end; p++) {
        const row = indices[p];
        let h = (Math.imul(row, 0x9e3779b1) >>> 7) & mask;
        let slot = slots[h];
        while (slot !== -1 && keys[h] !== row) {
          h = (h + 1) & mask;
          slot = slots[h];
        }
        if (slot === -1) {
          slot = count++;
          slots[h] = slot;
          keys[h] = row;
          rows[slot] = row;
          const base = slot * dim;
          for (let k = 0; k < dim; k++) grads[base + k] = gradPooled[g + k];
        } else {
          const base = slot * dim;
          for (let k = 0; k < dim; k++) grads[base + k] += gradPooled[g + k];
        }
      }
    }
    return { count, dim, rows, grads };
  }
}
