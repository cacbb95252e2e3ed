// The RowEncoder of every schema (Criteo presets and users' own): the manifest schema's parser
// (parserFor: the Criteo byte parser and its native kernel, or the delimited parser), with the recorded dense
// transforms and --max-ind-range, then each table's frozen vocabulary (VocabularyLookup: an unseen key ->
// the table's oovIndex; multi-hot elements alike). The labelled layout is the training files'; the
// unlabelled one drops the label column (like Kaggle's test.txt). Empty lines give no row (each row's line
// number counts them). Model folding is applied by openRowEncoder, not here.
import type { BagInput, Batch } from '../dataset/batch';
import type { Manifest } from '../dataset/manifest';
import { parserFor } from '../rawformat/parserFor';
import type { RowParser } from '../rawformat/rowParser';
import { UserError } from '../util/errors';
import { BadRowError, type EncodedRows, type RowEncoder } from './rowEncoder';
import type { VocabularyLookup } from './vocabularyLookup';

function countNewlines(bytes: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let p = bytes.indexOf(10, start); p >= 0 && p < end; p = bytes.indexOf(10, p + 1)) n++;
  return n;
}

export class RawRowEncoder implements RowEncoder {
  readonly numDense: number;
  readonly tableSizes: readonly number[];
  private readonly parser: RowParser;

  constructor(
    manifest: Manifest,
    private readonly vocab: VocabularyLookup,
    readonly hasLabel: boolean,
  ) {
    const T = manifest.schema.categorical.length;
    if (T !== manifest.tables.length || T !== vocab.numTables)
      throw new UserError(`the manifest's schema has ${T} categorical columns but ${manifest.tables.length} tables`);
    this.parser = parserFor(manifest.schema, {
      maxIndRange: manifest.options.maxIndRange,
      subsampleRate: 0,
      seed: 0,
      skipInvalid: false,
      partitionBounds: [0, T],
      withLabel: hasLabel,
    });
    this.numDense = this.parser.numDense;
    this.tableSizes = manifest.tables.map((t) => t.count);
  }

  encode(bytes: Uint8Array, start: number, end: number, firstLineNo: number): EncodedRows {
    const block = start === 0 ? bytes : bytes.subarray(start, end);
    const parsed = this.parser.parseBlock(block, end - start, 0, firstLineNo - 1, countNewlines(bytes, start, end));
    if (parsed.firstError) {
      const e = parsed.firstError;
      throw new BadRowError(
        firstLineNo + e.line,
        e.message,
        e.field,
        e.field === undefined ? undefined : this.parser.fieldNames[e.field - 1],
      );
    }
    const n = parsed.rows;
    let identity: Uint32Array | undefined;
    const sparse: BagInput[] = parsed.keys.map((keys, t) => {
      const offsets = keys.offsets ?? (identity ??= Uint32Array.from({ length: n + 1 }, (_, i) => i));
      const count = offsets[n];
      // one-hot 32-bit keys are the parser's own array: mapped in place
      const indices = keys.hi || keys.offsets ? new Uint32Array(count) : keys.lo.subarray(0, count);
      this.vocab.lookup(t, keys, count, indices);
      return { offsets: keys.offsets ? keys.offsets.subarray(0, n + 1) : offsets, indices };
    });
    const D = this.numDense;
    const batch: Batch = {
      size: n,
      numDense: D,
      dense: parsed.dense.subarray(0, n * D),
      labels: parsed.labels.subarray(0, n),
      sparse,
    };
    const rowLines = parsed.rowLines;
    return { batch, lines: Float64Array.from({ length: n }, (_, i) => firstLineNo + (rowLines ? rowLines[i] : i)) };
  }
}
