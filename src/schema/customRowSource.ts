// Raw rows of a custom schema (the manifest's schema: TSV/CSV, header or not, plain or .gz) turned into
// model input batches exactly as `dlrm preprocess --schema` turned them into processed rows: the same
// CustomRowParser, the recorded dense transforms (standardize with the recorded mean/std) and --max-ind-range,
// then each table's saved vocabulary (an unseen value -> the table's oovIndex; multi-hot elements alike).
// Labelled or not is decided by the header (is the label column there?) or, without one, by the first
// line's field count. Streams the file in blocks (bounded memory); a bad line is a UserError naming file,
// line and field. Used by `dlrm predict` for manifests whose options.dataSet is 'custom'. Each row's input
// line number (the header and empty lines counted, so it is the line an editor shows) is pushed to `lines`.
import * as path from 'node:path';
import type { Batch } from '../dataset/batch';
import { sliceBatch } from '../dataset/batchRows';
import type { Manifest } from '../dataset/manifest';
import type { BatchSource } from '../dataset/source';
import type { RawDay } from '../criteo/rawSources';
import { inputError, UserError } from '../util/errors';
import { transformDense } from './denseTransform';
import { loadKeyVocabulary, type KeyVocabulary } from './keyVocabulary';
import { forEachLine, lineBlocks, wholeFileDay } from './lineReader';
import { CustomRowParser } from './rowParser';
import { RowBatchBuilder } from './rowBatch';
import { RowLines } from '../predict/rowLines';

/** Whether the file's rows carry the label column: from the header, else from the first line's field count. */
async function detectLabel(day: RawDay, manifest: Manifest): Promise<boolean> {
  const schema = manifest.schema;
  const probe = new CustomRowParser(schema, 0, true);
  for await (const block of lineBlocks(day, () => {})) {
    let labelled: boolean | undefined;
    forEachLine(block.bytes, block.end, 1, (start, end) => {
      if (labelled !== undefined) return;
      if (schema.header) labelled = schema.label !== undefined && probe.headerNames(block.bytes, start, end).includes(schema.label.name);
      else {
        const n = probe.splitFields(block.bytes, start, end);
        labelled = !(typeof n === 'number' && schema.label !== undefined && n === probe.numFields - 1);
      }
    });
    if (labelled !== undefined) return labelled;
  }
  throw new UserError(`--input ${day.file}: the file is empty`);
}

export class CustomRowSource implements BatchSource {
  readonly numDense: number;
  readonly tableSizes: readonly number[];
  readonly rows = Infinity;
  /** The input line number of each row yielded, in order (see RowLines). */
  readonly lines = new RowLines();

  private constructor(
    private readonly day: RawDay,
    readonly hasLabel: boolean,
    private readonly parser: CustomRowParser,
    private readonly vocabs: KeyVocabulary[],
    private readonly oov: number[],
    tableSizes: number[],
    private readonly onBytes: (n: number) => void,
  ) {
    this.numDense = parser.numDense;
    this.tableSizes = tableSizes;
  }

  /** Opens `file` with the manifest's schema and the vocabularies in `dir` (the manifest's folder). */
  static async open(file: string, manifest: Manifest, dir: string, onBytes: (n: number) => void = () => {}): Promise<CustomRowSource> {
    const day = wholeFileDay(file, '--input');
    const hasLabel = await detectLabel(day, manifest);
    const parser = new CustomRowParser(manifest.schema, manifest.options.maxIndRange, hasLabel);
    if (parser.numTables !== manifest.tables.length) throw new UserError(`the manifest's schema has ${parser.numTables} categorical columns but ${manifest.tables.length} tables`);
    const rare = manifest.options.minFrequency > 1;
    const vocabs = manifest.tables.map((t) => loadKeyVocabulary(path.join(dir, t.vocabFile), t.keyBits ?? 32, t.count - (rare ? 1 : 0), t.name));
    return new CustomRowSource(day, hasLabel, parser, vocabs, manifest.tables.map((t) => t.oovIndex), manifest.tables.map((t) => t.count), onBytes);
  }

  async *batches(batchSize: number, startRow = 0): AsyncGenerator<Batch> {
    if (startRow !== 0) throw new RangeError('CustomRowSource reads from the first line only');
    const p = this.parser;
    const header = p.schema.header;
    const dense = new Float64Array(p.numDense);
    const bags = Array.from({ length: p.numTables }, () => new Uint32Array(8));
    const lengths = new Int32Array(p.numTables);
    const rows = new RowBatchBuilder(p.numDense, p.numTables);
    let lines = 0;
    for await (const block of lineBlocks(this.day, this.onBytes)) {
      const rowLines: number[] = [];
      lines += forEachLine(block.bytes, block.end, lines + 1, (start, end, lineNo) => {
        if (lineNo === 1 && header) {
          const bad = p.headerMismatch(block.bytes, start, end);
          if (bad) throw inputError({ file: this.day.file, line: 1 }, bad);
          return;
        }
        const err = p.parse(block.bytes, start, end);
        if (err) throw inputError({ file: this.day.file, line: lineNo, field: err.field < 0 ? undefined : `${err.field + 1} (${p.fieldNames[err.field]})` }, err.message);
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
        rowLines.push(lineNo);
      });
      this.lines.push(Float64Array.from(rowLines));
      const batch = rows.take();
      for (let a = 0; a < batch.size; a += batchSize) yield sliceBatch(batch, a, Math.min(batch.size, a + batchSize));
    }
  }
}
