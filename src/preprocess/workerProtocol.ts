// The messages between the preprocess pipeline (main thread) and its workers (worker.ts), and the
// main-thread side of a worker: request/reply matching by id, typed arrays moved by transfer.
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import type { ParserLayout } from '../rawformat/layout';
import type { ParseOptions, ParsedBlock } from '../rawformat/rowParser';
import type { ColumnSchema } from '../rawformat/schema';
import { errorFromWorker, type WorkerErrorFields } from '../util/errors';

type Req<T extends string, B = object> = { id: number; type: T } & B;

export type WorkerRequest =
  | Req<'init', { layout: ParserLayout; parse: ParseOptions; numTables: number; minFrequency: number }>
  | Req<'initParser', { schema: ColumnSchema; parse: ParseOptions }>
  | Req<'parse', { bytes: ArrayBuffer; end: number; day: number; firstLine: number; lines: number }>
  | Req<'count', { values: ArrayBuffer; capacity: number; rows: number }>
  | Req<'finishCount'>
  | Req<'assign', { values: ArrayBuffer; capacity: number; rows: number }>
  | Req<'restore', { values: Uint32Array[] }>
  | Req<'takeNew'>
  | Req<'hashUpdate', { bytes: ArrayBufferLike; byteOffset: number; length: number }>
  | Req<'hashDigest'>
  | Req<'shardOpen', { path: string; numDense: number; numTables: number; partitionBounds: number[]; hold: boolean }>
  | Req<'shardAppend', { labels: ArrayBuffer; dense: ArrayBuffer; parts: ArrayBuffer[]; capacity: number; rows: number }>
  | Req<'shardCommit', { metadata: object }>
  | Req<'shardAbort'>
  | Req<'holdOpen', { capacity: number; numDense: number; numTables: number }>
  | Req<'holdTake'>;

export type WorkerReply =
  | Req<'ok'>
  | Req<'error', WorkerErrorFields>
  | Req<'parsed', { block: ParsedBlock }>
  | Req<'sizes', { sizes: number[] }>
  | Req<'rows', { rows: number }>
  | Req<'appended', { labels: ArrayBuffer; dense: ArrayBuffer; parts: ArrayBuffer[]; capacity: number; rows: number }>
  | Req<'assigned', { values: ArrayBuffer }>
  | Req<'newValues', { values: Uint32Array[]; sizes: number[]; bytes: number }>
  | Req<'digest', { sha256: string }>
  | Req<'held', { words: SharedArrayBuffer; capacity: number; rows: number }>;

type Body<T extends WorkerRequest['type']> = Omit<Extract<WorkerRequest, { type: T }>, 'id' | 'type'>;
type ReplyOf<T extends WorkerReply['type']> = Extract<WorkerReply, { type: T }>;

/** A preprocess worker thread seen from the main thread. */
export class PreprocessWorker {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>();
  private failure: Error | undefined;

  constructor() {
    this.worker = new Worker(path.join(__dirname, 'worker.js'));
    this.worker.on('message', (reply: WorkerReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.type === 'error') p.reject(errorFromWorker(reply, 'preprocess worker failed'));
      else p.resolve(reply);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`preprocess worker exited with code ${code}`)));
  }

  /** Posts a request now (requests are handled in posting order) and resolves with its reply. */
  request<T extends WorkerRequest['type'], R extends WorkerReply['type']>(type: T, body: Body<T>, expect: R, transfer: ArrayBuffer[] = []): Promise<ReplyOf<R>> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<ReplyOf<R>>((resolve, reject) => {
      this.pending.set(id, {
        resolve: (r) => (r.type === expect ? resolve(r as ReplyOf<R>) : reject(new Error(`preprocess worker: expected ${expect}, got ${r.type}`))),
        reject,
      });
      this.worker.postMessage({ id, type, ...body }, transfer);
    });
  }

  async terminate(): Promise<void> {
    this.failure ??= new Error('preprocess worker terminated');
    await this.worker.terminate();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }
}
