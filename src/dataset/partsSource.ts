// Training and evaluation straight from a processed dataset's parts folder (F.parts/: manifest.json and
// one shard per day, as `dlrm preprocess --no-merged-file` leaves it), without the merged file. The
// train split (all days but the last) is read in the order the reference's Terabyte memory-map mode
// gives its rows (docs/TRAINING.md "Training from the parts folder"), with bounded memory:
//   - the training rows are cut into chunks of consecutive rows of one day: a row group of its shard
//     (65,536 rows), or less when the budget's buckets would hold fewer than 16 chunks;
//   - `total`: a seeded permutation of all chunks (the reference's first pass: rows drawn into the
//     days' buckets across days), cut in that order into buckets of at most min(one training day on
//     average, the memory budget) rows; `day`: each day's chunks in file order, cut into buckets of at
//     most the budget (a day that fits is one bucket); `none`: chunks in file order, not permuted;
//   - a bucket's chunks are read in (day, row) order and, for total/day, its rows permuted by
//     Fisher-Yates with a generator seeded by (preprocess seed, bucket number) (the second pass);
//   - batches are cut from the concatenation of the buckets in order.
// The order depends only on the manifest (its seed and day sizes) and the memory budget, the same every
// epoch, so a run resumed at row r continues exactly. Two buckets are in memory at once (the one
// being consumed, the next being read): 2 x bucket rows x 4(1 + D + T + 1) bytes. The test/val splits
// are the last day's halves in file order. Rows must hold one index per table (Criteo); other data
// trains from the merged file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BagInput, Batch } from './batch';
import { concatBatches } from './batchRows';
import { rowRangeBatches, openProcessedSplit, type SplitOptions } from './loader';
import type { Manifest, RowRange, SplitName } from './manifest';
import { OneHotRows } from './memoryShuffle';
import { ProcessedFileReader } from './processedFile';
import type { BatchSource } from './source';
import { UserError } from '../util/errors';
import { fmix32 } from '../util/hash';
import { Rng } from '../util/random';

/** A bucket holds at least this many chunks when the budget allows (chunks shrink below a row group to allow it). */
const MIN_CHUNKS_PER_BUCKET = 16;

/** Default memory for the train split's two buckets (--shuffle-memory-mb). */
export const DEFAULT_PARTS_SHUFFLE_MEMORY_MB = 2048;

export interface PartsOptions extends SplitOptions {
  /** Bytes the two in-memory buckets may take together (default DEFAULT_PARTS_SHUFFLE_MEMORY_MB MiB). */
  shuffleMemoryBytes?: number;
}

/** Rows [start, end) of training day `day`'s shard. */
export interface Chunk {
  day: number;
  start: number;
  end: number;
}

/** Chunks read together and (when `permute`) shuffled together. */
export interface Bucket {
  chunks: Chunk[];
  rows: number;
  permute: boolean;
}

/** Bytes a bucket row takes in memory: its packed words (label, D dense, T indices) and its place in the order. */
export function bucketRowBytes(numDense: number, numTables: number): number {
  return 4 * (1 + numDense + numTables) + 4;
}

/**
 * The train split's buckets, in reading order: `dayRows` rows per training day, chunks of `chunkRows`,
 * buckets of at most `bucketRows` rows (but at least one chunk), per the preprocess --data-randomize mode.
 */
export function planBuckets(
  dayRows: readonly number[],
  chunkRows: number,
  bucketRows: number,
  randomize: Manifest['options']['dataRandomize'],
  seed: number,
): Bucket[] {
  const chunksOfDay = (day: number): Chunk[] => {
    const out: Chunk[] = [];
    for (let s = 0; s < dayRows[day]; s += chunkRows)
      out.push({ day, start: s, end: Math.min(dayRows[day], s + chunkRows) });
    return out;
  };
  const cut = (chunks: Chunk[], cap: number, permute: boolean): Bucket[] => {
    const out: Bucket[] = [];
    let cur: Bucket | undefined;
    for (const c of chunks) {
      const n = c.end - c.start;
      if (!cur || (cur.rows + n > cap && cur.rows > 0)) out.push((cur = { chunks: [], rows: 0, permute }));
      cur.chunks.push(c);
      cur.rows += n;
    }
    return out;
  };
  const days = dayRows.map((_, d) => d);
  if (randomize === 'none')
    return days.flatMap((d) => chunksOfDay(d).map((c) => ({ chunks: [c], rows: c.end - c.start, permute: false })));
  if (randomize === 'day') return days.flatMap((d) => cut(chunksOfDay(d), bucketRows, true));
  const all = days.flatMap(chunksOfDay);
  const order = new Rng(fmix32((seed ^ 0x7e7aba7e) >>> 0)).shuffle(Uint32Array.from(all, (_, i) => i));
  const trainRows = dayRows.reduce((s, n) => s + n, 0);
  const dayCap = Math.ceil(trainRows / Math.max(1, dayRows.length));
  const buckets = cut(
    Array.from(order, (i) => all[i]),
    Math.min(bucketRows, dayCap),
    true,
  );
  for (const b of buckets) b.chunks.sort((x, y) => x.day - y.day || x.start - y.start);
  return buckets;
}

/** A bucket's rows in memory, in their final (permuted) order. */
interface LoadedBucket {
  rows: number;
  /** Rows [a, b) of the bucket's order as a batch. */
  take(a: number, b: number): Batch;
}

/** Reads the parts folder's manifest.json, checked enough to open its shards. */
export function readPartsManifest(dir: string): Manifest {
  const file = path.join(dir, 'manifest.json');
  let m: Manifest;
  try {
    m = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT'
        ? `${dir}: is a folder without manifest.json; pass a processed file or a parts folder written by dlrm preprocess`
        : `${file}: cannot read the manifest: ${(err as Error).message}`,
    );
  }
  if (
    !Array.isArray(m.days) ||
    m.days.length < 2 ||
    !Array.isArray(m.tables) ||
    typeof m.options !== 'object' ||
    m.options === null
  ) {
    throw new UserError(
      `${file}: not a dataset manifest with at least two days (train days and the test/val day), tables and options`,
    );
  }
  return m;
}

/** The train split of a parts folder as a BatchSource, in the memory-map order described above. */
export class PartsTrainSource implements BatchSource {
  readonly numDense: number;
  readonly tableSizes: readonly number[];
  readonly rows: number;
  readonly buckets: readonly Bucket[];
  private readonly readers: ProcessedFileReader[];
  private readonly seed: number;
  private readonly readAhead: number;

  constructor(
    readonly dir: string,
    manifest: Manifest,
    opts: PartsOptions = {},
  ) {
    const trainDays = manifest.days.slice(0, -1);
    this.readers = [];
    try {
      for (const d of trainDays) this.readers.push(openShard(dir, manifest, d.shard, d.rows, opts));
    } catch (err) {
      for (const r of this.readers) r.close();
      throw err;
    }
    this.numDense = this.readers[0].numDense;
    this.tableSizes = tableSizesOf(dir, manifest);
    this.rows = trainDays.reduce((s, d) => s + d.rows, 0);
    this.seed = manifest.options.seed >>> 0;
    this.readAhead = opts.readAhead ?? 2;
    const budget = opts.shuffleMemoryBytes ?? DEFAULT_PARTS_SHUFFLE_MEMORY_MB * 1024 * 1024;
    const bucketRows = Math.floor(budget / 2 / bucketRowBytes(this.numDense, this.tableSizes.length));
    this.buckets = planBuckets(
      trainDays.map((d) => d.rows),
      Math.max(1, Math.min(this.readers[0].rowsPerGroup, Math.ceil(bucketRows / MIN_CHUNKS_PER_BUCKET))),
      bucketRows,
      manifest.options.dataRandomize,
      this.seed,
    );
  }

  async *batches(batchSize: number, startRow = 0): AsyncGenerator<Batch> {
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new RangeError(`batchSize=${batchSize} must be a positive integer`);
    if (!Number.isInteger(startRow) || startRow < 0 || startRow > this.rows)
      throw new RangeError(`startRow=${startRow} is outside [0, ${this.rows}]`);
    let k = 0;
    let offset = startRow;
    while (k < this.buckets.length && offset >= this.buckets[k].rows) offset -= this.buckets[k++].rows;
    const load = (i: number): Promise<LoadedBucket> | undefined => {
      if (i >= this.buckets.length) return undefined;
      const p = this.loadBucket(i);
      p.catch(() => undefined); // awaited in turn; a read pending when the consumer stops must not be unhandled
      return p;
    };
    let next = load(k);
    let pending: Batch[] = [];
    let pendingRows = 0;
    for (; k < this.buckets.length; k++, offset = 0) {
      const cur = await (next as Promise<LoadedBucket>);
      next = load(k + 1);
      for (let a = offset; a < cur.rows;) {
        const b = Math.min(cur.rows, a + batchSize - pendingRows);
        pending.push(cur.take(a, b));
        pendingRows += b - a;
        a = b;
        if (pendingRows === batchSize) {
          yield pending.length === 1 ? pending[0] : concatBatches(pending);
          pending = [];
          pendingRows = 0;
        }
      }
    }
    if (pendingRows > 0) yield pending.length === 1 ? pending[0] : concatBatches(pending);
  }

  /** Reads bucket `k`'s chunks (readAhead reads in flight) and draws its order. */
  private async loadBucket(k: number): Promise<LoadedBucket> {
    const bucket = this.buckets[k];
    const D = this.numDense;
    const T = this.tableSizes.length;
    const rows = new OneHotRows(bucket.rows, D, T);
    const reads: Promise<Batch>[] = []; // the chunks in flight, in chunk order
    const launch = (i: number): void => {
      if (i >= bucket.chunks.length) return;
      const c = bucket.chunks[i];
      const read = this.readers[c.day].readAsync(c.start, c.end);
      read.catch(() => undefined);
      reads.push(read);
    };
    for (let i = 0; i < this.readAhead; i++) launch(i);
    for (let i = 0; i < bucket.chunks.length; i++) {
      const chunk = await (reads.shift() as Promise<Batch>);
      launch(i + this.readAhead);
      if (!rows.append(chunk)) {
        throw new UserError(
          `${this.readers[bucket.chunks[i].day].path}: a row's bag holds other than one index; training from the parts folder needs one index per table (train from the merged file instead)`,
        );
      }
    }
    const order = Uint32Array.from({ length: bucket.rows }, (_, i) => i);
    if (bucket.permute) new Rng(fmix32((this.seed + Math.imul(k + 1, 0x9e3779b9)) >>> 0)).shuffle(order);
    return {
      rows: bucket.rows,
      take: (a, b) => {
        const n = b - a;
        const labels = new Float32Array(n);
        const dense = new Float32Array(n * D);
        const indices = Array.from({ length: T }, () => new Uint32Array(n));
        rows.gatherInto(order, a, b, labels, dense, indices);
        const offsets = Uint32Array.from({ length: n + 1 }, (_, i) => i);
        const sparse: BagInput[] = indices.map((ix) => ({ offsets, indices: ix }));
        return { size: n, dense, numDense: D, sparse, labels };
      },
    };
  }

  /** Reads and checks every row group of every training shard now. */
  async checkAllGroups(): Promise<void> {
    for (const r of this.readers) await r.checkAllGroups();
  }

  close(): void {
    for (const r of this.readers) r.close();
  }
}

/** The test or val split of a parts folder: the last day's first ceil(n/2) rows, or the rest, in file order. */
export class PartsHeldOutSource implements BatchSource {
  readonly numDense: number;
  readonly tableSizes: readonly number[];
  readonly rows: number;
  private readonly range: RowRange;
  private readonly reader: ProcessedFileReader;
  private readonly readAhead: number;

  constructor(
    dir: string,
    manifest: Manifest,
    readonly split: 'test' | 'val',
    opts: PartsOptions = {},
  ) {
    const last = manifest.days[manifest.days.length - 1];
    this.reader = openShard(dir, manifest, last.shard, last.rows, opts);
    const testRows = Math.ceil(last.rows / 2);
    this.range = split === 'test' ? { start: 0, end: testRows } : { start: testRows, end: last.rows };
    this.rows = this.range.end - this.range.start;
    this.numDense = this.reader.numDense;
    this.tableSizes = tableSizesOf(dir, manifest);
    this.readAhead = opts.readAhead ?? 2;
  }

  batches(batchSize: number, startRow = 0): AsyncGenerator<Batch> {
    return rowRangeBatches(this.reader, this.range, batchSize, startRow, this.readAhead);
  }

  checkAllGroups(): Promise<void> {
    return this.reader.checkAllGroups();
  }

  close(): void {
    this.reader.close();
  }
}

function tableSizesOf(dir: string, manifest: Manifest): number[] {
  return manifest.tables.map((t, i) => {
    if (!Number.isInteger(t.count) || t.count < 1)
      throw new UserError(`${path.join(dir, 'manifest.json')}: table ${i} has invalid count ${String(t.count)}`);
    return t.count;
  });
}

/** Opens a day shard named by the manifest, checking its shape against the manifest. */
function openShard(
  dir: string,
  manifest: Manifest,
  shard: string,
  rows: number,
  opts: PartsOptions,
): ProcessedFileReader {
  const reader = ProcessedFileReader.open(path.join(dir, shard), { verify: opts.verify });
  if (reader.rows !== rows || reader.numTables !== manifest.tables.length || reader.numDense !== manifest.numDense) {
    reader.close();
    throw new UserError(
      `${reader.path}: holds ${reader.rows} rows of ${reader.numDense} dense / ${reader.numTables} tables, the manifest says ${rows} rows of ${manifest.numDense} / ${manifest.tables.length}`,
    );
  }
  return reader;
}

/** A split source that can check all its data up front (checksums and values) and be closed. */
export type SplitSource = BatchSource & { checkAllGroups(): Promise<void>; close(): void };

/**
 * One split of a processed dataset: a merged processed file, or a parts folder (F.parts/, written with
 * or without the merged file), read as described at the top of this file.
 */
export function openDatasetSplit(file: string, split: SplitName, opts: PartsOptions = {}): SplitSource {
  let isDir = false;
  try {
    isDir = fs.statSync(file).isDirectory();
  } catch {
    // a missing path is reported by the processed-file reader, naming it
  }
  if (!isDir) return openProcessedSplit(file, split, opts);
  const manifest = readPartsManifest(file);
  const source =
    split === 'train'
      ? new PartsTrainSource(file, manifest, opts)
      : new PartsHeldOutSource(file, manifest, split, opts);
  if (split === 'train' && source.rows === 0) {
    source.close();
    throw new UserError(`${file}: split 'train' is empty`);
  }
  return source;
}
