// Row-major records of Batch rows: the spill format of the merged-file shuffle. One record per row, as
// u32 words: [label (f32 bits)] [dense: D f32] [T bag lengths] [the bags' indices, table 0 .. T-1], or,
// for a row whose T >= 1 bags all hold one index (Criteo), [label] [dense] [ONE_HOT_RECORD] [T indices].
// Moving rows in a random order then touches one contiguous run of memory per row instead of 2T + 2
// columns, which is what makes the shuffle's random gather fast; ProcessedFileWriter.appendRecords
// decodes gathered records straight into a row group.
import type { Batch } from './batch';

/** In place of the first bag length: every bag of this record holds exactly one index (no lengths follow). */
export const ONE_HOT_RECORD = 0xffffffff;

/** Buffers records of rows and hands full buffers to `flush` (e.g. appends them to a file). */
export class RecordWriter {
  private words: Uint32Array;
  private floats: Float32Array;
  private used = 0;
  /** The batch rows were last added from, and its bag columns. */
  private source: Batch | undefined;
  private offsets: Uint32Array[] = [];
  private indices: Uint32Array[] = [];
  /** Records written so far. */
  rows = 0;

  constructor(
    private readonly numDense: number,
    private readonly numTables: number,
    capacityWords: number,
    private readonly flush: (words: Uint32Array) => void,
  ) {
    this.words = new Uint32Array(capacityWords);
    this.floats = new Float32Array(this.words.buffer);
  }

  /** Appends row `r` of `batch` as one record. */
  add(batch: Batch, r: number): void {
    if (batch !== this.source) {
      this.source = batch;
      this.offsets = batch.sparse.map((b) => b.offsets);
      this.indices = batch.sparse.map((b) => b.indices);
    }
    const { offsets, indices } = this;
    const D = this.numDense;
    const T = this.numTables;
    let need = 1 + D + T;
    let oneHot = T > 0;
    for (let t = 0; t < T; t++) {
      const c = offsets[t][r + 1] - offsets[t][r];
      need += c;
      oneHot &&= c === 1;
    }
    if (oneHot) need = 2 + D + T;
    if (this.used + need > this.words.length) {
      this.finish();
      if (need > this.words.length) {
        this.words = new Uint32Array(need);
        this.floats = new Float32Array(this.words.buffer);
      }
    }
    const w = this.words;
    const f = this.floats;
    let at = this.used;
    f[at++] = batch.labels[r];
    for (let j = 0, src = r * D; j < D; j++) f[at++] = batch.dense[src + j];
    if (oneHot) {
      w[at++] = ONE_HOT_RECORD;
      for (let t = 0; t < T; t++) w[at++] = indices[t][offsets[t][r]];
    } else {
      for (let t = 0; t < T; t++) w[at++] = offsets[t][r + 1] - offsets[t][r];
      for (let t = 0; t < T; t++) {
        const from = indices[t];
        for (let k = offsets[t][r], end = offsets[t][r + 1]; k < end; k++) w[at++] = from[k];
      }
    }
    this.used = at;
    this.rows++;
  }

  /** Hands the buffered records to `flush`. */
  finish(): void {
    if (this.used > 0) this.flush(this.words.subarray(0, this.used));
    this.used = 0;
  }
}

/** The word positions of the `rows` consecutive records in `words`, plus the end: record r is words[starts[r] .. starts[r+1]). */
export function recordStarts(words: Uint32Array, rows: number, numDense: number, numTables: number): Uint32Array {
  const starts = new Uint32Array(rows + 1);
  let at = 0;
  for (let r = 0; r < rows; r++) {
    starts[r] = at;
    let len = 1 + numDense + numTables;
    const c = at + 1 + numDense;
    if (numTables > 0 && words[c] === ONE_HOT_RECORD) len++;
    else for (let t = 0; t < numTables; t++) len += words[c + t];
    at += len;
  }
  if (at !== words.length)
    throw new Error(`row records: ${rows} records end at word ${at}, the buffer holds ${words.length}`);
  starts[rows] = at;
  return starts;
}

/** Records order[0], order[1], ... (numbered as in `starts`) copied whole, one after the other, into a new array. */
export function gatherRecords(words: Uint32Array, starts: Uint32Array, order: ArrayLike<number>): Uint32Array {
  const n = order.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += starts[order[i] + 1] - starts[order[i]];
  const packed = new Uint32Array(total);
  for (let i = 0, at = 0; i < n; i++) {
    const r = order[i];
    packed.set(words.subarray(starts[r], starts[r + 1]), at);
    at += starts[r + 1] - starts[r];
  }
  return packed;
}
