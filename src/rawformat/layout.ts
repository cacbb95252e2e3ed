// Compiles a (validated) ColumnSchema into the flat, cloneable layout the Criteo byte parser runs on (one role
// and one slot per field), for the schemas that parser can read: single-hot hex or decimal categoricals,
// log1p/none dense columns, one-byte delimiter, no header, no quoting, no date split. Any other schema is
// read by the delimited parser (parserFor.ts decides, with layoutProblem).
import { UserError } from '../util/errors';
import type { ColumnSchema } from './schema';

/** What a field of a line is, for every parser (Date: the date split's column, read by the delimited parser). */
export const enum FieldRole {
  Ignore = 0,
  Label = 1,
  Dense = 2,
  Categorical = 3,
  Date = 4,
}

/** Hex digit values by byte, -1 for non-hex bytes (both cases), for every parser. */
export const HEX_DIGIT = Int8Array.from({ length: 256 }, (_, c) => {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
});

export interface ParserLayout {
  /** The delimiter byte (9 = TAB for Criteo). */
  delimiter: number;
  /** Fields per line. */
  numFields: number;
  /** Per field: its FieldRole. */
  roles: FieldRole[];
  /** Per field: its dense or categorical slot (0-based), or -1. */
  slots: number[];
  /** Per field: the column name, for error messages. */
  fieldNames: string[];
  hasLabel: boolean;
  numDense: number;
  /** Per dense slot: true for log1p (clip at 0, then log(x+1)), false for the raw value. */
  denseLog1p: boolean[];
  numTables: number;
  /** Per categorical slot: true for hex, false for decimal. */
  catHex: boolean[];
  denseNames: string[];
  tableNames: string[];
}

/** Why the Criteo byte parser cannot read `schema`, or undefined when it can. */
export function layoutProblem(schema: ColumnSchema): string | undefined {
  if (schema.delimiter.length !== 1 || schema.delimiter.charCodeAt(0) > 127)
    return `the delimiter must be one ASCII character, got ${JSON.stringify(schema.delimiter)}`;
  if (schema.header) return 'files with a header line are read by the delimited parser';
  if (schema.quoted) return 'quoted fields are read by the delimited parser';
  if (schema.split?.by === 'date') return 'a date split is read by the delimited parser';
  for (const d of schema.dense) {
    if (d.transform !== 'log1p' && d.transform !== 'none')
      return `dense column ${d.name}: transform '${d.transform}' is read by the delimited parser`;
  }
  for (const c of schema.categorical) {
    if (c.encoding !== 'hex' && c.encoding !== 'decimal')
      return `categorical column ${c.name}: encoding '${c.encoding}' is read by the delimited parser`;
    if (c.multiHotSeparator !== undefined)
      return `categorical column ${c.name}: multi-hot fields are read by the delimited parser`;
  }
  return undefined;
}

/**
 * Builds the Criteo parser's layout of a validated schema (loadSchema.ts); `withLabel` false: the lines lack
 * the label column (unlabelled rows to score, like Kaggle's test.txt).
 */
export function compileLayout(schema: ColumnSchema, withLabel = true): ParserLayout {
  const problem = layoutProblem(schema);
  if (problem) throw new UserError(`schema: ${problem}`);
  const label = withLabel ? schema.label?.name : undefined;
  const columns = schema.columns.filter((c) => withLabel || c !== schema.label?.name);
  const denseIndex = new Map(schema.dense.map((d, i) => [d.name, i]));
  const catIndex = new Map(schema.categorical.map((c, i) => [c.name, i]));
  const roles: FieldRole[] = [];
  const slots: number[] = [];
  for (const name of columns) {
    if (name === label) {
      roles.push(FieldRole.Label);
      slots.push(-1);
    } else if (denseIndex.has(name)) {
      roles.push(FieldRole.Dense);
      slots.push(denseIndex.get(name) as number);
    } else if (catIndex.has(name)) {
      roles.push(FieldRole.Categorical);
      slots.push(catIndex.get(name) as number);
    } else {
      roles.push(FieldRole.Ignore); // IGNORE_COLUMN, or a column the schema does not use
      slots.push(-1);
    }
  }
  return {
    delimiter: schema.delimiter.charCodeAt(0),
    numFields: columns.length,
    roles,
    slots,
    fieldNames: columns,
    hasLabel: label !== undefined,
    numDense: schema.dense.length,
    denseLog1p: schema.dense.map((d) => d.transform === 'log1p'),
    numTables: schema.categorical.length,
    catHex: schema.categorical.map((c) => c.encoding === 'hex'),
    denseNames: schema.dense.map((d) => d.name),
    tableNames: schema.categorical.map((c) => c.name),
  };
}
