// The column schema of a raw click log: which field is the label, which are dense and which categorical,
// how each is encoded, and the delimiter. Criteo Kaggle and Terabyte are presets (configs/*.schema.json);
// users' own logs use the same format (docs/SCHEMA.md).

export type DenseTransform = 'log1p' | 'none' | 'standardize';
export type CategoricalEncoding = 'hex' | 'decimal' | 'string';

export interface LabelColumn {
  name: string;
}

export interface DenseColumn {
  name: string;
  /** log1p: clip negatives to 0 then log(x+1) (Criteo); none; standardize: (x-mean)/std from pass 1. */
  transform: DenseTransform;
  /** standardize: the mean and standard deviation used; computed by preprocess's first pass when absent. */
  mean?: number;
  std?: number;
}

export interface CategoricalColumn {
  name: string;
  /** hex: unsigned 32-bit from hex digits (Criteo); decimal: unsigned integer; string: any text, hashed to 64 bits. */
  encoding: CategoricalEncoding;
  /** When set, the field holds a list of values split by this separator (a multi-hot bag). */
  multiHotSeparator?: string;
}

/**
 * How rows become train/val/test (custom schemas; Criteo presets use their own day cut): contiguous blocks of
 * lines like Criteo days (the last block halved into test then val), by a date column (rows dated before
 * `test` are training days, one per distinct date; from `test` on: test, from `val` on: val, or the holdout
 * halved when `val` is absent), or a seeded random fraction per row.
 */
export type SplitSpec =
  | { by: 'blocks'; blocks: number }
  | { by: 'date'; column: string; test: string; val?: string }
  | { by: 'random'; test: number; val: number };

export interface ColumnSchema {
  /** Field delimiter, a single character ('\t' for Criteo). */
  delimiter: string;
  /** Whether the first line is a header with column names. */
  header: boolean;
  /** Column order in the file: each entry names one column of label/dense/categorical (or 'ignore'). */
  columns: string[];
  label?: LabelColumn;
  dense: DenseColumn[];
  categorical: CategoricalColumn[];
  /** Custom schemas: fields may be wrapped in double quotes (CSV; "" inside is one quote; no newlines inside). */
  quoted?: boolean;
  /** Custom schemas: the train/val/test split (default: 7 blocks, like Criteo Kaggle). */
  split?: SplitSpec;
}
