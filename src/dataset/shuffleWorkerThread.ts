// The worker thread of the merged-file shuffle (src/dataset/shuffleWorker.ts is its main-thread side).
// Pass 1: it appends rows, with the bucket numbers the main thread drew, as row-major records
// (rowRecords.ts) to the bucket files. Pass 2: it loads one bucket file at a time, deletes it, and gathers
// runs of the bucket's permutation into consecutive records, while the main thread appends the previous
// ones to the merged file. In memory (memoryShuffle.ts) it holds the rows and gathers row groups in the
// shuffled order into shared slots, while the main thread appends and writes the previous ones. Requests
// are handled in posting order; arrays travel by transfer.
import * as fs from 'node:fs';
import type { Batch } from './batch';
import { gatherRecords, recordStarts, RecordWriter } from './rowRecords';
import { groupSlotViews, OneHotRows, type GroupSlot } from './memoryShuffle';
import type { ShuffleReply, ShuffleRequest } from './shuffleWorker';
import { serveRequests } from '../util/workerChannel';

let spill: { fds: number[]; writers: RecordWriter[] } | undefined;
let bucket:
  { words: Uint32Array; starts: Uint32Array; perm: Uint32Array; numDense: number; numTables: number } | undefined;
/** The in-memory shuffle's rows, output slots and current order, all on shared memory. */
let held: { rows: OneHotRows; slots: GroupSlot[]; order: Uint32Array } | undefined;

/** The whole file as u32 words (read in calls of at most 1 GiB). */
function readWords(file: string): Uint32Array {
  const fd = fs.openSync(file, 'r');
  try {
    const bytes = new Uint8Array(fs.fstatSync(fd).size);
    for (let done = 0; done < bytes.length;) {
      const got = fs.readSync(fd, bytes, done, Math.min(1 << 30, bytes.length - done), done);
      if (got === 0) throw new Error(`${file}: shorter than its size`);
      done += got;
    }
    return new Uint32Array(bytes.buffer, 0, bytes.length / 4);
  } finally {
    fs.closeSync(fd);
  }
}

/** Appends `words` at the end of the file open as `fd`. */
function writeFully(fd: number, words: Uint32Array): void {
  const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
  for (let done = 0; done < bytes.length;) done += fs.writeSync(fd, bytes, done, bytes.length - done);
}

function closeSpill(): number[] {
  const rows = spill?.writers.map((w) => w.rows) ?? [];
  for (const fd of spill?.fds ?? []) fs.closeSync(fd);
  spill = undefined;
  return rows;
}

function handle(msg: ShuffleRequest): { reply: ShuffleReply; transfer: ArrayBuffer[] } {
  if (msg.type === 'spillOpen') {
    // spill files: read back once and deleted (the caller removes their folder in any case), so never fsynced
    const fds = msg.files.map((f) => fs.openSync(f, 'w'));
    spill = {
      fds,
      writers: fds.map(
        (fd) => new RecordWriter(msg.numDense, msg.numTables, msg.bufferWords, (words) => writeFully(fd, words)),
      ),
    };
    return { reply: { id: msg.id, type: 'ok' }, transfer: [] };
  }
  if (msg.type === 'spill') {
    if (!spill) throw new Error('shuffle worker: spill before spillOpen');
    const b: Batch = msg.batch;
    const ids = new Uint16Array(msg.buckets);
    const writers = spill.writers;
    for (let i = 0; i < b.size; i++) writers[ids[i]].add(b, i);
    return { reply: { id: msg.id, type: 'ok' }, transfer: [] };
  }
  if (msg.type === 'spillClose') {
    for (const w of spill?.writers ?? []) w.finish();
    return { reply: { id: msg.id, type: 'rows', rows: closeSpill() }, transfer: [] };
  }
  if (msg.type === 'spillAbort') {
    closeSpill();
    return { reply: { id: msg.id, type: 'ok' }, transfer: [] };
  }
  if (msg.type === 'load') {
    bucket = undefined; // the previous bucket's memory can go before the next is read
    const words = readWords(msg.file);
    fs.rmSync(msg.file);
    bucket = {
      words,
      starts: recordStarts(words, msg.rows, msg.numDense, msg.numTables),
      perm: new Uint32Array(msg.perm),
      numDense: msg.numDense,
      numTables: msg.numTables,
    };
    return { reply: { id: msg.id, type: 'loaded' }, transfer: [] };
  }
  if (msg.type === 'holdRows') {
    const rows = new OneHotRows(msg.capacity, msg.numDense, msg.numTables, undefined, {
      words: new Uint32Array(msg.words),
      rows: msg.rows,
    });
    held = {
      rows,
      slots: msg.slots.map((b) => groupSlotViews(b, msg.numDense, msg.numTables)),
      order: new Uint32Array(0),
    };
    return { reply: { id: msg.id, type: 'ok' }, transfer: [] };
  }
  if (msg.type === 'heldOrder') {
    if (!held) throw new Error('shuffle worker: heldOrder before holdRows');
    held.order = new Uint32Array(msg.order);
    return { reply: { id: msg.id, type: 'ok' }, transfer: [] };
  }
  if (msg.type === 'gatherHeld') {
    if (!held) throw new Error('shuffle worker: gatherHeld before holdRows');
    const slot = held.slots[msg.slot];
    held.rows.gatherInto(held.order, msg.from, msg.to, slot.labels, slot.dense, slot.indices);
    return { reply: { id: msg.id, type: 'ok' }, transfer: [] };
  }
  if (!bucket) throw new Error('shuffle worker: decode before load');
  const records = gatherRecords(bucket.words, bucket.starts, bucket.perm.subarray(msg.from, msg.to));
  return {
    reply: { id: msg.id, type: 'gathered', records, rows: msg.to - msg.from },
    transfer: [records.buffer as ArrayBuffer],
  };
}

serveRequests<ShuffleRequest, ShuffleReply>('shuffle worker', handle);
