// Streams the lines of a custom-schema input (plain or .gz; whole file) through the preprocess block reader
// and hands each line to a callback as a byte range, with its 1-based line number. Lines may end in '\r\n';
// empty lines are skipped. With a header, the first line is handed to `onHeader` instead.
import * as fs from 'node:fs';
import type { Hash } from 'node:crypto';
import type { RawDay } from '../criteo/rawSources';
import { readDayBlocks } from '../preprocess/dayReader';
import { UserError } from '../util/errors';

const NL = 10;
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

export interface LineVisitor {
  /** Called with the header line when `header` is set. */
  onHeader?: (bytes: Uint8Array, start: number, end: number) => void;
  /** Called per non-empty data line; `lineNo` is 1-based in the file. */
  onLine: (bytes: Uint8Array, start: number, end: number, lineNo: number) => void;
  /** Receives raw bytes read (compressed for .gz), for progress. */
  onBytes?: (n: number) => void;
  /** After each block (e.g. to flush writers or await a consumer). */
  afterBlock?: () => Promise<void> | void;
}

/** Visits every line of `day`; returns the number of lines read (header and empty lines included). */
export async function visitLines(day: RawDay, header: boolean, v: LineVisitor, hash?: Hash): Promise<number> {
  let lineNo = 0;
  for await (const block of readDayBlocks(day, BLOCK_BYTES, v.onBytes ?? (() => {}), hash)) {
    const bytes = block.bytes;
    let start = 0;
    while (start < block.end) {
      let end = bytes.indexOf(NL, start);
      if (end < 0) end = block.end;
      lineNo++;
      const blank = end === start || (end === start + 1 && bytes[start] === 13);
      if (lineNo === 1 && header) v.onHeader?.(bytes, start, end);
      else if (!blank) v.onLine(bytes, start, end, lineNo);
      start = end + 1;
    }
    await v.afterBlock?.();
  }
  return lineNo;
}
