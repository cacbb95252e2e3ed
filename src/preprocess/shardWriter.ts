// The main-thread handle of a day shard written by a worker thread (ProcessedFileWriter runs there), so
// row-group copying, writes and the final fsync never stall the main thread's reading and dispatching.
// Blocks are appended in the order append() is called; at most MAX_IN_FLIGHT blocks wait in the worker.
import type { ParsedBlock } from '../criteo/lineParser';
import type { PreprocessWorker } from './workerProtocol';

/** Blocks (~2.6 MB each for Criteo) queued at the writer, e.g. while it fsyncs the previous day. */
const MAX_IN_FLIGHT = 16;

export class RemoteShardWriter {
  private readonly inFlight: Promise<void>[] = [];
  private failure: unknown;

  private constructor(private readonly worker: PreprocessWorker) {}

  /**
   * Opens `path` (written atomically) for rows with these dense/table counts and index partitions. The
   * request is only posted: the worker may still be committing the previous day (its fsync), and the
   * main thread goes on reading meanwhile; a failure surfaces at the next append or at commit.
   */
  static open(worker: PreprocessWorker, path: string, numDense: number, numTables: number, partitionBounds: number[]): RemoteShardWriter {
    const w = new RemoteShardWriter(worker);
    w.track(worker.request('shardOpen', { path, numDense, numTables, partitionBounds }, 'ok'));
    return w;
  }

  private track(request: Promise<unknown>): void {
    this.inFlight.push(request.then(() => undefined, (err: unknown) => void (this.failure ??= err)));
  }

  /** Appends a parsed block's kept rows with their indices (per partition, table-major); transfers the arrays. */
  async append(block: ParsedBlock, indices: Uint32Array[]): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const parts = indices.map((a) => a.buffer as ArrayBuffer);
    const labels = block.labels.buffer as ArrayBuffer, dense = block.dense.buffer as ArrayBuffer;
    this.track(this.worker.request('shardAppend', { labels, dense, parts, capacity: block.capacity, rows: block.rows }, 'ok', [labels, dense, ...parts]));
    if (this.inFlight.length > MAX_IN_FLIGHT) await this.inFlight.shift();
  }

  /** Writes the shard's index and metadata, fsyncs and renames it into place (after all appends). */
  commit(metadata: object): Promise<void> {
    // posted now (the worker handles requests in order, after the appends), so a shard opened next
    // on the same worker can never be the one committed
    const committed = this.worker.request('shardCommit', { metadata }, 'ok');
    return Promise.all(this.inFlight.splice(0)).then(async () => {
      await committed.catch((err: unknown) => void (this.failure ??= err));
      if (this.failure !== undefined) throw this.failure;
    });
  }

  /** Removes the shard's temporary file. */
  async abort(): Promise<void> {
    await this.worker.request('shardAbort', {}, 'ok').catch(() => undefined);
  }
}
