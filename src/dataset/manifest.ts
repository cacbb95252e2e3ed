// The manifest of a processed dataset: what it was made from, with which options, and its shape. It is
// written as manifest.json beside the per-day shards and embedded in the merged processed file's header,
// so `dlrm train --processed-data-file F` needs only F. Described in docs/FORMAT.md.
import type { ColumnSchema } from '../rawformat/schema';

export const MANIFEST_FORMAT_VERSION = 1;

export type SplitName = 'train' | 'val' | 'test';

/** A half-open row range [start, end) of the merged processed file. */
export interface RowRange {
  start: number;
  end: number;
}

export interface SourceFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface TableInfo {
  /** Column name, e.g. 'C1'. */
  name: string;
  /** Rows of the embedding table: distinct values kept (missing-as-0 included), plus the shared rare index if any. */
  count: number;
  /** The index a value never seen in preprocessing maps to when scoring new rows (see docs/FORMAT.md). */
  oovIndex: number;
  /** Vocabulary file, relative to the manifest's folder. */
  vocabFile: string;
  /** 64: the vocabulary file holds uint64 keys (custom schemas' hashed string columns); absent: uint32 values. */
  keyBits?: 64;
}

export interface DayInfo {
  /** e.g. 'day_0'. */
  name: string;
  /** Rows kept after sub-sampling and skipped invalid lines. */
  rows: number;
  /** Lines skipped by --skip-invalid-lines. */
  invalidLines: number;
  /** The day's processed shard, relative to the manifest's folder. */
  shard: string;
}

export interface PreprocessOptions {
  dataSet: 'kaggle' | 'terabyte' | 'custom';
  maxIndRange: number;
  dataSubSampleRate: number;
  dataRandomize: 'total' | 'day' | 'none';
  minFrequency: number;
  skipInvalidLines: boolean;
  seed: number;
}

export interface Manifest {
  formatVersion: number;
  /** dlrm version that wrote it. */
  createdBy: string;
  createdAt: string;
  sources: SourceFile[];
  schema: ColumnSchema;
  options: PreprocessOptions;
  numDense: number;
  /** How dense values were transformed, per dense column, e.g. 'log1p' (clip at 0, then log(x+1)). */
  denseTransforms: string[];
  tables: TableInfo[];
  days: DayInfo[];
  /** Merged file row order: train rows (randomized per options.dataRandomize), then test, then val. */
  splits: Record<SplitName, RowRange>;
  /** The merged processed file, relative to the manifest's folder; '' when written with --no-merged-file (the parts folder is the dataset). */
  mergedFile: string;
  totalRows: number;
}
