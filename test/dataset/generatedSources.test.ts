// Tests of the generated batch sources (src/dataset/randomSource.ts, syntheticSource.ts): row r is the
// same whatever the batch size or start row, indices stay inside the model's tables, the synthetic rows
// are the `dlrm generate` rows transformed like preprocessing, and random bags follow the reference.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { validateBatch, type Batch } from '../../src/dataset/batch';
import type { BatchSource } from '../../src/dataset/source';
import { RandomSource } from '../../src/dataset/randomSource';
import { SyntheticSource } from '../../src/dataset/syntheticSource';
import { BLOCK_ROWS } from '../../src/criteo/generator';
import { formatBlock } from '../../src/criteo/generatorText';
import { loadProfile } from '../../src/criteo/generatorProfile';

const profile = loadProfile('kaggle');
const KAGGLE_SIZES = profile.categorical.map((c) => c.cardinality);

async function collect(source: BatchSource, batchSize: number, startRow = 0): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of source.batches(batchSize, startRow)) out.push(b);
  return out;
}

/** Row r of a list of batches as a comparable plain object. */
function rowsOf(batches: Batch[]): { dense: number[]; label: number; bags: number[][] }[] {
  return batches.flatMap((b) =>
    Array.from({ length: b.size }, (_, r) => ({
      dense: Array.from(b.dense.subarray(r * b.numDense, (r + 1) * b.numDense)),
      label: b.labels[r],
      bags: b.sparse.map((bag) => Array.from(bag.indices.subarray(bag.offsets[r], bag.offsets[r + 1]))),
    })),
  );
}

test('synthetic: the same rows whatever the batch size or start row, indices within the tables', async () => {
  const rows = BLOCK_ROWS + 1500;
  const src = new SyntheticSource({ tableSizes: KAGGLE_SIZES, rows, seed: 4 });
  const whole = await collect(src, rows);
  const small = await collect(new SyntheticSource({ tableSizes: KAGGLE_SIZES, rows, seed: 4 }), 333);
  assert.equal(small.length, Math.ceil(rows / 333));
  for (const b of [...whole, ...small]) validateBatch(b, KAGGLE_SIZES);
  const all = rowsOf(whole);
  assert.deepEqual(rowsOf(small), all);
  assert.deepEqual(rowsOf(await collect(src, 1000, 4000)), all.slice(4000));
  const otherSeed = rowsOf(await collect(new SyntheticSource({ tableSizes: KAGGLE_SIZES, rows: 10, seed: 5 }), 10));
  assert.notDeepEqual(otherSeed, all.slice(0, 10));
});

test('synthetic: the generated text rows, transformed like preprocessing (log1p dense, folded indices)', async () => {
  const sizes = KAGGLE_SIZES.map((n) => Math.min(n, 1000));
  const src = new SyntheticSource({ tableSizes: sizes, rows: 300, seed: 9 });
  const [batch] = await collect(src, 300);
  validateBatch(batch, sizes);
  const gen = src.generator;
  const block = gen.newBlock();
  gen.fillBlock(0, block, 300);
  const buf = Buffer.alloc(300 * 400);
  const lines = buf.toString('latin1', 0, formatBlock(gen, block, buf, true)).split('\n');
  for (let r = 0; r < 300; r++) {
    const f = lines[r].split('\t');
    assert.equal(batch.labels[r], Number(f[0]));
    for (let j = 0; j < 13; j++) {
      const v = f[1 + j] === '' ? 0 : Math.max(0, Number(f[1 + j]));
      assert.equal(batch.dense[r * 13 + j], Math.fround(Math.log(v + 1)), `row ${r} I${j + 1}`);
    }
    for (let t = 0; t < 26; t++) {
      const idx = batch.sparse[t].indices[r];
      if (f[14 + t] === '') assert.equal(idx, 0, `row ${r} C${t + 1}: missing is index 0`);
      else assert.equal(idx, (block.ranks[r * 26 + t] + (gen.canBeMissing[t] ? 1 : 0)) % sizes[t]);
    }
  }
  // the same value always gets the same index: the text value -> index map is a function
  for (let t = 0; t < 26; t++) {
    const seen = new Map<string, number>();
    for (let r = 0; r < 300; r++) {
      const v = lines[r].split('\t')[14 + t];
      const idx = batch.sparse[t].indices[r];
      assert.equal(seen.get(v) ?? idx, idx);
      seen.set(v, idx);
    }
  }
});

test('synthetic: firstRow gives a disjoint held-out range from the same planted model', async () => {
  const a = new SyntheticSource({ tableSizes: KAGGLE_SIZES, rows: 200, seed: 1, firstRow: 1000 });
  const b = new SyntheticSource({ tableSizes: KAGGLE_SIZES, rows: 1200, seed: 1 });
  assert.equal(a.generator.bias, b.generator.bias);
  assert.deepEqual(rowsOf(await collect(a, 64)), rowsOf(await collect(b, 1200)).slice(1000));
  assert.throws(
    () => new SyntheticSource({ tableSizes: [10, 10], rows: 5, seed: 1 }),
    /2 embedding tables but the kaggle data has 26/,
  );
});

test('random: uniform dense in [0,1), 0/1 labels, bags of 1..n indices (or exactly n), deterministic per row', async () => {
  const tableSizes = [5, 1000, 3];
  const opts = {
    numDense: 4,
    tableSizes,
    rows: 3000,
    seed: 2,
    numIndicesPerLookup: 4,
    numIndicesPerLookupFixed: false,
  };
  const batches = await collect(new RandomSource(opts), 3000);
  const [b] = batches;
  validateBatch(b, tableSizes);
  assert.ok(b.dense.every((x) => x >= 0 && x < 1));
  const meanDense = b.dense.reduce((s, x) => s + x, 0) / b.dense.length;
  assert.ok(Math.abs(meanDense - 0.5) < 0.02, `dense mean ${meanDense}`);
  assert.ok(b.labels.every((y) => y === 0 || y === 1));
  const rate = b.labels.reduce((s, y) => s + y, 0) / 3000;
  assert.ok(Math.abs(rate - 0.5) < 0.04, `label rate ${rate}`);
  b.sparse.forEach((bag, t) => {
    const sizes = Array.from({ length: 3000 }, (_, r) => bag.offsets[r + 1] - bag.offsets[r]);
    const most = Math.min(4, tableSizes[t]);
    assert.ok(
      sizes.every((k) => k >= 1 && k <= most),
      `table ${t}`,
    );
    for (let k = 1; k <= most; k++) assert.ok(sizes.includes(k), `table ${t}: bag size ${k} occurs`);
  });
  assert.deepEqual(rowsOf(await collect(new RandomSource(opts), 77, 100)), rowsOf(batches).slice(100));
  const fixed = (await collect(new RandomSource({ ...opts, numIndicesPerLookupFixed: true }), 3000))[0];
  for (const bag of fixed.sparse) assert.equal(bag.indices.length, 3000 * 4);
  const other = rowsOf(await collect(new RandomSource({ ...opts, seed: 3 }), 10));
  assert.notDeepEqual(other, rowsOf(batches).slice(0, 10));
});

test('sources refuse bad sizes with a message naming the value', () => {
  assert.throws(
    () =>
      new RandomSource({
        numDense: 1,
        tableSizes: [0],
        rows: 1,
        seed: 1,
        numIndicesPerLookup: 1,
        numIndicesPerLookupFixed: false,
      }),
    /tableSizes\[0\] must be a positive integer, got 0/,
  );
  assert.throws(
    () => new SyntheticSource({ tableSizes: KAGGLE_SIZES, rows: 1.5, seed: 1 }),
    /rows must be a positive integer, got 1.5/,
  );
});

test('kept blocks: a second epoch and a source without cache give the same rows', async () => {
  const rows = 2 * BLOCK_ROWS + 100;
  const cached = new SyntheticSource({ tableSizes: KAGGLE_SIZES, rows, seed: 6 });
  const uncached = new SyntheticSource({ tableSizes: KAGGLE_SIZES, rows, seed: 6 });
  uncached.cacheBytes = 0;
  const first = rowsOf(await collect(cached, 1000));
  assert.deepEqual(rowsOf(await collect(cached, 999)), first);
  assert.deepEqual(rowsOf(await collect(uncached, 3000, 0)), first);
  // batches are fresh arrays: a consumer writing into one does not change the kept blocks
  const [b] = await collect(cached, 10);
  b.dense.fill(-1);
  assert.deepEqual(rowsOf(await collect(cached, 10)).slice(0, 10), first.slice(0, 10));
});
