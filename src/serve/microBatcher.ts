// Micro-batching for `dlrm serve`: the encoded rows of concurrent requests are gathered and scored as one
// engine batch. A group is sent when it holds maxRows rows or when its first request has waited maxDelayMs;
// while the engine scores one group the next one gathers, and it is sent as soon as the engine is free (its
// requests have waited already). One group is scored at a time (an engine takes one call at a time).
// Invariants: a group holds the requests of ONE model (the `model` each was submitted with; a request for
// another model closes the group), never more than maxRows rows unless a single request has more, and
// requests are scored in submission order; each request gets its own rows' scores back, in its row order.
import type { Batch } from '../dataset/batch';
import { concatBatches } from '../dataset/batchRows';

export interface MicroBatcherOptions {
  /** The longest a request waits for others before its group is sent (0: the requests that arrived in the same turn of the event loop). */
  maxDelayMs: number;
  /** Rows at which a group is sent at once. */
  maxRows: number;
}

/** Scores one engine batch with model `model`. */
export type ScoreFn<M> = (model: M, batch: Batch) => Promise<Float32Array>;

interface Job<M> {
  model: M;
  batch: Batch;
  resolve: (scores: Float32Array) => void;
  reject: (err: unknown) => void;
}

export class MicroBatcher<M> {
  private queue: Job<M>[] = [];
  private queuedRows = 0;
  private busy = false;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;

  constructor(
    private readonly opts: MicroBatcherOptions,
    private readonly score: ScoreFn<M>,
  ) {}

  /** Scores `batch` with `model` in some group; resolves to its rows' probabilities. */
  submit(model: M, batch: Batch): Promise<Float32Array> {
    return new Promise<Float32Array>((resolve, reject) => {
      this.queue.push({ model, batch, resolve, reject });
      this.queuedRows += batch.size;
      if (this.busy) return;
      if (this.queuedRows >= this.opts.maxRows) this.send();
      else if (this.opts.maxDelayMs === 0) this.immediate ??= setImmediate(() => this.send());
      else this.timer ??= setTimeout(() => this.send(), this.opts.maxDelayMs);
    });
  }

  /** Takes the next group off the queue and scores it; the next group follows when it is done. */
  private send(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    if (this.busy || this.queue.length === 0) return;
    const model = this.queue[0].model;
    let n = 0;
    let rows = 0;
    while (n < this.queue.length && this.queue[n].model === model && (n === 0 || rows + this.queue[n].batch.size <= this.opts.maxRows)) rows += this.queue[n++].batch.size;
    const group = this.queue.splice(0, n);
    this.queuedRows -= rows;
    this.busy = true;
    let scoring: Promise<Float32Array>;
    try {
      scoring = this.score(model, concatBatches(group.map((j) => j.batch)));
    } catch (err) {
      scoring = Promise.reject(err);
    }
    scoring
      .then((scores) => {
        let at = 0;
        for (const job of group) {
          job.resolve(scores.subarray(at, at + job.batch.size));
          at += job.batch.size;
        }
      })
      .catch((err: unknown) => {
        for (const job of group) job.reject(err);
      })
      .finally(() => {
        this.busy = false;
        if (this.queue.length > 0) this.send();
      });
  }
}
