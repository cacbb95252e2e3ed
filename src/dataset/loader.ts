// A BatchSource over one split (train / val / test) of a merged processed file: batches of B rows in file
// order, read ahead asynchronously (several chunk reads in flight in the libuv thread pool) so training
// never waits on the disk. numDense, table sizes and split ranges come from the manifest embedded in the file.
import type { Batch } from './batch';
import { sliceBatch } from './batchRows';
import type { Manifest, RowRange, SplitName } from './manifest';
import { ProcessedFileReader, type ReaderOptions } from './processedFile';
import type { BatchSource } from './source';
import { UserError } from '../util/errors';

export interface SplitOptions extends ReaderOptions {
  /** Chunk reads kept in flight ahead of the consumer (default 2); a chunk is about one row group. */
  readAhead?: number;
}

/**
 * Rows [start, end) of `reader` as consecutive chunks of `chunkRows` rows (the last may be shorter),
 * keeping up to `readAhead` asynchronous chunk reads in flight ahead of the consumer.
 */
export async function* readAheadChunks(
  reader: ProcessedFileReader,
  start: number,
  end: number,
  chunkRows: number,
  readAhead: number,
): AsyncGenerator<Batch, void, undefined> {
  const inFlight: Promise<Batch>[] = [];
  let next = start;
  const launch = (): void => {
    while (inFlight.length < readAhead && next < end) {
      const stop = Math.min(end, next + chunkRows);
      const read = reader.readAsync(next, stop);
      read.catch(() => undefined); // a read still pending when the consumer stops must not become an unhandled rejection
      inFlight.push(read);
      next = stop;
    }
  };
  launch();
  while (inFlight.length > 0) {
    const chunk = await (inFlight.shift() as Promise<Batch>);
    launch();
    yield chunk;
  }
}

/**
 * Batches of `batchSize` rows of `reader`'s rows range.start + startRow .. range.end in file order (the last
 * may be smaller), read ahead `readAhead` chunks.
 */
export async function* rowRangeBatches(
  reader: ProcessedFileReader,
  range: RowRange,
  batchSize: number,
  startRow: number,
  readAhead: number,
): AsyncGenerator<Batch> {
  const rows = range.end - range.start;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batchSize=${batchSize} must be a positive integer`);
  if (!Number.isInteger(startRow) || startRow < 0 || startRow > rows)
    throw new RangeError(`startRow=${startRow} is outside [0, ${rows}]`);
  // chunks hold a whole number of batches, so no batch straddles two chunks
  const chunkRows = batchSize * Math.max(1, Math.floor(reader.rowsPerGroup / batchSize));
  for await (const chunk of readAheadChunks(reader, range.start + startRow, range.end, chunkRows, readAhead)) {
    for (let a = 0; a < chunk.size; a += batchSize) yield sliceBatch(chunk, a, Math.min(chunk.size, a + batchSize));
  }
}

/** The row range and table sizes of one split, from the manifest embedded in the file, checked against the file's own shape. */
export function splitOf(reader: ProcessedFileReader, split: SplitName): { range: RowRange; tableSizes: number[] } {
  const file = reader.path;
  const m = reader.metadata as Partial<Manifest> | null;
  if (
    m === null ||
    typeof m !== 'object' ||
    typeof m.splits !== 'object' ||
    m.splits === null ||
    !Array.isArray(m.tables)
  ) {
    throw new UserError(
      `${file}: has no train/val/test splits in its metadata (a per-day shard?); pass the merged processed file`,
    );
  }
  checkSplitRanges(file, m.splits, reader.rows);
  const range = m.splits[split];
  if (!range) throw new UserError(`${file}: split '${split}' is missing from its metadata`);
  if (range.start === range.end) throw new UserError(`${file}: split '${split}' is empty`);
  if (m.tables.length !== reader.numTables || (m.numDense !== undefined && m.numDense !== reader.numDense)) {
    throw new UserError(
      `${file}: manifest describes ${m.numDense} dense / ${m.tables.length} tables but the file holds ${reader.numDense} / ${reader.numTables}`,
    );
  }
  const tableSizes = m.tables.map((t, i) => {
    if (!Number.isInteger(t.count) || t.count < 1)
      throw new UserError(`${file}: manifest table ${i} has invalid count ${String(t.count)}`);
    return t.count;
  });
  return { range, tableSizes };
}

/**
 * Every split in the metadata must be a row range inside the file's rows, and no two may share a row: a
 * split that overlaps another would evaluate on training rows.
 */
function checkSplitRanges(file: string, splits: Partial<Record<string, RowRange>>, rows: number): void {
  const named = Object.entries(splits);
  for (const [name, r] of named) {
    if (!r || !Number.isSafeInteger(r.start) || !Number.isSafeInteger(r.end) || r.start < 0 || r.start > r.end) {
      throw new UserError(
        `${file}: split '${name}' is not a row range {start, end} with 0 <= start <= end (${JSON.stringify(r)})`,
      );
    }
    if (r.end > rows)
      throw new UserError(`${file}: split '${name}' [${r.start}, ${r.end}) falls outside the file's ${rows} rows`);
  }
  for (let i = 0; i < named.length; i++) {
    for (let j = i + 1; j < named.length; j++) {
      const [a, ra] = named[i] as [string, RowRange];
      const [b, rb] = named[j] as [string, RowRange];
      if (ra.start < rb.end && rb.start < ra.end)
        throw new UserError(
          `${file}: split '${a}' [${ra.start}, ${ra.end}) overlaps split '${b}' [${rb.start}, ${rb.end})`,
        );
    }
  }
}

/** One split of a merged processed file as a BatchSource; close() releases the file. */
export class ProcessedSplitSource implements BatchSource {
  readonly numDense: number;
  readonly tableSizes: readonly number[];
  readonly rows: number;
  private readonly range: RowRange;
  private readonly readAhead: number;

  constructor(
    private readonly reader: ProcessedFileReader,
    readonly split: SplitName,
    opts: SplitOptions = {},
  ) {
    const { range, tableSizes } = splitOf(reader, split);
    this.range = range;
    this.tableSizes = tableSizes;
    this.numDense = reader.numDense;
    this.rows = range.end - range.start;
    this.readAhead = opts.readAhead ?? 2;
    if (!Number.isInteger(this.readAhead) || this.readAhead < 1)
      throw new RangeError(`readAhead=${this.readAhead} must be a positive integer`);
  }

  /** Batches of `batchSize` rows of the split in file order (the last may be smaller), from split row `startRow`. */
  batches(batchSize: number, startRow = 0): AsyncGenerator<Batch> {
    return rowRangeBatches(this.reader, this.range, batchSize, startRow, this.readAhead);
  }

  /** Reads and checks every row group of the file now (checksums and values), so damage stops a run before its first step. */
  checkAllGroups(): Promise<void> {
    return this.reader.checkAllGroups();
  }

  close(): void {
    this.reader.close();
  }
}

/** Opens one split of a merged processed file; a missing file, wrong file or missing/empty split is a UserError naming the file. */
export function openProcessedSplit(path: string, split: SplitName, opts: SplitOptions = {}): ProcessedSplitSource {
  const reader = ProcessedFileReader.open(path, { verify: opts.verify });
  try {
    return new ProcessedSplitSource(reader, split, opts);
  } catch (err) {
    reader.close();
    throw err;
  }
}
