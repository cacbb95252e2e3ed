// The common machinery of the generated batch sources (randomSource, syntheticSource): rows are drawn in
// fixed-size blocks, block b from its own seed, and batches of any size are cut from those blocks. So row
// r is the same whatever the batch size or the start row (a resumed run sees the same data), and each
// epoch repeats the same `rows` rows. Shapes: blocks and batches hold [rows x numDense] dense values,
// [rows] labels and one BagInput (indices + offsets) per table.
import type { BagInput, Batch } from './batch';
import type { BatchSource } from './source';

/** One generated block: `rows` rows in the Batch layout. */
export interface GeneratedBlock {
  rows: number;
  dense: Float32Array;
  labels: Float32Array;
  bags: BagInput[];
}

/** Checks that `n` is a positive integer (or a non-negative one with allowZero); names it in the Error. */
export function checkCount(name: string, n: number, allowZero = false): void {
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new RangeError(`${name} must be ${allowZero ? 'a non-negative' : 'a positive'} integer, got ${n}`);
}

export abstract class BlockedBatchSource implements BatchSource {
  private cached: { index: number; block: GeneratedBlock } | undefined;

  /**
   * @param rows rows per epoch; @param firstRow the global index of this source's row 0, so that two
   * sources with the same seed and disjoint row ranges (e.g. train and a held-out test set) share the
   * generator's parameters but not their rows.
   */
  constructor(
    readonly numDense: number,
    readonly tableSizes: readonly number[],
    readonly rows: number,
    readonly blockRows: number,
    readonly firstRow = 0,
  ) {
    checkCount('rows', rows);
    checkCount('firstRow', firstRow, true);
    tableSizes.forEach((n, t) => checkCount(`tableSizes[${t}]`, n));
  }

  /** Draws the whole block `blockIndex` (global rows blockIndex*blockRows ...), always blockRows rows. */
  protected abstract makeBlock(blockIndex: number): GeneratedBlock;

  private block(index: number): GeneratedBlock {
    if (this.cached?.index !== index) this.cached = { index, block: this.makeBlock(index) };
    return this.cached.block;
  }

  async *batches(batchSize: number, startRow = 0): AsyncIterable<Batch> {
    checkCount('batchSize', batchSize);
    checkCount('startRow', startRow, true);
    for (let start = startRow; start < this.rows; start += batchSize) yield this.batchOf(start, Math.min(this.rows, start + batchSize));
  }

  /** Rows [start, end) of this source as one Batch. */
  batchOf(start: number, end: number): Batch {
    const B = end - start;
    const D = this.numDense;
    const parts: { block: GeneratedBlock; from: number; to: number }[] = [];
    for (let g = this.firstRow + start; g < this.firstRow + end; ) {
      const index = Math.floor(g / this.blockRows);
      const from = g - index * this.blockRows;
      const to = Math.min(this.blockRows, from + (this.firstRow + end - g));
      parts.push({ block: this.block(index), from, to });
      g += to - from;
    }
    const dense = new Float32Array(B * D);
    const labels = new Float32Array(B);
    let at = 0;
    for (const { block, from, to } of parts) {
      dense.set(block.dense.subarray(from * D, to * D), at * D);
      labels.set(block.labels.subarray(from, to), at);
      at += to - from;
    }
    const sparse = this.tableSizes.map((_, t) => {
      let total = 0;
      for (const { block, from, to } of parts) total += block.bags[t].offsets[to] - block.bags[t].offsets[from];
      const offsets = new Uint32Array(B + 1);
      const indices = new Uint32Array(total);
      let row = 0;
      let used = 0;
      for (const { block, from, to } of parts) {
        const bag = block.bags[t];
        const base = bag.offsets[from];
        indices.set(bag.indices.subarray(base, bag.offsets[to]), used);
        for (let r = from; r < to; r++) offsets[++row] = used + bag.offsets[r + 1] - base;
        used += bag.offsets[to] - base;
      }
      return { offsets, indices };
    });
    return { size: B, dense, numDense: D, sparse, labels };
  }
}
