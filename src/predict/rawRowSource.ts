// Raw Criteo rows (plain or .gz text, as in train.txt or Kaggle's unlabelled test.txt) turned into model
// input batches exactly as `dlrm preprocess` turns them into processed rows: the preprocess byte parser
// driven by the manifest's schema and --max-ind-range (empty field = 0, dense log1p, hex categoricals
// modulo M), then each table's vocabulary (unknown value -> the table's oovIndex). Whether the file has
// the label column is decided by the field count of its first line (40 fields: labelled, 39: unlabelled
// test rows, labels then read as 0); every other line must have the same count. Streams the file in blocks
// of complete lines (bounded memory); a bad line is a UserError naming file, line and field. Each row's
// input line number is pushed to `lines` (every line is a row here: no header, no empty lines).
import * as fs from 'node:fs';
import type { Batch, BagInput } from '../dataset/batch';
import { sliceBatch } from '../dataset/batchRows';
import type { Manifest } from '../dataset/manifest';
import type { BatchSource } from '../dataset/source';
import { LineParser } from '../criteo/lineParser';
import { compileLayout, type ParserLayout } from '../criteo/parserLayout';
import type { RawDay } from '../criteo/rawSources';
import type { ColumnSchema } from '../criteo/schema';
import { readDayBlocks } from '../preprocess/dayReader';
import { inputError, UserError } from '../util/errors';
import { RowLines } from './rowLines';
import type { VocabularyLookup } from './vocabularyLookup';

const DEFAULT_BLOCK_BYTES = 4 << 20;

export interface RawRowOptions {
  /** Bytes per parsed block (default 4 MiB). */
  blockBytes?: number;
  /** Receives the number of file bytes read (compressed bytes for .gz), for progress. */
  onBytes?: (n: number) => void;
}

/** The schema without its label column: the layout of unlabelled (test.txt) lines. */
function unlabelledSchema(schema: ColumnSchema): ColumnSchema {
  const label = schema.label?.name;
  return { ...schema, label: undefined, columns: schema.columns.filter((c) => c !== label) };
}

/** The whole file as one raw "day" for the block reader. */
function wholeFile(file: string): RawDay {
  let bytes: number;
  try {
    bytes = fs.statSync(file).size;
  } catch (err) {
    throw new UserError(`--input ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return { name: 'input', file, gzip: file.endsWith('.gz'), startByte: 0, endByte: bytes, firstLineNumber: 1 };
}

/** Fields of the first line of `day` (null for an empty file). */
async function firstLineFields(day: RawDay, delimiter: number): Promise<number | null> {
  for await (const block of readDayBlocks(day, 1 << 16, () => {})) {
    const nl = block.bytes.indexOf(10);
    let fields = 1;
    for (let p = 0; p < nl; p++) if (block.bytes[p] === delimiter) fields++;
    return fields;
  }
  return null;
}

export class RawRowSource implements BatchSource {
  readonly numDense: number;
  readonly tableSizes: readonly number[];
  /** Unknown until the file is read. */
  readonly rows = Infinity;
  /** The input line number of each row yielded, in order (see RowLines). */
  readonly lines = new RowLines();

  private constructor(
    private readonly day: RawDay,
    /** True when the lines carry the label column. */
    readonly hasLabel: boolean,
    private readonly layout: ParserLayout,
    private readonly manifest: Manifest,
    private readonly vocab: VocabularyLookup,
    private readonly opts: RawRowOptions,
  ) {
    this.numDense = layout.numDense;
    this.tableSizes = manifest.tables.map((t) => t.count);
  }

  /** Opens `file`, choosing the labelled or unlabelled layout from its first line. */
  static async open(file: string, manifest: Manifest, vocab: VocabularyLookup, opts: RawRowOptions = {}): Promise<RawRowSource> {
    const day = wholeFile(file);
    const labelled = compileLayout(manifest.schema);
    if (labelled.numTables !== manifest.tables.length || labelled.numTables !== vocab.numTables) {
      throw new UserError(`the manifest's schema has ${labelled.numTables} categorical columns but ${manifest.tables.length} tables`);
    }
    const fields = await firstLineFields(day, labelled.delimiter);
    if (fields === null) throw new UserError(`--input ${file}: the file is empty`);
    const withoutLabel = labelled.hasLabel && fields === labelled.numFields - 1;
    return new RawRowSource(day, labelled.hasLabel && !withoutLabel, withoutLabel ? compileLayout(unlabelledSchema(manifest.schema)) : labelled, manifest, vocab, opts);
  }

  /** The file's rows in order, `batchSize` per batch (the last may be smaller). */
  async *batches(batchSize: number, startRow = 0): AsyncGenerator<Batch> {
    if (startRow !== 0) throw new RangeError('RawRowSource reads from the first line only');
    const L = this.layout;
    const T = L.numTables;
    const parser = new LineParser(L, { maxIndRange: this.manifest.options.maxIndRange, subsampleRate: 0, seed: 0, skipInvalid: false, partitionBounds: [0, T] });
    let linesBefore = 0;
    for await (const block of readDayBlocks(this.day, this.opts.blockBytes ?? DEFAULT_BLOCK_BYTES, this.opts.onBytes ?? (() => {}))) {
      const parsed = parser.parseBlock(block.bytes, block.end, 0, linesBefore, block.lines);
      if (parsed.firstError) {
        const e = parsed.firstError;
        const field = e.field === undefined ? undefined : `${e.field} (${L.fieldNames[e.field - 1]})`;
        throw inputError({ file: this.day.file, line: linesBefore + e.line + 1, field }, e.message);
      }
      const n = parsed.rows;
      const offsets = Uint32Array.from({ length: n + 1 }, (_, i) => i);
      const sparse: BagInput[] = [];
      for (let t = 0; t < T; t++) {
        const indices = parsed.parts[0].subarray(t * parsed.capacity, t * parsed.capacity + n);
        this.vocab.mapInPlace(t, indices);
        sparse.push({ offsets, indices });
      }
      this.lines.push(Float64Array.from({ length: n }, (_, i) => linesBefore + 1 + i));
      const rows: Batch = { size: n, numDense: L.numDense, dense: parsed.dense.subarray(0, n * L.numDense), labels: parsed.labels.subarray(0, n), sparse };
      for (let a = 0; a < n; a += batchSize) yield sliceBatch(rows, a, Math.min(n, a + batchSize));
      linesBefore += parsed.lines;
    }
  }
}
