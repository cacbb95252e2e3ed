// Training checkpoints: parameters, optimizer state, architecture, train config, progress (epoch, batch
// within the epoch, optimizer step), the best evaluation so far (--save-best) and data state, in one binary file (docs/TRAINING.md, "Checkpoint
// format"):
//   bytes 0-7   magic "DLRMCKPT"
//   bytes 8-11  format version, uint32 little-endian
//   bytes 12-15 header length H, uint32 little-endian
//   bytes 16-19 CRC-32 (zlib's) of bytes 0-15 then of the header bytes 20..20+H (format version 2 on)
//   20..20+H    JSON header (UTF-8, space-padded so the data starts at a multiple of 64 bytes); each
//               section's entry gives its CRC-32 as 8 hex digits (version 1: at 16..16+H, no checksums)
//   then raw little-endian float32 sections in header order, each at its recorded byte offset:
//   bottom.<i>.weight [out,in], bottom.<i>.bias [out], top.<i>..., table.<t> [rows,d], (dcn) cross.<i>...
//   (--model dcn: cross.<l>.weight [1,N], cross.<l>.bias [N]),
//   then the optimizer state opt.bottom.<i>.weight ..., opt.table.<t> ([rows,d] adagrad, [rows]
//   rowwise-adagrad), (dcn) opt.cross.<i>...
//   A compressed feature t (arch.compression) has table.<t>.<k> per own table k (QR: 0 quotient, 1 remainder;
//   MD: 0) and table.<t>.proj [d, m] instead of table.<t>, and opt.table.<t>.<k> / opt.table.<t>.proj.
// Tables may be GBs: they are streamed chunk by chunk (no whole-file buffer) and read straight into the
// destination chunks, whatever chunking the reader uses. Writes go through AtomicFile (temp + rename), and
// a section holding NaN or Infinity aborts the write, so a diverged run never replaces a good checkpoint;
// loading refuses such a section too (naming it), so a damaged file never scores or trains silently.
// Checksums: the writer chains each section's CRC-32 over its parts as it streams them, then rewrites the
// header (fixed-width CRC fields, so its length is unchanged) and the header's CRC in place before the
// rename; readCheckpointHeader checks the header's CRC before parsing it, loadCheckpointInto each
// section's after reading it, and a mismatch is a UserError naming the section and its byte range.
// Version-1 files (no checksums) still load, with one log warning per file and process.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { AtomicFile } from '../util/atomic';
import { UserError } from '../util/errors';
import type { DlrmArch, OptimizerName } from './arch';
import type { OptimizerState } from './optimizerState';
import type { DlrmParams, EmbeddingTableParams } from './params';
import { openForReading } from '../util/paths';
import { crc32 } from '../dataset/groupCheck';
import { log } from '../util/log';

export const CHECKPOINT_MAGIC = 'DLRMCKPT';
export const CHECKPOINT_FORMAT_VERSION = 2;
/** The first version with checksums (a 20-byte preamble ending with the header's CRC-32). */
const CHECKSUM_VERSION = 2;
/** Magic, version and header length: the bytes before the header CRC. */
const PREAMBLE_FIELDS_BYTES = 16;
const preambleBytes = (version: number): number =>
  version >= CHECKSUM_VERSION ? PREAMBLE_FIELDS_BYTES + 4 : PREAMBLE_FIELDS_BYTES;
const DATA_ALIGN = 64;
/**
 * Floats of a section (1 MiB) checked for NaN/Infinity, checksummed and written (or read, checked,
 * checksummed) at a time: small enough to stay in the CPU cache between the three, so they cost one pass
 * over memory.
 */
const PIECE_FLOATS = 2 ** 18;

/** Where training stands: everything needed to continue exactly where it stopped. */
export interface CheckpointProgress {
  /** Epoch to continue in (0-based). */
  epoch: number;
  /** Batches of that epoch already trained on. */
  batchInEpoch: number;
  /** Rows of that epoch already trained on. */
  rowInEpoch: number;
  /** Optimizer steps done over the whole run (the LR schedule's step). */
  globalStep: number;
}

/** The best evaluation of a run so far and where its checkpoint was kept (`dlrm train --save-best`). */
export interface BestCheckpoint {
  /** The --save-best file holding the model of that evaluation. */
  file: string;
  /** The split it was evaluated on ('test', 'val' or 'heldout'): AUCs of different splits never compare. */
  split: string;
  /** Optimizer steps done when it was evaluated. */
  step: number;
  /** Its AUC (never NaN). */
  auc: number;
}

export interface CheckpointSection {
  /** e.g. 'bottom.0.weight', 'table.3', 'opt.table.3'. */
  name: string;
  shape: number[];
  /** Byte offset of the section from the start of the file. */
  offset: number;
  /** CRC-32 of the section's bytes, 8 lowercase hex digits (format version 2 on; absent in version 1). */
  crc32?: string;
}

export interface CheckpointHeader<C = unknown, D = unknown> {
  format: 'dlrm-checkpoint';
  formatVersion: number;
  createdBy: string;
  createdAt: string;
  /** Engine that trained it (informational: any engine loads any checkpoint). */
  engine: string;
  arch: DlrmArch;
  optimizer: OptimizerName;
  progress: CheckpointProgress;
  /** The best evaluation so far (null when none was kept; absent in checkpoints written before --save-best). */
  best?: BestCheckpoint | null;
  /** The run's id in the metrics JSONL, so a resumed run continues the same run (absent in older checkpoints). */
  runId?: string;
  /** The full train config of the run that wrote it. */
  trainConfig: C;
  /** What a data source needs to continue its stream (seed, generation, ...). */
  dataState: D;
  sections: CheckpointSection[];
}

export interface CheckpointContents<C, D> {
  engine: string;
  arch: DlrmArch;
  params: DlrmParams;
  optimizerState: OptimizerState;
  progress: CheckpointProgress;
  best?: BestCheckpoint | null;
  runId?: string;
  trainConfig: C;
  dataState: D;
}

/** One float32 section: its name, shape, and the typed arrays holding it, in order. */
interface SectionData {
  name: string;
  shape: number[];
  parts: Float32Array[];
}

/** Every section of params + optimizer state, in file order (also what a reader expects to find). */
function sectionsOf(params: DlrmParams, state: OptimizerState): SectionData[] {
  const out: SectionData[] = [];
  const linear = (prefix: string, layers: DlrmParams['bottom'], states: OptimizerState['bottom'] | null) =>
    layers.forEach((l, i) => {
      const w = states ? states[i].weight : l.weight;
      const b = states ? states[i].bias : l.bias;
      if (w.length > 0) out.push({ name: `${prefix}.${i}.weight`, shape: [l.outFeatures, l.inFeatures], parts: [w] });
      // [outFeatures], except --model dcn's cross layers: b_l [N] (src/model/deepCross.ts)
      if (b.length > 0) out.push({ name: `${prefix}.${i}.bias`, shape: [b.length], parts: [b] });
    });
  linear('bottom', params.bottom, null);
  linear('top', params.top, null);
  const optShape = (t: EmbeddingTableParams) => (state.name === 'rowwise-adagrad' ? [t.rows] : [t.rows, t.dim]);
  params.tables.forEach((t, i) => {
    const c = params.compressed?.[i];
    if (!c) {
      out.push({ name: `table.${i}`, shape: [t.rows, t.dim], parts: t.chunks });
      return;
    }
    c.tables.forEach((s, k) => out.push({ name: `table.${i}.${k}`, shape: [s.rows, s.dim], parts: s.chunks }));
    if (c.projection)
      out.push({ name: `table.${i}.proj`, shape: [t.dim, c.projection.length / t.dim], parts: [c.projection] });
  });
  if (params.cross) linear('cross', params.cross, null);
  linear('opt.bottom', params.bottom, state.bottom);
  linear('opt.top', params.top, state.top);
  params.tables.forEach((t, i) => {
    const c = params.compressed?.[i],
      cs = state.compressed?.[i];
    if (c && cs) {
      c.tables.forEach((s, k) => {
        if ((cs.tables[k] ?? []).length > 0)
          out.push({ name: `opt.table.${i}.${k}`, shape: optShape(s), parts: cs.tables[k] });
      });
      if (c.projection && cs.projection && cs.projection.length > 0)
        out.push({ name: `opt.table.${i}.proj`, shape: [t.dim, c.projection.length / t.dim], parts: [cs.projection] });
      return;
    }
    const chunks = state.tables[i] ?? [];
    if (chunks.length === 0) return;
    out.push({ name: `opt.table.${i}`, shape: optShape(t), parts: chunks });
  });
  if (params.cross && state.cross) linear('opt.cross', params.cross, state.cross);
  return out;
}

const elements = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const bytesOf = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const hex8 = (crc: number): string => crc.toString(16).padStart(8, '0');

function checkLittleEndian(): void {
  if (os.endianness() !== 'LE')
    throw new UserError('checkpoints are little-endian float32; this machine is big-endian');
}

/** A checkpoint refused because the model holds NaN or Infinity (a diverged run). */
export class NonFiniteValuesError extends UserError {
  constructor(
    readonly file: string,
    readonly section: string,
    readonly value: number,
  ) {
    super(
      `refusing to write checkpoint ${file}: ${section} holds ${value} (a diverged model); any previous checkpoint there is left as it was`,
    );
  }
}

/** Index of the first NaN/Infinity in `a`, or -1. */
function firstNonFinite(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v - v !== 0) return i;
  }
  return -1;
}

/**
 * Writes a checkpoint atomically. Throws a UserError (leaving any existing file at `file` untouched)
 * when a parameter or optimizer value is NaN or infinite.
 */
export function saveCheckpoint<C, D>(file: string, c: CheckpointContents<C, D>, createdBy: string): void {
  checkLittleEndian();
  const data = sectionsOf(c.params, c.optimizerState);
  const header: CheckpointHeader<C, D> = {
    format: 'dlrm-checkpoint',
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    createdBy,
    createdAt: new Date().toISOString(),
    engine: c.engine,
    arch: c.arch,
    optimizer: c.optimizerState.name,
    progress: c.progress,
    best: c.best ?? null,
    runId: c.runId,
    trainConfig: c.trainConfig,
    dataState: c.dataState,
    sections: [],
  };
  const preambleLength = preambleBytes(CHECKPOINT_FORMAT_VERSION);
  // offsets depend on the header length, which depends on the offsets' digits: iterate until stable (the
  // CRC fields are placeholders of their final width, filled in once the sections are written)
  let dataStart = 0;
  for (;;) {
    let offset = dataStart;
    header.sections = data.map((s) => {
      const sec = { name: s.name, shape: s.shape, offset, crc32: hex8(0) };
      offset += elements(s.shape) * 4;
      return sec;
    });
    const headerBytes = Buffer.byteLength(JSON.stringify(header));
    const needed = Math.ceil((preambleLength + headerBytes) / DATA_ALIGN) * DATA_ALIGN;
    if (needed === dataStart) break;
    dataStart = needed;
  }
  const headerJson = (): Buffer => {
    const json = Buffer.alloc(dataStart - preambleLength, ' ');
    json.write(JSON.stringify(header), 'utf8');
    return json;
  };
  const preamble = Buffer.alloc(preambleLength);
  preamble.write(CHECKPOINT_MAGIC, 0, 'latin1');
  preamble.writeUInt32LE(CHECKPOINT_FORMAT_VERSION, 8);
  preamble.writeUInt32LE(dataStart - preambleLength, 12);

  const out = new AtomicFile(file);
  try {
    out.write(preamble);
    out.write(headerJson());
    data.forEach((s, k) => {
      let crc = 0;
      for (const part of s.parts) {
        for (let start = 0; start < part.length; start += PIECE_FLOATS) {
          const piece = part.subarray(start, start + PIECE_FLOATS);
          const bad = firstNonFinite(piece);
          if (bad >= 0) throw new NonFiniteValuesError(file, s.name, piece[bad]);
          crc = crc32(bytesOf(piece), crc);
          out.write(piece);
        }
      }
      header.sections[k].crc32 = hex8(crc);
    });
    const json = headerJson();
    preamble.writeUInt32LE(crc32(json, crc32(preamble.subarray(0, PREAMBLE_FIELDS_BYTES))), PREAMBLE_FIELDS_BYTES);
    out.writeAt(0, preamble);
    out.writeAt(preambleLength, json);
    out.commit();
  } catch (err) {
    out.abort();
    throw err;
  }
}

/** Checkpoints already named in the log as having no checksums (said once per file and process). */
const saidUnchecked = new Set<string>();

/** Reads and checks a checkpoint's header and its checksum (cheap: the sections are not read). */
export function readCheckpointHeader(file: string): CheckpointHeader {
  checkLittleEndian();
  let fd: number;
  try {
    fd = openForReading(file);
  } catch (err) {
    throw new UserError(`--load-model: cannot open ${file}: ${(err as Error).message}`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    const preamble = Buffer.alloc(preambleBytes(CHECKPOINT_FORMAT_VERSION));
    const got = fs.readSync(fd, preamble, 0, preamble.length, 0);
    if (got < PREAMBLE_FIELDS_BYTES || preamble.toString('latin1', 0, 8) !== CHECKPOINT_MAGIC) {
      throw new UserError(`${file}: not a dlrm checkpoint (no ${CHECKPOINT_MAGIC} magic at the start)`);
    }
    const version = preamble.readUInt32LE(8);
    if (version < 1 || version > CHECKPOINT_FORMAT_VERSION) {
      throw new UserError(
        `${file}: checkpoint format version ${version}, this dlrm reads versions 1-${CHECKPOINT_FORMAT_VERSION}`,
      );
    }
    const preambleLength = preambleBytes(version);
    const headerLength = preamble.readUInt32LE(12);
    if (got < preambleLength || preambleLength + headerLength > size)
      throw new UserError(`${file}: truncated checkpoint (header runs past the end of the file)`);
    const json = Buffer.alloc(headerLength);
    fs.readSync(fd, json, 0, headerLength, preambleLength);
    if (version >= CHECKSUM_VERSION) {
      if (
        crc32(json, crc32(preamble.subarray(0, PREAMBLE_FIELDS_BYTES))) !== preamble.readUInt32LE(PREAMBLE_FIELDS_BYTES)
      ) {
        throw new UserError(
          `${file}: damaged checkpoint: the header (bytes 0-${preambleLength + headerLength - 1}) does not match its checksum`,
        );
      }
    } else if (!saidUnchecked.has(file)) {
      saidUnchecked.add(file);
      log().warn(
        { file, formatVersion: version },
        'checkpoint without checksums (format version 1): damage in it cannot be detected; save it again to add them',
      );
    }
    let header: CheckpointHeader;
    try {
      header = JSON.parse(json.toString('utf8')) as CheckpointHeader;
    } catch (err) {
      throw new UserError(`${file}: corrupt checkpoint header: ${(err as Error).message}`);
    }
    if (
      version >= CHECKSUM_VERSION &&
      !header.sections.every((sec) => typeof sec.crc32 === 'string' && /^[0-9a-f]{8}$/.test(sec.crc32))
    ) {
      throw new UserError(`${file}: corrupt checkpoint header: a section has no CRC-32 (8 hex digits)`);
    }
    const last = header.sections[header.sections.length - 1];
    const end = last ? last.offset + elements(last.shape) * 4 : preambleLength + headerLength;
    if (end !== size)
      throw new UserError(
        `${file}: checkpoint is ${size} bytes but its sections end at byte ${end} (truncated or corrupt)`,
      );
    return header;
  } finally {
    fs.closeSync(fd);
  }
}

/** Fills `dst` from the file's bytes at `position`. */
function readInto(fd: number, dst: Float32Array, position: number, file: string): void {
  const bytes = bytesOf(dst);
  let done = 0;
  while (done < bytes.length) {
    const n = fs.readSync(fd, bytes, done, bytes.length - done, position + done);
    if (n <= 0) throw new UserError(`${file}: unexpected end of file at byte ${position + done}`);
    done += n;
  }
}

/**
 * Fills `params` and `state` (allocated for header.arch and header.optimizer, any chunking) from the
 * checkpoint's sections. Throws a UserError when the sections don't match what they should hold, one
 * holds NaN or Infinity (which saveCheckpoint never writes) or differs from its CRC-32 (version 2 on).
 */
export function loadCheckpointInto(
  file: string,
  header: CheckpointHeader,
  params: DlrmParams,
  state: OptimizerState,
): void {
  const pieces = loadSections(file, header, params, state);
  while (pieces.next().done !== true);
}

/** loadCheckpointInto, giving the event loop a turn after each piece read (a server answers while it loads a model). */
export async function loadCheckpointIntoYielding(
  file: string,
  header: CheckpointHeader,
  params: DlrmParams,
  state: OptimizerState,
): Promise<void> {
  const pieces = loadSections(file, header, params, state);
  while (pieces.next().done !== true) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** The work of loadCheckpointInto, one step per piece of PIECE_FLOATS floats read and checked. */
function* loadSections(
  file: string,
  header: CheckpointHeader,
  params: DlrmParams,
  state: OptimizerState,
): Generator<void, void, void> {
  const expected = sectionsOf(params, state);
  const names = (l: { name: string; shape: number[] }[]) => l.map((s) => `${s.name}[${s.shape.join('x')}]`).join(', ');
  if (names(expected) !== names(header.sections)) {
    throw new UserError(
      `${file}: checkpoint sections do not match its architecture/optimizer (expected ${names(expected)}; found ${names(header.sections)})`,
    );
  }
  const fd = openForReading(file);
  try {
    for (const [k, s] of expected.entries()) {
      const { offset, crc32: expectedCrc } = header.sections[k];
      let position = offset;
      let element = 0;
      let crc = 0;
      for (const part of s.parts) {
        for (let start = 0; start < part.length; start += PIECE_FLOATS) {
          const piece = part.subarray(start, start + PIECE_FLOATS);
          readInto(fd, piece, position, file);
          const bad = firstNonFinite(piece);
          if (bad >= 0) {
            throw new UserError(
              `${file}: checkpoint section ${s.name} holds ${piece[bad]} at element ${element + bad} (byte ${position + 4 * bad}): a damaged or diverged checkpoint, refused`,
            );
          }
          if (expectedCrc !== undefined) crc = crc32(bytesOf(piece), crc);
          position += piece.byteLength;
          element += piece.length;
          yield;
        }
      }
      if (expectedCrc !== undefined && hex8(crc) !== expectedCrc) {
        throw new UserError(
          `${file}: damaged checkpoint: section ${s.name} (bytes ${offset}-${position - 1}) does not match its checksum`,
        );
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}
