// Streams one raw day as blocks of complete '\n'-terminated lines (a final line without '\n' gets one),
// each block in a fresh ArrayBuffer so it can be transferred to a worker. Plain files are read by
// positional reads over the day's byte range; .gz files are decompressed while streaming (zlib); a
// truncated or corrupt .gz becomes a UserError naming the file. Never holds more than one block plus a
// partial line. Optionally hashes the raw file bytes (sha256) as they are read.
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import type { Hash } from 'node:crypto';
import { UserError, withPath } from '../util/errors';
import { openForReading } from '../util/paths';
import type { RawDay } from '../criteo/rawSources';

export interface LineBlock {
  bytes: Uint8Array;
  /** bytes[0, end) holds `lines` complete lines. */
  end: number;
  lines: number;
}

const NL = 10;

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
export async function* readDayBlocks(day: RawDay, blockBytes: number, onBytes: (n: number) => void, hash?: Hash): AsyncGenerator<LineBlock> {
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
