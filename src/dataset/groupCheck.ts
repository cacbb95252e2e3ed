// The value contract of a processed file's rows, checked once per row group on its first read (after its
// checksum): every label is 0 or 1, every dense value is finite, every bag's offsets run from 0 up to the
// group's index count without decreasing, and, when the manifest gives the tables' row counts, every
// index is below its table's count. The first violation is a UserError naming the file, the row (its
// number in the file), the column and the group's rows and bytes; nothing of the group reaches a batch.
// Unverified reads (--no-verify) still check the index bounds of what they return (checkIndexBounds):
// an index beyond its table cannot be looked up at all.
import * as zlib from 'node:zlib';
import { loadNativeAddon } from '../engine/native/nativeAddon';
import { UserError } from '../util/errors';

/**
 * The native twin of the whole check (src/dataset/csrc/groupCheck.cc: the CRC-32 and checkGroupValues in
 * the libuv thread pool; 0 = good, bit 1 = checksum, bit 2 = values), or undefined without the addon.
 */
export type NativeGroupCheck = (
  bytes: Uint8Array,
  layout: Float64Array,
  tableRows: Uint32Array | null,
  crc: number,
) => Promise<number>;

export function nativeGroupCheck(): NativeGroupCheck | undefined {
  return loadNativeAddon().addon?.checkGroupAsync;
}

let nativeCrc32: ((bytes: Uint8Array, previous?: number) => number) | null | undefined;

/** The addon's crc32 when built and able to continue from a previous value (older builds ignore it). */
function nativeCrc(): ((bytes: Uint8Array, previous?: number) => number) | null {
  if (nativeCrc32 === undefined) {
    const f = loadNativeAddon().addon?.crc32;
    const probe = Uint8Array.of(1, 2, 3);
    nativeCrc32 = f && f(probe, 0x12345678) === zlib.crc32(probe, 0x12345678) ? f : null;
  }
  return nativeCrc32;
}

/**
 * CRC-32 (zlib's) of `bytes` continuing from `previous` (the CRC-32 of the bytes before them, so a long
 * section is checksummed part by part): the addon's when built (PCLMUL, ~3x zlib.crc32's speed), else
 * zlib.crc32(bytes, previous), its twin.
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  const native = nativeCrc();
  return native ? native(bytes, previous) : zlib.crc32(bytes, previous);
}

/** One row group's sections, as views into its bytes. */
export interface GroupView {
  file: string;
  /** The group and its rows and bytes, for messages, e.g. 'row group 3 (rows 0-99, bytes 64-9151)'. */
  where: string;
  firstRow: number;
  numRows: number;
  numDense: number;
  labels: Float32Array;
  /** [numRows, numDense] row-major. */
  dense: Float32Array;
  /** Per table: the offsets [numRows + 1] (undefined: one index per row) and the indices. */
  tables: { offsets: Uint32Array | undefined; indices: Uint32Array }[];
  /** Each table's row count (the manifest's tables[t].count), or undefined when the file does not say. */
  tableRows: readonly number[] | undefined;
}

/** Float32 exponent bits: all set means Inf or NaN. */
const EXPONENT = 0x7f80_0000;

/** Throws a UserError at the group's first out-of-contract value. */
export function checkGroupValues(g: GroupView): void {
  const bad = (row: number, what: string): UserError =>
    new UserError(`${g.file}: row ${g.firstRow + row}: ${what} (${g.where})`);
  const { labels, dense, numDense: D } = g;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw bad(i, `label ${labels[i]} is not 0 or 1`);
  }
  const bits = new Uint32Array(dense.buffer, dense.byteOffset, dense.length);
  for (let i = 0; i < bits.length; i++) {
    if ((bits[i] & EXPONENT) === EXPONENT)
      throw bad(Math.floor(i / D), `dense column ${i % D} is ${dense[i]}, not a finite number`);
  }
  g.tables.forEach(({ offsets, indices }, t) => {
    if (offsets) {
      if (offsets[0] !== 0) throw bad(0, `table ${t}: bag offsets start at ${offsets[0]}, not 0`);
      for (let i = 0; i < g.numRows; i++) {
        if (offsets[i + 1] < offsets[i])
          throw bad(i, `table ${t}: bag offsets decrease (${offsets[i]} then ${offsets[i + 1]})`);
      }
      if (offsets[g.numRows] !== indices.length)
        throw bad(
          g.numRows - 1,
          `table ${t}: bag offsets end at ${offsets[g.numRows]}, the group holds ${indices.length} indices`,
        );
    }
  });
  checkIndexBounds(g.file, g.where, g.firstRow, g.tables, g.tableRows);
}

/**
 * Throws a UserError at the first index not below its table's row count (`tableRows` undefined: nothing
 * to check); the bags are those of rows firstRow, firstRow + 1, ... of the file.
 */
export function checkIndexBounds(
  file: string,
  where: string,
  firstRow: number,
  tables: readonly { offsets: Uint32Array | undefined; indices: Uint32Array }[],
  tableRows: readonly number[] | undefined,
): void {
  if (!tableRows) return;
  tables.forEach(({ offsets, indices }, t) => {
    const limit = tableRows[t];
    for (let k = 0; k < indices.length; k++) {
      if (indices[k] < limit) continue;
      const row = firstRow + (offsets ? rowOfIndex(offsets, k) : k);
      throw new UserError(
        `${file}: row ${row}: table ${t}: index ${indices[k]} is not below the table's ${limit} rows (the manifest's tables[${t}].count) (${where})`,
      );
    }
  });
}

/** The row whose bag holds index number k (offsets[row] <= k < offsets[row + 1]). */
function rowOfIndex(offsets: Uint32Array, k: number): number {
  let lo = 0;
  let hi = offsets.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid] <= k) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
