// The messages between the preprocess pipeline (main thread) and its workers (worker.ts), and the
// main-thread side of a worker over the one WorkerChannel (src/util/workerChannel.ts).
import * as path from 'node:path';
import type { ParserLayout } from '../rawformat/layout';
import type { ParseOptions, ParsedBlock } from '../rawformat/rowParser';
import type { ColumnSchema } from '../rawformat/schema';
import type { WorkerErrorFields } from '../util/errors';
import { WorkerChannel } from '../util/workerChannel';

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
  | Req<
      'shardAppend',
      { labels: ArrayBuffer; dense: ArrayBuffer; parts: ArrayBuffer[]; capacity: number; rows: number }
    >
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
  private readonly channel = new WorkerChannel<WorkerRequest, WorkerReply>(
    path.join(__dirname, 'worker.js'),
    'preprocess worker',
  );

  /** Posts a request now (requests are handled in posting order) and resolves with its reply. */
  request<T extends WorkerRequest['type'], R extends WorkerReply['type']>(
    type: T,
    body: Body<T>,
    expect: R,
    transfer: ArrayBuffer[] = [],
  ): Promise<ReplyOf<R>> {
    return this.channel.request({ id: 0, type, ...body } as WorkerRequest, expect, transfer);
  }

  terminate(): Promise<void> {
    return this.channel.terminate();
  }
}
