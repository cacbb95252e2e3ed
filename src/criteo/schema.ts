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
}

export interface CategoricalColumn {
  name: string;
  /** hex: unsigned 32-bit from hex digits (Criteo); decimal: unsigned integer; string: any text, hashed to 64 bits. */
  encoding: CategoricalEncoding;
  /** When set, the field holds a list of values split by this separator (a multi-hot bag). */
  multiHotSeparator?: string;
}

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
}
