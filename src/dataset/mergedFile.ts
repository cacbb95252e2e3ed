// Builds the merged processed file from per-day shards: the training days' rows (randomized 'total',
// 'day' or 'none'), then the last day in file order (its first testRows rows = test, the rest = val).
// Shuffles of any size run in bounded memory by a seeded external bucket shuffle (docs/FORMAT.md, "Merged
// file"): every row gets a uniform random bucket, buckets go to temporary shards, then each bucket is
// loaded, permuted (Fisher-Yates) and appended; a worker thread loads and decodes the buckets while the
// main thread writes. Works in row-group-sized blocks throughout. Rows that fit the memory budget (and
// hold one index per bag) are shuffled in memory instead (memoryShuffle.ts): the same draws, so the same
// file, without the temporary files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Batch } from './batch';
import { readAheadChunks } from './loader';
import type { Manifest, RowRange, SplitName } from './manifest';
import { DEFAULT_ROWS_PER_GROUP, ProcessedFileReader, ProcessedFileWriter } from './processedFile';
import { ShuffleWorker } from './shuffleWorker';
import { drawBucketIds, drawBucketPermutation, shuffledOrder } from './shuffleOrder';
import { defaultShuffleMemoryBytes, fitsInMemory, OneHotRows, ShuffledRowsWriter } from './memoryShuffle';
import { removeStaleTemps } from '../util/atomic';
import { removeDeadPidEntries } from '../util/pid';
import { UserError } from '../util/errors';
import { log } from '../util/log';
import { formatCount, startProgress, type Progress } from '../util/progress';
import { Rng } from '../util/random';

export interface MergedFileOptions {
  /** Per-day shards in day order: the training days, then the test/val day last. */
  dayFiles: string[];
  /** Training days: dayFiles[0 .. trainDays); must be dayFiles.length - 1. */
  trainDays: number;
  /** Rows of the last day that form the test split (its first rows); the rest are val. */
  testRows: number;
  randomize: 'total' | 'day' | 'none';
  seed: number;
  outPath: string;
  /** Embedded as the merged file's metadata (the manifest); its `splits`, when present, must match. */
  metadata: object;
  /** Memory budget of one shuffle bucket (default 512 MiB); part of what fixes the order for a seed. */
  shuffleBucketBytes?: number;
  /** Rows up to this many bytes are shuffled in memory (default: defaultShuffleMemoryBytes()); does not change the order. */
  shuffleMemoryBytes?: number;
  /**
   * Every day's rows, in day order, already in memory (packed by the preprocess shard worker while it
   * wrote the shards): the in-memory shuffle and the last day's copy then read no shard. Ignored unless
   * it holds exactly the days' rows.
   */
  heldRows?: OneHotRows;
}

export const DEFAULT_SHUFFLE_BUCKET_BYTES = 512 * 1024 * 1024;
/** At most this many buckets (open files) per shuffle; beyond it buckets grow past the budget. */
export const MAX_SHUFFLE_BUCKETS = 512;
/** Rows gathered per block in the shuffle's pass 2 (a few MB: they stay in cache while appended). */
const GATHER_ROWS = 8192;
/** Gathered blocks requested ahead of the one being appended (bounded memory: a few MB). */
const GATHERS_IN_FLIGHT = 4;
/** Blocks read and handed to the shuffle worker's pass 1 ahead of its progress (~17 MB each for Criteo). */
const SPILLS_IN_FLIGHT = 3;

/** The splits of the merged file: train rows first, then the last day's first testRows rows, then val. */
export function mergedSplits(trainRows: number, lastDayRows: number, testRows: number): Record<SplitName, RowRange> {
  return {
    train: { start: 0, end: trainRows },
    test: { start: trainRows, end: trainRows + testRows },
    val: { start: trainRows + testRows, end: trainRows + lastDayRows },
  };
}

/** A row range of one open shard. */
interface RowSpan {
  reader: ProcessedFileReader;
  start: number;
  end: number;
}

/** Chunked, read-ahead copy of spans' rows, in order, through `each`. */
async function forEachChunk(spans: readonly RowSpan[], each: (chunk: Batch) => void): Promise<void> {
  for (const s of spans) {
    for await (const chunk of readAheadChunks(s.reader, s.start, s.end, DEFAULT_ROWS_PER_GROUP, 2)) each(chunk);
  }
}

/** The shuffle's bucket count K for `spans` (the source files' sizes pro rata of rows) and those bytes. */
function bucketCount(spans: readonly RowSpan[], bucketBytes: number): { K: number; bytes: number } {
  const bytes = spans.reduce((n, s) => n + (s.reader.fileBytes * (s.end - s.start)) / Math.max(1, s.reader.rows), 0);
  return { K: Math.min(MAX_SHUFFLE_BUCKETS, Math.max(1, Math.ceil(bytes / bucketBytes))), bytes };
}

/** Reads spans' rows into memory (OneHotRows), or undefined (progress given back) when a bag is not one index. */
async function loadOneHotRows(
  spans: readonly RowSpan[],
  rows: number,
  out: ProcessedFileWriter,
  progress: (rows: number) => void,
): Promise<OneHotRows | undefined> {
  const loaded = new OneHotRows(rows, out.numDense, out.numTables);
  let oneHot = true;
  for (const s of spans) {
    for await (const chunk of readAheadChunks(s.reader, s.start, s.end, DEFAULT_ROWS_PER_GROUP, 2)) {
      oneHot &&= loaded.append(chunk);
      progress(chunk.size);
    }
  }
  if (oneHot) return loaded;
  progress(-rows); // the bucket shuffle reads the rows again
  return undefined;
}

/**
 * Appends the rows of `spans` to `out` in a uniformly random order drawn from `rng` (docs/FORMAT.md): in
 * memory when they fit the budget and hold one index per bag (`held`: already in memory, rows firstRow..
 * of it), else with the bucket shuffle; both give the same order.
 */
async function shuffleRows(
  spans: readonly RowSpan[],
  out: ProcessedFileWriter,
  rng: Rng,
  budget: { bucketBytes: number; memoryBytes: number },
  tmpDir: string,
  progress: (rows: number) => void,
  memoryWriter: ShuffledRowsWriter,
  held?: { rows: OneHotRows; firstRow: number },
): Promise<void> {
  const rows = spans.reduce((n, s) => n + s.end - s.start, 0);
  if (rows === 0) return;
  const { K, bytes } = bucketCount(spans, budget.bucketBytes);
  if (fitsInMemory(bytes, rows, budget.memoryBytes)) {
    let source = held;
    if (source) {
      progress(rows);
    } else {
      const loaded = await loadOneHotRows(spans, rows, out, progress);
      if (loaded) source = { rows: loaded, firstRow: 0 };
    }
    if (source) {
      log().info(
        { rows, buckets: K, approxBytes: Math.round(bytes), readShards: !held },
        'merged file: shuffling rows in memory',
      );
      await memoryWriter.append(source.rows, shuffledOrder(rng, rows, K), source.firstRow, out, progress);
      return;
    }
  }
  await bucketShuffle(spans, out, rng, K, budget.bucketBytes, tmpDir, progress);
}

/**
 * Appends the rows of `spans` to `out` in a uniformly random order drawn from `rng`, in bounded memory:
 * K = clamp(ceil(bytes / bucketBytes), 1, MAX_SHUFFLE_BUCKETS) buckets; pass 1 draws rng.nextInt(K) for
 * every row in input order and appends the row to that bucket's temporary file (row-major records);
 * pass 2 takes buckets 0..K-1 in turn, loads one, shuffles a row permutation with rng.shuffle
 * (Fisher-Yates) and appends the rows in that order.
 */
async function bucketShuffle(
  spans: readonly RowSpan[],
  out: ProcessedFileWriter,
  rng: Rng,
  K: number,
  bucketBytes: number,
  tmpDir: string,
  progress: (rows: number) => void,
): Promise<void> {
  const rows = spans.reduce((n, s) => n + s.end - s.start, 0);
  const { numDense, numTables } = out;
  log().info({ rows, buckets: K }, 'merged file: shuffling rows in buckets');
  // the bucket numbers and the permutations are drawn here, in the same order as ever; a worker thread
  // writes the bucket records (pass 1), then loads and decodes the buckets (pass 2) while this thread
  // reads the shards and then appends and writes the merged file
  const files = Array.from({ length: K }, (_, k) => path.join(tmpDir, `bucket-${k}.records`));
  const bufferWords = Math.max(16_384, Math.min(4 << 20, Math.floor(bucketBytes / K / 4)));
  const shuffler = new ShuffleWorker(numDense, numTables);
  try {
    const spilled: Promise<void>[] = [shuffler.spillOpen(files, bufferWords)];
    const track = (p: Promise<void>): void => {
      p.catch(() => undefined); // awaited in order below
      spilled.push(p);
    };
    try {
      for (const s of spans) {
        for await (const chunk of readAheadChunks(s.reader, s.start, s.end, DEFAULT_ROWS_PER_GROUP, 2)) {
          const ids = drawBucketIds(rng, chunk.size, K);
          progress(chunk.size);
          track(shuffler.spill(chunk, ids)); // transfers the chunk's arrays
          while (spilled.length > SPILLS_IN_FLIGHT) await spilled.shift();
        }
      }
      await Promise.all(spilled);
    } catch (err) {
      await shuffler.spillAbort();
      throw err;
    }
    const bucketRows = await shuffler.spillClose();
    const inFlight: { rows: number; records: Promise<Uint32Array> }[] = [];
    const appendOldest = async (): Promise<void> => {
      const part = inFlight.shift() as { rows: number; records: Promise<Uint32Array> };
      out.appendRecords(await part.records, part.rows);
      progress(part.rows);
    };
    for (let k = 0; k < K; k++) {
      const perm = drawBucketPermutation(rng, bucketRows[k]);
      const loaded = shuffler.load(files[k], perm.length, perm);
      loaded.catch(() => undefined); // its failure also fails the decodes below, which are awaited
      for (let a = 0; a < bucketRows[k]; a += GATHER_ROWS) {
        const b = Math.min(bucketRows[k], a + GATHER_ROWS);
        const records = shuffler.gather(a, b);
        records.catch(() => undefined); // awaited in order by appendOldest
        inFlight.push({ rows: b - a, records });
        while (inFlight.length > GATHERS_IN_FLIGHT) await appendOldest();
      }
    }
    while (inFlight.length > 0) await appendOldest();
  } finally {
    await shuffler.terminate();
  }
}

/** The shuffle folder of this process for `outPath`; `pid` names another run's. */
function shuffleDirFor(outPath: string, pid = process.pid): string {
  return path.join(path.dirname(outPath), `.${path.basename(outPath)}.shuffle-${pid}`);
}

/**
 * Removes what a killed earlier build of `outPath` left behind (its temporary output and shuffle
 * folder, possibly as large as the dataset), recognised by the pid in their names no longer running.
 */
export function removeStaleTemporaries(outPath: string): void {
  removeStaleTemps(outPath);
  removeDeadPidEntries(
    path.dirname(outPath),
    [path.basename(shuffleDirFor(outPath, 0)).slice(0, -1)],
    'the shuffle folder of an interrupted merged-file build',
  );
}

/** Builds the merged file described by `opts` (see the file comment); the output appears only when complete. */
export async function buildMergedFile(opts: MergedFileOptions): Promise<void> {
  const { dayFiles, trainDays, testRows, randomize, outPath } = opts;
  if (dayFiles.length < 1 || trainDays !== dayFiles.length - 1) {
    throw new RangeError(
      `buildMergedFile: dayFiles must be the ${trainDays} training days followed by the test/val day (got ${dayFiles.length} files)`,
    );
  }
  const readers: ProcessedFileReader[] = [];
  const tmpDir = shuffleDirFor(outPath);
  let writer: ProcessedFileWriter | undefined;
  const memoryWriter = new ShuffledRowsWriter();
  let bar: Progress | undefined;
  try {
    removeStaleTemporaries(outPath);
    for (const f of dayFiles) readers.push(ProcessedFileReader.open(f));
    const [first] = readers;
    for (const r of readers) {
      if (r.numDense !== first.numDense || r.numTables !== first.numTables) {
        throw new UserError(
          `${r.path}: holds ${r.numDense} dense / ${r.numTables} tables but ${first.path} holds ${first.numDense} / ${first.numTables}`,
        );
      }
    }
    const lastDay = readers[readers.length - 1];
    const train = readers.slice(0, trainDays).map((reader): RowSpan => ({ reader, start: 0, end: reader.rows }));
    const trainRows = train.reduce((n, s) => n + s.end, 0);
    if (!Number.isInteger(testRows) || testRows < 0 || testRows > lastDay.rows)
      throw new RangeError(`buildMergedFile: testRows=${testRows} is outside [0, ${lastDay.rows}]`);
    const splits = mergedSplits(trainRows, lastDay.rows, testRows);
    const declared = (opts.metadata as Partial<Manifest>).splits;
    const agrees = (name: SplitName): boolean =>
      declared?.[name]?.start === splits[name].start && declared?.[name]?.end === splits[name].end;
    if (declared !== undefined && !(agrees('train') && agrees('test') && agrees('val'))) {
      throw new Error(
        `buildMergedFile: metadata.splits ${JSON.stringify(declared)} disagree with the rows (${JSON.stringify(splits)})`,
      );
    }
    writer = new ProcessedFileWriter(outPath, { numDense: first.numDense, numTables: first.numTables });
    const out = writer;
    // the work counts a shuffled row twice (read, then written in its new place); the bar shows rows written
    const work = (randomize === 'none' ? trainRows : 2 * trainRows) + lastDay.rows;
    const fileRows = formatCount(trainRows + lastDay.rows);
    bar = startProgress('merge', work);
    let processed = 0;
    const done = (rows: number): void =>
      bar?.update((processed += rows), `${formatCount(out.rows)}/${fileRows} rows written`);
    done(0);
    const copy = (chunk: Batch): void => {
      out.append(chunk.labels, chunk.dense, chunk.sparse);
      done(chunk.size);
    };
    const rng = new Rng(opts.seed);
    const budget = {
      bucketBytes: opts.shuffleBucketBytes ?? DEFAULT_SHUFFLE_BUCKET_BYTES,
      memoryBytes: opts.shuffleMemoryBytes ?? defaultShuffleMemoryBytes(),
    };
    if (randomize !== 'none') fs.mkdirSync(tmpDir, { recursive: true });
    const held = opts.heldRows?.rows === trainRows + lastDay.rows ? opts.heldRows : undefined;
    if (randomize === 'none') await forEachChunk(train, copy);
    else if (randomize === 'total')
      await shuffleRows(train, out, rng, budget, tmpDir, done, memoryWriter, held && { rows: held, firstRow: 0 });
    else {
      let firstRow = 0;
      for (const day of train) {
        await shuffleRows([day], out, rng, budget, tmpDir, done, memoryWriter, held && { rows: held, firstRow });
        firstRow += day.end - day.start;
      }
    }
    if (held)
      await memoryWriter.append(
        held,
        Uint32Array.from({ length: lastDay.rows }, (_, i) => i),
        trainRows,
        out,
        done,
      );
    else await forEachChunk([{ reader: lastDay, start: 0, end: lastDay.rows }], copy);
    await memoryWriter.close();
    writer.commit(opts.metadata);
    log().info(
      {
        file: outPath,
        rows: out.rows,
        ...Object.fromEntries(Object.entries(splits).map(([k, r]) => [k, r.end - r.start])),
      },
      'merged file written',
    );
  } catch (err) {
    writer?.abort();
    throw err;
  } finally {
    await memoryWriter.close();
    bar?.stop();
    for (const r of readers) r.close();
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}
