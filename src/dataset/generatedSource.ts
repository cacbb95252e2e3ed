// The common machinery of the generated batch sources (randomSource, syntheticSource): rows are drawn in
// fixed-size blocks, block b from its own seed, and batches of any size are cut from those blocks. So row
// r is the same whatever the batch size or the start row (a resumed run sees the same data), and each
// epoch repeats the same `rows` rows. Blocks are kept in memory up to a byte budget (default 256 MB), so
// later epochs and repeated evaluations of a small source cost no generation. Shapes: blocks and batches hold [rows x numDense] dense values,
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
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1))
    throw new RangeError(`${name} must be ${allowZero ? 'a non-negative' : 'a positive'} integer, got ${n}`);
}

/** Default memory budget for kept blocks. */
export const DEFAULT_BLOCK_CACHE_BYTES = 256 * 1024 * 1024;

function blockBytes(b: GeneratedBlock): number {
  return (
    b.dense.byteLength +
    b.labels.byteLength +
    b.bags.reduce((s, bag) => s + bag.offsets.byteLength + bag.indices.byteLength, 0)
  );
}

export abstract class BlockedBatchSource implements BatchSource {
  /** Blocks kept while within the budget; past it, only the most recent block is kept. */
  private readonly kept = new Map<number, GeneratedBlock>();
  private keptBytes = 0;
  private last: { index: number; block: GeneratedBlock } | undefined;
  /** Memory budget for kept blocks (0: keep only the current block). */
  cacheBytes = DEFAULT_BLOCK_CACHE_BYTES;

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
    const kept = this.kept.get(index);
    if (kept) return kept;
    if (this.last?.index === index) return this.last.block;
    const block = this.makeBlock(index);
    const bytes = blockBytes(block);
    if (this.keptBytes + bytes <= this.cacheBytes) {
      this.kept.set(index, block);
      this.keptBytes += bytes;
    } else {
      this.last = { index, block };
    }
    return block;
  }

  async *batches(batchSize: number, startRow = 0): AsyncIterable<Batch> {
    checkCount('batchSize', batchSize);
    checkCount('startRow', startRow, true);
    for (let start = startRow; start < this.rows; start += batchSize)
      yield this.batchOf(start, Math.min(this.rows, start + batchSize));
  }

  /** Rows [start, end) of this source as one Batch. */
  batchOf(start: number, end: number): Batch {
    const B = end - start;
    const D = this.numDense;
    const parts: { block: GeneratedBlock; from: number; to: number }[] = [];
    for (let g = this.firstRow + start; g < this.firstRow + end;) {
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
    // every table's offsets in one allocation and every table's indices in another (52 typed arrays per
    // Kaggle-shaped batch cost more than drawing its rows), each table a view of them
    const T = this.tableSizes.length;
    const totals = new Array<number>(T).fill(0);
    for (let t = 0; t < T; t++)
      for (const { block, from, to } of parts) totals[t] += block.bags[t].offsets[to] - block.bags[t].offsets[from];
    const allOffsets = new Uint32Array(T * (B + 1));
    const allIndices = new Uint32Array(totals.reduce((a, b) => a + b, 0));
    const sparse: BagInput[] = new Array<BagInput>(T);
    for (let t = 0, start = 0; t < T; start += totals[t], t++) {
      const offsets = allOffsets.subarray(t * (B + 1), (t + 1) * (B + 1));
      const indices = allIndices.subarray(start, start + totals[t]);
      let row = 0;
      let used = 0;
      for (const { block, from, to } of parts) {
        const bag = block.bags[t];
        const base = bag.offsets[from];
        const src = bag.indices;
        for (let k = base, end = bag.offsets[to]; k < end; k++) indices[used + k - base] = src[k];
        for (let r = from; r < to; r++) offsets[++row] = used + bag.offsets[r + 1] - base;
        used += bag.offsets[to] - base;
      }
      sparse[t] = { offsets, indices };
    }
    return { size: B, dense, numDense: D, sparse, labels };
  }
}
