// The one first-lines probe of raw text input: the first `max` non-empty lines of a RawDay (header included),
// read through the block reader (so gzip, a BOM on line 1 and '\r\n' endings are handled as everywhere), each
// as its bytes without the line end, with its 1-based line number. Preprocess uses it to refuse an empty or
// unlabelled input before any work, predict to decide whether rows carry the label, schema inference to sample.
import { DEFAULT_BLOCK_BYTES, forEachLine, readDayBlocks, type RawDay } from './blockReader';

export interface ProbedLine {
  bytes: Uint8Array;
  lineNo: number;
}

/** Up to `max` first non-empty lines of `day`; an empty file gives none. */
export async function firstLines(day: RawDay, max: number): Promise<ProbedLine[]> {
  const out: ProbedLine[] = [];
  let linesBefore = 0;
  for await (const block of readDayBlocks(day, Math.min(DEFAULT_BLOCK_BYTES, 1 << 16), () => {})) {
    linesBefore += forEachLine(block.bytes, block.end, day.firstLineNumber + linesBefore, (start, end, lineNo) => {
      if (out.length >= max) return;
      const e = block.bytes[end - 1] === 13 ? end - 1 : end;
      out.push({ bytes: block.bytes.slice(start, e), lineNo });
    });
    if (out.length >= max) break;
  }
  return out;
}
