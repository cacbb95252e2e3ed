// The merged file's shuffle done in memory, for rows that fit the memory budget and hold one index per
// bag (Criteo): the rows are held row-major on shared memory (OneHotRows: packed by the preprocess shard
// worker while it writes the shards, else read from them), then appended to the merged file in
// shuffledOrder's order (shuffleOrder.ts: the bucket shuffle's draws, so the same file), gathered one row
// group at a time by two worker threads while the caller writes (ShuffledRowsWriter). The bucket shuffle
// instead writes and reads every row through temporary files and converts rows to records and back.
import * as os from 'node:os';
import type { Batch } from './batch';
import { DEFAULT_ROWS_PER_GROUP, type ProcessedFileWriter } from './processedFile';
import { ShuffleWorker } from './shuffleWorker';
import { nativePreprocessKernels, type PreprocessKernels } from '../rawformat/nativeKernels';

/**
 * Bytes per row held in memory besides the row itself while the order is drawn and used: bucket number
 * (2), rows sorted by bucket (4), a bucket's permutation (4), the order (4) and its shared copy (4).
 */
const ORDER_BYTES_PER_ROW = 18;

/** The smallest default budget, whatever the machine says it has available. */
const MIN_DEFAULT_BUDGET_BYTES = 256 * 1024 * 1024;

/**
 * The default memory budget of the in-memory shuffle: half of the memory available now (`available`, default
 * os.freemem(), which is MemAvailable on Linux), at least 256 MiB. The other half is left to the rest of the
 * run (vocabularies, parse blocks) and to the page cache the shard reads and merged-file writes go through.
 */
export function defaultShuffleMemoryBytes(available = os.freemem()): number {
  return Math.max(MIN_DEFAULT_BUDGET_BYTES, Math.floor(available / 2));
}

/** Whether `rows` rows of `bytes` bytes in all are shuffled in memory under a budget of `budgetBytes`. */
export function fitsInMemory(bytes: number, rows: number, budgetBytes: number): boolean {
  return bytes + ORDER_BYTES_PER_ROW * rows <= budgetBytes;
}

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
   * and row count of rows packed elsewhere (shared by the preprocess shard worker).
   */
  constructor(
    readonly capacity: number,
    readonly numDense: number,
    readonly numTables: number,
    private readonly kernels: PreprocessKernels | null | undefined = nativePreprocessKernels(),
    held?: { words: Uint32Array; rows: number },
  ) {
    this.width = 1 + numDense + numTables;
    if (held && (held.words.length !== capacity * this.width || held.rows > capacity))
      throw new RangeError(`OneHotRows: held words do not hold ${capacity} rows of ${this.width} words`);
    // on shared memory: the gathers run on two worker threads at once (ShuffledRowsWriter)
    this.words = held?.words ?? new Uint32Array(new SharedArrayBuffer(4 * capacity * this.width));
    this.floats = new Float32Array(this.words.buffer, this.words.byteOffset, this.words.length);
    this.size = held?.rows ?? 0;
  }

  get rows(): number {
    return this.size;
  }

  /** The packed words on shared memory (all `capacity` rows' worth; rows [0, rows) are filled). */
  get buffer(): Uint32Array {
    return this.words;
  }

  /** Appends a chunk's rows; false (nothing appended) when one of its bags does not hold exactly one index. */
  append(chunk: Batch): boolean {
    const n = chunk.size;
    if (this.size + n > this.capacity)
      throw new RangeError(`OneHotRows: ${this.size + n} rows, capacity ${this.capacity}`);
    if (this.kernels) {
      const packed = this.kernels.packRows(
        this.words,
        this.width,
        this.numDense,
        this.size,
        chunk.labels,
        chunk.dense,
        chunk.sparse.map((b) => b.offsets),
        chunk.sparse.map((b) => b.indices),
      );
      if (packed) this.size += n;
      return packed;
    }
    for (const bag of chunk.sparse) {
      if (bag.indices.length !== n) return false;
      for (let i = 0; i <= n; i++) if (bag.offsets[i] !== i) return false;
    }
    const W = this.width,
      D = this.numDense,
      words = this.words,
      floats = this.floats;
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
    if (
      !this.append({
        size: n,
        labels,
        dense,
        numDense: this.numDense,
        sparse: indices.map((ix, t) => ({ indices: ix, offsets: offsets[t] })),
      })
    ) {
      throw new RangeError(
        `OneHotRows.appendOneHot: index columns of lengths [${indices.map((ix) => ix.length).join(', ')}], expected ${n}`,
      );
    }
  }

  /**
   * Copies rows order[from], ..., order[to - 1] into labels [n], dense [n, D] and indices[t] [n] (n = to -
   * from): natively when the addon is built, prefetching rows ahead.
   */
  gatherInto(
    order: Uint32Array,
    from: number,
    to: number,
    labels: Float32Array,
    dense: Float32Array,
    indices: Uint32Array[],
  ): void {
    const W = this.width,
      D = this.numDense,
      T = this.numTables,
      words = this.words,
      floats = this.floats;
    if (this.kernels) {
      this.kernels.gatherRows(words, W, D, order, from, to, labels, dense, indices);
      return;
    }
    for (let j = 0; j < to - from; j++) {
      const s = order[from + j] * W;
      labels[j] = floats[s];
      for (let k = 0, d = j * D; k < D; k++) dense[d + k] = floats[s + 1 + k];
      for (let t = 0; t < T; t++) indices[t][j] = words[s + 1 + D + t];
    }
  }
}

/** One row group's gathered columns, on shared memory (filled by the shuffle worker, read by the caller). */
export interface GroupSlot {
  labels: Float32Array;
  dense: Float32Array;
  /** Per table: [DEFAULT_ROWS_PER_GROUP] indices. */
  indices: Uint32Array[];
}

/** Views of a slot's shared buffer: labels, dense, then the tables' indices, one row group each. */
export function groupSlotViews(buffer: SharedArrayBuffer, numDense: number, numTables: number): GroupSlot {
  const G = DEFAULT_ROWS_PER_GROUP;
  return {
    labels: new Float32Array(buffer, 0, G),
    dense: new Float32Array(buffer, 4 * G, G * numDense),
    indices: Array.from({ length: numTables }, (_, t) => new Uint32Array(buffer, 4 * G * (1 + numDense + t), G)),
  };
}

/** Row groups gathered ahead of the one being appended and written. */
const SLOTS = 4;
/** Threads gathering (the gather waits on memory: a VM's nested page walks; two hide each other's misses). */
const GATHER_THREADS = 2;

/**
 * The in-memory shuffle's output stage: GATHER_THREADS shuffle worker threads share the rows and gather
 * row groups in shuffled order (group g on thread g mod GATHER_THREADS) into a ring of shared slots, while
 * this thread appends and writes the previous groups (the O_DIRECT writes wait on the disk: ~0.6 s for
 * 4.3M Criteo rows, now overlapped; the gather alone took 0.5-1.3 s on one thread).
 */
export class ShuffledRowsWriter {
  private workers: ShuffleWorker[] = [];
  private held: OneHotRows | undefined;
  private slots: GroupSlot[] = [];

  /** Appends rows firstRow + order[j] of `rows` (shared with the gather threads on first use) to `out`, in order. */
  async append(
    rows: OneHotRows,
    order: Uint32Array,
    firstRow: number,
    out: ProcessedFileWriter,
    progress: (rows: number) => void,
  ): Promise<void> {
    if (this.held !== rows) {
      await this.close();
      const buffers = Array.from(
        { length: SLOTS },
        () => new SharedArrayBuffer(4 * DEFAULT_ROWS_PER_GROUP * (1 + rows.numDense + rows.numTables)),
      );
      this.slots = buffers.map((b) => groupSlotViews(b, rows.numDense, rows.numTables));
      this.workers = Array.from({ length: GATHER_THREADS }, () => new ShuffleWorker(rows.numDense, rows.numTables));
      this.held = rows;
      await Promise.all(this.workers.map((w) => w.holdRows(rows, buffers)));
    }
    const shared = new Uint32Array(new SharedArrayBuffer(4 * order.length));
    for (let i = 0; i < order.length; i++) shared[i] = order[i] + firstRow;
    for (const w of this.workers) w.heldOrder(shared).catch(() => undefined); // its failure fails the gathers below
    const total = order.length;
    const G = DEFAULT_ROWS_PER_GROUP,
      D = rows.numDense;
    const inFlight: { slot: number; n: number; gathered: Promise<void> }[] = [];
    let next = 0;
    let group = 0;
    const post = (): void => {
      const slot = group % SLOTS;
      const n = Math.min(G, total - next);
      const gathered = this.workers[group % GATHER_THREADS].gatherHeld(slot, next, next + n);
      gathered.catch(() => undefined); // awaited in order below
      inFlight.push({ slot, n, gathered });
      next += n;
      group++;
    };
    while (next < total && inFlight.length < SLOTS) post();
    while (inFlight.length > 0) {
      const { slot, n, gathered } = inFlight.shift() as { slot: number; n: number; gathered: Promise<void> };
      await gathered;
      const s = this.slots[slot];
      out.appendOneHot(
        s.labels.subarray(0, n),
        s.dense.subarray(0, n * D),
        s.indices.map((ix) => ix.subarray(0, n)),
      );
      progress(n);
      if (next < total) post();
    }
  }

  /** Ends the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
    this.held = undefined;
  }
}
