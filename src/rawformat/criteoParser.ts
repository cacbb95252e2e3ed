// The Criteo TSV parser (a RowParser, rowParser.ts), for the schemas its layout can read (layout.ts): turns a block of complete '\n'-terminated lines (a Uint8Array) into typed
// arrays (labels [n], dense [n, D] float32, raw categorical values per table) following a ParserLayout built
// from the column schema. It works on bytes only (no string splitting, no charCodeAt): integers and hex are
// accumulated digit by digit. fast-csv was measured at ~25k lines/s on this machine and is NOT used here;
// this parser runs at millions of lines/s per core.
//
// Semantics (docs/PREPROCESS.md): lines end in '\n' or '\r\n' (a '\r' elsewhere is an error); an empty field is 0; dense values are base-10 integers (optional '-'),
// clipped at 0 then log(x+1) in float32 for log1p columns; hex categoricals are 1..8 hex digits (either case)
// read as uint32, decimal ones 1..10 digits <= 2^32-1; with maxIndRange M > 0 the value is taken modulo M;
// the label must be exactly 0 or 1. A label-0 line is dropped when its sub-sampling draw is < rate.
// Criteo-shaped blocks go first to the native kernel (src/preprocess/csrc/criteoBlockParser.cc, ~5x faster)
// when the addon is built; a block it declines (any unusual line) is parsed here, which names the problem.
import { FieldRole, HEX_DIGIT, type ParserLayout } from './layout';
import { subsampleDraw } from './subsample';
import { nativePreprocessKernels, type PreprocessKernels } from './nativeKernels';
import { quoteInput, QUOTE_MAX_CHARS } from '../util/quote';
import type { LineError, ParsedBlock, ParseOptions, RowParser, TableKeys } from './rowParser';

const NL = 10;
const CR = 13;
const MINUS = 45;
const LOG1P_TABLE_SIZE = 1 << 16;

/** log(x + 1) computed like the reference's float32 tensors: x and x+1 rounded to float32, result float32. */
export function log1pFloat32(x: number): number {
  return Math.fround(Math.log(Math.fround(Math.fround(x) + 1)));
}

const LOG1P_TABLE = Float32Array.from({ length: LOG1P_TABLE_SIZE }, (_, x) => log1pFloat32(x));

export class CriteoParser implements RowParser {
  private readonly partOf: Int32Array;
  private readonly localOf: Int32Array;
  /** Byte classes: hex/decimal digit values, 16 for the delimiter, 17 for '\n' and '\r', 255 for anything else. */
  private readonly hexClass: Uint8Array;
  private readonly decClass: Uint8Array;
  /** 16 for the delimiter, 17 for '\n' and '\r', 0 for anything else. */
  private readonly endClass: Uint8Array;
  /** The layout is Criteo's shape (label, then log1p dense columns, then hex categoricals, in slot order). */
  private readonly criteoShape: boolean;

  /**
   * `kernels`: the native kernels to try first (default: the addon's, when built); null parses in JS only.
   */
  constructor(
    readonly layout: ParserLayout,
    readonly opts: ParseOptions,
    private readonly kernels: PreprocessKernels | null | undefined = nativePreprocessKernels(),
  ) {
    const classes = (digit: (c: number) => number): Uint8Array => {
      const t = Uint8Array.from({ length: 256 }, (_, c) => digit(c));
      t[layout.delimiter] = 16;
      t[NL] = 17;
      t[CR] = 17; // ends a field like '\n'; the line's end is checked to be '\r\n'
      return t;
    };
    this.hexClass = classes((c) => (HEX_DIGIT[c] >= 0 ? HEX_DIGIT[c] : 255));
    this.decClass = classes((c) => (c >= 48 && c <= 57 ? c - 48 : 255));
    this.endClass = classes(() => 0);
    this.criteoShape = isCriteoShape(layout);
    this.partOf = new Int32Array(layout.numTables);
    this.localOf = new Int32Array(layout.numTables);
    const b = opts.partitionBounds;
    for (let p = 0; p + 1 < b.length; p++) {
      for (let t = b[p]; t < b[p + 1]; t++) {
        this.partOf[t] = p;
        this.localOf[t] = t - b[p];
      }
    }
  }

  get fieldNames(): readonly string[] {
    return this.layout.fieldNames;
  }

  get numDense(): number {
    return this.layout.numDense;
  }

  get numTables(): number {
    return this.layout.numTables;
  }

  private keysOf(parts: Uint32Array[], capacity: number): TableKeys[] {
    return partKeys(parts, this.opts.partitionBounds, capacity);
  }

  parseBlock(bytes: Uint8Array, end: number, day: number, firstLine: number, lines: number): ParsedBlock {
    const L = this.layout;
    const o = this.opts;
    const capacity = lines;
    const D = L.numDense;
    const labels = new Float32Array(capacity);
    const dense = new Float32Array(capacity * D);
    const bounds = o.partitionBounds;
    const parts: Uint32Array[] = [];
    for (let p = 0; p + 1 < bounds.length; p++) parts.push(new Uint32Array((bounds[p + 1] - bounds[p]) * capacity));
    const roles = L.roles,
      slots = L.slots,
      numFields = L.numFields,
      delim = L.delimiter;
    const denseLog1p = L.denseLog1p,
      catHex = L.catHex;
    // per field: where its categorical value goes (array and table-major base), resolved once per block
    const none = new Uint32Array(0);
    const catDst: Uint32Array[] = [];
    const catBase = new Int32Array(numFields);
    for (let f = 0; f < numFields; f++) {
      const t = slots[f];
      catDst.push(roles[f] === FieldRole.Categorical ? parts[this.partOf[t]] : none);
      catBase[f] = roles[f] === FieldRole.Categorical ? this.localOf[t] * capacity : 0;
    }
    const hexClass = this.hexClass,
      decClass = this.decClass,
      endClass = this.endClass;
    const fast = this.criteoShape;
    const tableDst = catDst.slice(1 + D),
      tableBase = catBase.subarray(1 + D);
    const M = o.maxIndRange > 0 ? o.maxIndRange : 0;
    const rate = o.subsampleRate;
    if (fast && this.kernels) {
      const kept = this.kernels.parseCriteoBlock({
        bytes,
        end,
        capacity,
        numDense: D,
        maxIndRange: M,
        subsampleRate: rate,
        seed: o.seed >>> 0,
        day,
        firstLine,
        labels,
        dense,
        tableDst,
        tableBase,
        log1pTable: LOG1P_TABLE,
      });
      if (kept >= 0)
        return {
          lines,
          rows: kept,
          capacity,
          labels,
          dense,
          parts,
          keys: this.keysOf(parts, capacity),
          invalidLines: 0,
        };
    }
    let rows = 0;
    let invalidLines = 0;
    let firstError: LineError | undefined;
    let pos = 0;
    let lineNo = 0;
    while (pos < end) {
      const lineStart = pos;
      const rowBase = rows * D;
      if (fast) {
        const next = this.criteoLine(bytes, pos, rows, rowBase, dense, tableDst, tableBase, M);
        if (next >= 0) {
          const label = bytes[pos] - 48;
          if (label !== 0 || rate === 0 || subsampleDraw(o.seed, day, firstLine + lineNo) >= rate) {
            labels[rows] = label;
            rows++;
          }
          pos = next;
          lineNo++;
          continue;
        }
        // anything unusual in the line: the general path below parses it again and names the problem
      }
      let p = pos;
      let label = 0;
      let bad = '';
      let badField = -1;
      let fieldStart = p;
      let field = 0;
      for (; field < numFields; field++) {
        fieldStart = p;
        const role = roles[field];
        let d: number;
        if (role === FieldRole.Categorical) {
          let v = 0;
          if (catHex[slots[field]]) {
            // digits map to 0..15, the delimiter to 16, '\n' to 17, anything else to 255
            while ((d = hexClass[bytes[p]]) < 16) {
              v = (v << 4) | d;
              p++;
            }
            if (d === 255 || p - fieldStart > 8) {
              bad = 'is not 1 to 8 hex digits';
              badField = field;
              break;
            }
            v = v >>> 0;
          } else {
            while ((d = decClass[bytes[p]]) < 10) {
              v = v * 10 + d;
              p++;
            }
            if (d === 255 || p - fieldStart > 10 || v > 4294967295) {
              bad = 'is not an unsigned 32-bit decimal integer';
              badField = field;
              break;
            }
          }
          if (M !== 0) v = v % M;
          catDst[field][catBase[field] + rows] = v;
        } else if (role === FieldRole.Dense) {
          const neg = bytes[p] === MINUS;
          if (neg) p++;
          const digitsStart = p;
          let v = 0;
          while ((d = decClass[bytes[p]]) < 10) {
            v = v * 10 + d;
            p++;
          }
          const nd = p - digitsStart;
          if (d === 255 || (neg && nd === 0)) {
            bad = 'is not an integer';
            badField = field;
            break;
          }
          if (nd > 15) {
            bad = 'is out of range (more than 15 digits)';
            badField = field;
            break;
          }
          const k = slots[field];
          if (denseLog1p[k]) {
            dense[rowBase + k] = neg ? 0 : v < LOG1P_TABLE_SIZE ? LOG1P_TABLE[v] : log1pFloat32(v);
          } else {
            dense[rowBase + k] = neg ? -v : v;
          }
        } else if (role === FieldRole.Label) {
          const c = bytes[p];
          if (c === 48 || c === 49) {
            label = c - 48;
            p++;
          }
          if (p !== fieldStart + 1 || endClass[bytes[p]] === 0) {
            bad = 'is not 0 or 1';
            badField = field;
            break;
          }
        } else {
          while (endClass[bytes[p]] === 0) p++;
        }
        // bytes[p] ends this field: the delimiter (16) or the line's end (17: '\n', or '\r' before it)
        if (endClass[bytes[p]] === 17) {
          if (bytes[p] === CR && bytes[p + 1] !== NL) {
            bad = "holds a carriage return ('\\r') that does not end the line";
            badField = field;
            break;
          }
          if (field !== numFields - 1) break;
        } else if (field === numFields - 1) {
          break; // more fields than the schema has
        } else {
          p++;
        }
      }
      let lineEnd = p;
      while (bytes[lineEnd] !== NL) lineEnd++;
      // a wrong field count explains any bad field of a shifted line better than the field itself
      if (field !== numFields && countFields(bytes, lineStart, lineEnd, delim) !== numFields) bad = 'count';
      if (bad) {
        const message =
          bad === 'count'
            ? fieldCountMessage(bytes, lineStart, lineEnd, delim, L)
            : fieldMessage(bytes, fieldStart, delim, bad);
        if (firstError === undefined)
          firstError = { line: lineNo, field: bad === 'count' ? undefined : badField + 1, message };
        invalidLines++;
        if (!o.skipInvalid) {
          return {
            lines: lineNo + 1,
            rows,
            capacity,
            labels,
            dense,
            parts,
            keys: this.keysOf(parts, capacity),
            invalidLines,
            firstError,
          };
        }
      } else if (label !== 0 || rate === 0 || subsampleDraw(o.seed, day, firstLine + lineNo) >= rate) {
        labels[rows] = label;
        rows++;
      }
      pos = lineEnd + 1;
      lineNo++;
    }
    return {
      lines: lineNo,
      rows,
      capacity,
      labels,
      dense,
      parts,
      keys: this.keysOf(parts, capacity),
      invalidLines,
      firstError,
    };
  }

  /**
   * The fast path for Criteo-shaped lines: parses the line at `pos` into row `rows` and returns the next
   * line's start, or -1 when anything is unusual (the general path then re-parses it and reports errors).
   */
  private criteoLine(
    bytes: Uint8Array,
    pos: number,
    rows: number,
    rowBase: number,
    dense: Float32Array,
    tableDst: Uint32Array[],
    tableBase: Int32Array,
    M: number,
  ): number {
    const hexClass = this.hexClass,
      decClass = this.decClass;
    const D = this.layout.numDense,
      T = this.layout.numTables;
    let p = pos;
    const c = bytes[p];
    if ((c !== 48 && c !== 49) || decClass[bytes[p + 1]] !== 16) return -1;
    p += 2;
    let d: number;
    for (let k = 0; k < D; k++) {
      const neg = bytes[p] === MINUS;
      if (neg) p++;
      const start = p;
      let v = 0;
      while ((d = decClass[bytes[p]]) < 10) {
        v = v * 10 + d;
        p++;
      }
      if (d !== 16 || p - start > 15 || (neg && p === start)) return -1;
      dense[rowBase + k] = neg ? 0 : v < LOG1P_TABLE_SIZE ? LOG1P_TABLE[v] : log1pFloat32(v);
      p++;
    }
    for (let t = 0; t < T; t++) {
      const start = p;
      let v = 0;
      while ((d = hexClass[bytes[p]]) < 16) {
        v = (v << 4) | d;
        p++;
      }
      if (p - start > 8 || d !== (t === T - 1 ? 17 : 16)) return -1;
      tableDst[t][tableBase[t] + rows] = M !== 0 ? (v >>> 0) % M : v >>> 0;
      p++;
    }
    // the last field ended in '\r': the line must end in '\r\n'
    if (bytes[p - 1] === CR) {
      if (bytes[p] !== NL) return -1;
      p++;
    }
    return p;
  }
}

/**
 * Per table its keys as views into the partition arrays ([tables of p, capacity] table-major each): what a
 * receiver of a parsed block rebuilds after the parts crossed a thread (the views themselves are not sent).
 */
export function partKeys(parts: Uint32Array[], bounds: number[], capacity: number): TableKeys[] {
  const keys: TableKeys[] = [];
  for (let p = 0; p + 1 < bounds.length; p++) {
    for (let l = 0; l < bounds[p + 1] - bounds[p]; l++)
      keys.push({ lo: parts[p].subarray(l * capacity, (l + 1) * capacity) });
  }
  return keys;
}

/** The layout is Criteo's shape: the label, then log1p dense columns, then hex categoricals, in slot order. */
export function isCriteoShape(layout: ParserLayout): boolean {
  const D = layout.numDense,
    T = layout.numTables;
  return (
    layout.hasLabel &&
    layout.numFields === 1 + D + T &&
    layout.roles[0] === FieldRole.Label &&
    layout.denseLog1p.every((x) => x) &&
    layout.catHex.every((x) => x) &&
    layout.roles.every((r, f) =>
      f === 0
        ? true
        : f <= D
          ? r === FieldRole.Dense && layout.slots[f] === f - 1
          : r === FieldRole.Categorical && layout.slots[f] === f - 1 - D,
    )
  );
}

/** The message for a bad field: its text (quoted, shortened) and what is wrong with it. */
function fieldMessage(bytes: Uint8Array, start: number, delim: number, what: string): string {
  let end = start;
  while (
    bytes[end] !== delim &&
    bytes[end] !== NL &&
    !(bytes[end] === CR && bytes[end + 1] === NL) &&
    end - start <= QUOTE_MAX_CHARS
  )
    end++;
  return `${quoteInput(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1'))} ${what}`;
}

/** Fields of the line bytes[start, end). */
function countFields(bytes: Uint8Array, start: number, end: number, delim: number): number {
  let fields = 1;
  for (let p = start; p < end; p++) if (bytes[p] === delim) fields++;
  return fields;
}

/** The message for a line with the wrong number of fields, recognising unlabelled (test-file) lines. */
function fieldCountMessage(bytes: Uint8Array, start: number, end: number, delim: number, L: ParserLayout): string {
  const fields = countFields(bytes, start, end, delim);
  let msg = `the line has ${fields} fields, expected ${L.numFields} (${describeColumns(L)})`;
  if (L.hasLabel && fields === L.numFields - 1) msg += '; it looks like an unlabelled test-file line (no label column)';
  return msg;
}

/** 'label, I1..I13, C1..C26' for the Criteo layout: the columns in order, consecutive runs of one role abbreviated. */
export function describeColumns(L: ParserLayout): string {
  const parts: string[] = [];
  let i = 0;
  while (i < L.numFields) {
    let j = i;
    while (j + 1 < L.numFields && L.roles[j + 1] === L.roles[i] && L.roles[i] !== FieldRole.Label) j++;
    parts.push(j > i ? `${L.fieldNames[i]}..${L.fieldNames[j]}` : L.fieldNames[i]);
    i = j + 1;
  }
  return parts.join(', ');
}
