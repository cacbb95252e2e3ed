// The one block reader of raw text input (every schema, preprocess, predict and schema inference): streams a
// RawDay (a byte range of a plain file, or a whole .gz file) as blocks of complete '\n'-terminated lines (a
// final line without '\n' gets one), each block in a fresh ArrayBuffer so it can be transferred to a worker.
// Plain files are read by positional reads; .gz files are decompressed while streaming (zlib); a truncated or
// corrupt .gz becomes a UserError naming the file. Never holds more than one block plus a partial line.
// Optionally hashes the raw file bytes (sha256) as they are read. forEachLine walks a block's lines with
// the conventions every parser shares: a leading UTF-8 BOM on line 1 is skipped, '\r\n' ends a line like
// '\n', and empty lines are counted (line numbers) but not handed on.
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import type { Hash } from 'node:crypto';
import { UserError, withPath } from '../util/errors';
import { openForReading } from '../util/paths';

/** One day of raw input: a byte range of a plain file, or a whole (possibly gzipped) file. */
export interface RawDay {
  /** 'day_0', 'day_1', ... ('input' for a whole custom-schema file) */
  name: string;
  file: string;
  gzip: boolean;
  /** Byte range [startByte, endByte) of `file` (plain files only; a gzipped day is the whole file). */
  startByte: number;
  endByte: number;
  /** 1-based line number in `file` of the day's first line (error messages). */
  firstLineNumber: number;
  /** Lines in the day when known beforehand (Kaggle). */
  lines?: number;
}

export interface LineBlock {
  bytes: Uint8Array;
  /** bytes[0, end) holds `lines` complete lines. */
  end: number;
  lines: number;
}

const NL = 10;
const CR = 13;
/** Bytes per block of the readers that do not choose (predict, schema inference, custom preprocess). */
export const DEFAULT_BLOCK_BYTES = 4 << 20;

/** Pulls raw (decompressed) bytes: read(into, offset) fills into[offset..] and returns the count, 0 at the end. */
interface ByteSource {
  read(into: Uint8Array, offset: number): Promise<number>;
  close(): void;
}

function plainSource(day: RawDay, hash: Hash | undefined, onBytes: (n: number) => void): ByteSource {
  const fd = openForReading(day.file);
  let position = day.startByte;
  return {
    async read(into, offset) {
      const want = Math.min(into.length - offset, day.endByte - position);
      if (want <= 0) return 0;
      let n: number;
      try {
        n = fs.readSync(fd, into, offset, want, position);
      } catch (err) {
        throw withPath(err, day.file);
      }
      if (n === 0) throw new UserError(`${day.file}: the file became shorter while being read (${position} bytes)`);
      hash?.update(into.subarray(offset, offset + n));
      position += n;
      onBytes(n);
      return n;
    },
    close: () => fs.closeSync(fd),
  };
}

function gzipSource(day: RawDay, hash: Hash | undefined, onBytes: (n: number) => void): ByteSource {
  const raw = fs.createReadStream(day.file, { fd: openForReading(day.file), highWaterMark: 1 << 20 });
  raw.on('data', (chunk) => {
    hash?.update(chunk as Buffer);
    onBytes(chunk.length);
  });
  const gunzip = zlib.createGunzip({ chunkSize: 1 << 20 });
  raw.pipe(gunzip);
  raw.on('error', (err) => gunzip.destroy(err));
  const chunks = gunzip[Symbol.asyncIterator]();
  let pending: Buffer | undefined;
  let pendingOffset = 0;
  return {
    async read(into, offset) {
      if (!pending || pendingOffset === pending.length) {
        let next: IteratorResult<Buffer>;
        try {
          next = (await chunks.next()) as IteratorResult<Buffer>;
        } catch (err) {
          throw new UserError(`${day.file}: truncated or corrupt gzip data (${(err as Error).message})`);
        }
        if (next.done) return 0;
        pending = next.value;
        pendingOffset = 0;
      }
      const n = Math.min(into.length - offset, pending.length - pendingOffset);
      into.set(pending.subarray(pendingOffset, pendingOffset + n), offset);
      pendingOffset += n;
      return n;
    },
    close: () => {
      raw.destroy();
      gunzip.destroy();
    },
  };
}

/** Counts '\n' in bytes[from, to). */
function countNewlines(bytes: Uint8Array, from: number, to: number): number {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, to); // Buffer.indexOf is a memchr
  let n = 0;
  let p = b.indexOf(NL, from);
  while (p >= 0) {
    n++;
    p = b.indexOf(NL, p + 1);
  }
  return n;
}

/**
 * Yields the day's lines in blocks of about `blockBytes`. `onBytes` receives the raw (compressed for .gz)
 * bytes read; `hash`, when given, is updated with the raw file bytes.
 */
export async function* readDayBlocks(
  day: RawDay,
  blockBytes: number,
  onBytes: (n: number) => void,
  hash?: Hash,
): AsyncGenerator<LineBlock> {
  const source = day.gzip ? gzipSource(day, hash, onBytes) : plainSource(day, hash, onBytes);
  try {
    let carry = new Uint8Array(0);
    for (;;) {
      let buf = new Uint8Array(Math.max(blockBytes, carry.length * 2) + 1);
      buf.set(carry);
      let fill = carry.length;
      let eof = false;
      // fill the block; a line longer than the block makes it grow
      for (;;) {
        while (fill < buf.length - 1) {
          const n = await source.read(buf.subarray(0, buf.length - 1), fill);
          if (n === 0) {
            eof = true;
            break;
          }
          fill += n;
        }
        if (eof || buf.lastIndexOf(NL, fill - 1) >= 0) break;
        const grown = new Uint8Array(buf.length * 2);
        grown.set(buf.subarray(0, fill));
        buf = grown;
      }
      if (eof) {
        if (fill > 0 && buf[fill - 1] !== NL) buf[fill++] = NL;
        if (fill > 0) yield { bytes: buf, end: fill, lines: countNewlines(buf, 0, fill) };
        return;
      }
      const end = buf.lastIndexOf(NL, fill - 1) + 1;
      carry = buf.slice(end, fill);
      yield { bytes: buf, end, lines: countNewlines(buf, 0, end) };
    }
  } finally {
    source.close();
  }
}

/** The whole file as one raw "day"; `flag` names the option in the error for a missing file. */
export function wholeFileDay(file: string, flag: string): RawDay {
  let bytes: number;
  try {
    bytes = fs.statSync(file).size;
  } catch (err) {
    throw new UserError(`${flag} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return { name: 'input', file, gzip: file.endsWith('.gz'), startByte: 0, endByte: bytes, firstLineNumber: 1 };
}

/**
 * Calls fn(start, end, lineNo) for each line of bytes[0, end) (complete '\n'-terminated lines; `end` excludes
 * the '\n'), numbering them from firstLineNo; returns the number of lines (empty ones included, but not
 * handed to fn). A UTF-8 byte-order mark before line 1 (spreadsheet exports) is not part of the first field.
 */
export function forEachLine(
  bytes: Uint8Array,
  blockEnd: number,
  firstLineNo: number,
  fn: (start: number, end: number, lineNo: number) => void,
): number {
  let start = firstLineNo === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let lineNo = firstLineNo - 1;
  while (start < blockEnd) {
    let end = bytes.indexOf(NL, start);
    if (end < 0 || end > blockEnd) end = blockEnd;
    lineNo++;
    if (!(end === start || (end === start + 1 && bytes[start] === CR))) fn(start, end, lineNo);
    start = end + 1;
  }
  return lineNo - firstLineNo + 1;
}

export interface LineVisitor {
  /** Called with line 1 when the file has a header. */
  onHeader?: (bytes: Uint8Array, start: number, end: number) => void;
  /** Called per non-empty data line; `lineNo` is 1-based in the file. */
  onLine: (bytes: Uint8Array, start: number, end: number, lineNo: number) => void;
  /** Receives raw bytes read (compressed for .gz), for progress. */
  onBytes?: (n: number) => void;
}

/** Visits every line of `day`; returns the number of lines read (header and empty lines included). */
export async function visitLines(day: RawDay, header: boolean, v: LineVisitor, hash?: Hash): Promise<number> {
  let lines = 0;
  for await (const block of readDayBlocks(day, DEFAULT_BLOCK_BYTES, v.onBytes ?? (() => {}), hash)) {
    const bytes = block.bytes;
    lines += forEachLine(bytes, block.end, lines + 1, (start, end, lineNo) => {
      if (lineNo === 1 && header) v.onHeader?.(bytes, start, end);
      else v.onLine(bytes, start, end, lineNo);
    });
  }
  return lines;
}
