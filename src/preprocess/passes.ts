// The worker-thread passes of `dlrm preprocess` (src/preprocess/pipeline.ts orchestrates them): a pool
// of workers that parse blocks of lines (round robin) and own one contiguous range of tables each (their
// vocabularies), plus one worker writing day shards. dayPass streams a day through them: blocks are parsed
// in any order, but the index-assignment (or counting) requests are posted in block order, and a worker
// handles its requests in order, so the output never depends on thread timing.
import type * as crypto from 'node:crypto';
import type { PreprocessOptions } from '../dataset/manifest';
import { compileLayout, type ParserLayout } from '../rawformat/layout';
import type { LineError, ParsedBlock } from '../rawformat/rowParser';
import type { ColumnSchema } from '../rawformat/schema';
import type { HashSink } from '../criteo/rawSources';
import type { RawDay } from '../rawformat/blockReader';
import { inputError, UserError } from '../util/errors';
import { log } from '../util/log';
import { formatCount, startProgress, type Progress } from '../util/progress';
import { readDayBlocks } from '../rawformat/blockReader';
import { PreprocessWorker } from './workerProtocol';
import type { RemoteShardWriter } from './shardWriter';

/** Bytes per parse block unless PassConfig.blockBytes says otherwise. */
export const DEFAULT_BLOCK_BYTES = 4 << 20;

export interface PassConfig {
  /** Worker threads for parsing and vocabularies (>= 1; at most one per table). */
  workers: number;
  /** Bytes per parse block (default 4 MiB). */
  blockBytes?: number;
}

/** Splits T tables into W contiguous partitions: bounds[p] .. bounds[p+1]. */
function partitionBounds(tables: number, workers: number): number[] {
  return Array.from({ length: workers + 1 }, (_, p) => Math.round((p * tables) / workers));
}

export class Preprocessor {
  readonly layout: ParserLayout;
  readonly bounds: number[];
  readonly workers: PreprocessWorker[] = [];
  /** The worker writing day shards (not one of the parsing/vocabulary workers). */
  shardWorker: PreprocessWorker | undefined;
  private progress: Progress = { update() {}, stop() {} };
  private bytesDone = 0;
  private linesDone = 0;
  private passStarted = Date.now();

  constructor(
    readonly cfg: PassConfig,
    readonly options: PreprocessOptions,
    schema: ColumnSchema,
  ) {
    this.layout = compileLayout(schema);
    const W = Math.max(1, Math.min(cfg.workers, this.layout.numTables || 1));
    this.bounds = partitionBounds(this.layout.numTables, W);
  }

  async start(): Promise<void> {
    const W = this.bounds.length - 1;
    for (let p = 0; p < W; p++) this.workers.push(new PreprocessWorker());
    this.shardWorker = new PreprocessWorker();
    await Promise.all(
      this.workers.map((w, p) =>
        w.request(
          'init',
          {
            layout: this.layout,
            parse: {
              maxIndRange: this.options.maxIndRange,
              subsampleRate: this.options.dataSubSampleRate,
              seed: this.options.seed,
              skipInvalid: this.options.skipInvalidLines,
              partitionBounds: this.bounds,
            },
            numTables: this.bounds[p + 1] - this.bounds[p],
            minFrequency: this.options.minFrequency,
          },
          'ok',
        ),
      ),
    );
  }

  async stop(): Promise<void> {
    this.progress.stop();
    await Promise.all([...this.workers, ...(this.shardWorker ? [this.shardWorker] : [])].map((w) => w.terminate()));
  }

  beginPass(label: string, totalBytes: number): void {
    this.progress.stop();
    this.bytesDone = 0;
    this.linesDone = 0;
    this.passStarted = Date.now();
    this.progress = startProgress(label, Math.max(1, Math.round(totalBytes / 1e6)), 'MB');
  }

  /** Sets the bytes done of a pass that has no lines to count (the Kaggle line-count pass). */
  bytesProgress(done: number): void {
    this.progress.update(Math.round(done / 1e6));
  }

  private tick(bytes: number, lines: number): void {
    this.bytesDone += bytes;
    this.linesDone += lines;
    const seconds = Math.max((Date.now() - this.passStarted) / 1000, 1e-3);
    this.progress.update(
      Math.round(this.bytesDone / 1e6),
      `${formatCount(this.linesDone)} lines | ${formatCount(this.linesDone / seconds)} lines/s`,
    );
  }

  /** A HashSink hashing on the first worker, so the main thread only reads and counts. */
  hashSink(): HashSink {
    const w = this.workers[0];
    return {
      update: (chunk) => {
        const bytes = chunk.buffer;
        // shared memory is shared by postMessage; a plain buffer is handed over (transferred)
        const transfer = bytes instanceof ArrayBuffer ? [bytes] : [];
        return w
          .request('hashUpdate', { bytes, byteOffset: chunk.byteOffset, length: chunk.length }, 'ok', transfer)
          .then(() => undefined);
      },
      digest: () => w.request('hashDigest', {}, 'digest').then((r) => r.sha256),
    };
  }

  /** Sends the restored vocabularies (index order per table) to the workers owning them. */
  async restore(values: Uint32Array[]): Promise<void> {
    await Promise.all(
      this.workers.map((w, p) =>
        w.request('restore', { values: values.slice(this.bounds[p], this.bounds[p + 1]) }, 'ok'),
      ),
    );
  }

  /** Ends the counting pass; returns per table the number of frequent values F. */
  async finishCounting(): Promise<number[]> {
    const replies = await Promise.all(this.workers.map((w) => w.request('finishCount', {}, 'sizes')));
    return replies.flatMap((r) => r.sizes);
  }

  /** Per table: the values assigned since the last call (index order), the vocabulary sizes, and table bytes. */
  async takeNew(): Promise<{ values: Uint32Array[]; sizes: number[]; bytes: number }> {
    const replies = await Promise.all(this.workers.map((w) => w.request('takeNew', {}, 'newValues')));
    return {
      values: replies.flatMap((r) => r.values),
      sizes: replies.flatMap((r) => r.sizes),
      bytes: replies.reduce((s, r) => s + r.bytes, 0),
    };
  }

  private lineError(day: RawDay, firstLine: number, e: LineError): UserError {
    const field = e.field === undefined ? undefined : `${e.field} (${this.layout.fieldNames[e.field - 1]})`;
    return inputError({ file: day.file, line: day.firstLineNumber + firstLine + e.line, field }, e.message);
  }

  /**
   * One pass over one day: 'count' feeds the min-frequency counters, 'assign' maps values to indices and
   * appends the rows to `shard`. Returns the day's rows, lines and invalid lines.
   */
  async dayPass(
    day: RawDay,
    dayIndex: number,
    mode: 'count' | 'assign',
    shard?: RemoteShardWriter,
    hash?: crypto.Hash,
  ): Promise<{ rows: number; lines: number; invalidLines: number }> {
    const W = this.workers.length;
    const skip = this.options.skipInvalidLines;
    type Outcome = { block?: ParsedBlock; indices?: Uint32Array[]; firstLine: number; failure?: unknown };
    const queue: Promise<Outcome>[] = [];
    let posted: Promise<void> = Promise.resolve();
    let lines = 0,
      rows = 0,
      invalidLines = 0,
      blockNo = 0;
    let warned = false;

    const assignInOrder = async (
      parsed: Promise<{ block: ParsedBlock }>,
      previous: Promise<void>,
      markPosted: () => void,
      firstLine: number,
    ): Promise<Outcome> => {
      let block: ParsedBlock;
      let calls: Promise<Uint32Array | undefined>[] = [];
      try {
        block = (await parsed).block;
        await previous;
        if (!block.firstError || skip) {
          calls = block.parts.map((part, p) => {
            const body = { values: part.buffer as ArrayBuffer, capacity: block.capacity, rows: block.rows };
            return mode === 'assign'
              ? this.workers[p]
                  .request('assign', body, 'assigned', [body.values])
                  .then((r) => new Uint32Array(r.values))
              : this.workers[p].request('count', body, 'ok', [body.values]).then(() => undefined);
          });
        }
      } finally {
        markPosted();
      }
      const indices = await Promise.all(calls);
      return { block, firstLine, indices: indices as Uint32Array[] };
    };

    const consume = async (o: Outcome): Promise<void> => {
      if ('failure' in o) throw o.failure; // only a failed block's outcome has the key
      const b = o.block as ParsedBlock;
      if (b.firstError) {
        const err = this.lineError(day, o.firstLine, b.firstError);
        if (!skip) throw err;
        if (!warned)
          log().warn({ day: day.name }, `skipping invalid lines (--skip-invalid-lines); the first: ${err.message}`);
        warned = true;
      }
      invalidLines += b.invalidLines;
      rows += b.rows;
      if (shard && b.rows > 0)
        await shard.append({
          labels: b.labels,
          dense: b.dense,
          parts: o.indices as Uint32Array[],
          capacity: b.capacity,
          rows: b.rows,
        });
    };

    const onBytes = (n: number): void => this.tick(n, 0);
    for await (const block of readDayBlocks(day, this.cfg.blockBytes ?? DEFAULT_BLOCK_BYTES, onBytes, hash)) {
      const firstLine = lines;
      lines += block.lines;
      this.tick(0, block.lines);
      const buffer = block.bytes.buffer as ArrayBuffer;
      const parsed = this.workers[blockNo++ % W].request(
        'parse',
        { bytes: buffer, end: block.end, day: dayIndex, firstLine, lines: block.lines },
        'parsed',
        [buffer],
      );
      const previous = posted;
      let markPosted!: () => void;
      posted = new Promise<void>((resolve) => (markPosted = resolve));
      queue.push(
        assignInOrder(parsed, previous, markPosted, firstLine).catch((failure: unknown) => ({ failure, firstLine })),
      );
      while (queue.length >= 3 * W + 2) await consume(await (queue.shift() as Promise<Outcome>));
    }
    while (queue.length > 0) await consume(await (queue.shift() as Promise<Outcome>));
    if (lines === 0) throw new UserError(`${day.file}: the file is empty`);
    if (day.lines !== undefined && lines !== day.lines)
      throw new UserError(
        `${day.file}: ${day.name} has ${lines} lines, expected ${day.lines} (did the file change while being read?)`,
      );
    return { rows, lines, invalidLines };
  }
}
