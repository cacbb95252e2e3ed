// Test helper shared by the cross-network tests (dcn.test.ts: DCN-v2 inside DLRM; deepCross.test.ts: the
// original DCN): every engine gradient against the float64 reference, central finite differences of the
// reference at chosen probes and at a table row, the per-case native / tfjs gradient tests, and native / tfjs
// agreement after training steps.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { NativeEngine } from '../../src/engine/native/nativeEngine';
import { TfjsEngine } from '../../src/engine/tfjs/tfjsEngine';
import type { Batch } from '../../src/dataset/batch';
import type { DlrmGradients, EngineConfig } from '../../src/engine/engine';
import type { DlrmArch, OptimizerName } from '../../src/model/arch';
import type { DlrmParams } from '../../src/model/params';
import {
  cloneParams,
  cloneState,
  engineConfig,
  randomBatch,
  randomParams,
  referenceGradients,
  relativeError,
  zeroState,
  type ReferenceResult,
} from './nativeReference';
import { nativeAddon, nativeSkip } from './nativeAddonForTests';
import { TEST_BACKENDS } from './backends';

export const TOL = 1e-4;

/** Every gradient of `grads` matches the reference within TOL (relative to each array's largest value). */
export function assertMatchesReference(loss: number, grads: DlrmGradients, ref: ReferenceResult): void {
  assert.ok(Math.abs(loss - ref.loss) / ref.loss < TOL, `loss ${loss} vs ${ref.loss}`);
  const check = (what: string, a: ArrayLike<number>, b: ArrayLike<number>) =>
    assert.ok(relativeError(a, b) < TOL, `${what}: relative error ${relativeError(a, b)}`);
  grads.bottom.forEach((g, l) => check(`bottom ${l} weight`, g.weight, ref.bottom[l].weight));
  grads.top.forEach((g, l) => {
    check(`top ${l} weight`, g.weight, ref.top[l].weight);
    check(`top ${l} bias`, g.bias, ref.top[l].bias);
  });
  grads.pooled.forEach((g, t) => check(`pooled ${t}`, g, ref.pooled[t]));
  assert.equal(grads.cross?.length, ref.cross.length, 'cross layer count');
  grads.cross?.forEach((g, l) => {
    check(`cross ${l} weight`, g.weight, ref.cross[l].weight);
    check(`cross ${l} bias`, g.bias, ref.cross[l].bias);
  });
}

const H = 1e-3;

/** The reference loss's central difference at w[i] (restored after). */
function centralLossDifference(
  cfg: EngineConfig,
  params: DlrmParams,
  batch: Batch,
  w: Float32Array,
  i: number,
): number {
  const keep = w[i];
  w[i] = keep + H;
  const up = referenceGradients(cfg, params, batch).loss;
  w[i] = keep - H;
  const down = referenceGradients(cfg, params, batch).loss;
  w[i] = keep;
  return (up - down) / (2 * H);
}

const close = (numeric: number, analytic: number) => Math.abs(numeric - analytic) <= 2e-3 * Math.abs(analytic) + 1e-6;

/**
 * Each probe [name, parameter array, its reference gradient] at the element with the largest gradient
 * (ReLU-dead inputs give exact zeros elsewhere) against the central difference of the loss; then one row of
 * table `t` (dimension d) against the pooled gradients of the bags holding it.
 */
export function assertFiniteDifferences(
  cfg: EngineConfig,
  params: DlrmParams,
  batch: Batch,
  probes: [string, Float32Array, Float64Array][],
  t: number,
  d: number,
): void {
  const argmaxAbs = (g: Float64Array) => g.reduce((best, v, i) => (Math.abs(v) > Math.abs(g[best]) ? i : best), 0);
  for (const [what, w, g] of probes) {
    const i = argmaxAbs(g);
    const numeric = centralLossDifference(cfg, params, batch, w, i);
    assert.ok(Math.abs(g[i]) > 1e-7, `${what}: the probe's gradient is not zero`);
    assert.ok(close(numeric, g[i]), `${what}: numeric ${numeric} vs analytic ${g[i]}`);
  }
  const ref = referenceGradients(cfg, params, batch);
  const row = batch.sparse[t].indices[0];
  const tab = params.tables[t],
    c = Math.floor(row / tab.chunkRows),
    k = (row - c * tab.chunkRows) * tab.dim + 2;
  let analytic = 0;
  for (let b = 0; b < batch.size; b++)
    for (let q = batch.sparse[t].offsets[b]; q < batch.sparse[t].offsets[b + 1]; q++)
      if (batch.sparse[t].indices[q] === row) analytic += ref.pooled[t][b * d + 2];
  const numeric = centralLossDifference(cfg, params, batch, tab.chunks[c], k);
  assert.ok(close(numeric, analytic), `table row: numeric ${numeric} vs ${analytic}`);
}

/** Per case: native (batch 50) and tfjs on every test backend (batch 20) against the reference. */
export function registerGradientCases(prefix: string, cases: { name: string; cfg: EngineConfig }[]): void {
  for (const { name, cfg } of cases) {
    test(`${prefix}: native gradients match the float64 reference: ${name}`, { skip: nativeSkip }, async () => {
      const params = randomParams(cfg.arch, 51);
      const batch = randomBatch(cfg.arch, 50, 52);
      const engine = new NativeEngine(cfg, params, zeroState('sgd', params), { addon: nativeAddon });
      const { loss, grads } = await engine.gradients(batch);
      const ref = referenceGradients(cfg, params, batch);
      assertMatchesReference(loss, grads, ref);
      assert.ok(relativeError(await engine.predict(batch), ref.predictions) < TOL, 'predictions');
      engine.dispose();
    });
    for (const backend of TEST_BACKENDS) {
      test(`${prefix}: tfjs [${backend}] gradients match the float64 reference: ${name}`, async () => {
        const params = randomParams(cfg.arch, 51);
        const batch = randomBatch(cfg.arch, 20, 53);
        const engine = await TfjsEngine.create(cfg, params, zeroState('sgd', params), backend);
        const { loss, grads } = await engine.gradients(batch);
        const ref = referenceGradients(cfg, params, batch);
        assertMatchesReference(loss, grads, ref);
        assert.ok(relativeError(await engine.predict(batch), ref.predictions) < TOL, 'predictions');
        engine.dispose();
      });
    }
  }
}

/**
 * Per optimizer: the native and tfjs (wasm) engines agree (loss per step, then the cross layers' parameters
 * and accumulators, the top layers and the tables) after `steps` steps of `arch` from the same random
 * parameters; every cross weight (and non-empty bias) moved.
 */
export function registerNativeTfjsStepCases(prefix: string, arch: DlrmArch, steps: number, crossLayers: number): void {
  for (const optimizer of ['sgd', 'adagrad', 'rowwise-adagrad'] as OptimizerName[]) {
    test(
      `${prefix}: native and tfjs engines agree after ${steps} ${optimizer} step(s)`,
      { skip: nativeSkip },
      async () => {
        const cfg = engineConfig(arch, optimizer, { loss: 'bce' });
        const params = randomParams(cfg.arch, 61, 9);
        const state = zeroState(optimizer, params, 0.01);
        const batch = randomBatch(cfg.arch, 48, 62);
        const tfParams = cloneParams(params),
          tfState = cloneState(state);
        const native = new NativeEngine(cfg, params, state, { addon: nativeAddon });
        const tfjs = await TfjsEngine.create(cfg, tfParams, tfState, 'wasm');
        const before = cloneParams(params);
        for (let step = 0; step < steps; step++) {
          const [sn, st] = [await native.trainStep(batch, 0.05), await tfjs.trainStep(batch, 0.05)];
          assert.ok(Math.abs(sn.loss - st.loss) <= TOL * st.loss, `step ${step} loss ${sn.loss} vs ${st.loss}`);
        }
        await tfjs.syncToHost();
        const cross = params.cross ?? [],
          tfCross = tfParams.cross ?? [];
        assert.equal(cross.length, crossLayers);
        cross.forEach((l, i) => {
          assert.ok(relativeError(l.weight, tfCross[i].weight) < TOL, `cross ${i} weight after the steps`);
          assert.ok(relativeError(l.bias, tfCross[i].bias) < TOL, `cross ${i} bias after the steps`);
          assert.notDeepEqual(l.weight, before.cross?.[i].weight, `cross ${i} weight moved`);
          if (l.bias.length > 0) assert.notDeepEqual(l.bias, before.cross?.[i].bias, `cross ${i} bias moved`);
          if (optimizer === 'sgd') return;
          const [a, b] = [state.cross?.[i], tfState.cross?.[i]];
          assert.ok(relativeError(a?.weight ?? [], b?.weight ?? []) < TOL, `cross ${i} weight accumulator`);
          assert.ok(relativeError(a?.bias ?? [], b?.bias ?? []) < TOL, `cross ${i} bias accumulator`);
        });
        params.top.forEach((l, i) =>
          assert.ok(relativeError(l.weight, tfParams.top[i].weight) < TOL, `top ${i} after the steps`),
        );
        params.tables.forEach((t, i) =>
          t.chunks.forEach((c, k) =>
            assert.ok(relativeError(c, tfParams.tables[i].chunks[k]) < TOL, `table ${i} chunk ${k}`),
          ),
        );
        tfjs.dispose();
        native.dispose();
      },
    );
  }
}
