// Native engine vs the TensorFlow.js engine (wasm backend) on the same Kaggle-shaped random model and batch:
// loss, gradients and the parameters after one step agree (relative error < 1e-4) for every optimizer,
// loss and interaction; a few hundred steps on the Criteo-shaped synthetic data reach the same held-out
// AUC. Also createEngine's selection and the fallback when the addon is missing.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { syntheticSource } from '../../src/dataset/syntheticSource';
import { createEngine } from '../../src/engine/createEngine';
import type { Engine, EngineConfig } from '../../src/engine/engine';
import { loadNativeAddon } from '../../src/engine/native/nativeAddon';
import { NativeEngine } from '../../src/engine/native/nativeEngine';
import { TfjsEngine } from '../../src/engine/tfjs/tfjsEngine';
import { rocAuc } from '../../src/eval/metrics';
import type { DlrmArch } from '../../src/model/arch';
import { allocOptimizerState } from '../../src/model/allocOptimizerState';
import { initDlrmParams } from '../../src/model/initParams';
import {
  cloneParams,
  cloneState,
  engineConfig,
  kaggleArch,
  randomBatch,
  randomParams,
  relativeError,
  zeroState,
} from './nativeReference';
import { nativeAddon, nativeSkip } from './nativeAddonForTests';

const TOL = 1e-4;

const cases: { name: string; cfg: EngineConfig }[] = [
  { name: 'sgd, bce, dot', cfg: engineConfig(kaggleArch('dot'), 'sgd', { loss: 'bce' }) },
  { name: 'adagrad, mse, cat', cfg: engineConfig(kaggleArch('cat'), 'adagrad', { loss: 'mse' }) },
  {
    name: 'rowwise-adagrad, wbce, dot + itself, threshold',
    cfg: engineConfig(kaggleArch('dot', true), 'rowwise-adagrad', {
      loss: 'wbce',
      lossWeights: [0.4, 1.6],
      lossThreshold: 0.02,
    }),
  },
  { name: 'adagrad, bce, dot', cfg: engineConfig(kaggleArch('dot'), 'adagrad', { loss: 'bce' }) },
];

for (const { name, cfg } of cases) {
  test(`native and tfjs engines agree on one step: ${name}`, { skip: nativeSkip }, async () => {
    const params = randomParams(cfg.arch, 81, 9);
    const state = zeroState(cfg.optimizer, params, 0.01);
    const batch = randomBatch(cfg.arch, 48, 82);
    const tfParams = cloneParams(params),
      tfState = cloneState(state);
    const native = new NativeEngine(cfg, params, state, { addon: nativeAddon });
    const tfjs = await TfjsEngine.create(cfg, tfParams, tfState, 'wasm');
    const [gn, gt] = [await native.gradients(batch), await tfjs.gradients(batch)];
    assert.ok(Math.abs(gn.loss - gt.loss) <= TOL * gt.loss, `loss ${gn.loss} vs ${gt.loss}`);
    gn.grads.bottom.forEach((g, l) =>
      assert.ok(relativeError(g.weight, gt.grads.bottom[l].weight) < TOL, `bottom ${l}`),
    );
    gn.grads.top.forEach((g, l) => assert.ok(relativeError(g.weight, gt.grads.top[l].weight) < TOL, `top ${l}`));
    gn.grads.pooled.forEach((g, t) => assert.ok(relativeError(g, gt.grads.pooled[t]) < TOL, `pooled ${t}`));
    const [sn, st] = [await native.trainStep(batch, 0.05), await tfjs.trainStep(batch, 0.05)];
    assert.ok(Math.abs(sn.loss - st.loss) <= TOL * st.loss);
    assert.ok(relativeError(sn.predictions, st.predictions) < TOL, 'predictions');
    await tfjs.syncToHost();
    await native.syncToHost();
    params.bottom.forEach((l, i) =>
      assert.ok(relativeError(l.weight, tfParams.bottom[i].weight) < TOL, `bottom ${i} after the step`),
    );
    params.top.forEach((l, i) =>
      assert.ok(relativeError(l.bias, tfParams.top[i].bias) < TOL, `top ${i} bias after the step`),
    );
    params.tables.forEach((t, i) =>
      t.chunks.forEach((c, k) =>
        assert.ok(relativeError(c, tfParams.tables[i].chunks[k]) < TOL, `table ${i} chunk ${k}`),
      ),
    );
    if (cfg.optimizer !== 'sgd') {
      state.top.forEach((s, i) =>
        assert.ok(relativeError(s.weight, tfState.top[i].weight) < TOL, `top ${i} accumulator`),
      );
      state.tables.forEach((t, i) =>
        t.forEach((c, k) =>
          assert.ok(relativeError(c, tfState.tables[i][k]) < TOL, `table ${i} accumulator chunk ${k}`),
        ),
      );
    }
    tfjs.dispose();
  });
}

async function trainAndScore(engine: Engine, arch: DlrmArch, steps: number, batchSize: number): Promise<number> {
  const train = syntheticSource({ tableSizes: arch.tableSizes, rows: steps * batchSize, seed: 5 });
  for await (const batch of train.batches(batchSize)) await engine.trainStep(batch, 0.1);
  const test = syntheticSource({ tableSizes: arch.tableSizes, rows: 8192, seed: 5, firstRow: steps * batchSize });
  const scores: number[] = [],
    labels: number[] = [];
  for await (const batch of test.batches(2048)) {
    scores.push(...(await engine.predict(batch)));
    labels.push(...batch.labels);
  }
  return rocAuc(Float32Array.from(scores), Float32Array.from(labels));
}

test(
  'native and tfjs engines reach the same held-out AUC after 300 steps on synthetic data',
  { skip: nativeSkip },
  async () => {
    const arch: DlrmArch = { ...kaggleArch('dot', false, 1000), mlpBot: [13, 64, 16], mlpTop: [16 + 351, 64, 1] };
    const cfg = engineConfig(arch, 'adagrad', { loss: 'bce' });
    const params = initDlrmParams(arch, 3);
    const tfParams = cloneParams(params);
    const native = new NativeEngine(cfg, params, allocOptimizerState(params, 'adagrad'), { addon: nativeAddon });
    const tfjs = await TfjsEngine.create(cfg, tfParams, allocOptimizerState(tfParams, 'adagrad'), 'wasm');
    const aucNative = await trainAndScore(native, arch, 300, 128);
    const aucTfjs = await trainAndScore(tfjs, arch, 300, 128);
    tfjs.dispose();
    assert.ok(aucNative > 0.65, `native AUC ${aucNative} shows learning`);
    assert.ok(Math.abs(aucNative - aucTfjs) < 0.01, `AUC native ${aucNative} vs tfjs ${aucTfjs}`);
  },
);

test(
  'createEngine: --engine native and auto pick the native engine on a machine without a GPU',
  { skip: nativeSkip },
  async () => {
    const cfg = engineConfig(kaggleArch('cat'), 'sgd');
    const params = randomParams(cfg.arch, 91);
    const native = await createEngine({ engine: 'native' }, cfg, params, zeroState('sgd', params));
    assert.equal(native.name, 'native');
    const auto = await createEngine({ engine: 'auto' }, cfg, params, zeroState('sgd', params));
    assert.ok(auto.name === 'native' || auto.name === 'tfjs-node-gpu', auto.name);
  },
);

test('a missing addon is reported, not thrown, and auto falls back to tfjs with one hint line', () => {
  const missing = loadNativeAddon(path.join(__dirname, 'no-such-addon.node'));
  assert.equal(missing.addon, undefined);
  assert.match(missing.reason ?? '', /cannot load .*no-such-addon\.node/);
  // a fresh process with the addon hidden: --engine native is a UserError, auto runs on tfjs
  const script = `
    const { createEngine } = require(${JSON.stringify(path.resolve(__dirname, '../../src/engine/createEngine'))});
    const R = require(${JSON.stringify(path.resolve(__dirname, 'nativeReference'))});
    (async () => {
      const cfg = R.engineConfig({ ...R.kaggleArch('cat'), mlpBot: [13, 16], mlpTop: [432, 1] }, 'sgd');
      const p = R.randomParams(cfg.arch, 1);
      try { await createEngine({ engine: 'native' }, cfg, p, R.zeroState('sgd', p)); } catch (e) { console.log('NATIVE:' + e.name + ':' + e.message); }
      const e = await createEngine({ engine: 'auto' }, cfg, p, R.zeroState('sgd', p));
      console.log('AUTO:' + e.name);
    })();`;
  const r = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    env: { ...process.env, DLRM_NATIVE_ADDON: 'none' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /NATIVE:UserError:--engine native: the native CPU engine is not built.*apt-get install libopenblas-dev/,
  );
  assert.match(r.stdout, /AUTO:tfjs-/);
  assert.equal((r.stderr.match(/native CPU engine is not built/g) ?? []).length, 1, r.stderr);
});
