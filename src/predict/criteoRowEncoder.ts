// The RowEncoder of Criteo-preset data (Kaggle, Terabyte): the preprocess byte parser (src/criteo/lineParser.ts,
// its native kernel when built) driven by the manifest's schema and --max-ind-range (empty field = 0, dense
// log1p, hex categoricals modulo M), then each table's vocabulary (unknown value -> the table's oovIndex).
// The labelled layout is the training files' (40 Kaggle fields); the unlabelled one drops the label column
// (39 fields, like Kaggle's test.txt). Model folding is applied by openRowEncoder, not here.
import type { BagInput, Batch } from '../dataset/batch';
import type { Manifest } from '../dataset/manifest';
import { CriteoParser } from '../rawformat/criteoParser';
import { compileLayout, type ParserLayout } from '../rawformat/layout';
import type { ColumnSchema } from '../rawformat/schema';
import { UserError } from '../util/errors';
import { BadRowError, type EncodedRows, type RowEncoder } from './rowEncoder';
import type { VocabularyLookup } from './vocabularyLookup';

/** The schema without its label column: the layout of unlabelled (test.txt) lines. */
function unlabelledSchema(schema: ColumnSchema): ColumnSchema {
  const label = schema.label?.name;
  return { ...schema, label: undefined, columns: schema.columns.filter((c) => c !== label) };
}

function countNewlines(bytes: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let p = bytes.indexOf(10, start); p >= 0 && p < end; p = bytes.indexOf(10, p + 1)) n++;
  return n;
}

export class CriteoRowEncoder implements RowEncoder {
  readonly numDense: number;
  readonly tableSizes: readonly number[];
  private readonly layout: ParserLayout;
  private readonly parser: CriteoParser;

  constructor(
    manifest: Manifest,
    private readonly vocab: VocabularyLookup,
    readonly hasLabel: boolean,
  ) {
    const labelled = compileLayout(manifest.schema);
    if (labelled.numTables !== manifest.tables.length || labelled.numTables !== vocab.numTables) {
      throw new UserError(`the manifest's schema has ${labelled.numTables} categorical columns but ${manifest.tables.length} tables`);
    }
    this.layout = hasLabel || !labelled.hasLabel ? labelled : compileLayout(unlabelledSchema(manifest.schema));
    const T = this.layout.numTables;
    this.parser = new CriteoParser(this.layout, { maxIndRange: manifest.options.maxIndRange, subsampleRate: 0, seed: 0, skipInvalid: false, partitionBounds: [0, T] });
    this.numDense = this.layout.numDense;
    this.tableSizes = manifest.tables.map((t) => t.count);
  }

  encode(bytes: Uint8Array, start: number, end: number, firstLineNo: number): EncodedRows {
    const L = this.layout;
    const T = L.numTables;
    const block = start === 0 ? bytes : bytes.subarray(start, end);
    const parsed = this.parser.parseBlock(block, end - start, 0, firstLineNo - 1, countNewlines(bytes, start, end));
    if (parsed.firstError) {
      const e = parsed.firstError;
      throw new BadRowError(firstLineNo + e.line, e.message, e.field, e.field === undefined ? undefined : L.fieldNames[e.field - 1]);
    }
    const n = parsed.rows;
    const offsets = Uint32Array.from({ length: n + 1 }, (_, i) => i);
    const sparse: BagInput[] = [];
    for (let t = 0; t < T; t++) {
      const indices = parsed.parts[0].subarray(t * parsed.capacity, t * parsed.capacity + n);
      this.vocab.mapInPlace(t, indices);
      sparse.push({ offsets, indices });
    }
    const batch: Batch = { size: n, numDense: L.numDense, dense: parsed.dense.subarray(0, n * L.numDense), labels: parsed.labels.subarray(0, n), sparse };
    // every line is a row here (no header, an empty line is an error)
    return { batch, lines: Float64Array.from({ length: n }, (_, i) => firstLineNo + i) };
  }
}
