import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Batch } from '../../src/dataset/batch';
import { openProcessedSplit, readAheadChunks } from '../../src/dataset/loader';
import type { ProcessedFileReader } from '../../src/dataset/processedFile';
import type { SplitName } from '../../src/dataset/manifest';
import { UserError } from '../../src/util/errors';
import { Rng } from '../../src/util/random';
import { tempDir } from '../helpers/sharedData';
import { assertBatchRows, batchToRows, randomRows, writeRows, type Row } from './fixtures';

const dir = tempDir('loader');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const D = 2;
const T = 3;
const rows = randomRows(new Rng(11), 1234, D, T, 2);
const splits = { train: { start: 0, end: 1000 }, test: { start: 1000, end: 1117 }, val: { start: 1117, end: 1234 } };
const manifest = {
  numDense: D,
  tables: [
    { name: 'C1', count: 1000 },
    { name: 'C2', count: 1000 },
    { name: 'C3', count: 1007 },
  ],
  splits,
};
const file = path.join(dir, 'merged.bin');
writeRows(file, rows, D, T, 64, manifest);

async function collect(
  split: SplitName,
  batchSize: number,
  startRow: number,
  readAhead: number,
): Promise<{ rows: Row[]; sizes: number[] }> {
  const source = openProcessedSplit(file, split, { readAhead });
  const out: Row[] = [];
  const sizes: number[] = [];
  for await (const b of source.batches(batchSize, startRow)) {
    assertBatchRows(b, batchToRows(b), 'batch consistency');
    out.push(...batchToRows(b));
    sizes.push(b.size);
  }
  source.close();
  return { rows: out, sizes };
}

test('the split source exposes the manifest shape', () => {
  const s = openProcessedSplit(file, 'test');
  assert.equal(s.numDense, D);
  assert.deepEqual(s.tableSizes, [1000, 1000, 1007]);
  assert.equal(s.rows, 117);
  s.close();
});

test('batches return exactly the split rows in order, for batch sizes that do and do not divide N, from any startRow', async () => {
  for (const split of ['train', 'test', 'val'] as const) {
    const { start, end } = splits[split];
    for (const batchSize of [1, 7, 64, 100, 1000, 5000]) {
      for (const startRow of [0, 13, end - start - 1, end - start]) {
        for (const readAhead of [1, 3]) {
          const got = await collect(split, batchSize, startRow, readAhead);
          const expected = rows.slice(start + startRow, end);
          assert.deepEqual(got.rows, expected, `${split} B=${batchSize} start=${startRow} readAhead=${readAhead}`);
          const n = expected.length;
          const sizes = Array.from({ length: Math.ceil(n / batchSize) }, (_, i) =>
            Math.min(batchSize, n - i * batchSize),
          );
          assert.deepEqual(got.sizes, sizes);
        }
      }
    }
  }
});

test('a stopped iteration does not disturb the next epoch', async () => {
  const s = openProcessedSplit(file, 'train', { readAhead: 4 });
  for await (const b of s.batches(10)) {
    assert.equal(b.size, 10);
    break;
  }
  const all: Row[] = [];
  for await (const b of s.batches(300)) all.push(...batchToRows(b));
  assert.deepEqual(all, rows.slice(0, 1000));
  await assert.rejects(async () => {
    for await (const _ of s.batches(0)) break;
  }, RangeError);
  await assert.rejects(async () => {
    for await (const _ of s.batches(10, 1001)) break;
  }, RangeError);
  s.close();
});

test('a missing file, a file without splits, a missing or empty split are UserErrors naming the file', () => {
  const isUserError = (re: RegExp) => (e: unknown) => e instanceof UserError && re.test(e.message);
  assert.throws(
    () => openProcessedSplit(path.join(dir, 'absent.bin'), 'train'),
    isUserError(/absent\.bin: cannot open/),
  );
  const shard = path.join(dir, 'day_0.bin');
  writeRows(shard, rows.slice(0, 10), D, T, 64, { day: 'day_0', rows: 10 });
  assert.throws(() => openProcessedSplit(shard, 'train'), isUserError(/day_0\.bin: has no train\/val\/test splits/));
  const emptyVal = path.join(dir, 'empty-val.bin');
  writeRows(emptyVal, rows.slice(0, 10), D, T, 64, {
    ...manifest,
    splits: { train: { start: 0, end: 5 }, test: { start: 5, end: 10 }, val: { start: 10, end: 10 } },
  });
  assert.throws(() => openProcessedSplit(emptyVal, 'val'), isUserError(/empty-val\.bin: split 'val' is empty/));
  const noVal = path.join(dir, 'no-val.bin');
  writeRows(noVal, rows.slice(0, 10), D, T, 64, {
    ...manifest,
    splits: { train: { start: 0, end: 5 }, test: { start: 5, end: 10 } },
  });
  assert.throws(() => openProcessedSplit(noVal, 'val'), isUserError(/no-val\.bin: split 'val' is missing/));
  const tooLong = path.join(dir, 'too-long.bin');
  writeRows(tooLong, rows.slice(0, 10), D, T, 64, { ...manifest, splits: { ...splits, train: { start: 0, end: 11 } } });
  assert.throws(
    () => openProcessedSplit(tooLong, 'train'),
    isUserError(/too-long\.bin: split 'train' \[0, 11\) falls outside the file's 10 rows/),
  );
  // every split is checked, not only the one opened
  const overlap = path.join(dir, 'overlap.bin');
  writeRows(overlap, rows.slice(0, 10), D, T, 64, {
    ...manifest,
    splits: { train: { start: 0, end: 6 }, test: { start: 5, end: 8 }, val: { start: 8, end: 10 } },
  });
  assert.throws(
    () => openProcessedSplit(overlap, 'val'),
    isUserError(/overlap\.bin: split 'train' \[0, 6\) overlaps split 'test' \[5, 8\)/),
  );
  const outside = path.join(dir, 'outside.bin');
  writeRows(outside, rows.slice(0, 10), D, T, 64, {
    ...manifest,
    splits: { train: { start: 0, end: 5 }, test: { start: 5, end: 10 }, val: { start: 10, end: 12 } },
  });
  assert.throws(
    () => openProcessedSplit(outside, 'train'),
    isUserError(/outside\.bin: split 'val' \[10, 12\) falls outside the file's 10 rows/),
  );
  const reversed = path.join(dir, 'reversed.bin');
  writeRows(reversed, rows.slice(0, 10), D, T, 64, {
    ...manifest,
    splits: { train: { start: 0, end: 5 }, test: { start: 9, end: 5 } },
  });
  assert.throws(
    () => openProcessedSplit(reversed, 'train'),
    isUserError(/reversed\.bin: split 'test' is not a row range/),
  );
  const wrongTables = path.join(dir, 'wrong-tables.bin');
  writeRows(wrongTables, rows.slice(0, 10), D, T, 64, {
    ...manifest,
    tables: manifest.tables.slice(1),
    splits: { train: { start: 0, end: 10 } },
  });
  assert.throws(() => openProcessedSplit(wrongTables, 'train'), isUserError(/wrong-tables\.bin: manifest describes/));
});

test('read-ahead: readAhead chunk reads are in flight before the consumer takes the first chunk', async () => {
  const calls: [number, number][] = [];
  const pending: (() => void)[] = [];
  const fake = {
    readAsync(a: number, b: number): Promise<Batch> {
      calls.push([a, b]);
      return new Promise((resolve) =>
        pending.push(() =>
          resolve({
            size: b - a,
            numDense: 0,
            dense: new Float32Array(0),
            labels: new Float32Array(b - a),
            sparse: [],
          }),
        ),
      );
    },
  } as unknown as ProcessedFileReader;
  const chunks = readAheadChunks(fake, 10, 100, 25, 3);
  const first = chunks.next();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    calls,
    [
      [10, 35],
      [35, 60],
      [60, 85],
    ],
    'three reads launched at once',
  );
  pending[0]();
  assert.equal((await first).value?.size, 25);
  assert.deepEqual(calls.at(-1), [85, 100], 'taking a chunk launches the next read');
  for (const p of pending.slice(1)) p();
  const sizes: number[] = [];
  for await (const c of chunks) sizes.push(c.size);
  assert.deepEqual(sizes, [25, 25, 15]);
  assert.equal(calls.length, 4);
});
