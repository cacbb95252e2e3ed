// Reads and validates a user's column schema (docs/SCHEMA.md): the JSON file given to
// `dlrm preprocess --schema`. Every problem is a UserError naming the schema file and the column or key at
// fault (unknown or duplicate columns, a missing label, unknown encodings or transforms, a bad multi-hot
// separator or split spec), so the data pass never starts on a schema it cannot honour.
import { readJsonFile } from '../util/jsonFile';
import type { CategoricalColumn, ColumnSchema, DenseColumn, SplitSpec } from './schema';
import { UserError } from '../util/errors';

const TRANSFORMS = ['log1p', 'none', 'standardize'] as const;
const ENCODINGS = ['hex', 'decimal', 'string'] as const;
/** The columns-list placeholder for a field that is read but not used. */
export const IGNORE_COLUMN = 'ignore';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks a parsed schema object; `where` names it in messages (the file). Returns it typed. */
export function validateSchema(raw: unknown, where: string): ColumnSchema {
  const fail = (msg: string): UserError => new UserError(`${where}: ${msg}`);
  if (!isObject(raw)) throw fail('the schema must be a JSON object');
  const known = new Set([
    'delimiter',
    'header',
    'quoted',
    'columns',
    'label',
    'dense',
    'categorical',
    'split',
    '_comment',
    'description',
  ]);
  for (const k of Object.keys(raw))
    if (!known.has(k)) throw fail(`unknown key '${k}' (known: ${[...known].join(', ')})`);
  const delimiter = raw.delimiter ?? '\t';
  if (
    typeof delimiter !== 'string' ||
    delimiter.length !== 1 ||
    delimiter.charCodeAt(0) > 127 ||
    delimiter === '\n' ||
    delimiter === '"'
  ) {
    throw fail(
      `delimiter must be one ASCII character other than newline and '"' (e.g. "\\t" or ","), got ${JSON.stringify(delimiter)}`,
    );
  }
  for (const k of ['header', 'quoted'] as const)
    if (raw[k] !== undefined && typeof raw[k] !== 'boolean') throw fail(`${k} must be true or false`);
  if (
    !Array.isArray(raw.columns) ||
    raw.columns.length === 0 ||
    !raw.columns.every((c) => typeof c === 'string' && c.length > 0)
  ) {
    throw fail('columns must be a non-empty list of column names, in file order ("ignore" for unused fields)');
  }
  const columns = raw.columns as string[];
  const inFile = new Set<string>();
  for (const c of columns) {
    if (c !== IGNORE_COLUMN && inFile.has(c)) throw fail(`column ${c} appears twice in columns`);
    inFile.add(c);
  }
  const used = new Set<string>();
  const claim = (name: unknown, what: string): string => {
    if (typeof name !== 'string' || name.length === 0) throw fail(`${what}: name must be a non-empty string`);
    if (!inFile.has(name) || name === IGNORE_COLUMN)
      throw fail(`${what} ${name} is not in columns (${columns.join(', ')})`);
    if (used.has(name))
      throw fail(`column ${name} is declared twice (label, dense and categorical columns must be distinct)`);
    used.add(name);
    return name;
  };
  if (!isObject(raw.label)) throw fail('label is missing: give {"name": "<the 0/1 click column>"}');
  const label = { name: claim(raw.label.name, 'label column') };
  if (raw.dense !== undefined && !Array.isArray(raw.dense)) throw fail('dense must be a list');
  if (raw.categorical !== undefined && !Array.isArray(raw.categorical)) throw fail('categorical must be a list');
  const dense: DenseColumn[] = ((raw.dense ?? []) as unknown[]).map((d, i) => {
    if (!isObject(d)) throw fail(`dense[${i}] must be an object {"name", "transform"}`);
    const name = claim(d.name, 'dense column');
    const transform = d.transform ?? 'none';
    if (!TRANSFORMS.includes(transform as (typeof TRANSFORMS)[number]))
      throw fail(
        `dense column ${name}: unknown transform ${JSON.stringify(transform)} (known: ${TRANSFORMS.join(', ')})`,
      );
    const col: DenseColumn = { name, transform: transform as DenseColumn['transform'] };
    if (d.mean !== undefined || d.std !== undefined) {
      if (transform !== 'standardize')
        throw fail(`dense column ${name}: mean/std only apply to transform "standardize"`);
      if (typeof d.mean !== 'number' || typeof d.std !== 'number' || !Number.isFinite(d.mean) || !(d.std > 0))
        throw fail(`dense column ${name}: give both mean (a number) and std (> 0), or neither`);
      col.mean = d.mean;
      col.std = d.std;
    }
    return col;
  });
  const categorical: CategoricalColumn[] = ((raw.categorical ?? []) as unknown[]).map((c, i) => {
    if (!isObject(c)) throw fail(`categorical[${i}] must be an object {"name", "encoding"}`);
    const name = claim(c.name, 'categorical column');
    const encoding = c.encoding ?? 'string';
    if (!ENCODINGS.includes(encoding as (typeof ENCODINGS)[number]))
      throw fail(
        `categorical column ${name}: unknown encoding ${JSON.stringify(encoding)} (known: ${ENCODINGS.join(', ')})`,
      );
    const col: CategoricalColumn = { name, encoding: encoding as CategoricalColumn['encoding'] };
    if (c.multiHotSeparator !== undefined) {
      const sep = c.multiHotSeparator;
      if (
        typeof sep !== 'string' ||
        sep.length !== 1 ||
        sep.charCodeAt(0) > 127 ||
        sep === delimiter ||
        sep === '\n' ||
        sep === '"'
      ) {
        throw fail(
          `categorical column ${name}: multiHotSeparator must be one ASCII character other than the delimiter, newline and '"', got ${JSON.stringify(sep)}`,
        );
      }
      col.multiHotSeparator = sep;
    }
    return col;
  });
  if (dense.length + categorical.length === 0)
    throw fail('no features: declare at least one dense or categorical column');
  const split = validateSplit(raw.split, inFile, fail);
  for (const c of columns) {
    if (c !== IGNORE_COLUMN && !used.has(c) && !(split?.by === 'date' && split.column === c)) {
      throw fail(
        `column ${c} is in columns but is neither the label, a dense or categorical column, nor the split's date column (write "ignore" to skip a field)`,
      );
    }
  }
  const schema: ColumnSchema = { delimiter, header: raw.header === true, columns, label, dense, categorical };
  if (raw.quoted === true) schema.quoted = true;
  if (split) schema.split = split;
  return schema;
}

function validateSplit(raw: unknown, inFile: Set<string>, fail: (msg: string) => UserError): SplitSpec | undefined {
  if (raw === undefined) return undefined;
  const bad = (msg: string): UserError => fail(`split: ${msg} (see docs/SCHEMA.md "Splits")`);
  if (!isObject(raw)) throw bad('must be an object with "by": "blocks" | "date" | "random"');
  const keys = (allowed: string[]): void => {
    for (const k of Object.keys(raw))
      if (!allowed.includes(k)) throw bad(`unknown key '${k}' for by "${String(raw.by)}"`);
  };
  switch (raw.by) {
    case 'blocks': {
      keys(['by', 'blocks']);
      const blocks = raw.blocks ?? 7;
      if (!Number.isInteger(blocks) || (blocks as number) < 2 || (blocks as number) > 1000)
        throw bad('blocks must be an integer from 2 to 1000');
      return { by: 'blocks', blocks: blocks as number };
    }
    case 'date': {
      keys(['by', 'column', 'test', 'val']);
      if (typeof raw.column !== 'string' || !inFile.has(raw.column))
        throw bad(`column ${JSON.stringify(raw.column)} is not in columns`);
      if (typeof raw.test !== 'string' || raw.test === '')
        throw bad('test must be the first date of the test split, e.g. "2024-01-07"');
      if (raw.val !== undefined && (typeof raw.val !== 'string' || compareDates(raw.val, raw.test) <= 0))
        throw bad(`val must be a date after test (${raw.test})`);
      return raw.val === undefined
        ? { by: 'date', column: raw.column, test: raw.test }
        : { by: 'date', column: raw.column, test: raw.test, val: raw.val };
    }
    case 'random': {
      keys(['by', 'test', 'val']);
      const frac = (v: unknown, k: string): number => {
        if (typeof v !== 'number' || !(v > 0) || !(v < 1)) throw bad(`${k} must be a fraction in (0, 1)`);
        return v;
      };
      const test = frac(raw.test, 'test');
      const val = frac(raw.val, 'val');
      if (test + val >= 1) throw bad('test + val must be below 1 (the rest is train)');
      return { by: 'random', test, val };
    }
    default:
      throw bad(`unknown "by": ${JSON.stringify(raw.by)}`);
  }
}

/** Orders date values: numerically when both are numbers (day 9 < day 10), else as strings (ISO dates). */
export function compareDates(a: string, b: string): number {
  const x = Number(a),
    y = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Reads and validates the schema file. */
export function loadSchemaFile(file: string): ColumnSchema {
  return validateSchema(readJsonFile(file, '--schema'), file);
}
