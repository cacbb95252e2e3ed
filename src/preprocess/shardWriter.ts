// The main-thread handle of a processed file written by a worker thread (ProcessedFileWriter runs there):
// a day shard, or the merged file while it is written along with the shards (--data-randomize none). Row
// group copying, writes and the final fsync never stall the main thread's reading and dispatching.
// Blocks are appended in the order append() is called; at most MAX_IN_FLIGHT blocks wait in the worker.
// A shard can forward each block, once its worker has copied it, to a second writer (the merged file on
// another worker): the same arrays go on by transfer, so the two files are written on two threads.
import type { PreprocessWorker } from './workerProtocol';

/** Blocks (~1.6 MB each for Criteo) queued at the writer, e.g. while it fsyncs the previous day. */
const MAX_IN_FLIGHT = 16;

/** One block's columns as the writers take them: labels [capacity], dense [capacity, D], indices per partition. */
export interface BlockArrays {
  labels: Float32Array;
  dense: Float32Array;
  /** Per partition: [tables of p, capacity] table-major indices. */
  parts: Uint32Array[];
  capacity: number;
  /** Rows [0, rows) are kept. */
  rows: number;
}

export class RemoteShardWriter {
  private readonly inFlight: Promise<void>[] = [];
  /** The first failure of the worker, rethrown as it came. */
  private failure: { error: unknown } | undefined;

  private constructor(
    private readonly worker: PreprocessWorker,
    private readonly forward: RemoteShardWriter | undefined,
  ) {}

  /**
   * Opens `path` (written atomically) for rows with these dense/table counts and index partitions. The
   * request is only posted: the worker may still be committing the previous day (its fsync), and the
   * main thread goes on reading meanwhile; a failure surfaces at the next append or at commit. Appended
   * blocks go on to `forward` when given; with `hold` the worker also packs them into its held rows
   * (holdOpen/holdTake, for the in-memory shuffle).
   */
  static open(
    worker: PreprocessWorker,
    path: string,
    layout: { numDense: number; numTables: number; partitionBounds: number[] },
    opts: { forward?: RemoteShardWriter; hold?: boolean } = {},
  ): RemoteShardWriter {
    const w = new RemoteShardWriter(worker, opts.forward);
    w.track(worker.request('shardOpen', { path, ...layout, hold: opts.hold ?? false }, 'ok'));
    return w;
  }

  private track(request: Promise<unknown>): void {
    this.inFlight.push(
      request.then(
        () => undefined,
        (err: unknown) => void (this.failure ??= { error: err }),
      ),
    );
  }

  /** Appends a block's kept rows; transfers the arrays (to this writer's worker, then to `forward`'s). */
  async append(block: BlockArrays): Promise<void> {
    if (this.failure !== undefined) throw this.failure.error;
    this.track(this.post(block));
    if (this.inFlight.length > MAX_IN_FLIGHT) await this.inFlight.shift();
  }

  /** Posts the block; settles when this writer, and `forward` when there is one, have appended it. */
  private async post(block: BlockArrays): Promise<void> {
    const parts = block.parts.map((a) => a.buffer as ArrayBuffer);
    const labels = block.labels.buffer as ArrayBuffer,
      dense = block.dense.buffer as ArrayBuffer;
    const back = await this.worker.request(
      'shardAppend',
      { labels, dense, parts, capacity: block.capacity, rows: block.rows },
      'appended',
      [labels, dense, ...parts],
    );
    if (this.forward) {
      // replies arrive in posting order, so the forwarded blocks keep it too
      await this.forward.post({
        labels: new Float32Array(back.labels),
        dense: new Float32Array(back.dense),
        parts: back.parts.map((b) => new Uint32Array(b)),
        capacity: back.capacity,
        rows: back.rows,
      });
    }
  }

  /**
   * Writes the file's index and metadata, fsyncs and renames it into place (after all appends, including
   * those forwarded); resolves with the rows written.
   */
  commit(metadata: object): Promise<number> {
    // posted now (the worker handles requests in order, after the appends), so a shard opened next
    // on the same worker can never be the one committed
    const committed = this.worker.request('shardCommit', { metadata }, 'rows');
    return Promise.all(this.inFlight.splice(0)).then(async () => {
      const reply = await committed.catch((err: unknown) => void (this.failure ??= { error: err }));
      if (this.failure !== undefined) throw this.failure.error;
      if (!reply) throw new Error('shard commit: no reply from the writer worker');
      return reply.rows;
    });
  }

  /** Removes the file's temporary name. */
  async abort(): Promise<void> {
    await this.worker.request('shardAbort', {}, 'ok').catch(() => undefined);
  }
}
