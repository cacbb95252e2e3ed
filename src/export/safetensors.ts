// The safetensors format (Hugging Face), float32 only: bytes 0-7 the header length H (uint64 little-endian),
// then H bytes of JSON {"__metadata__": {string: string}, "<name>": {"dtype": "F32", "shape": [...],
// "data_offsets": [begin, end]}, ...} (space-padded so the data starts at a multiple of 8), then the data:
// each tensor's little-endian bytes at [8 + H + begin, 8 + H + end), contiguous, in header order.
// Writing streams the typed arrays (tables may be GBs) through AtomicFile; reading checks every entry
// (dtype, shape against its byte length, offsets inside the file) and fills destination arrays in place.
import * as fs from 'node:fs';
import { AtomicFile } from '../util/atomic';
import { UserError } from '../util/errors';
import type { NamedTensor, TensorShape } from './stateDict';

/** Bytes per single write or read (well under the 2 GiB limit of one fs call). */
const IO_PIECE_BYTES = 2 ** 28;
/** A header larger than this is refused as corrupt (safetensors' own reader caps it at 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

const elements = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Writes `tensors` (float32) and string `metadata` as a safetensors file, atomically. */
export function writeSafetensors(
  file: string,
  tensors: readonly NamedTensor[],
  metadata: Record<string, string>,
): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const bytes = elements(t.shape) * 4;
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Buffer.alloc(Math.ceil(json.length / 8) * 8, ' ');
  json.copy(padded);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(padded.length));
  const out = new AtomicFile(file);
  try {
    out.write(length);
    out.write(padded);
    for (const t of tensors) {
      for (const part of t.parts) out.write(part);
    }
    out.commit();
  } catch (err) {
    out.abort();
    throw err;
  }
}

/** One tensor entry of a safetensors header, with its absolute byte range in the file. */
export interface SafetensorsEntry extends TensorShape {
  /** Absolute file offset of its first byte. */
  start: number;
  byteLength: number;
}

export interface SafetensorsHeader {
  metadata: Record<string, string>;
  /** In file order. */
  tensors: SafetensorsEntry[];
}

/** Reads and checks a safetensors header (float32 tensors only). Every problem is a UserError naming the file. */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw new UserError(`--in: cannot open ${file}: ${(err as Error).message}`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    const lengthBytes = Buffer.alloc(8);
    if (fs.readSync(fd, lengthBytes, 0, 8, 0) < 8)
      throw new UserError(`${file}: not a safetensors file (shorter than its 8-byte header length)`);
    const headerLength = Number(lengthBytes.readBigUInt64LE(0));
    if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > size)
      throw new UserError(
        `${file}: not a safetensors file (header length ${headerLength} does not fit the file's ${size} bytes)`,
      );
    const text = Buffer.alloc(headerLength);
    fs.readSync(fd, text, 0, headerLength, 8);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.toString('utf8'));
    } catch (err) {
      throw new UserError(`${file}: corrupt safetensors header: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new UserError(`${file}: corrupt safetensors header: not a JSON object`);
    const dataStart = 8 + headerLength;
    const dataBytes = size - dataStart;
    let metadata: Record<string, string> = {};
    const tensors: SafetensorsEntry[] = [];
    for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (name === '__metadata__') {
        if (typeof value !== 'object' || value === null || !Object.values(value).every((v) => typeof v === 'string'))
          throw new UserError(`${file}: __metadata__ is not an object of strings`);
        metadata = value as Record<string, string>;
        continue;
      }
      const e = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (e.dtype !== 'F32')
        throw new UserError(
          `${file}: tensor ${name} has dtype ${String(e.dtype)}; only F32 (float32) tensors are read`,
        );
      const shape = e.shape,
        offsets = e.data_offsets;
      if (!Array.isArray(shape) || !shape.every((n) => Number.isSafeInteger(n) && n >= 0))
        throw new UserError(`${file}: tensor ${name}: bad shape ${JSON.stringify(shape)}`);
      if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((n) => Number.isSafeInteger(n) && n >= 0))
        throw new UserError(`${file}: tensor ${name}: bad data_offsets ${JSON.stringify(offsets)}`);
      const [begin, end] = offsets as number[];
      if (end - begin !== elements(shape as number[]) * 4)
        throw new UserError(
          `${file}: tensor ${name}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes, its shape [${(shape as number[]).join(', ')}] needs ${elements(shape as number[]) * 4}`,
        );
      if (end > dataBytes)
        throw new UserError(
          `${file}: tensor ${name} ends at data byte ${end} but the file holds ${dataBytes} data bytes (truncated?)`,
        );
      tensors.push({ name, shape: shape as number[], start: dataStart + begin, byteLength: end - begin });
    }
    tensors.sort((a, b) => a.start - b.start);
    return { metadata, tensors };
  } finally {
    fs.closeSync(fd);
  }
}

/** Fills `parts` (whose lengths add up to the entry's elements) with the entry's float32 values. */
export function readSafetensorsInto(file: string, entry: SafetensorsEntry, parts: readonly Float32Array[]): void {
  const fd = fs.openSync(file, 'r');
  try {
    let position = entry.start;
    for (const part of parts) {
      const bytes = new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
      for (let done = 0; done < bytes.length;) {
        const n = fs.readSync(fd, bytes, done, Math.min(IO_PIECE_BYTES, bytes.length - done), position + done);
        if (n <= 0) throw new UserError(`${file}: unexpected end of file in tensor ${entry.name}`);
        done += n;
      }
      position += part.byteLength;
    }
  } finally {
    fs.closeSync(fd);
  }
}
