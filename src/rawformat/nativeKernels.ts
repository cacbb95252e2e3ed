// The native preprocess kernels (C++ in src/preprocess/csrc and src/rawformat/csrc, part of the native addon) when the addon is
// built and has them, else undefined: callers then run the JS twins, which stay the reference semantics
// (CriteoParser's Criteo fast path, DelimitedBlockParser, U32HashTable.assignSequential, OneHotRows.append/gatherInto,
// shuffledOrder). DLRM_NATIVE_ADDON=none hides them too.
import { loadNativeAddon } from '../engine/native/nativeAddon';

/** What every native block parser is given: the block, its place in its day, and the sampling/folding options. */
export interface BlockArgs {
  /** Complete '\n'-terminated lines in bytes[0, end). */
  bytes: Uint8Array;
  end: number;
  /** Lines in the block = rows of the output arrays. */
  capacity: number;
  numDense: number;
  /** 0 = no folding. */
  maxIndRange: number;
  subsampleRate: number;
  /** The seed as uint32 (seed >>> 0). */
  seed: number;
  day: number;
  firstLine: number;
  /** [capacity] labels. */
  labels: Float32Array;
}

/** One block for parseCriteoBlock: the inputs and output arrays of CriteoParser.parseBlock's fast path. */
export interface CriteoBlockArgs extends BlockArgs {
  /** [capacity, numDense] output. */
  dense: Float32Array;
  /** Per table: the array its raw values go to, at tableBase[t] + row. */
  tableDst: Uint32Array[];
  tableBase: Int32Array;
  /** log1pFloat32(x) for x < its length. */
  log1pTable: Float32Array;
}

/** One block for parseDelimitedBlock (src/rawformat/csrc/delimitedBlockParser.cc): DelimitedBlockParser's inputs and outputs. */
export interface DelimitedBlockArgs extends BlockArgs {
  /** Per field: its FieldRole and dense or table slot. */
  roles: Int32Array;
  slots: Int32Array;
  /** Per table: 0 string, 1 hex, 2 decimal; its multi-hot separator byte or -1. */
  encodings: Int32Array;
  separators: Int32Array;
  delimiter: number;
  quoted: boolean;
  /** 1: line 0 of the block is the header when firstLine = 0. */
  header: number;
  /** [capacity, numDense] (NaN = empty), [capacity], [2 * capacity] (start, end) outputs. */
  rawDense: Float64Array;
  rowLines: Uint32Array;
  dateSpans: Int32Array;
  /** Per table its key arrays (hi for 64-bit tables, offsets [capacity + 1] for multi-hot ones). */
  keys: { lo: Uint32Array; hi?: Uint32Array; offsets?: Uint32Array }[];
  /** (row, slot, start, end) quads of dense fields for Number(); counts: per table its keys, then the quads. */
  fixups: Int32Array;
  counts: Uint32Array;
}

export interface PreprocessKernels {
  /** Rows kept, or -1 when some line needs the JS parser (then nothing it wrote counts). */
  parseCriteoBlock(args: CriteoBlockArgs): number;
  /** Rows kept; -1: the JS parser must read the block; -2: grow the multi-hot key or fixup arrays. Absent in older builds. */
  parseDelimitedBlock?: (args: DelimitedBlockArgs) => number;
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
  const { parseCriteoBlock, parseDelimitedBlock, assignFirstAppearance, packRows, gatherRows, shuffledOrder } = addon;
  return parseCriteoBlock && assignFirstAppearance && packRows && gatherRows && shuffledOrder
    ? { parseCriteoBlock, parseDelimitedBlock, assignFirstAppearance, packRows, gatherRows, shuffledOrder }
    : undefined;
}
