// Test fixtures for the processed-file tests: random rows (labels, dense, multi-hot bags with empty bags
// too) kept as plain per-row records, converted to Batch form for writing and compared with what is read.
import * as assert from 'node:assert/strict';
import type { Batch } from '../../src/dataset/batch';
import { ProcessedFileWriter } from '../../src/dataset/processedFile';
import { Rng } from '../../src/util/random';

export interface Row {
  label: number;
  dense: number[];
  /** One bag (list of indices) per table. */
  bags: number[][];
}

/** n random rows; bags hold 0..maxBag indices (maxBag=1 with minBag=1 gives Criteo's one index per bag). */
export function randomRows(rng: Rng, n: number, numDense: number, numTables: number, maxBag = 3, minBag = 0): Row[] {
  return Array.from({ length: n }, () => ({
    label: rng.nextInt(2),
    dense: Array.from({ length: numDense }, () => Math.fround(rng.normal())),
    bags: Array.from({ length: numTables }, () => Array.from({ length: minBag + rng.nextInt(maxBag - minBag + 1) }, () => rng.nextInt(1000))),
  }));
}

/** The rows as one Batch. */
export function rowsToBatch(rows: readonly Row[], numDense: number, numTables: number): Batch {
  return {
    size: rows.length,
    numDense,
    labels: Float32Array.from(rows, (r) => r.label),
    dense: Float32Array.from(rows.flatMap((r) => r.dense)),
    sparse: Array.from({ length: numTables }, (_, t) => {
      const offsets = new Uint32Array(rows.length + 1);
      rows.forEach((r, i) => (offsets[i + 1] = offsets[i] + r.bags[t].length));
      return { offsets, indices: Uint32Array.from(rows.flatMap((r) => r.bags[t])) };
    }),
  };
}

/** A Batch decoded back into per-row records. */
export function batchToRows(batch: Batch): Row[] {
  return Array.from({ length: batch.size }, (_, i) => ({
    label: batch.labels[i],
    dense: Array.from(batch.dense.subarray(i * batch.numDense, (i + 1) * batch.numDense)),
    bags: batch.sparse.map((bag) => Array.from(bag.indices.subarray(bag.offsets[i], bag.offsets[i + 1]))),
  }));
}

/** Writes rows to `path` in appends of random sizes (so appends cross row-group boundaries). */
export function writeRows(path: string, rows: readonly Row[], numDense: number, numTables: number, rowsPerGroup: number, metadata: object, rng = new Rng(99)): void {
  const writer = new ProcessedFileWriter(path, { numDense, numTables, rowsPerGroup });
  for (let at = 0; at < rows.length; ) {
    const n = Math.min(rows.length - at, 1 + rng.nextInt(2 * rowsPerGroup));
    const b = rowsToBatch(rows.slice(at, at + n), numDense, numTables);
    writer.append(b.labels, b.dense, b.sparse);
    at += n;
  }
  writer.commit(metadata);
}

/** Asserts that `batch` holds exactly `rows` (and is internally consistent). */
export function assertBatchRows(batch: Batch, rows: readonly Row[], what: string): void {
  assert.equal(batch.size, rows.length, `${what}: size`);
  batch.sparse.forEach((bag, t) => {
    assert.equal(bag.offsets.length, batch.size + 1, `${what}: table ${t} offsets length`);
    assert.equal(bag.offsets[0], 0, `${what}: table ${t} offsets[0]`);
    assert.equal(bag.offsets[batch.size], bag.indices.length, `${what}: table ${t} offsets end`);
  });
  assert.deepEqual(batchToRows(batch), rows, what);
}
