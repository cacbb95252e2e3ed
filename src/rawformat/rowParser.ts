// The one parser seam of raw click logs: a RowParser turns a block of complete '\n'-terminated lines into a
// columnar ParsedBlock (labels [rows], transformed dense [rows, D] float32, per table the keys of the rows as
// uint32 words: lo, plus hi for 64-bit keys, plus offsets [rows+1] for multi-hot bags), with the first bad
// line (0-based in the block) and its field (1-based, the one convention of every parser error). Two
// implementations read text: CriteoParser (Criteo-shaped schemas, native kernel when built) and
// DelimitedBlockParser (any schema: quoting, strings hashed to 64 bits, multi-hot, headers, dates).
// parserFor(schema) (parserFor.ts) picks the fastest that can read a schema. A column-batch source (Parquet) yields the
// same ParsedBlock, so everything after the parser (vocabularies, shards, predict's lookups) is one path.

export interface ParseOptions {
  /** > 0: categorical values are taken modulo this first. */
  maxIndRange: number;
  /** Drop a label-0 line iff its draw < this (0 keeps everything). */
  subsampleRate: number;
  seed: number;
  /** Count invalid lines and go on instead of stopping at the first. */
  skipInvalid: boolean;
  /** Tables are split in partitions [bounds[p], bounds[p+1]) (one per vocabulary thread). */
  partitionBounds: number[];
  /** The lines carry the schema's label column (false: unlabelled rows to score; labels are then 0). */
  withLabel?: boolean;
  /** Line 0 of day 0 is the schema's header line and is skipped (preprocess; predict strips it itself). */
  skipHeader?: boolean;
  /** Also return the raw dense values (standardize statistics; DelimitedBlockParser only). */
  rawDense?: boolean;
}

/** What is wrong with a line: the field at fault (1-based; absent when the whole line is), and why. */
export interface FieldError {
  field?: number;
  message: string;
}

/** The first bad line of a block: `line` is 0-based in the block. */
export interface LineError extends FieldError {
  line: number;
}

/** One table's keys for rows [0, rows) of a block. */
export interface TableKeys {
  /** The keys' low 32 bits (the whole key for 32-bit tables). */
  lo: Uint32Array;
  /** The keys' high 32 bits: 64-bit tables (strings hashed, not folded) only. */
  hi?: Uint32Array;
  /** Multi-hot tables: row r's keys are [offsets[r], offsets[r+1]); absent: key r is row r's one key. */
  offsets?: Uint32Array;
}

export interface ParsedBlock {
  /** Lines in the block (valid, invalid, dropped, empty and header). */
  lines: number;
  /** Rows kept (valid and not sub-sampled away). */
  rows: number;
  /** Row capacity of the arrays. */
  capacity: number;
  /** [capacity] click labels (0 without a label column); rows [0, rows) are filled. */
  labels: Float32Array;
  /** [capacity, D] row-major, after the schema's transforms. */
  dense: Float32Array;
  /** Per table its keys (views into `parts` for the one-hot 32-bit parser). */
  keys: TableKeys[];
  /**
   * One-hot 32-bit parsers only: per partition p, [tables of p, capacity] table-major keys, the buffers
   * that travel to the vocabulary workers. Empty for parsers with bags or 64-bit keys.
   */
  parts: Uint32Array[];
  /** [rows] 0-based line in the block of each row, when rows are not simply lines 0.. (empty lines, header). */
  rowLines?: Uint32Array;
  /** [rows, D] raw dense values (NaN = missing), when asked for (ParseOptions.rawDense). */
  rawDense?: Float64Array;
  /** [rows] the date-split column's text, when the schema splits by date. */
  dates?: string[];
  invalidLines: number;
  /** The first invalid line (the block stops there unless skipInvalid). */
  firstError?: LineError;
}

export interface RowParser {
  /** The expected fields in order (the label's name left out for unlabelled lines), for error messages. */
  readonly fieldNames: readonly string[];
  readonly numDense: number;
  readonly numTables: number;
  /**
   * Parses bytes[0, end), complete '\n'-terminated lines of day `day` (0-based), the first being line
   * `firstLine` (0-based) of that day; `lines` = lines in the block. Sub-sampling draws and random splits
   * depend on (day, line) only, so blocks may be parsed in any order and on any thread.
   */
  parseBlock(bytes: Uint8Array, end: number, day: number, firstLine: number, lines: number): ParsedBlock;
}
