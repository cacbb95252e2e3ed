import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { decodeRecords, recordStarts, RecordWriter } from '../../src/dataset/rowRecords';
import { Rng } from '../../src/util/random';
import { assertBatchRows, randomRows, rowsToBatch } from './fixtures';

test('row records: rows (multi-hot, empty bags, records larger than the buffer) decode back in any order', () => {
  const D = 3;
  const T = 4;
  const rows = randomRows(new Rng(8), 300, D, T, 6);
  rows[17].bags[2] = Array.from({ length: 40 }, (_, i) => i); // one record of 48 words > the 32-word buffer
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
  const order = new Rng(2).shuffle(Uint32Array.from({ length: 300 }, (_, i) => i));
  assertBatchRows(decodeRecords(words, starts, order, D, T), Array.from(order, (i) => rows[i]), 'shuffled decode');
  assertBatchRows(decodeRecords(words, starts, [], D, T), [], 'empty decode');
  assert.throws(() => recordStarts(words, 299, D, T), /end at word/);
});
