// The raw inputs of `dlrm preprocess` and their cut into days. Kaggle: one train.txt cut into 7 contiguous
// days like the reference (num, extras = divmod(N, 7); the first `extras` days get one more line), which
// needs the line count first: scanLines() counts lines (memchr via Buffer.indexOf) and hashes the file in
// one read, keeping the byte offset of every MARK_EVERY-th line so day starts are found without a second
// full pass. Terabyte: files <base>_0 .. <base>_23 (plain or .gz), whichever exist, contiguous from day 0.
import * as fs from 'node:fs';
import * as crypto from 'node:crypto';
import { UserError } from '../util/errors';
import { openForReading } from '../util/paths';
import type { RawDay } from '../rawformat/blockReader';

export interface LineScan {
  lines: number;
  bytes: number;
  sha256: string;
  /** marks[k] = byte offset of line k * MARK_EVERY (0-based lines). */
  marks: number[];
}

export const MARK_EVERY = 1 << 16;
const READ_BYTES = 8 << 20;
const NL = 10;

/** The reference's Kaggle day sizes: num, extras = divmod(N, days); the first `extras` days get num + 1. */
export function kaggleDaySizes(totalLines: number, days = 7): number[] {
  const num = Math.floor(totalLines / days);
  const extras = totalLines % days;
  return Array.from({ length: days }, (_, d) => num + (d < extras ? 1 : 0));
}

/** Where scanLines sends the file's bytes to be hashed (sha256): locally, or to another thread. */
export interface HashSink {
  /**
   * Hashes `chunk`, which the caller may overwrite once the returned promise settles (at once when none
   * is returned); a sink on another thread gets chunks on SharedArrayBuffers, shared rather than copied.
   */
  update(chunk: Uint8Array): Promise<void> | void;
  digest(): Promise<string> | string;
}

/** A HashSink hashing on the calling thread. */
export function localHashSink(): HashSink {
  const hash = crypto.createHash('sha256');
  return { update: (chunk) => void hash.update(chunk), digest: () => hash.digest('hex') };
}

const HASH_CHUNKS_IN_FLIGHT = 4;

/**
 * Counts the lines of a plain file (a last line without '\n' counts) and hashes it through `sink` in the
 * same read (with a sink on another thread, hashing and counting run in parallel).
 */
export async function scanLines(
  file: string,
  sink: HashSink = localHashSink(),
  onBytes?: (done: number) => void,
): Promise<LineScan> {
  const fd = openForReading(file);
  try {
    // a ring of read buffers on shared memory, reused once the sink is done with them: fresh buffers
    // for 1.2 GB would cost a page fault per 4 KiB (the count pass ran ~0.3 s slower with them)
    const ring = Array.from({ length: HASH_CHUNKS_IN_FLIGHT + 1 }, () =>
      Buffer.from(new SharedArrayBuffer(READ_BYTES)),
    );
    const inFlight: Promise<void>[] = [];
    const marks: number[] = [0];
    let lines = 0;
    let offset = 0;
    let lastByte = NL;
    for (let chunk = 0; ; chunk++) {
      const buf = ring[chunk % ring.length];
      const n = fs.readSync(fd, buf, 0, READ_BYTES, offset);
      if (n === 0) break;
      let p = buf.indexOf(NL, 0);
      while (p >= 0 && p < n) {
        lines++;
        if (lines % MARK_EVERY === 0) marks.push(offset + p + 1);
        p = buf.indexOf(NL, p + 1);
      }
      lastByte = buf[n - 1];
      offset += n;
      const hashed = sink.update(buf.subarray(0, n));
      if (hashed) inFlight.push(hashed); // a sink that hashed synchronously is done with the buffer
      if (inFlight.length >= HASH_CHUNKS_IN_FLIGHT) await inFlight.shift();
      onBytes?.(offset);
    }
    await Promise.all(inFlight);
    if (lastByte !== NL) lines++;
    if (marks[marks.length - 1] === offset) marks.pop();
    return { lines, bytes: offset, sha256: await sink.digest(), marks };
  } finally {
    fs.closeSync(fd);
  }
}

/** The byte offset where 0-based line `line` starts (file size when line = number of lines). */
export function lineOffset(file: string, scan: LineScan, line: number): number {
  if (line >= scan.lines) return scan.bytes;
  const k = Math.floor(line / MARK_EVERY);
  let offset = scan.marks[k];
  let skip = line - k * MARK_EVERY;
  if (skip === 0) return offset;
  const fd = openForReading(file);
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, offset);
      if (n === 0) throw new Error(`lineOffset: ${file} ended before line ${line}`);
      let p = buf.indexOf(NL, 0);
      while (p >= 0 && p < n) {
        if (--skip === 0) return offset + p + 1;
        p = buf.indexOf(NL, p + 1);
      }
      offset += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Kaggle's days as byte ranges of train.txt: `sizes` lines each (default: the reference's 7 days). */
export function kaggleDays(file: string, scan: LineScan, sizes = kaggleDaySizes(scan.lines, 7)): RawDay[] {
  const out: RawDay[] = [];
  let line = 0;
  let start = 0;
  sizes.forEach((lines, d) => {
    const end = lineOffset(file, scan, line + lines);
    out.push({ name: `day_${d}`, file, gzip: false, startByte: start, endByte: end, firstLineNumber: line + 1, lines });
    line += lines;
    start = end;
  });
  return out;
}

/** Terabyte's day files <base>_0 .. <base>_23 (plain or .gz), contiguous from day 0. */
export function terabyteDays(base: string, maxDays = 24): RawDay[] {
  const out: RawDay[] = [];
  const missing: number[] = [];
  for (let d = 0; d < maxDays; d++) {
    const plain = `${base}_${d}`;
    const gz = `${plain}.gz`;
    const file = fs.existsSync(plain) ? plain : fs.existsSync(gz) ? gz : undefined;
    if (!file) {
      missing.push(d);
      continue;
    }
    const bytes = fs.statSync(file).size;
    out.push({ name: `day_${d}`, file, gzip: file.endsWith('.gz'), startByte: 0, endByte: bytes, firstLineNumber: 1 });
  }
  if (out.length === 0)
    throw new UserError(
      `${base}_0: no Terabyte day files found (expected ${base}_0 .. ${base}_${maxDays - 1}, plain or .gz)`,
    );
  const last = Number(out[out.length - 1].name.slice(4));
  const gap = missing.find((d) => d < last);
  if (gap !== undefined)
    throw new UserError(
      `${base}_${gap}: missing (neither ${base}_${gap} nor ${base}_${gap}.gz exists) although ${out[out.length - 1].file} exists; days must be contiguous from day 0`,
    );
  if (out.length < 2)
    throw new UserError(
      `${out[0].file}: Terabyte preprocessing needs at least 2 day files (training days, then the test/val day)`,
    );
  return out;
}
