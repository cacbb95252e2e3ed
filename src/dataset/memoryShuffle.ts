// The merged file's shuffle done in memory, for training rows that fit the memory budget and hold one
// index per bag (Criteo): the rows are read once from the day shards into memory (row-major, see
// OneHotRows), then appended to the merged file in shuffledOrder's order (shuffleOrder.ts,
// the same draws as the bucket shuffle, so the same file), gathered one row group at a time. Bytes moved:
// one read of the shards and one write of the merged file; the bucket shuffle also writes and reads every
// row through temporary files and converts rows to records and back.
import type { Batch } from './batch';
import { DEFAULT_ROWS_PER_GROUP, type ProcessedFileWriter } from './processedFile';
import { nativePreprocessKernels, type PreprocessKernels } from '../preprocess/nativeKernels';

/** Bytes per row held in memory besides the row itself: the order's bucket ids, sort and permutations. */
export const ORDER_BYTES_PER_ROW = 14;

/**
 * Training rows of one-hot data, row-major: row r is the W = 1 + D + T words at r * W (label and dense as
 * float32 bits, then one index per table), so gathering a row is one random access of 4W contiguous bytes.
 * (Gathering from per-column arrays cost one cache miss per value: 7 s for 4.3M Criteo rows.) Both copies
 * run in the native addon when built (src/preprocess/csrc/rowGather.cc; the JS loops took 1.4 s to pack
 * and ~1 s to gather those rows).
 */
export class OneHotRows {
  private size = 0;
  /** offsets 0..n shared by every table of appendOneHot's blocks. */
  private identity = new Uint32Array(0);
  /** Words per row. */
  readonly width: number;
  private readonly words: Uint32Array;
  private readonly floats: Float32Array;

  /**
   * `kernels`: the native copies (default: the addon's, when built); null copies in JS. `held`: the words
   * and row count of rows packed elsewhere (handed over from the preprocess shard worker by transfer).
   */
  constructor(
    readonly capacity: number,
    readonly numDense: number,
    readonly numTables: number,
    private readonly kernels: PreprocessKernels | null | undefined = nativePreprocessKernels(),
    held?: { words: Uint32Array; rows: number },
  ) {
    this.width = 1 + numDense + numTables;
    if (held && (held.words.length !== capacity * this.width || held.rows > capacity)) throw new RangeError(`OneHotRows: held words do not hold ${capacity} rows of ${this.width} words`);
    this.words = held?.words ?? new Uint32Array(capacity * this.width);
    this.floats = new Float32Array(this.words.buffer, this.words.byteOffset, this.words.length);
    this.size = held?.rows ?? 0;
  }

  get rows(): number {
    return this.size;
  }

  /** The packed words (all `capacity` rows' worth; rows [0, rows) are filled), e.g. to hand over by transfer. */
  get buffer(): Uint32Array {
    return this.words;
  }

  /** Appends a chunk's rows; false (nothing appended) when one of its bags does not hold exactly one index. */
  append(chunk: Batch): boolean {
    const n = chunk.size;
    if (this.size + n > this.capacity) throw new RangeError(`OneHotRows: ${this.size + n} rows, capacity ${this.capacity}`);
    if (this.kernels) {
      const packed = this.kernels.packRows(this.words, this.width, this.numDense, this.size, chunk.labels, chunk.dense, chunk.sparse.map((b) => b.offsets), chunk.sparse.map((b) => b.indices));
      if (packed) this.size += n;
      return packed;
    }
    for (const bag of chunk.sparse) {
      if (bag.indices.length !== n) return false;
      for (let i = 0; i <= n; i++) if (bag.offsets[i] !== i) return false;
    }
    const W = this.width, D = this.numDense, words = this.words, floats = this.floats;
    const base = this.size * W;
    for (let i = 0; i < n; i++) floats[base + i * W] = chunk.labels[i];
    for (let i = 0; i < n; i++) {
      for (let k = 0, s = i * D, d = base + i * W + 1; k < D; k++) floats[d + k] = chunk.dense[s + k];
    }
    chunk.sparse.forEach((bag, t) => {
      const ix = bag.indices;
      for (let i = 0, d = base + 1 + D + t; i < n; i++, d += W) words[d] = ix[i];
    });
    this.size += n;
    return true;
  }

  /**
   * Appends n = labels.length rows whose bags hold one index each by construction (the preprocess shard
   * worker's blocks): dense [n, D], indices[t] [n] per table.
   */
  appendOneHot(labels: Float32Array, dense: Float32Array, indices: Uint32Array[]): void {
    const n = labels.length;
    if (this.identity.length !== n + 1) this.identity = Uint32Array.from({ length: n + 1 }, (_, i) => i);
    const offsets = indices.map(() => this.identity);
    if (!this.append({ size: n, labels, dense, numDense: this.numDense, sparse: indices.map((ix, t) => ({ indices: ix, offsets: offsets[t] })) })) {
      throw new RangeError(`OneHotRows.appendOneHot: index columns of lengths [${indices.map((ix) => ix.length).join(', ')}], expected ${n}`);
    }
  }

  /** Appends rows firstRow + order[0], firstRow + order[1], ... to `out`, one row group at a time. */
  appendInOrder(order: Uint32Array, out: ProcessedFileWriter, progress: (rows: number) => void, firstRow = 0): void {
    if (firstRow !== 0) for (let i = 0; i < order.length; i++) order[i] += firstRow;
    const W = this.width, D = this.numDense, T = this.numTables, words = this.words, floats = this.floats;
    const group = DEFAULT_ROWS_PER_GROUP;
    const labels = new Float32Array(group);
    const dense = new Float32Array(group * D);
    const indices = Array.from({ length: T }, () => new Uint32Array(group));
    for (let a = 0; a < order.length; a += group) {
      const n = Math.min(group, order.length - a);
      if (this.kernels) this.kernels.gatherRows(words, W, D, order, a, a + n, labels, dense, indices);
      else for (let j = 0; j < n; j++) {
        const s = order[a + j] * W;
        labels[j] = floats[s];
        for (let k = 0, d = j * D; k < D; k++) dense[d + k] = floats[s + 1 + k];
        for (let t = 0; t < T; t++) indices[t][j] = words[s + 1 + D + t];
      }
      out.appendOneHot(labels.subarray(0, n), dense.subarray(0, n * D), indices.map((ix) => ix.subarray(0, n)));
      progress(n);
    }
  }
}
