// Streams the lines of a custom-schema input (plain or .gz; whole file) through the preprocess block reader
// and hands each line to a callback as a byte range, with its 1-based line number. A leading UTF-8 BOM is
// skipped. Lines may end in '\r\n';
// empty lines are skipped. With a header, line 1 is handed to `onHeader` instead.
import * as fs from 'node:fs';
import type { Hash } from 'node:crypto';
import type { RawDay } from '../criteo/rawSources';
import { readDayBlocks } from '../preprocess/dayReader';
import { UserError } from '../util/errors';

const NL = 10;
const CR = 13;
const BLOCK_BYTES = 4 << 20;

/** The whole file as one raw "day" of the block reader; `flag` names the option in the error for a missing file. */
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
 * Calls fn(start, end, lineNo) for each line of bytes[0, end) (complete '\n'-terminated lines), numbering
 * them from firstLineNo; returns the number of lines (empty ones included, but not handed to fn).
 */
export function forEachLine(bytes: Uint8Array, blockEnd: number, firstLineNo: number, fn: (start: number, end: number, lineNo: number) => void): number {
  // a UTF-8 byte-order mark (spreadsheet exports) before line 1 is not part of the first field
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

/** The blocks of complete lines of `day` (plain or .gz), see readDayBlocks. */
export function lineBlocks(day: RawDay, onBytes: (n: number) => void, hash?: Hash): AsyncGenerator<{ bytes: Uint8Array; end: number }> {
  return readDayBlocks(day, BLOCK_BYTES, onBytes, hash);
}

export interface LineVisitor {
  /** Called with the header line when `header` is set. */
  onHeader?: (bytes: Uint8Array, start: number, end: number) => void;
  /** Called per non-empty data line; `lineNo` is 1-based in the file. */
  onLine: (bytes: Uint8Array, start: number, end: number, lineNo: number) => void;
  /** Receives raw bytes read (compressed for .gz), for progress. */
  onBytes?: (n: number) => void;
}

/** Visits every line of `day`; returns the number of lines read (header and empty lines included). */
export async function visitLines(day: RawDay, header: boolean, v: LineVisitor, hash?: Hash): Promise<number> {
  let lines = 0;
  for await (const block of lineBlocks(day, v.onBytes ?? (() => {}), hash)) {
    const bytes = block.bytes;
    lines += forEachLine(bytes, block.end, lines + 1, (start, end, lineNo) => {
      if (lineNo === 1 && header) v.onHeader?.(bytes, start, end);
      else v.onLine(bytes, start, end, lineNo);
    });
  }
  return lines;
}
