import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gatherRecords, ONE_HOT_RECORD, recordStarts, RecordWriter } from '../../src/dataset/rowRecords';
import { ProcessedFileReader, ProcessedFileWriter } from '../../src/dataset/processedFile';
import { tempDir } from '../helpers/sharedData';
import { Rng } from '../../src/util/random';
import { assertBatchRows, randomRows, rowsToBatch } from './fixtures';

const dir = tempDir('row-records');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Records (consecutive) appended to a processed file with appendRecords, read back as a Batch. */
function throughWriter(
  records: Uint32Array,
  n: number,
  D: number,
  T: number,
  name: string,
): ReturnType<ProcessedFileReader['read']> {
  const file = path.join(dir, `${name}.bin`);
  const w = new ProcessedFileWriter(file, { numDense: D, numTables: T, rowsPerGroup: 64 });
  w.appendRecords(records, n);
  w.commit({});
  const r = ProcessedFileReader.open(file);
  try {
    return r.read(0, r.rows);
  } finally {
    r.close();
  }
}

test('row records: rows (multi-hot, empty bags, records larger than the buffer) come back in any gathered order', () => {
  const D = 3;
  const T = 4;
  const rows = randomRows(new Rng(8), 300, D, T, 6);
  rows[17].bags[2] = Array.from({ length: 40 }, (_, i) => i); // one record of 48 words > the 32-word buffer
  for (const r of [3, 4, 150, 299]) rows[r].bags = rows[r].bags.map((_, t) => [7 * r + t]); // one-hot records
  const batch = rowsToBatch(rows, D, T);
  const flushed: Uint32Array[] = [];
  const writer = new RecordWriter(D, T, 32, (w) => flushed.push(w.slice()));
  // rows added from two batches (the writer caches a batch's columns)
  const second = rowsToBatch(rows.slice(150), D, T);
  for (let r = 0; r < 150; r++) writer.add(batch, r);
  for (let r = 0; r < 150; r++) writer.add(second, r);
  writer.finish();
  assert.equal(writer.rows, 300);
  assert.ok(flushed.length > 10, 'the buffer was flushed many times');
  const words = new Uint32Array(flushed.reduce((n, w) => n + w.length, 0));
  flushed.reduce((at, w) => (words.set(w, at), at + w.length), 0);
  const starts = recordStarts(words, 300, D, T);
  assert.equal(starts[300], words.length);
  for (const r of [3, 4, 150, 299]) {
    assert.equal(starts[r + 1] - starts[r], 2 + D + T, `row ${r}: the short one-hot form`);
    assert.equal(words[starts[r] + 1 + D], ONE_HOT_RECORD);
  }
  const order = new Rng(2).shuffle(Uint32Array.from({ length: 300 }, (_, i) => i));
  assertBatchRows(
    throughWriter(gatherRecords(words, starts, order), 300, D, T, 'shuffled'),
    Array.from(order, (i) => rows[i]),
    'shuffled gather',
  );
  assert.equal(gatherRecords(words, starts, []).length, 0, 'empty gather');
  assert.throws(() => recordStarts(words, 299, D, T), /end at word/);
});
