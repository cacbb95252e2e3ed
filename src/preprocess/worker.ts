// The preprocess worker thread. Each worker parses whole blocks of raw lines (any block, round robin) and
// owns the vocabularies of one contiguous range of tables (its partition), whose index assignment it
// performs in block order, so results never depend on thread timing. During Kaggle's line count one
// worker also hashes train.txt (sha256) while the main thread counts. A separate worker writes the day
// shards (rows arrive in block order) and hands each block's arrays back once copied; when the merged
// file keeps file order (--data-randomize none) one more worker writes it from those same arrays; when it
// is shuffled in memory, the shard worker also packs every day's rows (OneHotRows) and hands them
// over at the end, so the shuffle reads no shard back.
// Messages and replies are listed in workerProtocol.ts; typed arrays travel by transfer, never by copy.
import * as crypto from 'node:crypto';
import { CriteoParser } from '../rawformat/criteoParser';
import { parserFor } from '../rawformat/parserFor';
import type { ParsedBlock, RowParser } from '../rawformat/rowParser';
import { Vocabulary } from './vocabulary';
import { ProcessedFileWriter } from '../dataset/processedFile';
import { OneHotRows } from '../dataset/memoryShuffle';
import type { WorkerReply, WorkerRequest } from './workerProtocol';
import { serveRequests } from '../util/workerChannel';

let parser: RowParser | undefined;
let vocabularies: Vocabulary[] = [];
let hash: crypto.Hash | undefined;
let shard: { writer: ProcessedFileWriter; numDense: number; bounds: number[]; hold: boolean } | undefined;
/** The days' rows, packed while their shards are written (holdOpen .. holdTake). */
let held: OneHotRows | undefined;

/** Appends a parsed block's rows (labels, dense, per-partition table-major indices) to the open shard. */
function appendToShard(
  labels: Float32Array,
  dense: Float32Array,
  parts: Uint32Array[],
  capacity: number,
  rows: number,
): void {
  if (!shard) throw new Error('preprocess worker: shardAppend without shardOpen');
  const s = shard;
  const columns: Uint32Array[] = [];
  for (let p = 0; p + 1 < s.bounds.length; p++) {
    for (let l = 0; l < s.bounds[p + 1] - s.bounds[p]; l++)
      columns.push(parts[p].subarray(l * capacity, l * capacity + rows));
  }
  s.writer.appendOneHot(labels.subarray(0, rows), dense.subarray(0, rows * s.numDense), columns);
  if (s.hold) {
    if (!held) throw new Error('preprocess worker: a held shard without holdOpen');
    held.appendOneHot(labels.subarray(0, rows), dense.subarray(0, rows * s.numDense), columns);
  }
}

/** The distinct buffers of a parsed block's arrays (the Criteo parser's keys are views into its parts). */
function blockBuffers(b: ParsedBlock): ArrayBuffer[] {
  const arrays: (ArrayBufferView | undefined)[] = [b.labels, b.dense, ...b.parts, b.rowLines, b.rawDense];
  for (const k of b.keys) arrays.push(k.lo, k.hi, k.offsets);
  return [...new Set(arrays.filter((a) => a !== undefined).map((a) => a.buffer as ArrayBuffer))];
}

/** Runs fn over each table's rows [0, rows) of a table-major [tables, capacity] partition array. */
function perTable(capacity: number, rows: number, fn: (v: Vocabulary, from: number, to: number) => void): void {
  vocabularies.forEach((v, t) => fn(v, t * capacity, t * capacity + rows));
}

function handle(msg: WorkerRequest): { reply: WorkerReply; transfer: ArrayBuffer[] } {
  switch (msg.type) {
    case 'init': {
      parser = new CriteoParser(msg.layout, msg.parse);
      vocabularies = Array.from({ length: msg.numTables }, () => new Vocabulary(msg.minFrequency));
      return { reply: { id: msg.id, type: 'ok' }, transfer: [] };
    }
    case 'initParser':
      parser = parserFor(msg.schema, msg.parse);
      return { reply: { id: msg.id, type: 'ok' }, transfer: [] };
    case 'parse': {
      if (!parser) throw new Error('preprocess worker: parse before init');
      const b = parser.parseBlock(new Uint8Array(msg.bytes), msg.end, msg.day, msg.firstLine, msg.lines);
      // keys that are views into the parts stay behind (cloning them per block cost ~8% of the Criteo day
      // pass); the receiver rebuilds them with partKeys
      return {
        reply: { id: msg.id, type: 'parsed', block: b.parts.length > 0 ? { ...b, keys: [] } : b },
        transfer: blockBuffers(b),
      };
    }
    case 'count': {
      const values = new Uint32Array(msg.values);
      perTable(msg.capacity, msg.rows, (v, from, to) => v.count(values, undefined, from, to));
      return { reply: { id: msg.id, type: 'ok' }, transfer: [] };
    }
    case 'finishCount':
      return { reply: { id: msg.id, type: 'sizes', sizes: vocabularies.map((v) => v.finishCounting()) }, transfer: [] };
    case 'assign': {
      const values = new Uint32Array(msg.values);
      perTable(msg.capacity, msg.rows, (v, from, to) => v.assign(values, undefined, from, to, values));
      return { reply: { id: msg.id, type: 'assigned', values: msg.values }, transfer: [msg.values] };
    }
    case 'restore':
      msg.values.forEach((vals, t) => vocabularies[t].restore(vals));
      return { reply: { id: msg.id, type: 'ok' }, transfer: [] };
    case 'hashUpdate':
      hash ??= crypto.createHash('sha256');
      hash.update(new Uint8Array(msg.bytes, msg.byteOffset, msg.length));
      return { reply: { id: msg.id, type: 'ok' }, transfer: [] };
    case 'hashDigest': {
      const sha256 = (hash ?? crypto.createHash('sha256')).digest('hex');
      hash = undefined;
      return { reply: { id: msg.id, type: 'digest', sha256 }, transfer: [] };
    }
    case 'shardOpen':
      shard = {
        writer: new ProcessedFileWriter(msg.path, { numDense: msg.numDense, numTables: msg.numTables }),
        numDense: msg.numDense,
        bounds: msg.partitionBounds,
        hold: msg.hold,
      };
      return { reply: { id: msg.id, type: 'ok' }, transfer: [] };
    case 'shardAppend': {
      appendToShard(
        new Float32Array(msg.labels),
        new Float32Array(msg.dense),
        msg.parts.map((b) => new Uint32Array(b)),
        msg.capacity,
        msg.rows,
      );
      // the rows are copied into the writer's group buffer: the arrays go back (e.g. on to the merged file)
      const { labels, dense, parts, capacity, rows } = msg;
      return {
        reply: { id: msg.id, type: 'appended', labels, dense, parts, capacity, rows },
        transfer: [labels, dense, ...parts],
      };
    }
    case 'shardCommit': {
      if (!shard) throw new Error('preprocess worker: shardCommit without shardOpen');
      const rows = shard.writer.rows;
      shard.writer.commit(msg.metadata);
      shard = undefined;
      return { reply: { id: msg.id, type: 'rows', rows }, transfer: [] };
    }
    case 'shardAbort':
      shard?.writer.abort();
      shard = undefined;
      return { reply: { id: msg.id, type: 'ok' }, transfer: [] };
    case 'holdOpen':
      held = new OneHotRows(msg.capacity, msg.numDense, msg.numTables);
      return { reply: { id: msg.id, type: 'ok' }, transfer: [] };
    case 'holdTake': {
      if (!held) throw new Error('preprocess worker: holdTake without holdOpen');
      const words = held.buffer.buffer as SharedArrayBuffer; // shared memory: shared by the message, no copy
      const reply: WorkerReply = { id: msg.id, type: 'held', words, capacity: held.capacity, rows: held.rows };
      held = undefined;
      return { reply, transfer: [] };
    }
    case 'takeNew': {
      const values = vocabularies.map((v) => v.takeNew());
      return {
        reply: {
          id: msg.id,
          type: 'newValues',
          values,
          sizes: vocabularies.map((v) => v.size),
          bytes: vocabularies.reduce((s, v) => s + v.bytes, 0),
        },
        transfer: values.map((v) => v.buffer as ArrayBuffer),
      };
    }
  }
}

serveRequests<WorkerRequest, WorkerReply>('preprocess worker', handle);
