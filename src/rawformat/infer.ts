// `dlrm schema --infer`: a starting column schema guessed from the first rows of a click log, for the user
// to check and edit (docs/SCHEMA.md "Inference"). Detects the delimiter (the candidate whose count per line
// is the same and highest on the sampled lines), CSV quoting, a header line, and per column: the label (a
// 0/1 column named label/click/clicked/y/target/is_click, else the first 0/1 column), dense numeric (log1p
// for non-negative integers, standardize otherwise), categorical hex / decimal (id-like integer columns) /
// string, multi-hot when values contain a list separator ('|', ';', or ',' when it is not the delimiter),
// and a date column (YYYY-MM-DD...) proposed as the date split. Each column records its sampled cardinality
// and empty rate in an "_inferred" note (keys starting with '_' are ignored by the schema loader).
// Parquet input (a file, folder or glob) takes its types from the Parquet schema instead (inferParquetSchema).
import type { CategoricalColumn, ColumnSchema, DenseColumn } from './schema';
import { UserError } from '../util/errors';
import { wholeFileDay } from './blockReader';
import { firstLines } from './firstLines';
import { compareDates } from './loadSchema';
import { DelimitedRowParser } from './delimitedParser';
import {
  isParquetInput,
  parquetColumns,
  parquetFiles,
  readParquetBatches,
  type ColumnValues,
  type ParquetColumn,
} from './parquetReader';

const DELIMITERS = ['\t', ',', ';', '|'];
const LIST_SEPARATORS = ['|', ';', ','];
const LABEL_NAMES = ['label', 'click', 'clicked', 'clicks', 'y', 'target', 'is_click'];
const DATE = /^\d{4}-\d{2}-\d{2}([ T].*)?$/;
const HEX = /^[0-9a-fA-F]{1,8}$/;
const UINT = /^\d{1,10}$/;
const INT = /^-?\d{1,15}$/;

export interface InferredColumn {
  name: string;
  kind: 'label' | 'dense' | 'categorical' | 'date' | 'ignore';
  detail: string;
  distinct: number;
  emptyRate: number;
}

export interface InferredSchema {
  schema: ColumnSchema & { _comment: string };
  columns: InferredColumn[];
  rowsSampled: number;
}

/** The first `maxLines` non-empty lines of the file, as strings. */
async function sampleLines(file: string, maxLines: number): Promise<string[]> {
  const lines = await firstLines(wholeFileDay(file, 'dlrm schema --infer'), maxLines);
  if (lines.length === 0) throw new UserError(`${file}: the file is empty`);
  return lines.map((l) => Buffer.from(l.bytes).toString('utf8'));
}

/** The delimiter whose per-line count is constant and highest over the sampled lines (outside quotes). */
function detectDelimiter(lines: string[]): string {
  let best = '\t',
    bestCount = 0;
  for (const d of DELIMITERS) {
    const counts = lines.map((l) => l.replace(/"[^"]*"/g, '').split(d).length - 1);
    if (counts[0] > bestCount && counts.every((c) => c === counts[0])) {
      best = d;
      bestCount = counts[0];
    }
  }
  return best;
}

/** Splits the sampled lines into fields with the row parser (quotes honoured); all must have the first line's count. */
function splitAll(lines: string[], delimiter: string, quoted: boolean): string[][] {
  const parserOf = (fields: number): DelimitedRowParser =>
    new DelimitedRowParser(
      {
        delimiter,
        header: false,
        quoted,
        columns: new Array<string>(fields).fill('ignore'),
        dense: [],
        categorical: [],
      },
      0,
      false,
    );
  const firstLine = Buffer.from(lines[0], 'utf8');
  const counted = parserOf(1).splitFields(firstLine, 0, firstLine.length);
  const fields = typeof counted === 'number' ? counted : 1;
  const parser = parserOf(fields);
  return lines.map((line, i) => {
    const bytes = Buffer.from(line, 'utf8');
    const n = parser.splitFields(bytes, 0, bytes.length);
    if (typeof n !== 'number') throw new UserError(`sampled line ${i + 1}: field ${n.field ?? '?'} ${n.message}`);
    if (n !== fields)
      throw new UserError(
        `sampled line ${i + 1} has ${n} fields, the first line ${fields}: is the file consistently delimited?`,
      );
    return Array.from({ length: n }, (_, f) => parser.fieldText(f));
  });
}

const isNumber = (v: string): boolean => v.trim() !== '' && Number.isFinite(Number(v));

/** Guesses a schema from the first `rows` data rows of `file`. */
export async function inferSchema(file: string, rows = 1000): Promise<InferredSchema> {
  if (isParquetInput(file)) return inferParquetSchema(file, rows);
  const lines = await sampleLines(file, rows + 1);
  const delimiter = detectDelimiter(lines);
  const quoted = lines.some((l) => l.startsWith('"') || l.includes(`${delimiter}"`));
  const table = splitAll(lines, delimiter, quoted);
  // a header: every first-line field is a non-empty non-number, and some column's first value is a
  // non-number above numeric data, or no first-line value reappears below it
  const first = table[0];
  const body = table.slice(1);
  const header =
    body.length > 0 &&
    first.every((v) => v.trim() !== '' && !isNumber(v)) &&
    first.some((v, c) => body.every((r) => isNumber(r[c]) || r[c].trim() === '') || !body.some((r) => r[c] === v));
  // exactly `rows` data rows: the sample read one line more, for a header
  const data = (header ? body : table).slice(0, rows);
  if (data.length === 0) throw new UserError(`${file}: only a header line; inference needs data rows`);
  const names = header ? first.map((v) => v.trim()) : first.map((_, c) => `f${c + 1}`);
  const seen = new Set<string>();
  names.forEach((n, c) => {
    if (seen.has(n)) names[c] = `${n}_${c + 1}`;
    seen.add(names[c]);
  });

  const columns: InferredColumn[] = names.map((name, c) => {
    const values = data.map((r) => r[c]);
    const present = values.filter((v) => v.trim() !== '');
    const distinct = new Set(present).size;
    const emptyRate = (values.length - present.length) / values.length;
    const base = { name, distinct, emptyRate }; // multi-hot: distinct list elements
    if (present.length === 0) return { ...base, kind: 'ignore', detail: 'always empty in the sample' };
    if (present.every((v) => v === '0' || v === '1') && emptyRate === 0)
      return { ...base, kind: 'label', detail: '0/1' };
    if (present.every((v) => DATE.test(v))) return { ...base, kind: 'date', detail: 'date' };
    const separator = present.every((v) => isNumber(v))
      ? undefined
      : LIST_SEPARATORS.find((s) => s !== delimiter && present.some((v) => v.includes(s)));
    const elements = separator ? present.flatMap((v) => v.split(separator).filter((e) => e !== '')) : present;
    const multi = separator ? ` multi-hot '${separator}'` : '';
    if (separator) base.distinct = new Set(elements).size;
    if (!separator && present.every((v) => isNumber(v)) && !/(^id$|_id$|^id_|Id$)/.test(name)) {
      const counts = present.every((v) => INT.test(v.trim()) && Number(v) >= 0);
      return { ...base, kind: 'dense', detail: counts ? 'log1p' : 'standardize' };
    }
    if (elements.every((v) => UINT.test(v) && Number(v) <= 0xffffffff))
      return { ...base, kind: 'categorical', detail: `decimal${multi}` };
    if (
      elements.every((v) => HEX.test(v)) &&
      elements.some((v) => /[a-fA-F]/.test(v)) &&
      elements.some((v) => v.length >= 6)
    )
      return { ...base, kind: 'categorical', detail: `hex${multi}` };
    return { ...base, kind: 'categorical', detail: `string${multi}` };
  });
  // the label: a 0/1 column with a label-like name, else the first 0/1 column; other 0/1 columns are features
  const binary = columns.filter((col) => col.kind === 'label');
  const label = binary.find((col) => LABEL_NAMES.includes(col.name.toLowerCase())) ?? binary[0];
  for (const col of binary) if (col !== label) Object.assign(col, { kind: 'categorical', detail: 'decimal' });
  const dateColumn = columns.find((col) => col.kind === 'date');
  for (const col of columns)
    if (col.kind === 'date' && col !== dateColumn) Object.assign(col, { kind: 'categorical', detail: 'string' });

  const note = (col: InferredColumn): string =>
    `${col.distinct} distinct in ${data.length} sampled rows${col.distinct === data.length - Math.round(col.emptyRate * data.length) ? ' (all different: a large or id-like vocabulary)' : ''}; ${(100 * col.emptyRate).toFixed(1)}% empty`;
  const dense: DenseColumn[] = columns
    .filter((col) => col.kind === 'dense')
    .map(
      (col) =>
        ({ name: col.name, transform: col.detail as DenseColumn['transform'], _inferred: note(col) }) as DenseColumn,
    );
  const categorical: CategoricalColumn[] = columns
    .filter((col) => col.kind === 'categorical')
    .map((col) => {
      const encoding = col.detail.split(' ')[0] as CategoricalColumn['encoding'];
      const sep = /'(.)'/.exec(col.detail)?.[1];
      return {
        name: col.name,
        encoding,
        ...(sep ? { multiHotSeparator: sep } : {}),
        _inferred: note(col),
      } as CategoricalColumn;
    });
  let split: ColumnSchema['split'] = { by: 'blocks', blocks: 7 };
  if (dateColumn) {
    const dates = [...new Set(data.map((r) => r[names.indexOf(dateColumn.name)].trim()))].sort(compareDates);
    if (dates.length >= 2) split = { by: 'date', column: dateColumn.name, test: dates[dates.length - 1] };
    else dateColumn.kind = 'ignore';
  }
  const schema = {
    _comment: `inferred by dlrm schema --infer from the first ${data.length} rows of ${file}: check every column (docs/SCHEMA.md)${label ? '' : '; NO LABEL COLUMN FOUND: add "label": {"name": ...}'}`,
    delimiter,
    header,
    ...(quoted ? { quoted } : {}),
    columns: columns.map((col) => (col.kind === 'ignore' ? 'ignore' : col.name)),
    ...(label ? { label: { name: label.name } } : {}),
    dense,
    categorical,
    split,
  } as ColumnSchema & { _comment: string };
  return { schema, columns, rowsSampled: data.length };
}

/**
 * Guesses a schema for Parquet input from its column types and its first `rows` rows: integers are dense
 * (log1p when the sampled values are non-negative, else standardize) or, named like ids, categoricals
 * (decimal when they fit 32 bits, else string); floats dense; strings string categoricals; lists multi-hot
 * (joined by a separator no sampled element holds); a timestamp/date the date split; a bool, or a 0/1
 * integer named like a label, the label (the other bools: decimal categoricals). Other types are ignored.
 */
export async function inferParquetSchema(input: string, rows = 1000): Promise<InferredSchema> {
  const files = parquetFiles(input, 'dlrm schema --infer');
  const types = await parquetColumns(files[0]);
  const readable = types.filter(
    (c): c is ParquetColumn & { kind: NonNullable<ParquetColumn['kind']> } => c.kind !== undefined,
  );
  const samples = new Map<string, unknown[]>(readable.map((c) => [c.name, []]));
  let sampled = 0;
  for await (const batch of readParquetBatches(
    files,
    readable.map((c) => ({ name: c.name, kinds: [c.kind], role: 'sampled column' })),
  )) {
    const take = Math.min(batch.rows, rows - sampled);
    for (const c of readable) {
      const values = batch.columns.get(c.name) as ColumnValues;
      const nulls = batch.nulls.get(c.name);
      const out = samples.get(c.name) as unknown[];
      for (let r = 0; r < take; r++) out.push(nulls?.[r] ? null : values[r]);
    }
    sampled += take;
    if (sampled >= rows) break;
  }
  if (sampled === 0) throw new UserError(`${input}: no rows; inference needs data rows`);

  const columns: InferredColumn[] = types.map((t) => {
    const values = samples.get(t.name);
    if (t.kind === undefined || values === undefined)
      return { name: t.name, kind: 'ignore', detail: `${t.type}: not supported`, distinct: 0, emptyRate: 0 };
    const present = values.filter((v) => v !== null);
    const key = (v: unknown): string => (Array.isArray(v) ? '' : String(v));
    const elements = t.kind === 'list' ? present.flatMap((v) => v as string[]) : present.map(key);
    const base = {
      name: t.name,
      distinct: new Set(elements).size,
      emptyRate: (values.length - present.length) / values.length,
    };
    if (present.length === 0) return { ...base, kind: 'ignore', detail: 'always null in the sample' };
    const binary = elements.every((v) => v === '0' || v === '1' || v === 'true' || v === 'false');
    const labelName = LABEL_NAMES.includes(t.name.toLowerCase());
    if (t.kind === 'bool' || (binary && labelName && base.emptyRate === 0))
      return { ...base, kind: 'label', detail: t.kind === 'bool' ? 'bool' : '0/1' };
    if (t.kind === 'date') return { ...base, kind: 'date', detail: 'date' };
    if (t.kind === 'string') return { ...base, kind: 'categorical', detail: 'string' };
    if (t.kind === 'list') {
      const sep = LIST_SEPARATORS.find((s) => !elements.some((e) => e.includes(s)));
      return sep
        ? { ...base, kind: 'categorical', detail: `string multi-hot '${sep}'` }
        : { ...base, kind: 'ignore', detail: 'a list whose elements hold every separator' };
    }
    const integers = elements.every((v) => /^-?\d+$/.test(v));
    if (integers && /(^id$|_id$|^id_|Id$)/.test(t.name))
      return {
        ...base,
        kind: 'categorical',
        detail: elements.every((v) => UINT.test(v) && Number(v) <= 0xffffffff) ? 'decimal' : 'string',
      };
    return {
      ...base,
      kind: 'dense',
      detail: integers && elements.every((v) => !v.startsWith('-')) ? 'log1p' : 'standardize',
    };
  });
  const binary = columns.filter((col) => col.kind === 'label');
  const label = binary.find((col) => LABEL_NAMES.includes(col.name.toLowerCase())) ?? binary[0];
  for (const col of binary) if (col !== label) Object.assign(col, { kind: 'categorical', detail: 'decimal' });
  const dateColumn = columns.find((col) => col.kind === 'date');
  for (const col of columns)
    if (col.kind === 'date' && col !== dateColumn)
      Object.assign(col, { kind: 'ignore', detail: 'a second date column' });
  let split: ColumnSchema['split'] = { by: 'blocks', blocks: 7 };
  if (dateColumn) {
    const days = [
      ...new Set((samples.get(dateColumn.name) as (string | null)[]).filter((d): d is string => d !== null)),
    ].sort(compareDates);
    if (days.length >= 2) split = { by: 'date', column: dateColumn.name, test: days[days.length - 1] };
    else Object.assign(dateColumn, { kind: 'ignore', detail: 'one date in the sample' });
  }
  const note = (col: InferredColumn): string =>
    `${col.distinct} distinct in ${sampled} sampled rows; ${(100 * col.emptyRate).toFixed(1)}% null`;
  const schema = {
    _comment: `inferred by dlrm schema --infer from the first ${sampled} rows of ${input} (Parquet: delimiter and header are for a CSV export of the same columns): check every column (docs/SCHEMA.md)${label ? '' : '; NO LABEL COLUMN FOUND: add "label": {"name": ...}'}`,
    delimiter: '\t',
    header: false,
    columns: columns.map((col) => (col.kind === 'ignore' ? 'ignore' : col.name)),
    ...(label ? { label: { name: label.name } } : {}),
    dense: columns
      .filter((col) => col.kind === 'dense')
      .map((col) => ({ name: col.name, transform: col.detail, _inferred: note(col) }) as DenseColumn),
    categorical: columns
      .filter((col) => col.kind === 'categorical')
      .map((col) => {
        const sep = /'(.)'/.exec(col.detail)?.[1];
        return {
          name: col.name,
          encoding: col.detail.split(' ')[0],
          ...(sep ? { multiHotSeparator: sep } : {}),
          _inferred: note(col),
        } as CategoricalColumn;
      }),
    split,
  } as ColumnSchema & { _comment: string };
  return { schema, columns, rowsSampled: sampled };
}
