// The native preprocess kernels (C++ in src/preprocess/csrc, part of the native addon) when the addon is
// built and has them, else undefined: callers then run the JS twins, which stay the reference semantics
// (CriteoParser's Criteo fast path, U32HashTable.assignSequential, OneHotRows.append/gatherInto,
// shuffledOrder). DLRM_NATIVE_ADDON=none hides them too.
import { loadNativeAddon } from '../engine/native/nativeAddon';

/** One block for parseCriteoBlock: the inputs and output arrays of CriteoParser.parseBlock's fast path. */
export interface CriteoBlockArgs {
  /** Complete '\n'-terminated lines in bytes[0, end). */
  bytes: Uint8Array;
  end: number;
  /** Lines in the block = rows of the output arrays. */
  capacity: number;
  numDense: number;
  maxIndRange: number;
  subsampleRate: number;
  /** The seed as uint32 (seed >>> 0). */
  seed: number;
  day: number;
  firstLine: number;
  /** [capacity] and [capacity, numDense] outputs. */
  labels: Float32Array;
  dense: Float32Array;
  /** Per table: the array its raw values go to, at tableBase[t] + row. */
  tableDst: Uint32Array[];
  tableBase: Int32Array;
  /** log1pFloat32(x) for x < its length. */
  log1pTable: Float32Array;
}

export interface PreprocessKernels {
  /** Rows kept, or -1 when some line needs the JS parser (then nothing it wrote counts). */
  parseCriteoBlock(args: CriteoBlockArgs): number;
  /**
   * values[from, to) -> indices on a U32HashTable's slots; state = [count, limit, nextValue, freshCount]
   * updated in place; returns where it stopped (to, or just after the insert that passed the limit).
   */
  assignFirstAppearance(
    slots: Uint32Array,
    shift: number,
    values: Uint32Array,
    from: number,
    to: number,
    state: Uint32Array,
    fresh: Uint32Array,
  ): number;
  /** A chunk's columns into rows firstRow.. of row-major one-hot rows; false (nothing written) unless one-hot. */
  packRows(
    words: Uint32Array,
    width: number,
    numDense: number,
    firstRow: number,
    labels: Float32Array,
    dense: Float32Array,
    offsets: Uint32Array[],
    indices: Uint32Array[],
  ): boolean;
  /**
   * Rows order[from, to) of row-major one-hot rows (`width` = 1 + numDense + tables words each) into the
   * column outputs (OneHotRows.gatherInto).
   */
  gatherRows(
    words: Uint32Array,
    width: number,
    numDense: number,
    order: Uint32Array,
    from: number,
    to: number,
    labels: Float32Array,
    dense: Float32Array,
    indices: Uint32Array[],
  ): void;
  /** shuffledOrder's draws for `rows` rows in `buckets` buckets into order [rows], from and back into the Rng state words. */
  shuffledOrder(state: Uint32Array, rows: number, buckets: number, order: Uint32Array): void;
}

/** The kernels, or undefined (addon not built, hidden, or built before the kernels existed). */
export function nativePreprocessKernels(): PreprocessKernels | undefined {
  const { addon } = loadNativeAddon();
  if (!addon) return undefined;
  const { parseCriteoBlock, assignFirstAppearance, packRows, gatherRows, shuffledOrder } = addon;
  return parseCriteoBlock && assignFirstAppearance && packRows && gatherRows && shuffledOrder
    ? { parseCriteoBlock, assignFirstAppearance, packRows, gatherRows, shuffledOrder }
    : undefined;
}
