// The processed-file format (byte layout in docs/FORMAT.md): N rows of labels [N] f32, dense [N, D] f32
// and, per table, embedding-bag offsets + indices u32, stored in row groups (default 65,536 rows) indexed
// by a table after the groups, so any row range is read by seeking, never by loading a whole day.
// A table whose bags in a group all hold exactly one index (Criteo) has no offsets section in that group
// (format version 2: offsetsOffset 0 in the index; they are 0..n). Version 3 adds CRC-32 checksums: one
// per row group (in its index entry, with the group's byte length) and one over the header, the index and
// the metadata; versions 1 and 2 (no checksums) are still read.
// The same format holds a per-day shard and the merged file; the JSON metadata (the manifest) is embedded.
// ProcessedFileWriter streams with bounded memory (one row group buffered) through AtomicFile;
// ProcessedFileReader reads any [start, end) range synchronously or asynchronously, and (unless opened
// with verify: false) checks each row group once, on its first read: its checksum and its values
// (groupCheck.ts), so damage or an out-of-contract value is refused before any of its rows is returned.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as zlib from 'node:zlib';
import { AtomicFile } from '../util/atomic';
import { UserError } from '../util/errors';
import { log } from '../util/log';
import type { BagInput, Batch } from './batch';
import { checkGroupValues, checkIndexBounds, crc32, nativeGroupCheck, type GroupView } from './groupCheck';
import { ONE_HOT_RECORD } from './rowRecords';
import { openForReading } from '../util/paths';

/** The first 8 bytes of every processed file. */
export const PROCESSED_MAGIC = 'DLRMPROC';
export const PROCESSED_FORMAT_VERSION = 3;
/** Format versions the reader knows: 1 always stores offsets sections, 2 omits one-index-per-row ones, 3 adds checksums. */
const READABLE_FORMAT_VERSIONS: readonly number[] = [1, 2, PROCESSED_FORMAT_VERSION];
/** The first version with checksums. */
const CHECKSUM_VERSION = 3;
/** Header bytes covered by the header checksum (which is stored right after them, at byte 60). */
const HEADER_CHECKED_BYTES = 60;
/** offsetsOffset[t] of a group whose table t holds one index per row and so has no offsets section. */
export const NO_OFFSETS_SECTION = 0;
export const HEADER_BYTES = 64;
/** Every section (and the index and metadata) starts at a multiple of this many bytes. */
export const SECTION_ALIGN = 64;
export const DEFAULT_ROWS_PER_GROUP = 65_536;
const U32_MAX = 0xffff_ffff;
/** Bytes per read call (fs.read refuses lengths of 2 GiB and more). */
const MAX_READ_BYTES = 1 << 30;
/** A whole group is read in pieces of at most this many bytes, so that the thread pool reads them in parallel. */
const GROUP_PIECE_BYTES = 1 << 20;

/** The pieces that read `dest` from `position` on, GROUP_PIECE_BYTES at a time. */
function piecesOf(position: number, dest: Uint8Array): ReadPiece[] {
  const out: ReadPiece[] = [];
  for (let at = 0; at < dest.length; at += GROUP_PIECE_BYTES)
    out.push({ position: position + at, dest: dest.subarray(at, at + GROUP_PIECE_BYTES) });
  return out;
}

export interface ProcessedLayout {
  numDense: number;
  numTables: number;
  /** Rows per row group (the last group may be shorter); default 65,536. */
  rowsPerGroup?: number;
}

/**
 * One row group's index entry, as u64 words: firstRow, numRows, labelsOffset, denseOffset, then per table
 * offsetsOffset, indicesOffset, numIndices; from version 3 then groupBytes (the group's bytes, padding
 * included, from labelsOffset) and checksum (CRC-32 of those bytes). Offsets are absolute byte positions
 * in the file; offsetsOffset = NO_OFFSETS_SECTION (0, the header's position) means offsets 0..numRows, none stored.
 */
export function indexEntryWords(numTables: number, version = PROCESSED_FORMAT_VERSION): number {
  return 4 + 3 * numTables + (version >= CHECKSUM_VERSION ? 2 : 0);
}

/**
 * The header checksum of version 3: CRC-32 (zlib's) of header bytes 0..59, then the group index, then the
 * metadata JSON (each without its padding).
 */
function headChecksum(header: Uint8Array, index: Uint8Array, metadata: Uint8Array): number {
  return zlib.crc32(metadata, zlib.crc32(index, zlib.crc32(header.subarray(0, HEADER_CHECKED_BYTES))));
}

function alignUp(n: number): number {
  return Math.ceil(n / SECTION_ALIGN) * SECTION_ALIGN;
}

function bytesOf(a: Float32Array | Uint32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function checkLittleEndianHost(): void {
  if (os.endianness() !== 'LE')
    throw new UserError('processed files are little-endian; this big-endian host is not supported');
}

/** Writes a processed file row group by row group; nothing appears under the final name before commit(). */
export class ProcessedFileWriter {
  readonly numDense: number;
  readonly numTables: number;
  readonly rowsPerGroup: number;
  private readonly file: AtomicFile;
  /**
   * The group buffer: one block laid out as a full group of one-index bags (labels, dense, then per
   * table offsets and indices, each section 64-byte aligned). The column arrays below are views into it,
   * and the sections a group writes are compacted in place (a one-hot group drops its offsets sections).
   */
  private readonly block: Uint8Array;
  /** Byte position of each section in `block`: labels, dense, then offsets/indices per table. */
  private readonly nominal: number[];
  private readonly labels: Float32Array;
  private readonly dense: Float32Array;
  /** Per table: the group's offsets [fill + 1], kept only while the group's table is not one-hot. */
  private readonly offsets: Uint32Array[];
  /** Per table: a view into `block`, or (multi-hot bags outgrowing it) a separate array. */
  private indices: Uint32Array[];
  /**
   * Per table: every row of the group so far holds exactly one index, so its indices are indices[t][0, fill)
   * and offsets[t] is not maintained (the group gets no offsets section unless a longer or empty bag comes).
   */
  private readonly oneHot: boolean[];
  private fill = 0;
  private rowsWritten = 0;
  private readonly index: number[] = [];
  private state: 'open' | 'committed' | 'aborted' = 'open';

  constructor(
    readonly finalPath: string,
    layout: ProcessedLayout,
  ) {
    checkLittleEndianHost();
    const { numDense, numTables } = layout;
    const rowsPerGroup = layout.rowsPerGroup ?? DEFAULT_ROWS_PER_GROUP;
    if (!Number.isInteger(numDense) || numDense < 0)
      throw new RangeError(`numDense=${numDense} must be a non-negative integer`);
    if (!Number.isInteger(numTables) || numTables < 0)
      throw new RangeError(`numTables=${numTables} must be a non-negative integer`);
    if (!Number.isInteger(rowsPerGroup) || rowsPerGroup < 1 || rowsPerGroup >= U32_MAX)
      throw new RangeError(`rowsPerGroup=${rowsPerGroup} is invalid`);
    this.numDense = numDense;
    this.numTables = numTables;
    this.rowsPerGroup = rowsPerGroup;
    const sizes = [rowsPerGroup, rowsPerGroup * numDense];
    for (let t = 0; t < numTables; t++) sizes.push(rowsPerGroup + 1, rowsPerGroup);
    this.nominal = [];
    let at = 0;
    for (const words of sizes) {
      this.nominal.push(at);
      at += alignUp(4 * words);
    }
    this.block = new Uint8Array(at);
    const view = (section: number): Uint32Array =>
      new Uint32Array(this.block.buffer, this.nominal[section], sizes[section]);
    this.labels = new Float32Array(this.block.buffer, this.nominal[0], rowsPerGroup);
    this.dense = new Float32Array(this.block.buffer, this.nominal[1], rowsPerGroup * numDense);
    this.offsets = Array.from({ length: numTables }, (_, t) => view(2 + 2 * t));
    this.indices = Array.from({ length: numTables }, (_, t) => view(3 + 2 * t));
    this.oneHot = new Array<boolean>(numTables).fill(true);
    this.file = new AtomicFile(finalPath, { direct: true });
    this.file.write(new Uint8Array(HEADER_BYTES)); // filled in by commit()
  }

  /** Rows appended so far. */
  get rows(): number {
    return this.rowsWritten + this.fill;
  }

  /**
   * Appends n rows whose bags hold exactly one index each (Criteo): indices[t] [n] is table t's column.
   * The same bytes as append() with offsets 0..n; while the group's tables are one-hot, no offsets at all.
   */
  appendOneHot(labels: Float32Array, dense: Float32Array, indices: readonly Uint32Array[]): void {
    const n = labels.length;
    if (indices.length !== this.numTables || indices.some((ix) => ix.length !== n)) {
      throw new RangeError(
        `appendOneHot: index columns of lengths [${indices.map((ix) => ix.length).join(', ')}], expected ${this.numTables} of ${n}`,
      );
    }
    this.appendColumns(labels, dense, n, (t, from, take) =>
      this.appendSingles(t, indices[t].subarray(from, from + take)),
    );
  }

  /**
   * Appends `n` consecutive row-major records (src/dataset/rowRecords.ts: label, dense, the T bag lengths,
   * then the bags' indices; or the one-hot form) straight into the group buffer: the same bytes as append()
   * of their columns.
   */
  appendRecords(words: Uint32Array, n: number): void {
    if (this.state !== 'open') throw new Error(`ProcessedFileWriter(${this.finalPath}): append after ${this.state}`);
    const floats = new Float32Array(words.buffer, words.byteOffset, words.length);
    const D = this.numDense;
    const T = this.numTables;
    let at = 0;
    for (let r = 0; r < n; r++) {
      const row = this.fill;
      this.labels[row] = floats[at];
      for (let j = 0; j < D; j++) this.dense[row * D + j] = floats[at + 1 + j];
      if (T > 0 && words[at + 1 + D] === ONE_HOT_RECORD) {
        for (let t = 0; t < T; t++) {
          if (this.oneHot[t]) {
            this.indices[t][row] = words[at + 2 + D + t];
            continue;
          }
          const offsets = this.offsets[t];
          const have = offsets[row];
          if (have + 1 > this.indices[t].length) this.growIndices(t, have + 1);
          this.indices[t][have] = words[at + 2 + D + t];
          offsets[row + 1] = have + 1;
        }
        at += 2 + D + T;
        if (at > words.length)
          throw new RangeError(`appendRecords: record ${r} ends at word ${at}, beyond the ${words.length} given`);
        if (++this.fill === this.rowsPerGroup) this.flushGroup();
        continue;
      }
      let src = at + 1 + D + T;
      for (let t = 0; t < T; t++) {
        const c = words[at + 1 + D + t];
        if (this.oneHot[t]) {
          if (c === 1) {
            this.indices[t][row] = words[src++];
            continue;
          }
          this.keepOffsets(t);
        }
        const offsets = this.offsets[t];
        const have = offsets[row];
        if (have + c > this.indices[t].length) this.growIndices(t, have + c);
        const indices = this.indices[t];
        for (let k = 0; k < c; k++) indices[have + k] = words[src + k];
        src += c;
        offsets[row + 1] = have + c;
      }
      if (src > words.length)
        throw new RangeError(`appendRecords: record ${r} ends at word ${src}, beyond the ${words.length} given`);
      at = src;
      this.fill++;
      if (this.fill === this.rowsPerGroup) this.flushGroup();
    }
  }

  /** Appends n rows: labels [n], dense [n, numDense] row-major, one bag input per table over these n rows. */
  append(labels: Float32Array, dense: Float32Array, bags: readonly BagInput[]): void {
    const n = labels.length;
    if (bags.length !== this.numTables)
      throw new RangeError(`append: ${bags.length} bags, expected ${this.numTables} tables`);
    bags.forEach((bag, t) => {
      if (bag.offsets.length !== n + 1)
        throw new RangeError(`append: table ${t} offsets has length ${bag.offsets.length}, expected ${n + 1}`);
      if (bag.offsets[n] > bag.indices.length)
        throw new RangeError(
          `append: table ${t} offsets end at ${bag.offsets[n]} beyond ${bag.indices.length} indices`,
        );
    });
    this.appendColumns(labels, dense, n, (t, from, take) => this.appendBags(t, bags[t], from, take));
  }

  /**
   * Appends n rows group by group: labels and dense here, each table's bags of rows [from, from + take)
   * through `appendTable`, which must leave them at group rows [fill, fill + take).
   */
  private appendColumns(
    labels: Float32Array,
    dense: Float32Array,
    n: number,
    appendTable: (t: number, from: number, take: number) => void,
  ): void {
    if (this.state !== 'open') throw new Error(`ProcessedFileWriter(${this.finalPath}): append after ${this.state}`);
    const D = this.numDense;
    if (dense.length !== n * D) throw new RangeError(`append: dense has ${dense.length} values, expected ${n}x${D}`);
    let done = 0;
    while (done < n) {
      const take = Math.min(n - done, this.rowsPerGroup - this.fill);
      this.labels.set(labels.subarray(done, done + take), this.fill);
      this.dense.set(dense.subarray(done * D, (done + take) * D), this.fill * D);
      for (let t = 0; t < this.numTables; t++) appendTable(t, done, take);
      this.fill += take;
      done += take;
      if (this.fill === this.rowsPerGroup) this.flushGroup();
    }
  }

  /** Table t's indices of the group so far. */
  private groupIndices(t: number): number {
    return this.oneHot[t] ? this.fill : this.offsets[t][this.fill];
  }

  /** Ends table t's one-hot run in this group: writes the offsets 0..fill it had implied. */
  private keepOffsets(t: number): void {
    if (!this.oneHot[t]) return;
    const offsets = this.offsets[t];
    for (let i = 0; i <= this.fill; i++) offsets[i] = i;
    this.oneHot[t] = false;
  }

  /** Appends `column` as the next column.length rows of table t, one index per bag. */
  private appendSingles(t: number, column: Uint32Array): void {
    if (this.oneHot[t]) {
      this.indices[t].set(column, this.fill);
      return;
    }
    const groupOffsets = this.offsets[t];
    const have = groupOffsets[this.fill];
    if (have + column.length > this.indices[t].length) this.growIndices(t, have + column.length);
    this.indices[t].set(column, have);
    for (let i = 1; i <= column.length; i++) groupOffsets[this.fill + i] = have + i;
  }

  /** Gives table t's group indices room for `need` values (keeping those held), in a separate array. */
  private growIndices(t: number, need: number): void {
    if (need > U32_MAX)
      throw new RangeError(`table ${t}: more than 2^32-1 indices in one row group; use a smaller rowsPerGroup`);
    const grown = new Uint32Array(Math.min(U32_MAX, Math.max(need, 2 * this.indices[t].length)));
    grown.set(this.indices[t].subarray(0, this.groupIndices(t)));
    this.indices[t] = grown;
  }

  /** Copies rows [from, from+take) of one table's bag input into the group buffer, rebasing offsets. */
  private appendBags(t: number, bag: BagInput, from: number, take: number): void {
    const base = bag.offsets[from];
    if (this.oneHot[t]) {
      let i = 1;
      while (i <= take && bag.offsets[from + i] - base === i) i++;
      if (i > take) return this.appendSingles(t, bag.indices.subarray(base, base + take));
      this.keepOffsets(t);
    }
    const groupOffsets = this.offsets[t];
    const have = groupOffsets[this.fill];
    const count = bag.offsets[from + take] - base;
    if (have + count > this.indices[t].length) this.growIndices(t, have + count);
    this.indices[t].set(bag.indices.subarray(base, base + count), have);
    let prev = base;
    for (let i = 1; i <= take; i++) {
      const o = bag.offsets[from + i];
      if (o < prev) throw new RangeError(`append: table ${t} offsets decrease at row ${from + i}`);
      groupOffsets[this.fill + i] = have + (o - base);
      prev = o;
    }
  }

  /**
   * Writes the buffered rows as one row group (one write call) and records its index entry; a one-hot
   * table gets no offsets section. The sections are moved to their final positions inside the group
   * buffer (final positions never lie after the nominal ones, so moving front to back overwrites nothing
   * unread); only bags outgrowing the buffer need a fresh block.
   */
  private flushGroup(): void {
    const n = this.fill;
    if (n === 0) return;
    const D = this.numDense;
    /** The group's sections in file order, each with its nominal position in `block`. */
    const sections: { bytes: Uint8Array; nominal: number }[] = [
      { bytes: bytesOf(this.labels.subarray(0, n)), nominal: this.nominal[0] },
      { bytes: bytesOf(this.dense.subarray(0, n * D)), nominal: this.nominal[1] },
    ];
    const counts: number[] = [];
    for (let t = 0; t < this.numTables; t++) {
      counts.push(this.groupIndices(t)); // before the moves below
      if (!this.oneHot[t])
        sections.push({ bytes: bytesOf(this.offsets[t].subarray(0, n + 1)), nominal: this.nominal[2 + 2 * t] });
      sections.push({ bytes: bytesOf(this.indices[t].subarray(0, counts[t])), nominal: this.nominal[3 + 2 * t] });
    }
    const groupStart = this.file.size;
    const positions: number[] = [];
    let total = 0;
    let fits = true;
    for (const { bytes, nominal } of sections) {
      positions.push(groupStart + total);
      fits &&= total <= nominal && (bytes.buffer !== this.block.buffer || bytes.byteOffset === nominal);
      total += alignUp(bytes.length);
    }
    fits &&= total <= this.block.length;
    const block = fits ? this.block : new Uint8Array(total);
    let at = 0;
    for (const { bytes } of sections) {
      if (bytes.buffer !== block.buffer) block.set(bytes, at);
      else if (bytes.byteOffset !== at) block.copyWithin(at, bytes.byteOffset, bytes.byteOffset + bytes.length);
      block.fill(0, at + bytes.length, at + alignUp(bytes.length));
      at += alignUp(bytes.length);
    }
    this.file.write(block.subarray(0, total));
    this.index.push(this.rowsWritten, n, positions[0], positions[1]);
    let section = 2;
    for (let t = 0; t < this.numTables; t++) {
      const offsetsAt = this.oneHot[t] ? NO_OFFSETS_SECTION : positions[section++];
      this.index.push(offsetsAt, positions[section++], counts[t]);
    }
    this.index.push(total, crc32(block.subarray(0, total)));
    this.rowsWritten += n;
    this.fill = 0;
    for (const o of this.offsets) o[0] = 0; // a move may have overwritten it
    this.oneHot.fill(true);
  }

  /** Writes the last group, the index, the metadata JSON and the header, then fsyncs and renames into place. */
  commit(metadata: object): void {
    if (this.state !== 'open') throw new Error(`ProcessedFileWriter(${this.finalPath}): commit after ${this.state}`);
    try {
      this.flushGroup();
      const indexOffset = this.file.size;
      const words = new Uint32Array(alignUp(this.index.length * 8) / 4);
      this.index.forEach((v, i) => {
        words[2 * i] = v % 4294967296;
        words[2 * i + 1] = Math.floor(v / 4294967296);
      });
      this.file.write(words);
      const metadataOffset = this.file.size;
      const json = Buffer.from(JSON.stringify(metadata), 'utf8');
      if (json.length > U32_MAX)
        throw new RangeError(`metadata of ${json.length} bytes; at most 2^32-1 fit the header`);
      const padded = new Uint8Array(alignUp(json.length));
      padded.set(json);
      this.file.write(padded);
      const header = Buffer.alloc(HEADER_BYTES);
      header.write(PROCESSED_MAGIC, 0, 'latin1');
      header.writeUInt32LE(PROCESSED_FORMAT_VERSION, 8);
      header.writeUInt32LE(this.numDense, 12);
      header.writeUInt32LE(this.numTables, 16);
      header.writeUInt32LE(this.rowsPerGroup, 20);
      header.writeBigUInt64LE(BigInt(this.rowsWritten), 24);
      header.writeBigUInt64LE(BigInt(this.index.length / indexEntryWords(this.numTables)), 32);
      header.writeBigUInt64LE(BigInt(indexOffset), 40);
      header.writeBigUInt64LE(BigInt(metadataOffset), 48);
      header.writeUInt32LE(json.length, 56);
      header.writeUInt32LE(
        headChecksum(header, bytesOf(words).subarray(0, this.index.length * 8), json),
        HEADER_CHECKED_BYTES,
      );
      this.file.writeAt(0, header);
      this.file.commit();
      this.state = 'committed';
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  /** Removes the temporary file; the final name is never created. */
  abort(): void {
    if (this.state === 'committed') return;
    this.state = 'aborted';
    this.file.abort();
  }
}

/** A byte range of the file to read into `dest`. */
interface ReadPiece {
  position: number;
  dest: Uint8Array;
}

/** One step of a read: the pieces to read, then the groups among them read whole, to check before the next step. */
interface ReadStep {
  pieces: ReadPiece[];
  checks: GroupPart[];
}

/**
 * Rows [a, b) of the row group whose index entry starts at word `entry`, landing at batch row `out`;
 * offsets[t] holds table t's group offsets a..b as read, or is undefined when the group has no offsets
 * section for table t (one index per row: the offsets are a..b themselves). `whole` is set when the group
 * is read in one piece to be checked (its first read): the sections are then copied out of it.
 */
interface GroupPart {
  group: number;
  entry: number;
  a: number;
  b: number;
  out: number;
  offsets: (Uint32Array | undefined)[];
  whole?: Uint8Array;
}

/** Where part p's indices of table t start within its group's indices section. */
function firstIndex(p: GroupPart, t: number): number {
  return p.offsets[t]?.[0] ?? p.a;
}

/** How many indices of table t part p's rows hold. */
function indexCount(p: GroupPart, t: number): number {
  const o = p.offsets[t];
  return o ? o[p.b - p.a] - o[0] : p.b - p.a;
}

export interface ReaderOptions {
  /**
   * Check the header checksum at open and each row group on its first read: its checksum (version 3) and
   * its values (groupCheck.ts). Default true; false (`--no-verify`) reads damaged files as they are.
   */
  verify?: boolean;
}

/** Files already named in the log as having no checksums (said once per file and process). */
const saidUnchecked = new Set<string>();

/** Reads row ranges of a processed file by seeking; only the header, group index and metadata stay in memory. */
export class ProcessedFileReader {
  readonly formatVersion: number;
  readonly rows: number;
  readonly numDense: number;
  readonly numTables: number;
  readonly rowsPerGroup: number;
  readonly groups: number;
  readonly fileBytes: number;
  readonly metadata: unknown;
  readonly verify: boolean;
  /** The group index, one entry of indexEntryWords(numTables, formatVersion) numbers per group (see indexEntryWords). */
  private readonly index: Float64Array;
  private readonly entryWords: number;
  /** Per group: 1 once its first read (which checks it) was planned; later reads take only their rows' bytes. */
  private readonly claimed: Uint8Array;
  /** The first check that failed: every later read throws it too, so no unchecked row gets out after it. */
  private damaged: Error | undefined;
  /** Embedding-table row counts from the metadata (a merged file's manifest), to check indices against. */
  private readonly tableRows: readonly number[] | undefined;
  /** 0, 1, 2, ...: copied out as the offsets of one-index-per-row bags (grown on demand). */
  private iota = new Uint32Array(0);

  private constructor(
    readonly path: string,
    private fd: number,
    opts: ReaderOptions,
  ) {
    const fail = (why: string): UserError => new UserError(`${path}: not a valid dlrm processed file (${why})`);
    this.verify = opts.verify ?? true;
    this.fileBytes = fs.fstatSync(fd).size;
    if (this.fileBytes < HEADER_BYTES) throw fail(`only ${this.fileBytes} bytes`);
    const header = Buffer.alloc(HEADER_BYTES);
    this.readFullySync({ position: 0, dest: header });
    if (header.toString('latin1', 0, 8) !== PROCESSED_MAGIC) throw fail(`no '${PROCESSED_MAGIC}' magic at byte 0`);
    this.formatVersion = header.readUInt32LE(8);
    if (!READABLE_FORMAT_VERSIONS.includes(this.formatVersion)) {
      const known = READABLE_FORMAT_VERSIONS;
      throw new UserError(
        `${path}: processed-file format version ${this.formatVersion}; this dlrm reads versions ${known.slice(0, -1).join(', ')} and ${known[known.length - 1]}`,
      );
    }
    const checksums = this.formatVersion >= CHECKSUM_VERSION;
    this.numDense = header.readUInt32LE(12);
    this.numTables = header.readUInt32LE(16);
    this.rowsPerGroup = header.readUInt32LE(20);
    this.rows = Number(header.readBigUInt64LE(24));
    this.groups = Number(header.readBigUInt64LE(32));
    const indexOffset = Number(header.readBigUInt64LE(40));
    const metadataOffset = Number(header.readBigUInt64LE(48));
    // version 3 keeps the metadata length in 4 bytes and the header checksum in the next 4; before, the
    // length took 8 bytes whose high half was always 0
    const metadataLength = checksums ? header.readUInt32LE(56) : Number(header.readBigUInt64LE(56));
    this.entryWords = indexEntryWords(this.numTables, this.formatVersion);
    const indexBytes = this.groups * this.entryWords * 8;
    const damagedHead = (): UserError =>
      new UserError(
        `${path}: damaged processed file: the header, group index or metadata (bytes 0-${HEADER_BYTES - 1}, ${indexOffset}-${indexOffset + indexBytes - 1}, ` +
          `${metadataOffset}-${metadataOffset + metadataLength - 1}) do not match their checksum (--no-verify reads it anyway)`,
      );
    if (
      !Number.isSafeInteger(indexBytes) ||
      indexOffset + indexBytes > this.fileBytes ||
      metadataOffset + metadataLength > this.fileBytes
    ) {
      throw fail('truncated');
    }
    const words = new Uint32Array(indexBytes / 4);
    this.readFullySync({ position: indexOffset, dest: bytesOf(words) });
    const json = Buffer.alloc(metadataLength);
    this.readFullySync({ position: metadataOffset, dest: json });
    if (
      checksums &&
      this.verify &&
      headChecksum(header, bytesOf(words), json) !== header.readUInt32LE(HEADER_CHECKED_BYTES)
    )
      throw damagedHead();
    if (!checksums && !saidUnchecked.has(path)) {
      saidUnchecked.add(path);
      log().warn(
        { file: path, formatVersion: this.formatVersion },
        'processed file without checksums (format version < 3): damage in it cannot be detected; preprocess it again to add them',
      );
    }
    this.index = new Float64Array(words.length / 2);
    for (let i = 0; i < this.index.length; i++) this.index[i] = words[2 * i] + words[2 * i + 1] * 4294967296;
    try {
      this.metadata = JSON.parse(json.toString('utf8'));
    } catch {
      throw fail('metadata is not JSON');
    }
    let covered = 0;
    for (let g = 0; g < this.groups; g++) {
      const e = g * this.entryWords;
      if (this.index[e] !== covered || this.index[e + 1] < 1)
        throw fail(`group ${g} of the index does not follow group ${g - 1}`);
      covered += this.index[e + 1];
      for (let t = 0; t < this.numTables; t++) {
        if (this.index[e + 4 + 3 * t] !== NO_OFFSETS_SECTION) continue;
        if (this.formatVersion < 2)
          throw fail(`group ${g} table ${t}: no offsets section, which version ${this.formatVersion} does not allow`);
        if (this.index[e + 6 + 3 * t] !== this.index[e + 1])
          throw fail(
            `group ${g} table ${t}: no offsets section but ${this.index[e + 6 + 3 * t]} indices for ${this.index[e + 1]} rows`,
          );
      }
      const [start, end] = this.groupSpan(g);
      if (
        start < HEADER_BYTES ||
        end > indexOffset ||
        this.sections(g).some(([at, bytes]) => at < start || at + bytes > end)
      ) {
        throw fail(`group ${g}: its sections lie outside its bytes ${start}-${end - 1}`);
      }
    }
    if (covered !== this.rows) throw fail(`the group index covers ${covered} rows, the header says ${this.rows}`);
    this.claimed = new Uint8Array(this.groups);
    this.tableRows = manifestTableRows(this.metadata, this.numTables);
  }

  /** Opens `path`; a missing or malformed (or, verifying, damaged) file is a UserError naming it. */
  static open(path: string, opts: ReaderOptions = {}): ProcessedFileReader {
    checkLittleEndianHost();
    let fd: number;
    try {
      fd = openForReading(path);
    } catch (err) {
      throw new UserError(
        `${path}: cannot open processed file (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
    try {
      return new ProcessedFileReader(path, fd, opts);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  /** Rows [start, end) as one Batch (read and checked synchronously). */
  read(start: number, end: number): Batch {
    const steps = this.readSteps(start, end);
    for (let r = steps.next(); ; r = steps.next()) {
      if (r.done) return r.value;
      for (const piece of r.value.pieces) this.readFullySync(piece);
      for (const p of r.value.checks) this.checkGroup(p.group, p.whole as Uint8Array);
    }
  }

  /** Throws the failure a check found earlier (also one found by another read while this one waited). */
  private throwIfDamaged(): void {
    if (this.damaged) throw this.damaged;
  }

  /** Rows [start, end) as one Batch, the reads (and, with the native addon, the checks) running in the libuv thread pool. */
  async readAsync(start: number, end: number): Promise<Batch> {
    const steps = this.readSteps(start, end);
    for (let r = steps.next(); ; r = steps.next()) {
      if (r.done) return r.value;
      await Promise.all(r.value.pieces.map((piece) => this.readFully(piece)));
      await Promise.all(r.value.checks.map((p) => this.checkGroupAsync(p.group, p.whole as Uint8Array)));
    }
  }

  /**
   * Reads and checks every row group not checked yet (its checksum and values, as a first read does);
   * throws the first failure. Does nothing when the reader does not verify.
   */
  async checkAllGroups(): Promise<void> {
    if (this.fd < 0) throw new Error(`${this.path}: read after close`);
    this.throwIfDamaged();
    if (!this.verify) return;
    for (let g = 0; g < this.groups; g++) {
      if (this.claimed[g]) continue;
      this.claimed[g] = 1;
      const [from, to] = this.groupSpan(g);
      const whole = new Uint8Array(to - from);
      await this.readFully({ position: from, dest: whole });
      await this.checkGroupAsync(g, whole);
    }
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  /**
   * Group g's bytes [start, end): from version 3 the index says (groupBytes); before, from its labels
   * section to the end of its last section (padding excluded).
   */
  private groupSpan(g: number): [number, number] {
    const e = g * this.entryWords;
    const start = this.index[e + 2];
    if (this.formatVersion >= CHECKSUM_VERSION) return [start, start + this.index[e + 4 + 3 * this.numTables]];
    return [start, Math.max(...this.sections(g).map(([at, bytes]) => at + bytes))];
  }

  /** Group g's sections as [position, bytes]: labels, dense, then per table [offsets,] indices. */
  private sections(g: number): [number, number][] {
    const e = g * this.entryWords;
    const n = this.index[e + 1];
    const out: [number, number][] = [
      [this.index[e + 2], 4 * n],
      [this.index[e + 3], 4 * n * this.numDense],
    ];
    for (let t = 0; t < this.numTables; t++) {
      if (this.index[e + 4 + 3 * t] !== NO_OFFSETS_SECTION) out.push([this.index[e + 4 + 3 * t], 4 * (n + 1)]);
      out.push([this.index[e + 5 + 3 * t], 4 * this.index[e + 6 + 3 * t]]);
    }
    return out;
  }

  /**
   * Checks group g, read whole into `whole` (its first read): the checksum (version 3), then its values
   * (groupCheck.ts). The first failure is kept so that every later read fails too.
   */
  private checkGroup(g: number, whole: Uint8Array): void {
    const e = g * this.entryWords;
    const [start, end] = this.groupSpan(g);
    const firstRow = this.index[e];
    const numRows = this.index[e + 1];
    const where = `row group ${g} (rows ${firstRow}-${firstRow + numRows - 1}, bytes ${start}-${end - 1})`;
    try {
      if (this.formatVersion >= CHECKSUM_VERSION && crc32(whole) !== this.index[e + 5 + 3 * this.numTables]) {
        throw new UserError(
          `${this.path}: damaged processed file: ${where} does not match its checksum (--no-verify reads it anyway)`,
        );
      }
      const view: GroupView = {
        file: this.path,
        where,
        firstRow,
        numRows,
        numDense: this.numDense,
        labels: new Float32Array(whole.buffer, whole.byteOffset + this.index[e + 2] - start, numRows),
        dense: new Float32Array(whole.buffer, whole.byteOffset + this.index[e + 3] - start, numRows * this.numDense),
        tables: Array.from({ length: this.numTables }, (_, t) => {
          const offsetsAt = this.index[e + 4 + 3 * t];
          return {
            offsets:
              offsetsAt === NO_OFFSETS_SECTION
                ? undefined
                : new Uint32Array(whole.buffer, whole.byteOffset + offsetsAt - start, numRows + 1),
            indices: new Uint32Array(
              whole.buffer,
              whole.byteOffset + this.index[e + 5 + 3 * t] - start,
              this.index[e + 6 + 3 * t],
            ),
          };
        }),
        tableRows: this.tableRows,
      };
      checkGroupValues(view);
    } catch (err) {
      this.damaged = err as Error;
      throw err;
    }
  }

  /**
   * checkGroup in the libuv thread pool when the native addon is built (its twin checkGroupAsync answers
   * good or not; on a failure checkGroup runs here to name the row and value), else checkGroup itself.
   */
  private async checkGroupAsync(g: number, whole: Uint8Array): Promise<void> {
    const native = nativeGroupCheck();
    if (!native) return this.checkGroup(g, whole);
    const e = g * this.entryWords;
    const [start] = this.groupSpan(g);
    const layout = [this.index[e + 1], this.numDense, this.index[e + 2] - start, this.index[e + 3] - start];
    for (let t = 0; t < this.numTables; t++) {
      const offsetsAt = this.index[e + 4 + 3 * t];
      layout.push(
        offsetsAt === NO_OFFSETS_SECTION ? -1 : offsetsAt - start,
        this.index[e + 5 + 3 * t] - start,
        this.index[e + 6 + 3 * t],
      );
    }
    const crc = this.formatVersion >= CHECKSUM_VERSION ? this.index[e + 5 + 3 * this.numTables] : -1;
    const rows = this.tableRows && Uint32Array.from(this.tableRows, (r) => Math.min(r, U32_MAX));
    if ((await native(whole, Float64Array.from(layout), rows ?? null, crc)) === 0) return;
    this.checkGroup(g, whole); // names the failure
    this.damaged = new Error(`${this.path}: row group ${g}: the native check refused it and its JS twin did not`);
    throw this.damaged;
  }

  /**
   * Plans the reads of rows [start, end): first yields labels, dense and offsets pieces, then (once the
   * offsets are known) the indices pieces, and returns the assembled Batch. Shared by read and readAsync.
   * A table without an offsets section in a group (one index per row) reads no offsets: they are a..b.
   * Verifying, a group's first read takes the whole group in one piece, which the caller checks
   * (checkGroup or checkGroupAsync) before the next step copies the rows out of it.
   */
  private *readSteps(start: number, end: number): Generator<ReadStep, Batch, void> {
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= this.rows)) {
      throw new RangeError(`${this.path}: rows [${start}, ${end}) are outside [0, ${this.rows})`);
    }
    if (this.fd < 0) throw new Error(`${this.path}: read after close`);
    this.throwIfDamaged();
    const n = end - start;
    const D = this.numDense;
    const T = this.numTables;
    const only = start < end ? this.groupOf(start) : -1;
    if (
      only >= 0 &&
      this.verify &&
      !this.claimed[only] &&
      end <= this.index[only * this.entryWords] + this.index[only * this.entryWords + 1]
    ) {
      // rows of one group on its first read (the loader's chunks, usually): the batch is views into it
      this.claimed[only] = 1;
      const [from, to] = this.groupSpan(only);
      const entry = only * this.entryWords;
      const p: GroupPart = {
        group: only,
        entry,
        a: start - this.index[entry],
        b: end - this.index[entry],
        out: 0,
        offsets: [],
        whole: new Uint8Array(to - from),
      };
      yield { pieces: piecesOf(from, p.whole as Uint8Array), checks: [p] };
      this.throwIfDamaged();
      return this.viewBatch(p);
    }
    const labels = new Float32Array(n);
    const dense = new Float32Array(n * D);
    const parts: GroupPart[] = [];
    const first: ReadPiece[] = [];
    for (let g = start < end ? this.groupOf(start) : this.groups; g < this.groups; g++) {
      const entry = g * this.entryWords;
      const groupFirst = this.index[entry];
      if (groupFirst >= end) break;
      const a = Math.max(start, groupFirst) - groupFirst;
      const b = Math.min(end, groupFirst + this.index[entry + 1]) - groupFirst;
      const out = groupFirst + a - start;
      if (this.verify && !this.claimed[g]) {
        this.claimed[g] = 1;
        const [from, to] = this.groupSpan(g);
        const whole = new Uint8Array(to - from);
        first.push(...piecesOf(from, whole));
        parts.push({ group: g, entry, a, b, out, offsets: [], whole });
        continue;
      }
      first.push({ position: this.index[entry + 2] + 4 * a, dest: bytesOf(labels.subarray(out, out + b - a)) });
      first.push({
        position: this.index[entry + 3] + 4 * a * D,
        dest: bytesOf(dense.subarray(out * D, (out + b - a) * D)),
      });
      const offsets: (Uint32Array | undefined)[] = [];
      for (let t = 0; t < T; t++) {
        const at = this.index[entry + 4 + 3 * t];
        if (at === NO_OFFSETS_SECTION) {
          offsets.push(undefined);
          continue;
        }
        const o = new Uint32Array(b - a + 1);
        first.push({ position: at + 4 * a, dest: bytesOf(o) });
        offsets.push(o);
      }
      parts.push({ group: g, entry, a, b, out, offsets });
    }
    yield { pieces: first, checks: parts.filter((p) => p.whole) };
    for (const p of parts) {
      if (!p.whole) {
        // without the group check (--no-verify) bag offsets could be anything: refuse what cannot be read
        p.offsets.forEach((o, t) => {
          for (let i = 0; o && i < o.length - 1; i++) {
            if (o[i + 1] < o[i])
              throw new UserError(
                `${this.path}: row ${this.index[p.entry] + p.a + i}: table ${t}: bag offsets decrease (${o[i]} then ${o[i + 1]}); the file is damaged`,
              );
          }
          if (o && o[o.length - 1] > this.index[p.entry + 6 + 3 * t])
            throw new UserError(
              `${this.path}: row group ${p.group}: table ${t}: bag offsets run past its ${this.index[p.entry + 6 + 3 * t]} indices; the file is damaged`,
            );
        });
        continue;
      }
      const { whole } = p; // checked by the caller after the first step
      const base = this.index[p.entry + 2];
      const take = (position: number, bytes: number): Uint8Array =>
        whole.subarray(position - base, position - base + bytes);
      bytesOf(labels.subarray(p.out, p.out + p.b - p.a)).set(take(this.index[p.entry + 2] + 4 * p.a, 4 * (p.b - p.a)));
      bytesOf(dense.subarray(p.out * D, (p.out + p.b - p.a) * D)).set(
        take(this.index[p.entry + 3] + 4 * p.a * D, 4 * (p.b - p.a) * D),
      );
      for (let t = 0; t < T; t++) {
        const at = this.index[p.entry + 4 + 3 * t];
        if (at === NO_OFFSETS_SECTION) p.offsets.push(undefined);
        else p.offsets.push(new Uint32Array(take(at + 4 * p.a, 4 * (p.b - p.a + 1)).slice().buffer));
      }
    }
    /** Reads `dest` from `position` of part p's group: planned for the second step, or copied from the whole group. */
    const second: ReadPiece[] = [];
    const fetch = (p: GroupPart, position: number, dest: Uint8Array): void => {
      if (p.whole)
        dest.set(
          p.whole.subarray(position - this.index[p.entry + 2], position - this.index[p.entry + 2] + dest.length),
        );
      else second.push({ position, dest });
    };
    const sparse: BagInput[] = [];
    for (let t = 0; t < T; t++) {
      let total = 0;
      for (const p of parts) total += indexCount(p, t);
      const indices = new Uint32Array(total);
      if (parts.length === 1) {
        // rows within one group (a read-ahead chunk, usually): its offsets are the batch's, rebased in place
        const [p] = parts;
        const base = firstIndex(p, t);
        if (total > 0) fetch(p, this.index[p.entry + 5 + 3 * t] + 4 * base, bytesOf(indices));
        const o = p.offsets[t];
        if (o && base !== 0) for (let i = 0; i <= n; i++) o[i] -= base;
        sparse.push({ offsets: o ?? this.iotaCopy(n), indices });
        continue;
      }
      const batchOffsets = new Uint32Array(n + 1);
      let have = 0;
      for (const p of parts) {
        const o = p.offsets[t];
        const rows = p.b - p.a;
        const c = indexCount(p, t);
        if (c > 0)
          fetch(p, this.index[p.entry + 5 + 3 * t] + 4 * firstIndex(p, t), bytesOf(indices.subarray(have, have + c)));
        if (o) for (let i = 1; i <= rows; i++) batchOffsets[p.out + i] = have + o[i] - o[0];
        else for (let i = 1; i <= rows; i++) batchOffsets[p.out + i] = have + i;
        have += c;
      }
      sparse.push({ offsets: batchOffsets, indices });
    }
    yield { pieces: second, checks: [] };
    this.throwIfDamaged();
    if (!this.verify)
      checkIndexBounds(this.path, `rows ${start}-${end - 1}, read without verification`, start, sparse, this.tableRows);
    return { size: n, dense, numDense: D, sparse, labels };
  }

  /** Rows [p.a, p.b) of the group read whole into p.whole (and checked), as views into it (offsets are copies). */
  private viewBatch(p: GroupPart): Batch {
    const whole = p.whole as Uint8Array;
    const base = this.index[p.entry + 2] - whole.byteOffset;
    const n = p.b - p.a;
    const D = this.numDense;
    const sparse: BagInput[] = [];
    for (let t = 0; t < this.numTables; t++) {
      const offsetsAt = this.index[p.entry + 4 + 3 * t];
      const indicesAt = this.index[p.entry + 5 + 3 * t] - base;
      if (offsetsAt === NO_OFFSETS_SECTION) {
        sparse.push({ offsets: this.iotaCopy(n), indices: new Uint32Array(whole.buffer, indicesAt + 4 * p.a, n) });
        continue;
      }
      const offsets = new Uint32Array(whole.buffer, offsetsAt - base + 4 * p.a, n + 1).slice();
      const first = offsets[0];
      for (let i = 0; i <= n; i++) offsets[i] -= first;
      sparse.push({ offsets, indices: new Uint32Array(whole.buffer, indicesAt + 4 * first, offsets[n]) });
    }
    return {
      size: n,
      numDense: D,
      labels: new Float32Array(whole.buffer, this.index[p.entry + 2] - base + 4 * p.a, n),
      dense: new Float32Array(whole.buffer, this.index[p.entry + 3] - base + 4 * D * p.a, n * D),
      sparse,
    };
  }

  /** A new array holding 0, 1, ..., n: the offsets of n one-index bags. */
  private iotaCopy(n: number): Uint32Array {
    if (this.iota.length < n + 1) {
      this.iota = new Uint32Array(Math.max(n + 1, 2 * this.iota.length));
      for (let i = 0; i < this.iota.length; i++) this.iota[i] = i;
    }
    return this.iota.slice(0, n + 1);
  }

  /** The group holding `row` (binary search over the groups' first rows). */
  private groupOf(row: number): number {
    let lo = 0;
    let hi = this.groups - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.index[mid * this.entryWords] <= row) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private truncated(piece: ReadPiece): UserError {
    return new UserError(
      `${this.path}: truncated processed file (reading ${piece.dest.length} bytes at ${piece.position})`,
    );
  }

  private readFullySync(piece: ReadPiece): void {
    let done = 0;
    while (done < piece.dest.length) {
      const got = fs.readSync(
        this.fd,
        piece.dest,
        done,
        Math.min(MAX_READ_BYTES, piece.dest.length - done),
        piece.position + done,
      );
      if (got === 0) throw this.truncated(piece);
      done += got;
    }
  }

  private async readFully(piece: ReadPiece): Promise<void> {
    let done = 0;
    while (done < piece.dest.length) {
      const got = await new Promise<number>((resolve, reject) =>
        fs.read(
          this.fd,
          piece.dest,
          done,
          Math.min(MAX_READ_BYTES, piece.dest.length - done),
          piece.position + done,
          (err, bytes) => (err ? reject(err) : resolve(bytes)),
        ),
      );
      if (got === 0) throw this.truncated(piece);
      done += got;
    }
  }
}

/** The manifest's embedding-table row counts (tables[t].count), when the metadata has them for every table. */
function manifestTableRows(metadata: unknown, numTables: number): number[] | undefined {
  const tables = (metadata as { tables?: unknown } | null)?.tables;
  if (!Array.isArray(tables) || tables.length !== numTables) return undefined;
  const counts = tables.map((t) => (t as { count?: unknown } | null)?.count);
  return counts.every((c): c is number => Number.isInteger(c)) ? counts : undefined;
}
