// The worker thread of the merged-file shuffle's second pass (src/dataset/bucketDecoder.ts is its main-
// thread side): it loads one bucket file of row-major records (rowRecords.ts) at a time, deletes it, and
// decodes runs of the bucket's permutation into column Batches, while the main thread appends the previous
// ones to the merged file. Requests are handled in posting order; arrays travel by transfer.
import { parentPort } from 'node:worker_threads';
import * as fs from 'node:fs';
import { decodeRecords, recordStarts } from './rowRecords';
import type { BucketReply, BucketRequest } from './bucketDecoder';

if (!parentPort) throw new Error('bucket decode worker: must run in a worker thread');
const port = parentPort;

let bucket: { words: Uint32Array; starts: Uint32Array; perm: Uint32Array; numDense: number; numTables: number } | undefined;

/** The whole file as u32 words (read in calls of at most 1 GiB). */
function readWords(file: string): Uint32Array {
  const fd = fs.openSync(file, 'r');
  try {
    const bytes = new Uint8Array(fs.fstatSync(fd).size);
    for (let done = 0; done < bytes.length; ) {
      const got = fs.readSync(fd, bytes, done, Math.min(1 << 30, bytes.length - done), done);
      if (got === 0) throw new Error(`${file}: shorter than its size`);
      done += got;
    }
    return new Uint32Array(bytes.buffer, 0, bytes.length / 4);
  } finally {
    fs.closeSync(fd);
  }
}

function handle(msg: BucketRequest): { reply: BucketReply; transfer: ArrayBuffer[] } {
  if (msg.type === 'load') {
    bucket = undefined; // the previous bucket's memory can go before the next is read
    const words = readWords(msg.file);
    fs.rmSync(msg.file);
    bucket = { words, starts: recordStarts(words, msg.rows, msg.numDense, msg.numTables), perm: new Uint32Array(msg.perm), numDense: msg.numDense, numTables: msg.numTables };
    return { reply: { id: msg.id, type: 'loaded' }, transfer: [] };
  }
  if (!bucket) throw new Error('bucket decode worker: decode before load');
  const b = decodeRecords(bucket.words, bucket.starts, bucket.perm.subarray(msg.from, msg.to), bucket.numDense, bucket.numTables);
  const transfer = [b.labels.buffer, b.dense.buffer, ...b.sparse.flatMap((s) => [s.offsets.buffer, s.indices.buffer])] as ArrayBuffer[];
  return { reply: { id: msg.id, type: 'decoded', batch: b }, transfer };
}

port.on('message', (msg: BucketRequest) => {
  try {
    const { reply, transfer } = handle(msg);
    port.postMessage(reply, transfer);
  } catch (err) {
    port.postMessage({ id: msg.id, type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies BucketReply);
  }
});
