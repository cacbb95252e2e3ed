// Native training step vs the float64 reference update: for sgd, adagrad and rowwise-adagrad the new dense
// weights, embedding rows (multi-hot bags with duplicate indices, chunked tables) and accumulators equal
// one optimizer step on the engine's own gradients (whose agreement with the reference is
// nativeGradients.test.ts's job). Also: one thread and two threads agree, bad batches throw.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { NativeEngine } from '../../src/engine/native/nativeEngine';
import type { OptimizerName } from '../../src/model/arch';
import {
  cloneParams,
  cloneState,
  embeddingRowGradients,
  engineConfig,
  kaggleArch,
  randomBatch,
  randomParams,
  referenceUpdate,
  relativeError,
  tableRow,
  zeroState,
} from './nativeReference';
import { nativeAddon, nativeSkip } from './nativeAddonForTests';

const TOL = 1e-4;
const LR = 0.05;

function stateRow(state: Float32Array[], chunkRows: number, r: number, width: number): Float32Array {
  const c = Math.floor(r / chunkRows),
    o = (r % chunkRows) * width;
  return state[c].subarray(o, o + width);
}

for (const optimizer of ['sgd', 'adagrad', 'rowwise-adagrad'] as OptimizerName[]) {
  test(
    `native ${optimizer} step updates dense layers and embedding rows like the reference`,
    { skip: nativeSkip },
    async () => {
      const cfg = engineConfig(kaggleArch('dot', false, 12), optimizer, { loss: 'bce' });
      const params = randomParams(cfg.arch, 41);
      // a non-zero accumulator makes this a later step, where adagrad's update is not just lr * sign(g)
      const state = zeroState(optimizer, params, 0.01);
      const batch = randomBatch(cfg.arch, 64, 42, 3);
      const before = cloneParams(params),
        stateBefore = cloneState(state);
      const engine = new NativeEngine(cfg, params, state, { addon: nativeAddon });
      const { loss: gradLoss, grads } = await engine.gradients(batch);
      const { loss, predictions } = await engine.trainStep(batch, LR);
      assert.equal(loss, gradLoss);
      assert.equal(predictions.length, batch.size);

      const dense = (which: 'bottom' | 'top') =>
        before[which].forEach((l, i) => {
          for (const part of ['weight', 'bias'] as const) {
            const acc = optimizer === 'sgd' ? undefined : stateBefore[which][i][part];
            const want = referenceUpdate(optimizer, l[part], acc, grads[which][i][part], LR);
            assert.ok(relativeError(params[which][i][part], want.w) < TOL, `${which} ${i} ${part}`);
            if (want.acc)
              assert.ok(relativeError(state[which][i][part], want.acc) < TOL, `${which} ${i} ${part} accumulator`);
          }
        });
      dense('bottom');
      dense('top');

      const d = cfg.arch.embeddingDim;
      let duplicates = 0;
      params.tables.forEach((tab, t) => {
        const rowGrads = embeddingRowGradients(batch, t, grads.pooled[t], d);
        for (let r = 0; r < tab.rows; r++) {
          const g = rowGrads.get(r);
          const old = tableRow(before, t, r),
            now = tableRow(params, t, r);
          if (!g) {
            assert.deepEqual(now, old, `table ${t} row ${r} is not in the batch and must not move`);
            continue;
          }
          const width = optimizer === 'adagrad' ? d : 1;
          const acc = optimizer === 'sgd' ? undefined : stateRow(stateBefore.tables[t], tab.chunkRows, r, width);
          const want = referenceUpdate(optimizer, old, acc, g, LR, optimizer === 'rowwise-adagrad');
          assert.ok(relativeError(now, want.w) < TOL, `table ${t} row ${r}: ${relativeError(now, want.w)}`);
          if (want.acc)
            assert.ok(
              relativeError(stateRow(state.tables[t], tab.chunkRows, r, width), want.acc) < TOL,
              `table ${t} row ${r} accumulator`,
            );
        }
        duplicates += batch.sparse[t].indices.length - rowGrads.size;
      });
      assert.ok(duplicates > 100, 'the batch exercises duplicate indices');
    },
  );
}

test('one and two native threads give the same step', { skip: nativeSkip }, async () => {
  const cfg = engineConfig(kaggleArch('dot'), 'adagrad', { loss: 'bce' });
  const base = randomParams(cfg.arch, 51);
  const runs = await Promise.all(
    [1, 2].map(async (threads) => {
      const params = cloneParams(base);
      // accumulators > 0: adagrad's very first step is lr * sign(g), which turns summation-order noise of a
      // near-zero gradient into a full lr step, whatever the engine
      const engine = new NativeEngine(cfg, params, zeroState('adagrad', params, 0.01), { addon: nativeAddon, threads });
      let loss = 0;
      for (let s = 0; s < 3; s++) loss = (await engine.trainStep(randomBatch(cfg.arch, 96, 60 + s), 0.02)).loss;
      return { loss, params };
    }),
  );
  assert.ok(Math.abs(runs[0].loss - runs[1].loss) < 1e-5);
  assert.ok(relativeError(runs[1].params.top[0].weight, runs[0].params.top[0].weight) < TOL);
  assert.ok(relativeError(runs[1].params.tables[3].chunks[0], runs[0].params.tables[3].chunks[0]) < TOL);
});

test('native engine rejects bad batches before touching memory', { skip: nativeSkip }, async () => {
  const cfg = engineConfig(kaggleArch('cat'), 'sgd');
  const params = randomParams(cfg.arch, 71);
  const engine = new NativeEngine(cfg, params, zeroState('sgd', params), { addon: nativeAddon });
  const bad = randomBatch(cfg.arch, 8, 72);
  bad.sparse[5].indices[0] = cfg.arch.tableSizes[5];
  await assert.rejects(engine.trainStep(bad, 0.1), /table 5: index \d+ is out of range/);
  const short = randomBatch(cfg.arch, 8, 73);
  short.dense = short.dense.subarray(1);
  await assert.rejects(engine.predict(short), /batch\.dense has/);
  assert.throws(
    () =>
      new NativeEngine(engineConfig(kaggleArch('dot'), 'sgd'), params, zeroState('sgd', params), {
        addon: nativeAddon,
      }),
    /top MLP input width/,
  );
});
