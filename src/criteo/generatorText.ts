// Writes generated rows as raw Criteo text: per line the label (unless --no-label), I1..I13 as base-10
// integers and C1..C26 as 8 lowercase hex digits, TAB-separated, empty when missing, '\n'-terminated.
// Lines are formatted straight into a reused byte buffer per block (no per-field strings) and streamed
// to an atomic output file, so memory stays bounded whatever the row count. With workers > 1, worker
// threads (generatorWorker.ts) draw and format blocks in parallel and the main thread writes them in
// block order: the bytes are the same whatever the number of workers.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AtomicFile } from '../util/atomic';
import { log } from '../util/log';
import { startProgress } from '../util/progress';
import { BLOCK_ROWS, CriteoGenerator, type CriteoRowBlock } from './generator';
import type { GeneratorProfile } from './generatorProfile';
import type { GeneratorWorkerReply, GeneratorWorkerRequest } from './generatorWorker';

const TAB = 9;
const NEWLINE = 10;
const MINUS = 45;
const ZERO = 48;
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

/** The longest possible line: label, 13 int32 values and 26 hex values with their separators. */
export function maxLineBytes(numDense: number, numTables: number): number {
  return 2 + numDense * 12 + numTables * 9;
}

/** Writes a 32-bit integer in base 10 at `pos`; returns the position after it. */
function writeInt(buf: Buffer, pos: number, value: number): number {
  let v = value;
  if (v < 0) {
    buf[pos++] = MINUS;
    v = -v;
  }
  if (v === 0) {
    buf[pos++] = ZERO;
    return pos;
  }
  let digits = 0;
  for (let x = v; x > 0; x = (x / 10) | 0) digits++;
  for (let i = pos + digits - 1; i >= pos; i--) {
    const q = (v / 10) | 0;
    buf[i] = ZERO + v - 10 * q;
    v = q;
  }
  return pos + digits;
}

function writeHex8(buf: Buffer, pos: number, value: number): number {
  for (let shift = 28; shift >= 0; shift -= 4) buf[pos++] = HEX_DIGITS[(value >>> shift) & 15];
  return pos;
}

/** Formats the block's rows as Criteo lines into `buf` (large enough); returns the bytes written. */
export function formatBlock(gen: CriteoGenerator, block: CriteoRowBlock, buf: Buffer, withLabel: boolean): number {
  const D = gen.numDense;
  const T = gen.numTables;
  let pos = 0;
  for (let r = 0; r < block.rows; r++) {
    if (withLabel) {
      buf[pos++] = ZERO + block.labels[r];
      buf[pos++] = TAB;
    }
    for (let j = 0; j < D; j++) {
      if (!block.denseMissing[r * D + j]) pos = writeInt(buf, pos, block.dense[r * D + j]);
      buf[pos++] = TAB;
    }
    for (let t = 0; t < T; t++) {
      const rank = block.ranks[r * T + t];
      if (rank >= 0) pos = writeHex8(buf, pos, gen.categoryValue(t, rank));
      buf[pos++] = t === T - 1 ? NEWLINE : TAB;
    }
  }
  return pos;
}

export interface GenerateTextOptions {
  profile: GeneratorProfile;
  rows: number;
  out: string;
  seed: number;
  withLabel: boolean;
  /** Worker threads drawing blocks in parallel (1: draw on the main thread). */
  workers?: number;
  /** The generator block the file starts at (default 0): day files of one data set take disjoint block ranges. */
  firstBlock?: number;
}

/** Blocks in flight per worker: enough to keep each busy while the main thread writes. */
const BLOCKS_IN_FLIGHT_PER_WORKER = 3;

/** Produces the formatted bytes of blocks 0, 1, 2, ... in order, on the main thread. */
async function* blocksInThread(opts: GenerateTextOptions, numBlocks: number): AsyncGenerator<Uint8Array> {
  const gen = new CriteoGenerator(opts.profile, opts.seed);
  const block = gen.newBlock();
  const buf = Buffer.allocUnsafe(BLOCK_ROWS * maxLineBytes(gen.numDense, gen.numTables));
  const first = opts.firstBlock ?? 0;
  for (let b = 0; b < numBlocks; b++) {
    gen.fillBlock(first + b, block, Math.min(BLOCK_ROWS, opts.rows - b * BLOCK_ROWS));
    yield buf.subarray(0, formatBlock(gen, block, buf, opts.withLabel));
  }
}

/** Produces the formatted bytes of blocks 0, 1, 2, ... in order, drawn by `workers` worker threads. */
async function* blocksInWorkers(
  opts: GenerateTextOptions,
  numBlocks: number,
  workers: number,
): AsyncGenerator<Uint8Array> {
  const pool = Array.from({ length: workers }, () => new Worker(path.join(__dirname, 'generatorWorker.js')));
  const first = opts.firstBlock ?? 0;
  const waiting = new Map<number, { resolve: (b: Uint8Array) => void; reject: (e: Error) => void }>();
  const results: Promise<Uint8Array>[] = []; // the blocks in flight, in block order
  let failure: Error | undefined;
  const fail = (err: Error): void => {
    failure ??= err;
    for (const w of waiting.values()) w.reject(failure);
    waiting.clear();
  };
  for (const w of pool) {
    w.on('message', (reply: GeneratorWorkerReply) => {
      if (reply.type === 'error') return fail(new Error(`generator worker failed: ${reply.message}`));
      const b = reply.blockIndex - first;
      waiting.get(b)?.resolve(new Uint8Array(reply.bytes, 0, reply.length));
      waiting.delete(b);
    });
    w.on('error', fail);
    w.on('exit', (code) => {
      if (code !== 0) fail(new Error(`generator worker exited with code ${code}`));
    });
    w.postMessage({
      type: 'init',
      profile: opts.profile,
      seed: opts.seed,
      withLabel: opts.withLabel,
    } satisfies GeneratorWorkerRequest);
  }
  const request = (b: number): void => {
    const result = new Promise<Uint8Array>((resolve, reject) => {
      if (failure) return reject(failure);
      waiting.set(b, { resolve, reject });
      const msg: GeneratorWorkerRequest = {
        type: 'block',
        blockIndex: first + b,
        rows: Math.min(BLOCK_ROWS, opts.rows - b * BLOCK_ROWS),
      };
      pool[b % workers].postMessage(msg);
    });
    result.catch(() => {}); // awaited in order below; avoid an unhandled rejection meanwhile
    results.push(result);
  };
  try {
    let next = 0;
    for (; next < Math.min(numBlocks, workers * BLOCKS_IN_FLIGHT_PER_WORKER); next++) request(next);
    for (let b = 0; b < numBlocks; b++) {
      const bytes = await (results.shift() as Promise<Uint8Array>);
      if (next < numBlocks) request(next++);
      yield bytes;
    }
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}

/** Writes `rows` generated lines to `out` atomically, with a progress bar; returns the bytes written. */
export async function generateTextFile(opts: GenerateTextOptions): Promise<number> {
  const numBlocks = Math.ceil(opts.rows / BLOCK_ROWS);
  const workers = Math.max(1, Math.min(opts.workers ?? 1, numBlocks));
  const file = new AtomicFile(opts.out);
  const progress = startProgress('generate', opts.rows, 'rows');
  const started = Date.now();
  try {
    let b = 0;
    for await (const bytes of workers > 1
      ? blocksInWorkers(opts, numBlocks, workers)
      : blocksInThread(opts, numBlocks)) {
      file.write(bytes);
      if (++b % 16 === 0) progress.update(Math.min(opts.rows, b * BLOCK_ROWS));
    }
    progress.update(opts.rows);
    file.commit();
  } catch (err) {
    file.abort();
    throw err;
  } finally {
    progress.stop();
  }
  const seconds = (Date.now() - started) / 1000;
  log().info(
    {
      rows: opts.rows,
      bytes: file.size,
      seconds,
      rowsPerSec: Math.round(opts.rows / Math.max(seconds, 1e-3)),
      workers,
      out: opts.out,
    },
    'generated Criteo-shaped rows',
  );
  return file.size;
}

/** The file of day d of a day-file data set written with prefix `prefix` (`dir/day` -> `dir/day_3`), as Terabyte names them. */
export function dayFileName(prefix: string, d: number): string {
  return `${prefix}_${d}`;
}

/**
 * Writes `days` day files prefix_0 .. prefix_{days-1} of `rowsPerDay` lines each (Terabyte's layout); day d
 * holds the first rowsPerDay rows of the generator's blocks from d * ceil(rowsPerDay / BLOCK_ROWS) on, so
 * the days are disjoint stretches of one seeded stream. Returns the bytes written.
 */
export async function generateDayFiles(
  opts: Omit<GenerateTextOptions, 'rows' | 'out' | 'firstBlock'> & { prefix: string; days: number; rowsPerDay: number },
): Promise<number> {
  const { prefix, days, rowsPerDay, ...rest } = opts;
  const blocksPerDay = Math.ceil(rowsPerDay / BLOCK_ROWS);
  let bytes = 0;
  for (let d = 0; d < days; d++)
    bytes += await generateTextFile({
      ...rest,
      rows: rowsPerDay,
      out: dayFileName(prefix, d),
      firstBlock: d * blocksPerDay,
    });
  return bytes;
}
