// The main-thread side of the merged-file shuffle's worker thread (shuffleWorkerThread.ts). Pass 1:
// spillOpen(files), then spill(batch, bucket numbers) per block (the worker appends the rows as records
// to the bucket files), then spillClose() gives the rows per bucket. Pass 2: load(file, rows, perm) hands
// over one bucket and its permutation; gather(from, to) resolves with records perm[from..to), one after
// the other (ProcessedFileWriter.appendRecords takes them). In memory (memoryShuffle.ts): holdRows(rows,
// slots) shares the rows and a ring of slots (shared memory), heldOrder(order) the order, and
// gatherHeld(slot, from, to) fills a slot with that order's rows [from, to). Requests are handled in
// posting order, so the main thread keeps a few in flight and works on the previous ones meanwhile
// (drawing bucket numbers and reading shards; appending and writing).
import * as path from 'node:path';
import type { Batch } from './batch';
import type { OneHotRows } from './memoryShuffle';
import type { WorkerErrorFields } from '../util/errors';
import { WorkerChannel } from '../util/workerChannel';

export type ShuffleRequest =
  | { id: number; type: 'spillOpen'; files: string[]; numDense: number; numTables: number; bufferWords: number }
  | { id: number; type: 'spill'; batch: Batch; buckets: ArrayBuffer }
  | { id: number; type: 'spillClose' }
  | { id: number; type: 'spillAbort' }
  | { id: number; type: 'load'; file: string; rows: number; perm: ArrayBuffer; numDense: number; numTables: number }
  | { id: number; type: 'gather'; from: number; to: number }
  | {
      id: number;
      type: 'holdRows';
      words: SharedArrayBuffer;
      capacity: number;
      rows: number;
      numDense: number;
      numTables: number;
      slots: SharedArrayBuffer[];
    }
  | { id: number; type: 'heldOrder'; order: SharedArrayBuffer }
  | { id: number; type: 'gatherHeld'; slot: number; from: number; to: number };

export type ShuffleReply =
  | { id: number; type: 'ok' }
  | { id: number; type: 'rows'; rows: number[] }
  | { id: number; type: 'loaded' }
  | { id: number; type: 'gathered'; records: Uint32Array; rows: number }
  | ({ id: number; type: 'error' } & WorkerErrorFields);

/** The arrays of a Batch, to transfer it. */
function batchBuffers(b: Batch): ArrayBuffer[] {
  return [
    b.labels.buffer,
    b.dense.buffer,
    ...b.sparse.flatMap((s) => [s.offsets.buffer, s.indices.buffer]),
  ] as ArrayBuffer[];
}

export class ShuffleWorker {
  private readonly channel = new WorkerChannel<ShuffleRequest, ShuffleReply>(
    path.join(__dirname, 'shuffleWorkerThread.js'),
    'merged-file shuffle worker',
  );

  constructor(
    private readonly numDense: number,
    private readonly numTables: number,
  ) {}

  /** Opens the bucket files (one RecordWriter of `bufferWords` each). */
  spillOpen(files: string[], bufferWords: number): Promise<void> {
    return this.request(
      { id: 0, type: 'spillOpen', files, numDense: this.numDense, numTables: this.numTables, bufferWords },
      [],
    ).then(() => undefined);
  }

  /** Appends row i of `batch` to bucket buckets[i]; transfers the arrays (a batch read for this, whose buffers are its own). */
  spill(batch: Batch, buckets: Uint16Array): Promise<void> {
    const transfer = [...new Set([...batchBuffers(batch), buckets.buffer as ArrayBuffer])];
    return this.request({ id: 0, type: 'spill', batch, buckets: buckets.buffer as ArrayBuffer }, transfer).then(
      () => undefined,
    );
  }

  /** Flushes and closes the bucket files; resolves with the rows of each. */
  spillClose(): Promise<number[]> {
    return this.request({ id: 0, type: 'spillClose' }, []).then(
      (r) => (r as Extract<ShuffleReply, { type: 'rows' }>).rows,
    );
  }

  /** Closes the bucket files after a failure (best effort). */
  async spillAbort(): Promise<void> {
    await this.request({ id: 0, type: 'spillAbort' }, []).catch(() => undefined);
  }

  /** Hands over the bucket file `file` (deleted once read) of `rows` records and its permutation (transferred). */
  load(file: string, rows: number, perm: Uint32Array): Promise<void> {
    const buffer = perm.buffer as ArrayBuffer;
    return this.request(
      { id: 0, type: 'load', file, rows, perm: buffer, numDense: this.numDense, numTables: this.numTables },
      [buffer],
    ).then(() => undefined);
  }

  /** The current bucket's records perm[from..to), consecutive. */
  gather(from: number, to: number): Promise<Uint32Array> {
    return this.request({ id: 0, type: 'gather', from, to }, []).then(
      (r) => (r as Extract<ShuffleReply, { type: 'gathered' }>).records,
    );
  }

  /** Shares one-hot rows (on shared memory) and the output slots with the thread. */
  holdRows(rows: OneHotRows, slots: SharedArrayBuffer[]): Promise<void> {
    const words = rows.buffer.buffer;
    if (!(words instanceof SharedArrayBuffer))
      throw new TypeError('ShuffleWorker.holdRows: the rows must be on shared memory');
    return this.request(
      {
        id: 0,
        type: 'holdRows',
        words,
        capacity: rows.capacity,
        rows: rows.rows,
        numDense: this.numDense,
        numTables: this.numTables,
        slots,
      },
      [],
    ).then(() => undefined);
  }

  /** The order of the next gathers (shared): slot j of a gather holds held row order[from + j]. */
  heldOrder(order: Uint32Array): Promise<void> {
    const buffer = order.buffer;
    if (!(buffer instanceof SharedArrayBuffer))
      throw new TypeError('ShuffleWorker.heldOrder: the order must be on shared memory');
    return this.request({ id: 0, type: 'heldOrder', order: buffer }, []).then(() => undefined);
  }

  /** Fills slot `slot` with the held rows at order positions [from, to). */
  gatherHeld(slot: number, from: number, to: number): Promise<void> {
    return this.request({ id: 0, type: 'gatherHeld', slot, from, to }, []).then(() => undefined);
  }

  terminate(): Promise<void> {
    return this.channel.terminate();
  }

  private request(msg: ShuffleRequest, transfer: ArrayBuffer[]): Promise<ShuffleReply> {
    return this.channel.post(msg, transfer);
  }
}
