// The contract of a RowEncoder: complete '\n'-terminated raw lines in, one engine Batch out (one row per line,
// in line order; a custom schema's empty lines give no row, as in `dlrm preprocess`) with each row's input
// line number, parsed exactly as `dlrm preprocess` parsed them; a bad line throws a BadRowError naming the
// line and field. Implementations: RawRowEncoder (every schema: parserFor + the frozen vocabularies), and
// the model-facing encoder of openRowEncoder (src/predict/modelRowEncoder.ts) that predict and serve share.
import type { Batch } from '../dataset/batch';
import { fieldText } from '../util/errors';

/** A line that cannot be encoded: its 1-based line number, the field (1-based and by name) when one is at fault. */
export class BadRowError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
    readonly field?: number,
    readonly fieldName?: string,
  ) {
    super(`line ${line}${field === undefined ? '' : `: field ${fieldText(field, fieldName)}`}: ${reason}`);
    this.name = 'BadRowError';
  }
}

/** The rows of some lines: the batch, and lines[i] = the input line number (1-based) of row i. */
export interface EncodedRows {
  batch: Batch;
  lines: Float64Array;
}

export interface RowEncoder {
  /** True when the lines carry the label column (labels are then read; else they are 0). */
  readonly hasLabel: boolean;
  /** The model-facing dense width and table sizes of the batches produced. */
  readonly numDense: number;
  readonly tableSizes: readonly number[];
  /**
   * Encodes the lines of bytes[start, end) (complete lines, each ending in '\n'; the first is line
   * `firstLineNo` of its input, which numbers the rows and errors) as one batch, in line order. Throws BadRowError.
   */
  encode(bytes: Uint8Array, start: number, end: number, firstLineNo: number): EncodedRows;
}
