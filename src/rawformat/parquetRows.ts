// The seam between Parquet input and the delimited-text pipeline: each Parquet column batch
// (src/rawformat/parquetReader.ts) is rendered as lines of the schema's columns joined by U+001F (no
// quoting; `ignore` columns empty), parsed by parserFor(parquetTextSchema(schema)) (a DelimitedRowParser).
// A value renders as the text a CSV twin of the file would hold: numbers as JavaScript prints them (exact
// for doubles), int64 in decimal, bool as 0/1, null as the empty field, timestamps/dates as their UTC day,
// a list as its elements joined by the column's multiHotSeparator.
// Strings holding a line break or U+001F, and list elements holding the separator, are refused.
// renderParquetText writes the lines into a temporary file that preprocess --schema runs its block pipeline
// (ParsePool) on; ParquetRowSource gives predict its batches (encoded by a RowEncoder opened over
// parquetTextSchema). Errors name the part file and the 1-based row within it as the "line".
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import type { ColumnSchema } from './schema';
import type { AtomicFile } from '../util/atomic';
import type { Batch } from '../dataset/batch';
import { sliceBatch } from '../dataset/batchRows';
import type { BatchSource } from '../dataset/source';
import { BadRowError, type RowEncoder } from '../predict/rowEncoder';
import { RowLines } from '../predict/rowLines';
import { inputError, UserError, type InputLocation } from '../util/errors';
import {
  parquetColumns,
  parquetFiles,
  readParquetBatches,
  type ColumnBatch,
  type ColumnRequest,
  type ParquetKind,
} from './parquetReader';

const US = '\x1f';
/** A value that cannot sit in a rendered line: a line break or the field separator U+001F. */
const LINE_OR_SEPARATOR = new RegExp(`[\n\r${US}]`);
/** Rows rendered per block of lines (bounded memory within a large row group). */
const BLOCK_ROWS = 16384;

/** The schema the rendered lines are parsed with: the user's columns, US-delimited, no header or quotes. */
export function parquetTextSchema(schema: ColumnSchema): ColumnSchema {
  return { ...schema, delimiter: US, header: false, quoted: false };
}

/** What each of the schema's columns is for, and the Parquet kinds it takes. */
function requests(schema: ColumnSchema, withLabel: boolean): ColumnRequest[] {
  const dateColumn = schema.split?.by === 'date' ? schema.split.column : undefined;
  const numeric: ParquetKind[] = ['number', 'int64', 'bool'];
  return schema.columns.flatMap((name): ColumnRequest[] => {
    if (name === 'ignore') return [];
    if (schema.label?.name === name) return withLabel ? [{ name, kinds: numeric, role: 'label' }] : [];
    if (schema.dense.some((d) => d.name === name)) return [{ name, kinds: numeric, role: 'dense column' }];
    const cat = schema.categorical.find((c) => c.name === name);
    if (cat?.multiHotSeparator !== undefined) return [{ name, kinds: ['list', 'string'], role: 'multi-hot column' }];
    if (cat) return [{ name, kinds: ['string', 'int64', 'number', 'bool'], role: 'categorical column' }];
    if (name === dateColumn) return [{ name, kinds: ['date', 'string', 'int64', 'number'], role: 'date split column' }];
    return [];
  });
}

/** Renders rows [a, b) of a batch as lines (each ending in '\n') of the schema's columns. */
function renderLines(batch: ColumnBatch, schema: ColumnSchema, withLabel: boolean, a: number, b: number): string {
  const columns = schema.columns.filter((name) => withLabel || name !== schema.label?.name);
  const separators = new Map(schema.categorical.map((c) => [c.name, c.multiHotSeparator]));
  const text = columns.map((name) => {
    const values = batch.columns.get(name);
    const nulls = batch.nulls.get(name);
    const out = new Array<string>(b - a).fill('');
    if (values === undefined) return out;
    const bad = (r: number, what: string): UserError =>
      inputError({ file: batch.file, line: batch.firstRow + r + 1, field: name }, what);
    for (let r = a; r < b; r++) {
      if (nulls?.[r]) continue;
      const v = values[r];
      if (typeof v === 'string') {
        if (LINE_OR_SEPARATOR.test(v))
          throw bad(r, `${JSON.stringify(v)} holds a line break or U+001F, which Parquet input cannot take`);
        out[r - a] = v;
      } else if (Array.isArray(v)) {
        const sep = separators.get(name) as string;
        if (v.some((e) => e.includes(sep) || LINE_OR_SEPARATOR.test(e)))
          throw bad(r, `a list element holds the multiHotSeparator ${JSON.stringify(sep)} or a line break`);
        out[r - a] = v.join(sep);
      } else {
        out[r - a] = String(v);
      }
    }
    return out;
  });
  let block = '';
  for (let r = 0; r < b - a; r++) {
    let line = text[0][r];
    for (let c = 1; c < text.length; c++) line += US + text[c][r];
    block += line + '\n';
  }
  return block;
}

/** Blocks of rendered lines of Parquet input, with the file and 0-based first row of each. */
export async function* parquetLineBlocks(
  files: readonly string[],
  schema: ColumnSchema,
  withLabel: boolean,
): AsyncGenerator<{ bytes: Uint8Array; file: string; firstRow: number; rows: number }> {
  for await (const batch of readParquetBatches(files, requests(schema, withLabel))) {
    for (let a = 0; a < batch.rows; a += BLOCK_ROWS) {
      const b = Math.min(batch.rows, a + BLOCK_ROWS);
      yield {
        bytes: Buffer.from(renderLines(batch, schema, withLabel, a, b), 'utf8'),
        file: batch.file,
        firstRow: batch.firstRow + a,
        rows: b - a,
      };
    }
  }
}

/** Whether the label column is among the Parquet input's columns (predict scores unlabelled rows otherwise). */
export async function parquetHasLabel(input: string, schema: ColumnSchema, flag: string): Promise<boolean> {
  const [first] = parquetFiles(input, flag);
  return schema.label !== undefined && (await parquetColumns(first)).some((c) => c.name === schema.label?.name);
}

/** Parquet input rendered into one delimited text file (renderParquetText). */
export interface RenderedParquet {
  /** The part files read, in order. */
  files: string[];
  /** Their total size in bytes. */
  bytes: number;
  /** Rows written (one line each, no header). */
  rows: number;
  /** sha256 of the part files' bytes, in order. */
  sha256: string;
  /** Where line `line` (1-based) of the rendered file comes from: its part file and 1-based row. */
  where(line: number): InputLocation;
}

/**
 * Renders Parquet input `raw` (a file, folder or glob; `flag` names the option in errors) as lines of
 * parquetTextSchema(schema), label included, into `out` (the caller's temporary file, which it removes),
 * and hashes the part files. Rows per part are kept so the block pipeline's line numbers map back to them.
 */
export async function renderParquetText(
  raw: string,
  schema: ColumnSchema,
  flag: string,
  out: AtomicFile,
): Promise<RenderedParquet> {
  const files = parquetFiles(raw, flag).map((f) => path.resolve(f));
  const hash = crypto.createHash('sha256');
  for (const f of files) for await (const chunk of fs.createReadStream(f)) hash.update(chunk as Buffer);
  const rowsOf = new Map<string, number>(files.map((f) => [f, 0]));
  let rows = 0;
  for await (const block of parquetLineBlocks(files, schema, true)) {
    out.write(block.bytes);
    rowsOf.set(block.file, (rowsOf.get(block.file) ?? 0) + block.rows);
    rows += block.rows;
  }
  const parts = files.map((file) => ({ file, rows: rowsOf.get(file) ?? 0 }));
  return {
    files,
    bytes: files.reduce((s, f) => s + fs.statSync(f).size, 0),
    rows,
    sha256: hash.digest('hex'),
    where: (line) => {
      let before = 0;
      for (const p of parts) {
        if (line <= before + p.rows) return { file: p.file, line: line - before };
        before += p.rows;
      }
      return { file: raw, line };
    },
  };
}

/** The default merged file of Parquet input: beside it, without '.parquet' (a folder: its name, a glob: its folder's), plus '.dlrm'. */
export function defaultParquetProcessedPath(raw: string): string {
  const base = /[*?[]/.test(path.basename(raw)) ? path.dirname(raw) : raw;
  return base.replace(/\/+$/, '').replace(/\.parquet$/, '') + '.dlrm';
}

/**
 * Parquet input as `dlrm predict`'s BatchSource: rendered lines through `encoder` (opened over
 * parquetTextSchema of the training schema, with or without the label as the input has it). `lines` gets
 * each row's 1-based position in the whole input (the CSV's `line`).
 */
export class ParquetRowSource implements BatchSource {
  readonly numDense: number;
  readonly tableSizes: readonly number[];
  readonly rows = Infinity;
  readonly lines = new RowLines();

  constructor(
    private readonly files: readonly string[],
    private readonly encoder: RowEncoder,
    private readonly schema: ColumnSchema,
    private readonly onBytes: (n: number) => void = () => {},
  ) {
    this.numDense = encoder.numDense;
    this.tableSizes = encoder.tableSizes;
  }

  async *batches(batchSize: number, startRow = 0): AsyncGenerator<Batch> {
    if (startRow !== 0) throw new RangeError('ParquetRowSource reads from the first row only');
    let before = 0,
      file = '';
    for await (const block of parquetLineBlocks(this.files, this.schema, this.encoder.hasLabel)) {
      if (block.file !== file) {
        if (file !== '') this.onBytes(fs.statSync(file).size);
        file = block.file;
      }
      let encoded;
      try {
        encoded = this.encoder.encode(block.bytes, 0, block.bytes.length, before + 1);
      } catch (err) {
        if (!(err instanceof BadRowError)) throw err;
        throw inputError(
          { file: block.file, line: block.firstRow + err.line - before, field: err.field, fieldName: err.fieldName },
          err.reason,
        );
      }
      this.lines.push(encoded.lines);
      const { batch } = encoded;
      for (let a = 0; a < batch.size; a += batchSize) yield sliceBatch(batch, a, Math.min(batch.size, a + batchSize));
      before += block.rows;
    }
    if (file !== '') this.onBytes(fs.statSync(file).size);
  }
}
