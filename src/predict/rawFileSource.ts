// A file of raw rows (plain or .gz; Criteo lines or a custom schema's TSV/CSV, header or not) as a BatchSource
// of model inputs for `dlrm predict`: the file is streamed in blocks of complete lines (bounded memory) and
// each block goes through the RowEncoder (src/predict/rowEncoder.ts), the same one `dlrm serve` uses. Whether
// the rows carry the label column is decided once, by the header (is the label column there?) or, without
// one, by the first line's field count (inputHasLabel). A bad line is a UserError naming file, line and field.
// Each row's input line number (header and empty lines counted) is pushed to `lines` before the rows are
// yielded, so `dlrm predict` takes as many as each batch has rows (see RowLines).
import type { Batch } from '../dataset/batch';
import { sliceBatch } from '../dataset/batchRows';
import type { BatchSource } from '../dataset/source';
import type { ColumnSchema } from '../rawformat/schema';
import { DEFAULT_BLOCK_BYTES, forEachLine, readDayBlocks, wholeFileDay, type RawDay } from '../rawformat/blockReader';
import { firstLines } from '../rawformat/firstLines';
import { DelimitedRowParser } from '../rawformat/delimitedParser';
import { inputError, UserError } from '../util/errors';
import { BadRowError, type EncodedRows, type RowEncoder } from './rowEncoder';
import { RowLines } from './rowLines';

/** Whether the rows of `file` carry the label column: from its header, else from its first line's field count. */
export async function inputHasLabel(file: string, schema: ColumnSchema): Promise<boolean> {
  const [first] = await firstLines(wholeFileDay(file, '--input'), 1);
  if (!first) throw new UserError(`--input ${file}: the file is empty`);
  const probe = new DelimitedRowParser(schema, 0, true);
  if (schema.header)
    return (
      schema.label !== undefined && probe.headerNames(first.bytes, 0, first.bytes.length).includes(schema.label.name)
    );
  const n = probe.splitFields(first.bytes, 0, first.bytes.length);
  return !(typeof n === 'number' && schema.label !== undefined && n === probe.numFields - 1);
}

export class RawFileSource implements BatchSource {
  readonly numDense: number;
  readonly tableSizes: readonly number[];
  /** Unknown until the file is read. */
  readonly rows = Infinity;
  /** The input line number of each row yielded, in order (see RowLines). */
  readonly lines = new RowLines();
  private readonly day: RawDay;

  /** `encoder` was opened for this file's labelled-ness (inputHasLabel); `schema` tells whether line 1 is a header. */
  constructor(
    file: string,
    private readonly encoder: RowEncoder,
    private readonly schema: ColumnSchema,
    private readonly onBytes: (n: number) => void = () => {},
  ) {
    this.day = wholeFileDay(file, '--input');
    this.numDense = encoder.numDense;
    this.tableSizes = encoder.tableSizes;
  }

  /** The file's rows in order, `batchSize` per batch (the last may be smaller). */
  async *batches(batchSize: number, startRow = 0): AsyncGenerator<Batch> {
    if (startRow !== 0) throw new RangeError('RawFileSource reads from the first line only');
    let linesBefore = 0;
    for await (const block of readDayBlocks(this.day, DEFAULT_BLOCK_BYTES, this.onBytes)) {
      let start = 0;
      if (linesBefore === 0 && this.schema.header) start = this.checkHeader(block.bytes, block.end);
      let encoded: EncodedRows;
      try {
        encoded = this.encoder.encode(block.bytes, start, block.end, linesBefore + (start > 0 ? 2 : 1));
      } catch (err) {
        if (!(err instanceof BadRowError)) throw err;
        throw inputError(
          { file: this.day.file, line: err.line, field: err.field, fieldName: err.fieldName },
          err.reason,
        );
      }
      const { batch } = encoded;
      this.lines.push(encoded.lines);
      for (let a = 0; a < batch.size; a += batchSize) yield sliceBatch(batch, a, Math.min(batch.size, a + batchSize));
      linesBefore += forEachLine(block.bytes, block.end, 1, () => {});
    }
  }

  /** Checks line 1 (the header) against the schema's columns; returns where line 2 starts. */
  private checkHeader(bytes: Uint8Array, end: number): number {
    const probe = new DelimitedRowParser(this.schema, 0, this.encoder.hasLabel);
    forEachLine(bytes, end, 1, (s, e, lineNo) => {
      if (lineNo !== 1) return;
      const bad = probe.headerMismatch(bytes, s, e);
      if (bad) throw inputError({ file: this.day.file, line: 1 }, bad);
    });
    return Math.min(bytes.indexOf(10) + 1, end);
  }
}
