// The main-thread side of the merged-file shuffle's decode worker (bucketDecodeWorker.ts): load(file,
// rows, perm) hands it one bucket file and the bucket's permutation; decode(from, to) resolves with the
// records perm[from..to) as one column Batch. Requests are handled in posting order, so the main thread
// keeps a few decodes in flight and appends each one while the worker decodes the next.
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import type { Batch } from './batch';

export type BucketRequest =
  | { id: number; type: 'load'; file: string; rows: number; perm: ArrayBuffer; numDense: number; numTables: number }
  | { id: number; type: 'decode'; from: number; to: number };

export type BucketReply = { id: number; type: 'loaded' } | { id: number; type: 'decoded'; batch: Batch } | { id: number; type: 'error'; message: string };

export class BucketDecoder {
  private readonly worker = new Worker(path.join(__dirname, 'bucketDecodeWorker.js'));
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: BucketReply) => void; reject: (e: Error) => void }>();
  private failure: Error | undefined;

  constructor(
    private readonly numDense: number,
    private readonly numTables: number,
  ) {
    this.worker.on('message', (reply: BucketReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.type === 'error') p.reject(new Error(`merged-file decode worker failed: ${reply.message}`));
      else p.resolve(reply);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`merged-file decode worker exited with code ${code}`)));
  }

  /** Hands over the bucket file `file` (deleted once read) of `rows` records and its permutation (transferred). */
  load(file: string, rows: number, perm: Uint32Array): Promise<void> {
    const buffer = perm.buffer as ArrayBuffer;
    return this.request({ id: 0, type: 'load', file, rows, perm: buffer, numDense: this.numDense, numTables: this.numTables }, [buffer]).then(() => undefined);
  }

  /** The current bucket's records perm[from..to) as one Batch. */
  decode(from: number, to: number): Promise<Batch> {
    return this.request({ id: 0, type: 'decode', from, to }, []).then((r) => (r as Extract<BucketReply, { type: 'decoded' }>).batch);
  }

  async terminate(): Promise<void> {
    this.failure ??= new Error('merged-file decode worker terminated');
    await this.worker.terminate();
  }

  private request(msg: BucketRequest, transfer: ArrayBuffer[]): Promise<BucketReply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<BucketReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }
}
