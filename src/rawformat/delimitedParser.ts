// The delimited parser of any schema (docs/SCHEMA.md). DelimitedRowParser: one line of bytes -> label, raw dense values
// [D] (NaN = missing) and per categorical table a bag of 64-bit keys (hi, lo words), plus the split's date
// text. Fields are split at the delimiter, optionally CSV-quoted ("a,b" and "" inside quotes; a quoted
// field cannot hold a newline). Keys: hex = 1..8 hex digits, decimal = 1..10 digits <= 2^32-1 (hi = 0),
// string = FNV-1a 64 of the UTF-8 bytes; with --max-ind-range M every key is folded to key mod M (hi = 0).
// An empty single-hot field is the column's missing value (0, or the hash of ""); an empty multi-hot field
// is an empty bag, and empty list elements ("a||b") are skipped. DelimitedBlockParser is its RowParser
// (rowParser.ts): a block of lines -> columnar keys (hi words for 64-bit tables, offsets for multi-hot ones),
// transformed dense values, dates; empty lines give no row, the header line (skipHeader) neither. It hands
// each block first to the native kernel (csrc/delimitedBlockParser.cc) when the addon has it; a block the
// kernel declines (a bad line, "" escapes in a dense or date field) is parsed here, which names the problem.
import type { ColumnSchema } from './schema';
import { fnv1a64 } from './hash64';
import { quoteInput } from '../util/quote';
import { forEachLine } from './blockReader';
import { transformDense } from './denseTransform';
import type { FieldError, LineError, ParsedBlock, ParseOptions, RowParser, TableKeys } from './rowParser';
import { subsampleDraw } from './subsample';
import { FieldRole, HEX_DIGIT } from './layout';
import { nativePreprocessKernels, type DelimitedBlockArgs, type PreprocessKernels } from './nativeKernels';

const QUOTE = 34;
const CR = 13;

/** One table's bag of keys for the current row: keys i < n are (hi[i], lo[i]); the arrays grow as needed. */
export class KeyBag {
  hi = new Uint32Array(8);
  lo = new Uint32Array(8);
  n = 0;

  push(hi: number, lo: number): void {
    if (this.n === this.hi.length) {
      const h = new Uint32Array(2 * this.n),
        l = new Uint32Array(2 * this.n);
      h.set(this.hi);
      l.set(this.lo);
      this.hi = h;
      this.lo = l;
    }
    this.hi[this.n] = hi;
    this.lo[this.n++] = lo;
  }
}

/**
 * The value of a plain decimal buf[s, e) ('-'? digits ('.' digits)?, at most 15 digits) without making a
 * string: the digits as an exact integer divided by an exact power of ten, which IEEE division rounds
 * correctly, i.e. exactly Number(text). Anything else (empty, exponents, spaces, longer): undefined.
 */
function plainDecimal(buf: Uint8Array, s: number, e: number): number | undefined {
  let p = s;
  const neg = buf[p] === 45;
  if (neg) p++;
  let digits = 0,
    scale = -1,
    v = 0;
  for (; p < e; p++) {
    const c = buf[p];
    if (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      digits++;
      if (scale >= 0) scale++;
    } else if (c === 46 && scale < 0) {
      scale = 0;
    } else {
      return undefined;
    }
  }
  if (digits === 0 || digits > 15 || scale === 0) return undefined;
  if (scale > 0) v /= 10 ** scale;
  return neg ? -v : v;
}

export class DelimitedRowParser {
  readonly numFields: number;
  readonly numDense: number;
  readonly numTables: number;
  /** The current row's label (0 when the layout has no label column). */
  label = 0;
  /** The current row's raw dense values, NaN when missing. */
  readonly dense: Float64Array;
  readonly bags: KeyBag[];
  /** The current row's date-split field text, if the schema splits by date. */
  dateText = '';
  /** Per expected field: its role and its dense or table slot (-1 for the others). */
  readonly roles: FieldRole[] = [];
  readonly slots: number[] = [];
  private readonly fieldBuf: Uint8Array[] = [];
  private readonly fieldStart: Int32Array;
  private readonly fieldEnd: Int32Array;
  private readonly hash = new Uint32Array(2);
  readonly delim: number;

  /**
   * `withLabel` false: the lines lack the label column (unlabelled rows to score). `maxIndRange` > 0 folds
   * every categorical key modulo it.
   */
  constructor(
    readonly schema: ColumnSchema,
    readonly maxIndRange: number,
    readonly withLabel = true,
  ) {
    const denseIndex = new Map(schema.dense.map((d, i) => [d.name, i]));
    const catIndex = new Map(schema.categorical.map((c, i) => [c.name, i]));
    const dateColumn = schema.split?.by === 'date' ? schema.split.column : undefined;
    for (const name of schema.columns) {
      if (schema.label && name === schema.label.name) {
        if (!withLabel) continue;
        this.roles.push(FieldRole.Label);
        this.slots.push(-1);
      } else if (denseIndex.has(name)) {
        this.roles.push(FieldRole.Dense);
        this.slots.push(denseIndex.get(name) as number);
      } else if (catIndex.has(name)) {
        this.roles.push(FieldRole.Categorical);
        this.slots.push(catIndex.get(name) as number);
      } else {
        this.roles.push(name === dateColumn ? FieldRole.Date : FieldRole.Ignore);
        this.slots.push(-1);
      }
    }
    this.numFields = this.roles.length;
    this.numDense = schema.dense.length;
    this.numTables = schema.categorical.length;
    this.dense = new Float64Array(this.numDense);
    this.bags = schema.categorical.map(() => new KeyBag());
    this.fieldStart = new Int32Array(this.numFields);
    this.fieldEnd = new Int32Array(this.numFields);
    this.delim = schema.delimiter.charCodeAt(0);
  }

  /** The column names of the fields this parser expects, in order. */
  get fieldNames(): string[] {
    const label = this.schema.label?.name;
    return this.schema.columns.filter((c) => this.withLabel || c !== label);
  }

  /** Splits bytes[start, end) (one line without its '\n') into fields; returns the field count. */
  splitFields(bytes: Uint8Array, start: number, end: number): number | FieldError {
    if (end > start && bytes[end - 1] === CR) end--;
    const quoted = this.schema.quoted === true;
    let n = 0;
    let p = start;
    for (;;) {
      let buf = bytes,
        s = p,
        e: number;
      if (quoted && bytes[p] === QUOTE) {
        // a quoted field: up to the closing quote; "" is one quote (copied out only when present)
        let q = p + 1;
        let parts: number[] | undefined;
        for (;;) {
          if (q >= end)
            return {
              field: n + 1,
              message: 'has an opening quote without a closing one (quoted fields cannot span lines)',
            };
          if (bytes[q] === QUOTE) {
            if (bytes[q + 1] === QUOTE && q + 1 < end) {
              (parts ??= []).push(q);
              q += 2;
              continue;
            }
            break;
          }
          q++;
        }
        s = p + 1;
        e = q;
        if (parts) {
          const out: number[] = [];
          for (let i = s; i < e; i++) {
            out.push(bytes[i]);
            if (bytes[i] === QUOTE) i++;
          }
          buf = Uint8Array.from(out);
          s = 0;
          e = out.length;
        }
        p = q + 1;
        if (p < end && bytes[p] !== this.delim) return { field: n + 1, message: 'has text after its closing quote' };
      } else {
        while (p < end && bytes[p] !== this.delim) p++;
        e = p;
      }
      if (n < this.numFields) {
        this.fieldBuf[n] = buf;
        this.fieldStart[n] = s;
        this.fieldEnd[n] = e;
      }
      n++;
      if (p >= end) return n;
      p++;
    }
  }

  /** Field f's text (after splitFields). */
  fieldText(f: number): string {
    return Buffer.from(
      this.fieldBuf[f].buffer,
      this.fieldBuf[f].byteOffset + this.fieldStart[f],
      this.fieldEnd[f] - this.fieldStart[f],
    ).toString('utf8');
  }

  /** The names in a header line (quotes removed, trimmed). */
  headerNames(bytes: Uint8Array, start: number, end: number): string[] {
    const n = this.splitFields(bytes, start, end);
    if (typeof n !== 'number') return [];
    const names: string[] = [];
    for (let f = 0; f < Math.min(n, this.numFields); f++) names.push(this.fieldText(f).trim());
    for (let f = this.numFields; f < n; f++) names.push('?');
    return names;
  }

  /** What is wrong with a header line, or '' when its names are the schema's columns ("ignore" matches any name). */
  headerMismatch(bytes: Uint8Array, start: number, end: number): string {
    const names = this.headerNames(bytes, start, end);
    const want = this.fieldNames;
    const bad = want.findIndex((w, i) => w !== 'ignore' && names[i] !== w);
    if (bad >= 0)
      return `the header does not match the schema's columns: column ${bad + 1} is ${names[bad] === undefined ? '(none)' : quoteInput(names[bad])}, the schema says '${want[bad]}'`;
    if (names.length !== want.length)
      return `the header has ${names.length} columns, the schema ${want.length} (${want.join(', ')})`;
    return '';
  }

  /** Parses one line (without '\n') into label, dense, bags and dateText; returns an error (1-based field) or null. */
  parse(bytes: Uint8Array, start: number, end: number): FieldError | null {
    const n = this.splitFields(bytes, start, end);
    if (typeof n !== 'number') return n;
    if (n !== this.numFields) {
      const msg = `the line has ${n} fields, expected ${this.numFields} (${this.fieldNames.join(', ')})`;
      const label = this.schema.label?.name;
      return {
        message:
          this.withLabel && label && n === this.numFields - 1 ? `${msg}; is the label column ${label} missing?` : msg,
      };
    }
    this.label = 0;
    for (const bag of this.bags) bag.n = 0;
    for (let f = 0; f < n; f++) {
      const role = this.roles[f];
      if (role === FieldRole.Ignore) continue;
      const buf = this.fieldBuf[f],
        s = this.fieldStart[f],
        e = this.fieldEnd[f];
      if (role === FieldRole.Label) {
        if (e - s !== 1 || (buf[s] !== 48 && buf[s] !== 49))
          return { field: f + 1, message: `${quoteInput(this.fieldText(f))} is not 0 or 1` };
        this.label = buf[s] - 48;
      } else if (role === FieldRole.Dense) {
        let v = plainDecimal(buf, s, e);
        if (v === undefined) {
          const text = this.fieldText(f).trim();
          v = text === '' ? NaN : Number(text);
          if (text !== '' && !Number.isFinite(v))
            return { field: f + 1, message: `${quoteInput(text)} is not a number` };
        }
        this.dense[this.slots[f]] = v;
      } else if (role === FieldRole.Date) {
        this.dateText = this.fieldText(f).trim();
      } else {
        const t = this.slots[f];
        const col = this.schema.categorical[t];
        const bag = this.bags[t];
        if (col.multiHotSeparator === undefined) {
          const bad = this.addKey(buf, s, e, t, bag);
          if (bad) return { field: f + 1, message: `${quoteInput(this.fieldText(f))} ${bad}` };
        } else {
          const sep = col.multiHotSeparator.charCodeAt(0);
          let a = s;
          for (let p = s; p <= e; p++) {
            if (p < e && buf[p] !== sep) continue;
            if (p > a) {
              const bad = this.addKey(buf, a, p, t, bag);
              if (bad)
                return {
                  field: f + 1,
                  message: `list element ${quoteInput(Buffer.from(buf.subarray(a, p)).toString('utf8'))} ${bad}`,
                };
            }
            a = p + 1;
          }
        }
      }
    }
    return null;
  }

  /** The key an empty field of table t maps to (its missing value), as [hi, lo]. */
  missingKey(t: number): [number, number] {
    const bag = new KeyBag();
    this.addKey(new Uint8Array(0), 0, 0, t, bag);
    return [bag.hi[0], bag.lo[0]];
  }

  /** Appends the key of buf[s, e) (empty = the missing value) to the bag; returns what is wrong, or ''. */
  private addKey(buf: Uint8Array, s: number, e: number, t: number, bag: KeyBag): string {
    const encoding = this.schema.categorical[t].encoding;
    let hi = 0,
      lo = 0;
    if (encoding === 'string') {
      fnv1a64(buf, s, e, this.hash);
      hi = this.hash[0];
      lo = this.hash[1];
    } else if (encoding === 'hex') {
      if (e - s > 8) return 'is not 1 to 8 hex digits';
      for (let p = s; p < e; p++) {
        const d = HEX_DIGIT[buf[p]];
        if (d < 0) return 'is not 1 to 8 hex digits';
        lo = lo * 16 + d;
      }
    } else {
      if (e - s > 10) return 'is not an unsigned 32-bit decimal integer';
      for (let p = s; p < e; p++) {
        const d = buf[p] - 48;
        if (d < 0 || d > 9) return 'is not an unsigned 32-bit decimal integer';
        lo = lo * 10 + d;
      }
      if (lo > 0xffffffff) return 'is not an unsigned 32-bit decimal integer';
    }
    const M = this.maxIndRange;
    if (M > 0) {
      // (hi * 2^32 + lo) mod M in steps that stay below 2^53
      lo = ((((((hi % M) * 65536) % M) * 65536) % M) + lo) % M;
      hi = 0;
    }
    bag.push(hi, lo);
    return '';
  }
}

/** A growable column of one table's keys over a block. */
class KeyColumn {
  lo: Uint32Array;
  hi: Uint32Array | undefined;
  n = 0;

  constructor(
    capacity: number,
    wide: boolean,
    readonly offsets: Uint32Array | undefined,
  ) {
    this.lo = new Uint32Array(Math.max(capacity, 16));
    this.hi = wide ? new Uint32Array(this.lo.length) : undefined;
  }

  pushBag(bag: KeyBag): void {
    if (this.n + bag.n > this.lo.length) {
      let length = this.lo.length * 2;
      while (length < this.n + bag.n) length *= 2;
      const lo = new Uint32Array(length);
      lo.set(this.lo);
      this.lo = lo;
      if (this.hi) {
        const hi = new Uint32Array(length);
        hi.set(this.hi);
        this.hi = hi;
      }
    }
    const lo = this.lo,
      hi = this.hi,
      at = this.n;
    for (let i = 0; i < bag.n; i++) lo[at + i] = bag.lo[i];
    if (hi) for (let i = 0; i < bag.n; i++) hi[at + i] = bag.hi[i];
    this.n += bag.n;
  }

  keys(): TableKeys {
    const k: TableKeys = { lo: this.lo.subarray(0, this.n) };
    if (this.hi) k.hi = this.hi.subarray(0, this.n);
    if (this.offsets) k.offsets = this.offsets;
    return k;
  }
}

/** Whether table t keeps 64-bit keys: hashed strings, unless --max-ind-range folds them. */
export function keyBitsOf(schema: ColumnSchema, t: number, maxIndRange: number): 32 | 64 {
  return schema.categorical[t].encoding === 'string' && maxIndRange <= 0 ? 64 : 32;
}

const ENCODING_CODE = { string: 0, hex: 1, decimal: 2 } as const;

/** The RowParser of any schema: the native kernel, or DelimitedRowParser line by line, into columnar blocks. */
export class DelimitedBlockParser implements RowParser {
  private readonly row: DelimitedRowParser;
  private readonly dateSplit: boolean;
  /** The kernel and the schema's part of its arguments, when the addon has it and the schema's separators are bytes. */
  private readonly native?: {
    parse: (args: DelimitedBlockArgs) => number;
    layout: Pick<DelimitedBlockArgs, 'roles' | 'slots' | 'encodings' | 'separators' | 'delimiter' | 'quoted'>;
  };

  /** `kernels`: the native kernels to try first (default: the addon's, when built); null parses in JS only. */
  constructor(
    readonly schema: ColumnSchema,
    readonly opts: ParseOptions,
    kernels: PreprocessKernels | null | undefined = nativePreprocessKernels(),
  ) {
    this.row = new DelimitedRowParser(schema, opts.maxIndRange, opts.withLabel ?? true);
    this.dateSplit = schema.split?.by === 'date';
    const parse = kernels?.parseDelimitedBlock;
    const separators = schema.categorical.map((c) => c.multiHotSeparator?.charCodeAt(0) ?? -1);
    // a separator outside ASCII is several UTF-8 bytes: the JS parser's byte comparison is the reference there
    if (parse && this.row.delim < 128 && separators.every((c) => c < 128))
      this.native = {
        parse,
        layout: {
          roles: Int32Array.from(this.row.roles),
          slots: Int32Array.from(this.row.slots),
          encodings: Int32Array.from(schema.categorical.map((c) => ENCODING_CODE[c.encoding])),
          separators: Int32Array.from(separators),
          delimiter: this.row.delim,
          quoted: schema.quoted === true,
        },
      };
  }

  get fieldNames(): readonly string[] {
    return this.row.fieldNames;
  }

  get numDense(): number {
    return this.row.numDense;
  }

  get numTables(): number {
    return this.row.numTables;
  }

  parseBlock(bytes: Uint8Array, end: number, day: number, firstLine: number, lines: number): ParsedBlock {
    return (
      (this.native && this.parseNative(bytes, end, day, firstLine, lines)) ??
      this.parseLines(bytes, end, day, firstLine, lines)
    );
  }

  /** The block through the native kernel, or undefined when it declines (then parseLines reads it). */
  private parseNative(
    bytes: Uint8Array,
    end: number,
    day: number,
    firstLine: number,
    lines: number,
  ): ParsedBlock | undefined {
    const native = this.native as NonNullable<typeof this.native>;
    const o = this.opts,
      schema = this.schema;
    const D = this.numDense,
      T = this.numTables;
    const capacity = lines;
    // first guesses; on -2 the bounds that always fit: a key takes at least one byte, a fixup is one field
    let bagKeys = 4 * capacity + 16,
      fixupRoom = capacity;
    for (;;) {
      const args: DelimitedBlockArgs = {
        ...native.layout,
        bytes,
        end,
        capacity,
        numDense: D,
        maxIndRange: Math.max(0, o.maxIndRange),
        subsampleRate: o.subsampleRate,
        seed: o.seed >>> 0,
        day,
        firstLine,
        header: o.skipHeader === true && day === 0 ? 1 : 0,
        labels: new Float32Array(capacity),
        rawDense: new Float64Array(capacity * D),
        rowLines: new Uint32Array(capacity),
        dateSpans: new Int32Array(2 * capacity),
        keys: schema.categorical.map((c, t) => {
          const n = c.multiHotSeparator === undefined ? capacity : bagKeys;
          return {
            lo: new Uint32Array(n),
            hi: keyBitsOf(schema, t, o.maxIndRange) === 64 ? new Uint32Array(n) : undefined,
            offsets: c.multiHotSeparator === undefined ? undefined : new Uint32Array(capacity + 1),
          };
        }),
        fixups: new Int32Array(4 * fixupRoom),
        counts: new Uint32Array(T + 1),
      };
      const rows = native.parse(args);
      if (rows === -2 && bagKeys <= end) {
        bagKeys = end + 1;
        fixupRoom = capacity * D;
        continue;
      }
      return rows < 0 ? undefined : this.nativeBlock(args, rows, lines);
    }
  }

  /** The ParsedBlock of a kernel run that kept `rows` rows; undefined when a fixup is not a number. */
  private nativeBlock(a: DelimitedBlockArgs, rows: number, lines: number): ParsedBlock | undefined {
    const D = this.numDense,
      T = this.numTables;
    const raw = a.rawDense,
      fixups = a.fixups;
    for (let i = 0; i < a.counts[T]; i++) {
      const text = Buffer.from(
        a.bytes.buffer,
        a.bytes.byteOffset + fixups[4 * i + 2],
        fixups[4 * i + 3] - fixups[4 * i + 2],
      )
        .toString('utf8')
        .trim();
      const v = text === '' ? NaN : Number(text);
      if (text !== '' && !Number.isFinite(v)) return undefined;
      raw[fixups[4 * i] * D + fixups[4 * i + 1]] = v;
    }
    const dense = new Float32Array(a.capacity * D);
    const columns = this.schema.dense;
    for (let r = 0; r < rows; r++)
      for (let k = 0; k < D; k++) dense[r * D + k] = transformDense(columns[k], raw[r * D + k]);
    const block: ParsedBlock = {
      lines,
      rows,
      capacity: a.capacity,
      labels: a.labels,
      dense,
      keys: a.keys.map((k, t) => {
        const keys: TableKeys = { lo: k.lo.subarray(0, a.counts[t]) };
        if (k.hi) keys.hi = k.hi.subarray(0, a.counts[t]);
        if (k.offsets) keys.offsets = k.offsets;
        return keys;
      }),
      parts: [],
      rowLines: a.rowLines.subarray(0, rows),
      invalidLines: 0,
    };
    if (this.opts.rawDense) block.rawDense = raw.subarray(0, rows * D);
    if (this.dateSplit) block.dates = spanTexts(a.bytes, a.dateSpans, rows);
    return block;
  }

  /** The block line by line through DelimitedRowParser (the reference; it names a bad line's problem). */
  private parseLines(bytes: Uint8Array, end: number, day: number, firstLine: number, lines: number): ParsedBlock {
    const o = this.opts,
      p = this.row,
      schema = this.schema;
    const D = p.numDense,
      T = p.numTables;
    const capacity = lines;
    const labels = new Float32Array(capacity);
    const dense = new Float32Array(capacity * D);
    const rawDense = o.rawDense ? new Float64Array(capacity * D) : undefined;
    const rowLines = new Uint32Array(capacity);
    const dates: string[] | undefined = this.dateSplit ? [] : undefined;
    const columns = schema.categorical.map(
      (c, t) =>
        new KeyColumn(
          capacity,
          keyBitsOf(schema, t, o.maxIndRange) === 64,
          c.multiHotSeparator === undefined ? undefined : new Uint32Array(capacity + 1),
        ),
    );
    // with a header, line 0 of day 0 is not data: data lines are numbered from the line after it
    const header = o.skipHeader === true && day === 0 ? 1 : 0;
    let rows = 0,
      invalidLines = 0;
    let firstError: LineError | undefined;
    let stopped = -1;
    forEachLine(bytes, end, firstLine + 1, (start, lineEnd, lineNo) => {
      if (stopped >= 0) return;
      const line = lineNo - firstLine - 1;
      if (firstLine + line < header) return;
      const err = p.parse(bytes, start, lineEnd);
      if (err) {
        firstError ??= { line, ...err };
        invalidLines++;
        if (!o.skipInvalid) stopped = line;
        return;
      }
      if (
        p.label === 0 &&
        o.subsampleRate > 0 &&
        subsampleDraw(o.seed, day, firstLine + line - header) < o.subsampleRate
      )
        return;
      labels[rows] = p.label;
      for (let k = 0; k < D; k++) {
        dense[rows * D + k] = transformDense(schema.dense[k], p.dense[k]);
        if (rawDense) rawDense[rows * D + k] = p.dense[k];
      }
      for (let t = 0; t < T; t++) {
        const c = columns[t];
        c.pushBag(p.bags[t]);
        if (c.offsets) c.offsets[rows + 1] = c.n;
      }
      dates?.push(p.dateText);
      rowLines[rows++] = line;
    });
    const block: ParsedBlock = {
      lines: stopped >= 0 ? stopped + 1 : lines,
      rows,
      capacity,
      labels,
      dense,
      keys: columns.map((c) => c.keys()),
      parts: [],
      rowLines: rowLines.subarray(0, rows),
      invalidLines,
    };
    if (rawDense) block.rawDense = rawDense.subarray(0, rows * D);
    if (dates) block.dates = dates;
    if (firstError) block.firstError = firstError;
    return block;
  }
}

/** The trimmed UTF-8 text of each (start, end) span of bytes, one string per run of equal spans' bytes. */
function spanTexts(bytes: Uint8Array, spans: Int32Array, n: number): string[] {
  const out: string[] = [];
  let text = '',
    ps = 0,
    pe = -1;
  for (let r = 0; r < n; r++) {
    const s = spans[2 * r],
      e = spans[2 * r + 1];
    let same = e - s === pe - ps;
    for (let i = 0; same && i < e - s; i++) same = bytes[s + i] === bytes[ps + i];
    if (!same) {
      text = Buffer.from(bytes.buffer, bytes.byteOffset + s, e - s)
        .toString('utf8')
        .trim();
      ps = s;
      pe = e;
    }
    out.push(text);
  }
  return out;
}
