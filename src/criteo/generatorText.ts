// Writes generated rows as raw Criteo text: per line the label (unless --no-label), I1..I13 as base-10
// integers and C1..C26 as 8 lowercase hex digits, TAB-separated, empty when missing, '\n'-terminated.
// Lines are formatted straight into a reused byte buffer per block (no per-field strings) and streamed
// to an atomic output file, so memory stays bounded whatever the row count.
import { AtomicFile } from '../util/atomic';
import { log } from '../util/log';
import { startProgress } from '../util/progress';
import { BLOCK_ROWS, CriteoGenerator, type CriteoRowBlock } from './generator';
import type { GeneratorProfile } from './generatorProfile';

const TAB = 9;
const NEWLINE = 10;
const MINUS = 45;
const ZERO = 48;
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

/** The longest possible line: label, 13 int32 values and 26 hex values with their separators. */
function maxLineBytes(numDense: number, numTables: number): number {
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
}

/** Writes `rows` generated lines to `out` atomically, with a progress bar; returns the bytes written. */
export function generateTextFile(opts: GenerateTextOptions): number {
  const gen = new CriteoGenerator(opts.profile, opts.seed);
  const block = gen.newBlock();
  const buf = Buffer.allocUnsafe(BLOCK_ROWS * maxLineBytes(gen.numDense, gen.numTables));
  const file = new AtomicFile(opts.out);
  const progress = startProgress('generate', opts.rows, 'rows');
  const started = Date.now();
  try {
    for (let b = 0; b * BLOCK_ROWS < opts.rows; b++) {
      gen.fillBlock(b, block, Math.min(BLOCK_ROWS, opts.rows - b * BLOCK_ROWS));
      file.write(buf.subarray(0, formatBlock(gen, block, buf, opts.withLabel)));
      if (b % 16 === 0) progress.update(b * BLOCK_ROWS + block.rows);
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
  log().info({ rows: opts.rows, bytes: file.size, seconds, rowsPerSec: Math.round(opts.rows / Math.max(seconds, 1e-3)), out: opts.out }, 'generated Criteo-shaped rows');
  return file.size;
}
