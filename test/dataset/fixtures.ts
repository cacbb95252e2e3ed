// Test fixtures for the processed-file tests: random rows (labels, dense, multi-hot bags with empty bags
// too) kept as plain per-row records, converted to Batch form for writing and compared with what is read,
// and an encoder of such rows into file bytes per docs/FORMAT.md (version 1, 2 or 3), independent of the writer.
import * as assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import type { Batch } from '../../src/dataset/batch';
import {
  HEADER_BYTES,
  indexEntryWords,
  NO_OFFSETS_SECTION,
  ProcessedFileWriter,
  SECTION_ALIGN,
} from '../../src/dataset/processedFile';
import { Rng } from '../../src/util/random';

export interface Row {
  label: number;
  dense: number[];
  /** One bag (list of indices) per table. */
  bags: number[][];
}

/** n random rows; bags hold 0..maxBag indices (maxBag=1 with minBag=1 gives Criteo's one index per bag). */
export function randomRows(rng: Rng, n: number, numDense: number, numTables: number, maxBag = 3, minBag = 0): Row[] {
  return Array.from({ length: n }, () => ({
    label: rng.nextInt(2),
    dense: Array.from({ length: numDense }, () => Math.fround(rng.normal())),
    bags: Array.from({ length: numTables }, () =>
      Array.from({ length: minBag + rng.nextInt(maxBag - minBag + 1) }, () => rng.nextInt(1000)),
    ),
  }));
}

/** The rows as one Batch. */
export function rowsToBatch(rows: readonly Row[], numDense: number, numTables: number): Batch {
  return {
    size: rows.length,
    numDense,
    labels: Float32Array.from(rows, (r) => r.label),
    dense: Float32Array.from(rows.flatMap((r) => r.dense)),
    sparse: Array.from({ length: numTables }, (_, t) => {
      const offsets = new Uint32Array(rows.length + 1);
      rows.forEach((r, i) => (offsets[i + 1] = offsets[i] + r.bags[t].length));
      return { offsets, indices: Uint32Array.from(rows.flatMap((r) => r.bags[t])) };
    }),
  };
}

/** A Batch decoded back into per-row records. */
export function batchToRows(batch: Batch): Row[] {
  return Array.from({ length: batch.size }, (_, i) => ({
    label: batch.labels[i],
    dense: Array.from(batch.dense.subarray(i * batch.numDense, (i + 1) * batch.numDense)),
    bags: batch.sparse.map((bag) => Array.from(bag.indices.subarray(bag.offsets[i], bag.offsets[i + 1]))),
  }));
}

/** Writes rows to `path` in appends of random sizes (so appends cross row-group boundaries). */
export function writeRows(
  path: string,
  rows: readonly Row[],
  numDense: number,
  numTables: number,
  rowsPerGroup: number,
  metadata: object,
  rng = new Rng(99),
): void {
  const writer = new ProcessedFileWriter(path, { numDense, numTables, rowsPerGroup });
  for (let at = 0; at < rows.length;) {
    const n = Math.min(rows.length - at, 1 + rng.nextInt(2 * rowsPerGroup));
    const b = rowsToBatch(rows.slice(at, at + n), numDense, numTables);
    writer.append(b.labels, b.dense, b.sparse);
    at += n;
  }
  writer.commit(metadata);
}

/** Asserts that `batch` holds exactly `rows` (and is internally consistent). */
export function assertBatchRows(batch: Batch, rows: readonly Row[], what: string): void {
  assert.equal(batch.size, rows.length, `${what}: size`);
  batch.sparse.forEach((bag, t) => {
    assert.equal(bag.offsets.length, batch.size + 1, `${what}: table ${t} offsets length`);
    assert.equal(bag.offsets[0], 0, `${what}: table ${t} offsets[0]`);
    assert.equal(bag.offsets[batch.size], bag.indices.length, `${what}: table ${t} offsets end`);
  });
  assert.deepEqual(batchToRows(batch), rows, what);
}

/** Bytes of table t's offsets sections a version-1 file has and a version-2 one omits (one index per row), over all groups and tables. */
export function oneHotOffsetsBytes(rows: readonly Row[], numTables: number, rowsPerGroup: number): number {
  let bytes = 0;
  for (let first = 0; first < rows.length; first += rowsPerGroup) {
    const g = rows.slice(first, first + rowsPerGroup);
    for (let t = 0; t < numTables; t++) {
      if (g.every((r) => r.bags[t].length === 1))
        bytes += Math.ceil((4 * (g.length + 1)) / SECTION_ALIGN) * SECTION_ALIGN;
    }
  }
  return bytes;
}

/**
 * The file bytes per docs/FORMAT.md, encoded independently of ProcessedFileWriter (zero padding included):
 * versions 2 and 3 omit the offsets section of a table whose bags in a group all hold one index, version 1
 * never; version 3 adds each group's byte length and CRC-32 to its index entry and the header checksum.
 */
export function encodeProcessedFile(
  rows: readonly Row[],
  numDense: number,
  numTables: number,
  rowsPerGroup: number,
  metadata: object,
  version: 1 | 2 | 3 = 3,
): Buffer {
  const pad = (b: Buffer): Buffer =>
    Buffer.concat([b, Buffer.alloc((SECTION_ALIGN - (b.length % SECTION_ALIGN)) % SECTION_ALIGN)]);
  const f32 = (v: number[]): Buffer => Buffer.from(Float32Array.from(v).buffer);
  const u32 = (v: number[]): Buffer => Buffer.from(Uint32Array.from(v).buffer);
  const body: Buffer[] = [];
  const index: number[] = [];
  let at = HEADER_BYTES;
  const put = (b: Buffer): number => {
    body.push(pad(b));
    at += pad(b).length;
    return at - pad(b).length;
  };
  for (let first = 0; first < rows.length; first += rowsPerGroup) {
    const g = rows.slice(first, first + rowsPerGroup);
    const groupStart = at;
    const groupFirstPart = body.length;
    index.push(first, g.length, put(f32(g.map((r) => r.label))), put(f32(g.flatMap((r) => r.dense))));
    for (let t = 0; t < numTables; t++) {
      const offsets = [0];
      for (const r of g) offsets.push(offsets[offsets.length - 1] + r.bags[t].length);
      const omit = version >= 2 && g.every((r) => r.bags[t].length === 1);
      const offsetsAt = omit ? NO_OFFSETS_SECTION : put(u32(offsets));
      index.push(offsetsAt, put(u32(g.flatMap((r) => r.bags[t]))), offsets[g.length]);
    }
    if (version === 3) index.push(at - groupStart, zlib.crc32(Buffer.concat(body.slice(groupFirstPart))));
  }
  const indexOffset = at;
  const indexBytes = Buffer.from(BigUint64Array.from(index, BigInt).buffer);
  put(indexBytes);
  const json = Buffer.from(JSON.stringify(metadata));
  const metadataOffset = put(json);
  const header = Buffer.alloc(HEADER_BYTES);
  header.write('DLRMPROC', 0, 'latin1');
  [version, numDense, numTables, rowsPerGroup].forEach((v, i) => header.writeUInt32LE(v, 8 + 4 * i));
  [rows.length, index.length / indexEntryWords(numTables, version), indexOffset, metadataOffset, json.length].forEach(
    (v, i) => header.writeBigUInt64LE(BigInt(v), 24 + 8 * i),
  );
  if (version === 3)
    header.writeUInt32LE(zlib.crc32(json, zlib.crc32(indexBytes, zlib.crc32(header.subarray(0, 60)))), 60);
  return Buffer.concat([header, ...body]);
}

/**
 * Rows whose table 0 is one-hot everywhere, table 2 one-hot in group `oneHotGroup` only (rowsPerGroup
 * rows per group) and the other tables multi-hot (0..3 indices, so no group of them is one-hot).
 */
export function mixedRows(
  rng: Rng,
  n: number,
  numDense: number,
  numTables: number,
  rowsPerGroup: number,
  oneHotGroup: number,
): Row[] {
  const multi = randomRows(rng, n, numDense, numTables, 3, 0);
  const single = randomRows(rng, n, numDense, numTables, 1, 1);
  return multi.map((r, i) => ({
    ...r,
    bags: r.bags.map((bag, t) =>
      t === 0 || (t === 2 && Math.floor(i / rowsPerGroup) === oneHotGroup) ? single[i].bags[t] : bag,
    ),
  }));
}
