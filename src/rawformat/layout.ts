// Compiles a ColumnSchema into the flat, cloneable layout the byte-level line parser runs on (one role and
// one slot per field), checking that the schema only uses what the parser supports today: single-hot hex or
// decimal categoricals, log1p/none dense columns, one-byte delimiter, no header. String categories hashed to
// 64 bits, multi-hot fields and headers arrive through this same layout in a later issue.
import { UserError } from '../util/errors';
import type { ColumnSchema } from './schema';

export const enum FieldRole {
  Ignore = 0,
  Label = 1,
  Dense = 2,
  Categorical = 3,
}

export interface ParserLayout {
  /** The delimiter byte (9 = TAB for Criteo). */
  delimiter: number;
  /** Fields per line. */
  numFields: number;
  /** Per field: its FieldRole. */
  roles: number[];
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

/** Builds the parser layout of a schema, refusing features the parser does not support yet. */
export function compileLayout(schema: ColumnSchema): ParserLayout {
  if (schema.delimiter.length !== 1 || schema.delimiter.charCodeAt(0) > 127) {
    throw new UserError(`schema: the delimiter must be one ASCII character, got ${JSON.stringify(schema.delimiter)}`);
  }
  if (schema.header) throw new UserError('schema: files with a header line are not supported yet');
  const denseIndex = new Map(schema.dense.map((d, i) => [d.name, i]));
  const catIndex = new Map(schema.categorical.map((c, i) => [c.name, i]));
  for (const d of schema.dense) {
    if (d.transform !== 'log1p' && d.transform !== 'none') throw new UserError(`schema: dense column ${d.name}: transform '${d.transform}' is not supported yet`);
  }
  for (const c of schema.categorical) {
    if (c.encoding !== 'hex' && c.encoding !== 'decimal') throw new UserError(`schema: categorical column ${c.name}: encoding '${c.encoding}' is not supported yet`);
    if (c.multiHotSeparator !== undefined) throw new UserError(`schema: categorical column ${c.name}: multi-hot fields are not supported yet`);
  }
  const roles: number[] = [];
  const slots: number[] = [];
  const seen = new Set<string>();
  for (const name of schema.columns) {
    if (name !== 'ignore' && seen.has(name)) throw new UserError(`schema: column ${name} appears twice in columns`);
    seen.add(name);
    if (schema.label && name === schema.label.name) {
      roles.push(FieldRole.Label);
      slots.push(-1);
    } else if (denseIndex.has(name)) {
      roles.push(FieldRole.Dense);
      slots.push(denseIndex.get(name) as number);
    } else if (catIndex.has(name)) {
      roles.push(FieldRole.Categorical);
      slots.push(catIndex.get(name) as number);
    } else if (name === 'ignore') {
      roles.push(FieldRole.Ignore);
      slots.push(-1);
    } else {
      throw new UserError(`schema: column ${name} is neither the label nor a dense or categorical column`);
    }
  }
  for (const name of [...denseIndex.keys(), ...catIndex.keys()]) {
    if (!seen.has(name)) throw new UserError(`schema: column ${name} is declared but missing from columns`);
  }
  if (schema.label && !seen.has(schema.label.name)) throw new UserError(`schema: label column ${schema.label.name} is missing from columns`);
  return {
    delimiter: schema.delimiter.charCodeAt(0),
    numFields: schema.columns.length,
    roles,
    slots,
    fieldNames: [...schema.columns],
    hasLabel: schema.label !== undefined,
    numDense: schema.dense.length,
    denseLog1p: schema.dense.map((d) => d.transform === 'log1p'),
    numTables: schema.categorical.length,
    catHex: schema.categorical.map((c) => c.encoding === 'hex'),
    denseNames: schema.dense.map((d) => d.name),
    tableNames: schema.categorical.map((c) => c.name),
  };
}
