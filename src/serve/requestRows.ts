// The rows of a POST /v1/predict body turned into raw lines in the training files' layout, so they go through
// the same RowEncoder as `dlrm predict` (src/predict/modelRowEncoder.ts). A row is either a raw line exactly
// as in the training files (with or without the label column: a missing label is written as 0, a given one
// is checked and ignored) or an object keyed by the schema's column names ({"I1": 3, "C1": "68fd1e64",
// "tags": ["a", "b"]}; a missing column is an empty field, i.e. its missing value; a multi-hot column takes
// an array). Output: one '\n'-terminated line per row, in request order, as one UTF-8 block. A row that
// cannot be a line throws a RequestRowError naming its index and the field (fieldText: the column's 1-based
// position and name, `field 4 (I3)`, as `dlrm predict` names fields; a key that is no column by name alone).
import type { ColumnSchema } from '../rawformat/schema';
import { fieldText } from '../util/errors';

const QUOTE = '"';

/** A row refused before parsing: rows[row], and the field (as fieldText writes it) when one is at fault. */
export class RequestRowError extends Error {
  constructor(
    readonly row: number,
    readonly reason: string,
    readonly field?: string,
  ) {
    super(`rows[${row}]${field === undefined ? '' : `: field ${field}`}: ${reason}`);
    this.name = 'RequestRowError';
  }
}

type ColumnKind =
  { kind: 'label' } | { kind: 'dense' } | { kind: 'categorical'; separator?: string } | { kind: 'ignored' };

export class RequestRows {
  private readonly kinds: Map<string, ColumnKind>;
  /** Position of the label among the columns (-1: the schema has none). */
  private readonly labelIndex: number;

  constructor(readonly schema: ColumnSchema) {
    const label = schema.label?.name;
    const dense = new Set(schema.dense.map((d) => d.name));
    const cats = new Map(schema.categorical.map((c) => [c.name, c.multiHotSeparator]));
    this.kinds = new Map(
      schema.columns.map((name): [string, ColumnKind] => [
        name,
        name === label
          ? { kind: 'label' }
          : dense.has(name)
            ? { kind: 'dense' }
            : cats.has(name)
              ? { kind: 'categorical', separator: cats.get(name) }
              : { kind: 'ignored' },
      ]),
    );
    this.labelIndex = label === undefined ? -1 : schema.columns.indexOf(label);
  }

  /** The rows as one block of lines in the training layout (label column included when the schema has one). */
  toBlock(rows: readonly unknown[]): Buffer {
    const lines = new Array<string>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      if (typeof row === 'string') lines[i] = this.fromLine(row, i);
      else if (row !== null && typeof row === 'object' && !Array.isArray(row))
        lines[i] = this.fromObject(row as Record<string, unknown>, i);
      else throw new RequestRowError(i, 'is neither a raw line (string) nor an object of columns');
    }
    lines.push('');
    return Buffer.from(lines.join('\n'), 'utf8');
  }

  /** A raw line, with the label field inserted (as 0) when it is the one field missing. */
  private fromLine(line: string, row: number): string {
    if (line === '' || line === '\r') throw new RequestRowError(row, 'is an empty line');
    if (line.includes('\n')) throw new RequestRowError(row, 'holds a line break; send one line per row');
    const starts = this.fieldStarts(line);
    const n = this.schema.columns.length;
    if (this.labelIndex < 0 || starts.length === n) {
      if (starts.length !== n)
        throw new RequestRowError(
          row,
          `has ${starts.length} fields; a row has ${n} (${this.schema.columns.join(', ')})`,
        );
      return line;
    }
    if (starts.length !== n - 1)
      throw new RequestRowError(
        row,
        `has ${starts.length} fields; a row has ${n} with the label column, or ${n - 1} without it (${this.schema.columns.join(', ')})`,
      );
    const d = this.schema.delimiter;
    if (this.labelIndex === starts.length) return `${line}${d}0`;
    const at = starts[this.labelIndex];
    return `${line.slice(0, at)}0${d}${line.slice(at)}`;
  }

  /**
   * Where each field of `line` starts. In quoted schemas a field that starts with a double quote runs to its
   * closing quote ("" inside is one quote), as the schema's row parser reads it; delimiters inside do not count.
   */
  private fieldStarts(line: string): number[] {
    const d = this.schema.delimiter;
    const quoted = this.schema.quoted === true;
    const starts = [0];
    let p = 0;
    for (;;) {
      if (quoted && line[p] === QUOTE) {
        for (p++; p < line.length; p++) {
          if (line[p] !== QUOTE) continue;
          if (line[p + 1] !== QUOTE) break;
          p++;
        }
      }
      const next = line.indexOf(d, p);
      if (next < 0) return starts;
      starts.push(next + 1);
      p = next + 1;
    }
  }

  /** An object of columns as a line in the schema's column order. */
  private fromObject(values: Record<string, unknown>, row: number): string {
    for (const key of Object.keys(values)) {
      if (!this.kinds.has(key))
        throw new RequestRowError(
          row,
          `is not a column of the model's data schema (${this.schema.columns.join(', ')})`,
          key,
        );
    }
    const fields = this.schema.columns.map((name) => {
      const kind = this.kinds.get(name) as ColumnKind;
      if (kind.kind === 'label') return '0';
      const v = values[name];
      if (v === undefined || v === null || kind.kind === 'ignored') return '';
      if (Array.isArray(v)) {
        if (kind.kind !== 'categorical' || kind.separator === undefined)
          throw new RequestRowError(row, 'is a list, but the column is not multi-hot', this.fieldOf(name));
        const sep = kind.separator;
        return this.field(
          v
            .map((e, k) => {
              const text = this.scalar(e, row, name, `${name}[${k}]`);
              if (text.includes(sep))
                throw new RequestRowError(
                  row,
                  `holds the list separator '${sep}'`,
                  this.fieldOf(name, `${name}[${k}]`),
                );
              return text;
            })
            .join(sep),
          row,
          name,
        );
      }
      return this.field(this.scalar(v, row, name), row, name);
    });
    return fields.join(this.schema.delimiter);
  }

  /** A string or finite number as text (`shown`: how to name it when it is a list element). */
  private scalar(v: unknown, row: number, name: string, shown = name): string {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    throw new RequestRowError(
      row,
      `${JSON.stringify(v) ?? String(v)} is not a string or a finite number`,
      this.fieldOf(name, shown),
    );
  }

  /** Column `name` (shown as `shown`) as errors name a field: its 1-based position in the schema, then the name. */
  private fieldOf(name: string, shown = name): string {
    return fieldText(this.schema.columns.indexOf(name) + 1, shown);
  }

  /** A field's text as it may appear in a line (quoted when the schema allows quotes and it needs them). */
  private field(text: string, row: number, name: string): string {
    if (text.includes('\n') || text.includes('\r'))
      throw new RequestRowError(row, 'holds a line break', this.fieldOf(name));
    const d = this.schema.delimiter;
    if (this.schema.quoted !== true) {
      if (text.includes(d))
        throw new RequestRowError(
          row,
          `holds the delimiter, which this schema's lines cannot hold`,
          this.fieldOf(name),
        );
      return text;
    }
    if (!text.includes(d) && !text.startsWith(QUOTE)) return text;
    return `${QUOTE}${text.replaceAll(QUOTE, QUOTE + QUOTE)}${QUOTE}`;
  }
}
