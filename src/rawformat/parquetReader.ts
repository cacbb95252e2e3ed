// Reads Parquet input (docs/SCHEMA.md "Parquet"): one file, a folder of part files, or a glob in the last
// path component (`data/part-*.parquet`), as Spark and data lakes write them (`_SUCCESS`, `.crc` and other
// `_`/`.` files are ignored; parts are read in name order). It yields column batches, one row group at a
// time (bounded memory), rows in file order, for the columns asked for:
//   numbers (int8..int32, float, double) -> Float64Array; int64 -> BigInt64Array; bool -> Uint8Array (0/1);
//   strings -> string[]; timestamps and dates -> string[] of their UTC day 'YYYY-MM-DD';
//   a list of strings or numbers -> (string[] | null)[] (numbers as decimal text);
// `nulls` holds a Uint8Array per column that has nulls in the batch (1 = null; the value slot is then 0 or '').
// A missing column, a column of a kind the caller does not take, and a file that is not readable Parquet are
// UserErrors naming the file and the column.
//
// The library is hyparquet (pure JavaScript, + hyparquet-compressors for zstd/gzip/brotli/lz4), chosen by
// scripts/bench-parquet-libs.ts (issue 12 asks for the figures here; details in docs/SCHEMA.md "Parquet").
// 5M rows x 12 columns, 1M-row groups, every value read, 2 cores at load ~20 (ratios matter, not rates):
//   snappy: hyparquet 63,369 rows/s, 1,551 MB peak; parquet-wasm+arrow 33,384, 1,560 MB; duckdb 56,269, 210 MB
//   zstd:   hyparquet 38,460 rows/s, 1,818 MB peak; parquet-wasm+arrow 24,825, 1,549 MB; duckdb 48,246, 199 MB
// Why hyparquet: as fast as DuckDB (faster on snappy, 20% slower on zstd), parquet-wasm far behind, and
// pure JavaScript (nothing native per platform, no install script). Its cost: it decodes whole column
// chunks, so memory grows with the row-group size (reading one column at a time, below: 874 MB for a
// 1M-row group of those 12 columns, 1,213 MB when all were decoded together); DuckDB streams at ~200 MB.
// It is ESM only: loaded with require() of ESM (Node 20.19+).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AsyncBuffer, FileMetaData, ParquetReadOptions, SchemaElement, SchemaTree } from 'hyparquet';
import { UserError } from '../util/errors';

/** What a Parquet column holds, as far as a schema role cares. */
export type ParquetKind = 'number' | 'int64' | 'bool' | 'string' | 'date' | 'list';

export type ColumnValues = Float64Array | BigInt64Array | Uint8Array | string[] | (string[] | null)[];

/** Rows [firstRow, firstRow + rows) of `file` (0-based within that file), column by column. */
export interface ColumnBatch {
  file: string;
  firstRow: number;
  rows: number;
  columns: Map<string, ColumnValues>;
  nulls: Map<string, Uint8Array>;
}

/** A column to read, the kinds it may be, and what it is for (named in the error for another kind). */
export interface ColumnRequest {
  name: string;
  kinds: readonly ParquetKind[];
  role: string;
}

/** A top-level column of a Parquet file and its kind (undefined: a type this reader does not convert). */
export interface ParquetColumn {
  name: string;
  kind: ParquetKind | undefined;
  type: string;
}

/** Whether `input` names Parquet input: a *.parquet file, a folder holding some, or a glob matching some. */
export function isParquetInput(input: string): boolean {
  if (hasGlob(input)) return globFiles(input).some((f) => f.endsWith('.parquet'));
  if (input.endsWith('.parquet')) return true;
  try {
    return fs.statSync(input).isDirectory() && partFilesIn(input).length > 0;
  } catch {
    return false;
  }
}

/** The Parquet files of `input` in reading order; `flag` names the option in the error when there are none. */
export function parquetFiles(input: string, flag: string): string[] {
  if (hasGlob(input)) {
    const files = globFiles(input).filter((f) => !isSidecar(path.basename(f)));
    if (files.length === 0) throw new UserError(`${flag} ${input}: no file matches`);
    return files;
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(input);
  } catch (err) {
    throw new UserError(`${flag} ${input}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (!stat.isDirectory()) return [input];
  const files = partFilesIn(input);
  if (files.length === 0) throw new UserError(`${flag} ${input}: the folder holds no .parquet file`);
  return files;
}

const hasGlob = (p: string): boolean => /[*?[]/.test(path.basename(p));
/** Files a reader of a dataset folder skips: Spark's _SUCCESS, _metadata, .crc checksums, hidden files. */
const isSidecar = (name: string): boolean => name.startsWith('_') || name.startsWith('.') || name.endsWith('.crc');

function partFilesIn(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.parquet') && !isSidecar(n))
    .sort()
    .map((n) => path.join(dir, n));
}

/** The files matching a glob whose wildcards (* ? [abc]) are in the last path component, in name order. */
function globFiles(pattern: string): string[] {
  const dir = path.dirname(pattern);
  const source = path
    .basename(pattern)
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  const re = new RegExp(`^${source}$`);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => re.test(n))
    .sort()
    .map((n) => path.join(dir, n));
}

type Hyparquet = typeof import('hyparquet');
let library: { hyparquet: Hyparquet; compressors: ParquetReadOptions['compressors'] } | undefined;
async function hyparquet(): Promise<NonNullable<typeof library>> {
  library ??= {
    hyparquet: await import('hyparquet'),
    compressors: (await import('hyparquet-compressors')).compressors,
  };
  return library;
}

/** An open Parquet file: its metadata and top-level columns. */
interface OpenFile {
  file: string;
  fd: number;
  buffer: AsyncBuffer;
  metadata: FileMetaData;
  columns: Map<string, { column: ParquetColumn; tree: SchemaTree }>;
}

function corrupt(file: string, err: unknown): UserError {
  return new UserError(`${file}: not a readable Parquet file (${err instanceof Error ? err.message : String(err)})`);
}

async function openFile(file: string): Promise<OpenFile> {
  const { hyparquet: hp } = await hyparquet();
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw new UserError(`${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const byteLength = fs.fstatSync(fd).size;
  const buffer: AsyncBuffer = {
    byteLength,
    slice(start: number, end = byteLength): ArrayBuffer {
      if (start < 0 || end > byteLength || start > end)
        throw new Error(`read of bytes [${start}, ${end}) outside the file's ${byteLength}`);
      const out = new ArrayBuffer(end - start);
      fs.readSync(fd, new Uint8Array(out), 0, end - start, start);
      return out;
    },
  };
  try {
    const metadata = await hp.parquetMetadataAsync(buffer);
    const columns = new Map(
      hp.parquetSchema(metadata).children.map((tree) => [tree.element.name, { column: describe(tree), tree }]),
    );
    return { file, fd, buffer, metadata, columns };
  } catch (err) {
    fs.closeSync(fd);
    throw corrupt(file, err);
  }
}

/** The kind of a top-level column from its schema element (and, for a list, its element's). */
function describe(tree: SchemaTree): ParquetColumn {
  const e = tree.element;
  const name = e.name;
  if (tree.children.length > 0) {
    // a list: LIST annotation over a repeated group with one leaf, or a bare repeated leaf group
    const isList = e.converted_type === 'LIST' || e.logical_type?.type === 'LIST';
    const leaf = isList && tree.children.length === 1 ? (tree.children[0].children[0] ?? tree.children[0]) : undefined;
    const inner = leaf && leaf.children.length === 0 ? leafKind(leaf.element) : undefined;
    const ok = inner === 'string' || inner === 'number' || inner === 'int64';
    return {
      name,
      kind: ok ? 'list' : undefined,
      type: ok ? `list<${leaf?.element.type}>` : `group${e.converted_type ? ` (${e.converted_type})` : ''}`,
    };
  }
  if (e.repetition_type === 'REPEATED') return { name, kind: undefined, type: `repeated ${e.type}` };
  return { name, kind: leafKind(e), type: typeName(e) };
}

function typeName(e: SchemaElement): string {
  const annotation = e.logical_type?.type ?? e.converted_type;
  return annotation ? `${e.type} (${annotation})` : String(e.type);
}

function leafKind(e: SchemaElement): ParquetKind | undefined {
  const logical = e.logical_type?.type;
  const converted = e.converted_type;
  if (
    logical === 'TIMESTAMP' ||
    logical === 'DATE' ||
    converted === 'DATE' ||
    converted === 'TIMESTAMP_MILLIS' ||
    converted === 'TIMESTAMP_MICROS' ||
    e.type === 'INT96'
  )
    return 'date';
  if (logical === 'DECIMAL' || converted === 'DECIMAL' || logical === 'FLOAT16') return undefined;
  switch (e.type) {
    case 'BOOLEAN':
      return 'bool';
    case 'INT32':
    case 'FLOAT':
    case 'DOUBLE':
      return 'number';
    case 'INT64':
      return 'int64';
    case 'BYTE_ARRAY':
      return converted === 'UTF8' ||
        logical === 'STRING' ||
        logical === 'ENUM' ||
        converted === 'ENUM' ||
        (converted === undefined && logical === undefined)
        ? 'string'
        : undefined;
    default:
      return undefined;
  }
}

/** The top-level columns of a Parquet file. */
export async function parquetColumns(file: string): Promise<ParquetColumn[]> {
  const f = await openFile(file);
  fs.closeSync(f.fd);
  return [...f.columns.values()].map((c) => c.column);
}

/** Timestamps and dates become epoch milliseconds here, then day strings. */
const TIME_PARSERS = {
  timestampFromMilliseconds: (v: bigint): number => Number(v),
  timestampFromMicroseconds: (v: bigint): number => Number(v / 1000n),
  timestampFromNanoseconds: (v: bigint): number => Number(v / 1000000n),
  dateFromDays: (days: number): number => days * 86400000,
};

/**
 * The rows of every file of `files` in order, one row group per batch, restricted to `wanted`. Every file
 * is checked for the wanted columns and their kinds when it is opened.
 */
export async function* readParquetBatches(
  files: readonly string[],
  wanted: readonly ColumnRequest[],
): AsyncGenerator<ColumnBatch> {
  const { hyparquet: hp, compressors } = await hyparquet();
  for (const file of files) {
    const f = await openFile(file);
    try {
      const kinds = wanted.map((w) => {
        const found = f.columns.get(w.name);
        if (!found)
          throw new UserError(
            `${file}: no column '${w.name}' (the schema's ${w.role}); the file has: ${[...f.columns.keys()].join(', ')}`,
          );
        const kind = found.column.kind;
        if (kind === undefined || !w.kinds.includes(kind))
          throw new UserError(
            `${file}: column '${w.name}' is ${found.column.type}, which the schema's ${w.role} cannot take (it takes ${w.kinds.join(', ')})`,
          );
        return kind;
      });
      let rowStart = 0;
      for (const group of f.metadata.row_groups) {
        const rows = Number(group.num_rows);
        const rowEnd = rowStart + rows;
        // one column at a time, each converted before the next is decoded: the peak holds one column's
        // decoded values beside the converted batch
        const batch: ColumnBatch = { file, firstRow: rowStart, rows, columns: new Map(), nulls: new Map() };
        for (let i = 0; i < wanted.length; i++) {
          let values: ArrayLike<unknown> | undefined;
          try {
            await hp.parquetRead({
              file: f.buffer,
              metadata: f.metadata,
              compressors,
              parsers: TIME_PARSERS,
              columns: [wanted[i].name],
              rowStart,
              rowEnd,
              onChunk: (chunk) => {
                const data = chunk.columnData as ArrayLike<unknown>;
                if (chunk.rowStart === rowStart && chunk.rowEnd === rowEnd) {
                  values = data;
                  return;
                }
                const out = (values ??= new Array<unknown>(rows)) as unknown[];
                const from = Math.max(rowStart, chunk.rowStart),
                  to = Math.min(rowEnd, chunk.rowEnd);
                for (let r = from; r < to; r++) out[r - rowStart] = data[r - chunk.rowStart];
              },
            });
          } catch (err) {
            throw corrupt(file, err);
          }
          if (values === undefined || values.length !== rows)
            throw corrupt(
              file,
              new Error(
                `column '${wanted[i].name}' gave ${values?.length ?? 0} values for a row group of ${rows} rows`,
              ),
            );
          convertColumn(batch, wanted[i].name, kinds[i], values);
        }
        yield batch;
        rowStart = rowEnd;
      }
    } finally {
      fs.closeSync(f.fd);
    }
  }
}

/** Stores `values` (hyparquet's output for one column, null/undefined = null) in the batch's shape for `kind`. */
function convertColumn(batch: ColumnBatch, name: string, kind: ParquetKind, values: ArrayLike<unknown>): void {
  const n = batch.rows;
  let nulls: Uint8Array | undefined;
  const isNull = (r: number): boolean => {
    if (values[r] !== null && values[r] !== undefined) return false;
    (nulls ??= new Uint8Array(n))[r] = 1;
    return true;
  };
  let out: ColumnValues;
  if (kind === 'number') {
    const a = new Float64Array(n);
    for (let r = 0; r < n; r++) if (!isNull(r)) a[r] = values[r] as number;
    out = a;
  } else if (kind === 'int64') {
    const a = new BigInt64Array(n);
    for (let r = 0; r < n; r++) if (!isNull(r)) a[r] = values[r] as bigint;
    out = a;
  } else if (kind === 'bool') {
    const a = new Uint8Array(n);
    for (let r = 0; r < n; r++) if (!isNull(r)) a[r] = values[r] ? 1 : 0;
    out = a;
  } else if (kind === 'string') {
    const a = new Array<string>(n);
    for (let r = 0; r < n; r++) a[r] = isNull(r) ? '' : (values[r] as string);
    out = a;
  } else if (kind === 'date') {
    const a = new Array<string>(n);
    for (let r = 0; r < n; r++) a[r] = isNull(r) ? '' : utcDay(values[r] as number | Date);
    out = a;
  } else {
    const a = new Array<string[] | null>(n);
    for (let r = 0; r < n; r++)
      a[r] = isNull(r) ? null : (values[r] as unknown[]).filter((v) => v !== null && v !== undefined).map(String);
    out = a;
  }
  batch.columns.set(name, out);
  if (nulls) batch.nulls.set(name, nulls);
}

const MS_PER_DAY = 86400000;
/** The day strings made so far, by day number (a log spans few days). */
const dayText = new Map<number, string>();

/** 'YYYY-MM-DD' of an epoch-millisecond instant (or a Date, as INT96 timestamps arrive), in UTC. */
function utcDay(v: number | Date): string {
  const day = Math.floor(Number(v) / MS_PER_DAY);
  let text = dayText.get(day);
  if (text === undefined) {
    text = new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
    if (dayText.size < 100000) dayText.set(day, text);
  }
  return text;
}
