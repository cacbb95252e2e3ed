// Gathers parsed rows (label, transformed dense [D], one bag of embedding indices per table) into the
// columnar Batch form (labels [B], dense [B, D], per table offsets [B+1] + indices) that processed-file
// writers and engines take; multi-hot bags of any length (also 0) are supported.
import type { BagInput, Batch } from './batch';

export class RowBatchBuilder {
  private labels: number[] = [];
  private dense: number[] = [];
  private offsets: number[][];
  private indices: number[][];

  constructor(
    readonly numDense: number,
    readonly numTables: number,
  ) {
    this.offsets = Array.from({ length: numTables }, () => [0]);
    this.indices = Array.from({ length: numTables }, () => []);
  }

  /** Rows gathered so far. */
  get size(): number {
    return this.labels.length;
  }

  /**
   * Adds one row: its label, dense[denseAt, denseAt + D) (transformed values), and per table t the indices
   * bags[t][from[t], to[t]) (a one-hot row has one, a multi-hot row any number, also none).
   */
  push(
    label: number,
    dense: ArrayLike<number>,
    denseAt: number,
    bags: readonly ArrayLike<number>[],
    from: ArrayLike<number>,
    to: ArrayLike<number>,
  ): void {
    this.labels.push(label);
    for (let k = 0; k < this.numDense; k++) this.dense.push(dense[denseAt + k]);
    for (let t = 0; t < this.numTables; t++) {
      const idx = this.indices[t];
      const bag = bags[t];
      for (let i = from[t]; i < to[t]; i++) idx.push(bag[i]);
      this.offsets[t].push(idx.length);
    }
  }

  /** The gathered rows as a Batch; the builder starts empty again. */
  take(): Batch {
    const sparse: BagInput[] = this.offsets.map((o, t) => ({
      offsets: Uint32Array.from(o),
      indices: Uint32Array.from(this.indices[t]),
    }));
    const batch: Batch = {
      size: this.labels.length,
      numDense: this.numDense,
      dense: Float32Array.from(this.dense),
      labels: Float32Array.from(this.labels),
      sparse,
    };
    this.labels = [];
    this.dense = [];
    this.offsets = this.offsets.map(() => [0]);
    this.indices = this.indices.map(() => []);
    return batch;
  }
}
