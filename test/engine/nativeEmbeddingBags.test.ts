// The native sparse tier alone (NativeEmbeddingBags): sum-pooled forward of multi-hot bags (empty bags
// included) over chunked tables, and sparse sgd / adagrad / rowwise-adagrad updates with duplicate rows
// summed first, against float64 references; cache-line alignment of table chunks keeps their values.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { alignEmbeddingTables, CACHE_LINE_BYTES } from '../../src/engine/native/cacheAligned';
import type { OptimizerName } from '../../src/model/arch';
import {
  cloneParams,
  cloneState,
  embeddingRowGradients,
  kaggleArch,
  randomBatch,
  randomParams,
  referenceUpdate,
  relativeError,
  tableRow,
  zeroState,
} from './nativeReference';
import { nativeAddon, nativeSkip } from './nativeAddonForTests';
import { Rng } from '../../src/util/random';

const TOL = 1e-5;

for (const optimizer of ['sgd', 'adagrad', 'rowwise-adagrad'] as OptimizerName[]) {
  test(`NativeEmbeddingBags forward and ${optimizer} update match the reference`, { skip: nativeSkip }, () => {
    const addon = nativeAddon!;
    const arch = kaggleArch('dot', false, 9);
    const params = randomParams(arch, 101, 4);
    const state = zeroState(optimizer, params, 0.02);
    const batch = randomBatch(arch, 33, 102, 4);
    const before = cloneParams(params),
      stateBefore = cloneState(state);
    const d = arch.embeddingDim,
      B = batch.size;
    const bags = new addon.NativeEmbeddingBags({
      tables: params.tables.map((t, i) => ({ ...t, ...(optimizer === 'sgd' ? {} : { state: state.tables[i] }) })),
      optimizer,
      threads: 2,
    });
    const outs = params.tables.map(() => new Float32Array(B * d));
    bags.forward(batch.sparse, B, outs);
    batch.sparse.forEach((bag, t) => {
      const want = new Float64Array(B * d);
      for (let b = 0; b < B; b++)
        for (let k = bag.offsets[b]; k < bag.offsets[b + 1]; k++) {
          const row = tableRow(before, t, bag.indices[k]);
          for (let c = 0; c < d; c++) want[b * d + c] += row[c];
        }
      assert.ok(relativeError(outs[t], want) < TOL, `table ${t} pooled`);
    });
    const rng = new Rng(103);
    const grads = params.tables.map(() => Float32Array.from({ length: B * d }, () => rng.normal()));
    bags.update(batch.sparse, B, grads, 0.1);
    params.tables.forEach((tab, t) => {
      const rowGrads = embeddingRowGradients(batch, t, grads[t], d);
      for (const [r, g] of rowGrads) {
        const width = optimizer === 'adagrad' ? d : 1;
        const c = Math.floor(r / tab.chunkRows),
          o = (r % tab.chunkRows) * width;
        const acc = optimizer === 'sgd' ? undefined : stateBefore.tables[t][c].subarray(o, o + width);
        const want = referenceUpdate(optimizer, tableRow(before, t, r), acc, g, 0.1, optimizer === 'rowwise-adagrad');
        assert.ok(relativeError(tableRow(params, t, r), want.w) < 1e-4, `table ${t} row ${r}`);
        if (want.acc)
          assert.ok(
            relativeError(state.tables[t][c].subarray(o, o + width), want.acc) < 1e-4,
            `table ${t} row ${r} accumulator`,
          );
      }
    });
  });
}

test(
  'alignEmbeddingTables moves misaligned chunks to cache-line-aligned copies with the same values',
  { skip: nativeSkip },
  () => {
    const addon = nativeAddon!;
    const arch = kaggleArch('cat', false, 20);
    const params = randomParams(arch, 111, 64);
    const state = zeroState('adagrad', params, 0.5);
    // force misalignment: views 4 bytes into a larger buffer
    params.tables[0].chunks = params.tables[0].chunks.map((c) => {
      const buf = new Float32Array(c.length + 32);
      const shift = (CACHE_LINE_BYTES - addon.addressModulo(buf, CACHE_LINE_BYTES)) / 4 + 1;
      const view = buf.subarray(shift, shift + c.length);
      view.set(c);
      return view;
    });
    const before = cloneParams(params);
    const moved = alignEmbeddingTables(addon, params, state);
    assert.ok(moved >= params.tables[0].chunks.length);
    for (const t of params.tables) for (const c of t.chunks) assert.equal(addon.addressModulo(c, CACHE_LINE_BYTES), 0);
    params.tables.forEach((t, i) => t.chunks.forEach((c, k) => assert.deepEqual(c, before.tables[i].chunks[k])));
    assert.equal(alignEmbeddingTables(addon, params, state), 0, 'aligned chunks stay where they are');
  },
);
