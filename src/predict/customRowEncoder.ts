// The RowEncoder of custom-schema data (dlrm preprocess --schema): each line through the same DelimitedRowParser
// preprocess used, the recorded dense transforms (standardize with the recorded mean/std) and --max-ind-range,
// then each table's saved vocabulary (an unseen value -> the table's oovIndex; multi-hot elements alike).
// Empty lines are skipped, as preprocess skips them (each row's line number counts them). Model folding is
// applied by openRowEncoder, not here.
import * as path from 'node:path';
import type { Manifest } from '../dataset/manifest';
import { BadRowError, type EncodedRows, type RowEncoder } from './rowEncoder';
import { UserError } from '../util/errors';
import { transformDense } from '../rawformat/denseTransform';
import { loadKeyVocabulary, type KeyVocabulary } from '../preprocess/keyVocabulary';
import { forEachLine } from '../rawformat/blockReader';
import { DelimitedRowParser } from '../rawformat/delimitedParser';
import { RowBatchBuilder } from '../dataset/rowBatch';

export class CustomRowEncoder implements RowEncoder {
  readonly numDense: number;
  private readonly dense: Float64Array;
  private readonly bags: Uint32Array[];
  private readonly lengths: Int32Array;
  private readonly rows: RowBatchBuilder;

  private constructor(
    readonly parser: DelimitedRowParser,
    private readonly vocabs: KeyVocabulary[],
    private readonly oov: number[],
    readonly tableSizes: readonly number[],
  ) {
    this.numDense = parser.numDense;
    this.dense = new Float64Array(parser.numDense);
    this.bags = Array.from({ length: parser.numTables }, () => new Uint32Array(8));
    this.lengths = new Int32Array(parser.numTables);
    this.rows = new RowBatchBuilder(parser.numDense, parser.numTables);
  }

  /** The manifest's parser (lines with or without the label column) and the vocabularies in `dir` (the manifest's folder). */
  static load(manifest: Manifest, dir: string, hasLabel: boolean): CustomRowEncoder {
    const parser = new DelimitedRowParser(manifest.schema, manifest.options.maxIndRange, hasLabel);
    if (parser.numTables !== manifest.tables.length) throw new UserError(`the manifest's schema has ${parser.numTables} categorical columns but ${manifest.tables.length} tables`);
    const rare = manifest.options.minFrequency > 1;
    const vocabs = manifest.tables.map((t) => loadKeyVocabulary(path.join(dir, t.vocabFile), t.keyBits ?? 32, t.count - (rare ? 1 : 0), t.name));
    return new CustomRowEncoder(parser, vocabs, manifest.tables.map((t) => t.oovIndex), manifest.tables.map((t) => t.count));
  }

  get hasLabel(): boolean {
    return this.parser.withLabel;
  }

  encode(bytes: Uint8Array, start: number, end: number, firstLineNo: number): EncodedRows {
    const p = this.parser;
    const { dense, bags, lengths, rows } = this;
    const block = start === 0 ? bytes : bytes.subarray(start, end);
    const lines: number[] = [];
    try {
      forEachLine(block, end - start, firstLineNo, (s, e, lineNo) => {
        const err = p.parse(block, s, e);
        if (err) throw err.field < 0 ? new BadRowError(lineNo, err.message) : new BadRowError(lineNo, err.message, err.field + 1, p.fieldNames[err.field]);
        for (let k = 0; k < p.numDense; k++) dense[k] = transformDense(p.schema.dense[k], p.dense[k]);
        for (let t = 0; t < p.numTables; t++) {
          const bag = p.bags[t], v = this.vocabs[t];
          if (bags[t].length < bag.n) bags[t] = new Uint32Array(bag.hi.length);
          const out = bags[t];
          for (let i = 0; i < bag.n; i++) {
            const idx = v.indexOf(bag.hi[i], bag.lo[i]);
            out[i] = idx < 0 ? this.oov[t] : idx;
          }
          lengths[t] = bag.n;
        }
        rows.push(p.label, dense, bags, lengths);
        lines.push(lineNo);
      });
    } catch (err) {
      rows.take(); // drop the rows gathered before the bad line
      throw err;
    }
    return { batch: rows.take(), lines: Float64Array.from(lines) };
  }
}
