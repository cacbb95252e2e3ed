// Micro-batching for `dlrm serve`: the encoded rows of concurrent requests are gathered and scored as one
// engine batch. A group is sent when it holds maxRows rows or when its first request has waited maxDelayMs;
// while the engine scores one group the next one gathers, and it is sent as soon as the engine is free (its
// requests have waited already). One group is scored at a time (an engine takes one call at a time).
// Invariants: a group holds the requests of ONE model (the `model` each was submitted with; a request for
// another model closes the group), never more than maxRows rows unless a single request has more, and
// requests are scored in submission order; each request gets its own rows' scores back, in its row order.
// A request is an item of `size` rows (e.g. its raw lines); a group's items are encoded as ONE batch (one
// parse, one vocabulary lookup per group, not per request). When that encoding throws, each item of the group
// is encoded alone: the items that fail get their own error, the others are scored together as before.
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

/** Encodes `items` (in order) as one batch of exactly the sum of their sizes rows; throws when one is bad. */
export type EncodeFn<M, R> = (model: M, items: readonly R[]) => Batch;

const EMPTY: Batch = { size: 0, numDense: 0, dense: new Float32Array(0), labels: new Float32Array(0), sparse: [] };

interface Job<M, R> {
  model: M;
  item: R;
  resolve: (scores: Float32Array) => void;
  reject: (err: unknown) => void;
}

export class MicroBatcher<M, R extends { readonly size: number }> {
  private queue: Job<M, R>[] = [];
  private queuedRows = 0;
  private busy = false;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;

  constructor(
    private readonly opts: MicroBatcherOptions,
    private readonly score: ScoreFn<M>,
    private readonly encode: EncodeFn<M, R>,
  ) {}

  /** Scores `item` with `model` in some group; resolves to its rows' probabilities. */
  submit(model: M, item: R): Promise<Float32Array> {
    return new Promise<Float32Array>((resolve, reject) => {
      this.queue.push({ model, item, resolve, reject });
      this.queuedRows += item.size;
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
    while (
      n < this.queue.length &&
      this.queue[n].model === model &&
      (n === 0 || rows + this.queue[n].item.size <= this.opts.maxRows)
    )
      rows += this.queue[n++].item.size;
    const taken = this.queue.splice(0, n);
    this.queuedRows -= rows;
    const { group, batch } = this.encodeGroup(model, taken);
    if (group.length === 0) {
      if (this.queue.length > 0) this.send();
      return;
    }
    this.busy = true;
    let scoring: Promise<Float32Array>;
    try {
      scoring = this.score(model, batch);
    } catch (err) {
      scoring = Promise.reject(err);
    }
    scoring
      .then((scores) => {
        let at = 0;
        for (const job of group) {
          job.resolve(scores.subarray(at, at + job.item.size));
          at += job.item.size;
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

  /** The group's items as one batch; when that throws, each item alone (rejecting those that fail) and the rest concatenated. */
  private encodeGroup(model: M, taken: Job<M, R>[]): { group: Job<M, R>[]; batch: Batch } {
    try {
      return {
        group: taken,
        batch: this.encode(
          model,
          taken.map((j) => j.item),
        ),
      };
    } catch (err) {
      if (taken.length === 1) {
        taken[0].reject(err);
        return { group: [], batch: EMPTY };
      }
    }
    const group: Job<M, R>[] = [];
    const batches: Batch[] = [];
    for (const job of taken) {
      try {
        batches.push(this.encode(model, [job.item]));
        group.push(job);
      } catch (err) {
        job.reject(err);
      }
    }
    return { group, batch: group.length === 0 ? EMPTY : concatBatches(batches) };
  }
}
