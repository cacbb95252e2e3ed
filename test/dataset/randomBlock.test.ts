// The addon's randomBlock (src/dataset/csrc/randomBlock.cc) against its JS twin (randomBlockJs, the
// reference): the same bytes for bag sizes drawn or fixed, one-index bags, tables of one row and of 2^32 rows
// (nextInt's rejection edge), no dense features; the generator state advanced to the same words; a
// RandomSource gives the same batches with the native generator and without it; bad arguments throw.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { randomBlockJs, randomSource } from '../../src/dataset/randomSource';
import { Rng } from '../../src/util/random';
import { nativeAddon } from '../engine/nativeAddonForTests';

const skip = nativeAddon?.randomBlock ? false : 'native addon without randomBlock';

const cases: { name: string; numDense: number; sizes: number[]; n: number; fixed: boolean }[] = [
  { name: 'drawn bag sizes', numDense: 13, sizes: [1461, 584, 10_131_227, 7, 1, 3], n: 10, fixed: false },
  { name: 'one index per bag', numDense: 13, sizes: [1461, 2 ** 32, 5], n: 1, fixed: false },
  { name: 'fixed bag sizes, no dense features', numDense: 0, sizes: [3, 2 ** 31 + 1, 100], n: 4, fixed: true },
];

for (const c of cases) {
  test(`randomBlock equals the JS reference: ${c.name}`, { skip }, () => {
    for (const seed of [1, 0xdeadbeef]) {
      const js = new Rng(seed),
        native = new Rng(seed);
      const want = randomBlockJs(js, 257, c.numDense, c.sizes, c.n, c.fixed);
      const state = native.getState();
      const got = nativeAddon!.randomBlock!(state, 257, c.numDense, Float64Array.from(c.sizes), c.n, c.fixed);
      assert.deepEqual(got.dense, want.dense);
      assert.deepEqual(got.labels, want.labels);
      assert.equal(got.bags.length, want.bags.length);
      got.bags.forEach((bag, t) => {
        assert.deepEqual(bag.offsets, want.bags[t].offsets, `table ${t} offsets`);
        assert.deepEqual(bag.indices, want.bags[t].indices, `table ${t} indices`);
      });
      assert.deepEqual(state, js.getState(), 'the state words after the block');
    }
  });
}

test(
  'a RandomSource gives the same batches with the native generator and with the JS reference',
  { skip },
  async () => {
    const opts = {
      numDense: 13,
      tableSizes: [50, 1_000_000, 3],
      rows: 3000,
      seed: 9,
      numIndicesPerLookup: 10,
      numIndicesPerLookupFixed: false,
      firstRow: 500,
    };
    const native = randomSource(opts),
      js = randomSource(opts);
    assert.ok(native.nativeBlock, 'the native generator is used by default where the addon has it');
    js.nativeBlock = null;
    const a = [],
      b = [];
    for await (const batch of native.batches(700, 100)) a.push(batch);
    for await (const batch of js.batches(700, 100)) b.push(batch);
    assert.deepEqual(a, b);
  },
);

test('randomBlock refuses a bad state or table size', { skip }, () => {
  assert.throws(() => nativeAddon!.randomBlock!(new Uint32Array(3), 4, 1, Float64Array.of(5), 1, false), /4 words/);
  assert.throws(
    () => nativeAddon!.randomBlock!(new Uint32Array(4), 4, 1, Float64Array.of(0), 1, false),
    /tableSizes\[0\]/,
  );
  assert.throws(
    () => nativeAddon!.randomBlock!(new Uint32Array(4), 4, 1, Float64Array.of(2.5), 1, false),
    /tableSizes\[0\]/,
  );
});
