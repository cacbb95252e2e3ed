// Files for the corruption cases (corruption.cases.ts): a small merged processed file (4 dense, 3 tables
// of 50/40/30 rows, the last multi-hot so its groups have offsets sections; 600 rows in groups of 128;
// splits train/test/val), a checkpoint that fits it (and its version-1 form, without checksums), and where
// each section of a row group lies, so a case can flip one byte of a label, a dense value, an index or an
// offsets section.
import * as fs from 'node:fs';
import { buildDlrmArch } from '../../src/model/archConfig';
import { allocOptimizerState } from '../../src/model/allocOptimizerState';
import { readCheckpointHeader, saveCheckpoint } from '../../src/model/checkpoint';
import type { OptimizerName } from '../../src/model/arch';
import { initDlrmParams } from '../../src/model/initParams';
import { indexEntryWords, ProcessedFileWriter } from '../../src/dataset/processedFile';
import type { Manifest } from '../../src/dataset/manifest';
import { Rng } from '../../src/util/random';

export const NUM_DENSE = 4;
export const TABLE_ROWS = [50, 40, 30];
export const ROWS = 600;
export const ROWS_PER_GROUP = 128;
export const SPLITS: Manifest['splits'] = {
  train: { start: 0, end: 400 },
  test: { start: 400, end: 500 },
  val: { start: 500, end: 600 },
};

/** What a case may change in the rows before they are written (a value out of contract). */
export interface RowEdits {
  label?: (row: number, label: number) => number;
  dense?: (row: number, column: number, value: number) => number;
}

/** Writes the merged file (checksums and all, by the real writer); `splits` and table counts may be overridden. */
export function writeMerged(
  file: string,
  opts: {
    edits?: RowEdits;
    splits?: Manifest['splits'];
    tableRows?: number[];
    indexOf?: (row: number, t: number) => number;
  } = {},
): void {
  const rng = new Rng(17);
  const T = TABLE_ROWS.length;
  const labels = Float32Array.from(
    { length: ROWS },
    (_, i) => opts.edits?.label?.(i, rng.nextInt(2)) ?? rng.nextInt(2),
  );
  const dense = Float32Array.from({ length: ROWS * NUM_DENSE }, (_, k) => {
    const v = Math.fround(rng.next() * 3);
    return opts.edits?.dense?.(Math.floor(k / NUM_DENSE), k % NUM_DENSE, v) ?? v;
  });
  // even table sizes, indices below them: flipping an index's lowest bit keeps it in range
  const bags = TABLE_ROWS.map((rows, t) => {
    const offsets = new Uint32Array(ROWS + 1);
    const indices: number[] = [];
    for (let i = 0; i < ROWS; i++) {
      const n = t === T - 1 ? rng.nextInt(3) : 1;
      for (let k = 0; k < n; k++) indices.push(opts.indexOf?.(i, t) ?? rng.nextInt(rows));
      offsets[i + 1] = indices.length;
    }
    return { offsets, indices: Uint32Array.from(indices) };
  });
  const w = new ProcessedFileWriter(file, { numDense: NUM_DENSE, numTables: T, rowsPerGroup: ROWS_PER_GROUP });
  w.append(labels, dense, bags);
  const counts = opts.tableRows ?? TABLE_ROWS;
  w.commit({
    numDense: NUM_DENSE,
    tables: counts.map((count, t) => ({ name: `C${t + 1}`, count, oovIndex: 0, vocabFile: `vocab/C${t + 1}.u32` })),
    splits: opts.splits ?? SPLITS,
    totalRows: ROWS,
  });
}

/** The architecture flags of `dlrm train` that fit the file. */
export const ARCH_FLAGS = [
  '--arch-mlp-bot',
  `${NUM_DENSE}-8-4`,
  '--arch-mlp-top',
  '8-1',
  '--arch-sparse-feature-size',
  '4',
];

/** A checkpoint that fits the file (random initial weights; adagrad state filled with 0.25). */
export function writeModel(file: string, optimizer: OptimizerName = 'sgd'): void {
  const arch = buildDlrmArch({
    mlpBot: [NUM_DENSE, 8, 4],
    mlpTop: [8, 1],
    tableSizes: TABLE_ROWS,
    interaction: 'dot',
    interactionItself: false,
  });
  const params = initDlrmParams(arch, 3);
  const optimizerState = allocOptimizerState(params, optimizer);
  for (const a of [...optimizerState.bottom, ...optimizerState.top]
    .flatMap((l) => [l.weight, l.bias])
    .concat(optimizerState.tables.flat()))
    a.fill(0.25);
  saveCheckpoint(
    file,
    {
      engine: 'none',
      arch,
      params,
      optimizerState,
      progress: { epoch: 0, batchInEpoch: 0, rowInEpoch: 0, globalStep: 0 },
      trainConfig: {},
      dataState: {},
    },
    'dlrm test',
  );
}

/**
 * Rewrites the version-2 checkpoint `from` as the version-1 file `to` that dlrm wrote before checksums: a
 * 16-byte preamble (no header CRC), no crc32 in the sections, the same sections at the same offsets (the
 * shorter header is space-padded to the same data start).
 */
export function writeVersion1(from: string, to: string): void {
  const header = readCheckpointHeader(from);
  const dataStart = header.sections[0].offset;
  const v1 = {
    ...header,
    formatVersion: 1,
    sections: header.sections.map(({ name, shape, offset }) => ({ name, shape, offset })),
  };
  const head = Buffer.alloc(dataStart, ' ');
  head.write('DLRMCKPT', 0, 'latin1');
  head.writeUInt32LE(1, 8);
  head.writeUInt32LE(dataStart - 16, 12);
  head.write(JSON.stringify(v1), 16, 'utf8');
  fs.copyFileSync(from, to);
  const fd = fs.openSync(to, 'r+');
  fs.writeSync(fd, head, 0, head.length, 0);
  fs.closeSync(fd);
}

/** Section positions of row group g of a processed file, read from its header and group index. */
export function groupSections(
  file: string,
  g: number,
): { labels: number; dense: number; offsets: number[]; indices: number[]; start: number; end: number } {
  const bytes = fs.readFileSync(file);
  const T = bytes.readUInt32LE(16);
  const indexOffset = Number(bytes.readBigUInt64LE(40));
  const word = (w: number): number => Number(bytes.readBigUInt64LE(indexOffset + 8 * (g * indexEntryWords(T) + w)));
  const start = word(2);
  return {
    labels: word(2),
    dense: word(3),
    offsets: Array.from({ length: T }, (_, t) => word(4 + 3 * t)),
    indices: Array.from({ length: T }, (_, t) => word(5 + 3 * t)),
    start,
    end: start + word(4 + 3 * T),
  };
}

/** Flips the lowest bit of the byte at `position` of `file`. */
export function flipByte(file: string, position: number): void {
  const bytes = fs.readFileSync(file);
  bytes[position] ^= 1;
  fs.writeFileSync(file, bytes);
}
