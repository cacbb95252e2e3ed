// The dcn interaction (DCN-v2 low-rank cross network) on both engines: the float64 reference's gradients
// against central finite differences (cross V, W, b; pooled bags through x_0); the native and the tfjs
// (cpu, wasm) engines' loss, predictions and every gradient against the reference; native and tfjs agreeing
// on the parameters after one sgd / adagrad step; architecture validation of the dcn flags.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { NativeEngine } from '../../src/engine/native/nativeEngine';
import { TfjsEngine } from '../../src/engine/tfjs/tfjsEngine';
import type { OptimizerName } from '../../src/model/arch';
import { buildDlrmArch } from '../../src/model/archConfig';
import { allocDlrmParams } from '../../src/model/allocParams';
import { initDlrmParams } from '../../src/model/initParams';
import { UserError } from '../../src/util/errors';
import {
  cloneParams,
  cloneState,
  engineConfig,
  kaggleArch,
  randomBatch,
  randomParams,
  referenceGradients,
  relativeError,
  zeroState,
} from './nativeReference';
import { nativeAddon, nativeSkip } from './nativeAddonForTests';
import { assertFiniteDifferences, registerGradientCases, TOL } from './crossChecks';

test('dcn: the float64 reference agrees with central finite differences (V, W, b, bags through x_0)', () => {
  const arch = { ...kaggleArch('dcn'), mlpBot: [13, 8, 16], mlpTop: [27 * 16, 8, 1] };
  const cfg = engineConfig(arch, 'sgd', { loss: 'bce' });
  const params = randomParams(arch, 41);
  const batch = randomBatch(arch, 5, 42);
  const ref = referenceGradients(cfg, params, batch);
  const cross = params.cross ?? [];
  assertFiniteDifferences(
    cfg,
    params,
    batch,
    [
      ['V_0', cross[0].weight, ref.cross[0].weight],
      ['W_0', cross[1].weight, ref.cross[1].weight],
      ['b_0', cross[1].bias, ref.cross[1].bias],
      ['V_1', cross[2].weight, ref.cross[2].weight],
      ['W_1', cross[3].weight, ref.cross[3].weight],
      ['b_1', cross[3].bias, ref.cross[3].bias],
      ['bottom 0', params.bottom[0].weight, ref.bottom[0].weight],
    ],
    4,
    16,
  );
});

registerGradientCases('dcn', [
  { name: 'bce', cfg: engineConfig(kaggleArch('dcn'), 'sgd', { loss: 'bce' }) },
  { name: 'mse', cfg: engineConfig(kaggleArch('dcn'), 'sgd', { loss: 'mse' }) },
  {
    name: 'wbce, three layers of rank 5',
    cfg: engineConfig({ ...kaggleArch('dcn'), dcn: { numLayers: 3, lowRankDim: 5 } }, 'sgd', {
      loss: 'wbce',
      lossWeights: [0.3, 1.7],
    }),
  },
]);

for (const optimizer of ['sgd', 'adagrad', 'rowwise-adagrad'] as OptimizerName[]) {
  test(
    `dcn: native and tfjs engines agree after one ${optimizer} step (cross layers included)`,
    { skip: nativeSkip },
    async () => {
      const cfg = engineConfig(kaggleArch('dcn'), optimizer, { loss: 'bce' });
      const params = randomParams(cfg.arch, 61, 9);
      const state = zeroState(optimizer, params, 0.01);
      const batch = randomBatch(cfg.arch, 48, 62);
      const tfParams = cloneParams(params),
        tfState = cloneState(state);
      const native = new NativeEngine(cfg, params, state, { addon: nativeAddon });
      const tfjs = await TfjsEngine.create(cfg, tfParams, tfState, 'wasm');
      const before = cloneParams(params);
      const [sn, st] = [await native.trainStep(batch, 0.05), await tfjs.trainStep(batch, 0.05)];
      assert.ok(Math.abs(sn.loss - st.loss) <= TOL * st.loss, `loss ${sn.loss} vs ${st.loss}`);
      await tfjs.syncToHost();
      const cross = params.cross ?? [],
        tfCross = tfParams.cross ?? [];
      assert.equal(cross.length, 4);
      cross.forEach((l, i) => {
        assert.ok(relativeError(l.weight, tfCross[i].weight) < TOL, `cross ${i} weight after the step`);
        assert.ok(relativeError(l.bias, tfCross[i].bias) < TOL, `cross ${i} bias after the step`);
        assert.notDeepEqual(l.weight, before.cross?.[i].weight, `cross ${i} weight moved`);
        if (optimizer !== 'sgd')
          assert.ok(
            relativeError(state.cross?.[i].weight ?? [], tfState.cross?.[i].weight ?? []) < TOL,
            `cross ${i} accumulator`,
          );
      });
      params.top.forEach((l, i) =>
        assert.ok(relativeError(l.weight, tfParams.top[i].weight) < TOL, `top ${i} after the step`),
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

test('dcn: architecture flags, parameter shapes and TorchRec init', () => {
  const arch = buildDlrmArch({
    mlpBot: [13, 8, 4],
    mlpTop: [6, 1],
    tableSizes: [5, 6, 7],
    interaction: 'dcn',
    interactionItself: true,
    dcn: { numLayers: 3, lowRankDim: 2 },
  });
  assert.deepEqual(arch.mlpTop, [16, 6, 1], 'the top MLP takes x_L of width (T+1)d');
  assert.equal(arch.interactionItself, false);
  assert.deepEqual(arch.dcn, { numLayers: 3, lowRankDim: 2 });
  const cross = allocDlrmParams(arch).cross ?? [];
  assert.deepEqual(
    cross.map((l) => [l.outFeatures, l.inFeatures, l.bias.length]),
    [
      [2, 16, 0],
      [16, 2, 16],
      [2, 16, 0],
      [16, 2, 16],
      [2, 16, 0],
      [16, 2, 16],
    ],
  );
  const init = initDlrmParams(arch, 5).cross ?? [];
  assert.ok(
    init.every((l) => l.bias.every((v) => v === 0)),
    'b starts at zero',
  );
  assert.ok(
    init.every((l) => l.weight.some((v) => v !== 0)),
    'V and W are drawn',
  );
  // dot models draw exactly as before (the cross layers come after the tables)
  const dot = buildDlrmArch({
    mlpBot: [13, 8, 4],
    mlpTop: [6, 1],
    tableSizes: [5, 6, 7],
    interaction: 'dot',
    interactionItself: false,
  });
  assert.equal(allocDlrmParams(dot).cross, undefined);
  assert.throws(
    () => buildDlrmArch({ ...arch, mlpTop: [6, 1], dcn: undefined }),
    (e: unknown) => e instanceof UserError && /--dcn-num-layers/.test(e.message),
  );
  assert.throws(
    () => buildDlrmArch({ ...arch, mlpTop: [6, 1], dcn: { numLayers: 0, lowRankDim: 2 } }),
    (e: unknown) => e instanceof UserError && /--dcn-num-layers: '0'/.test(e.message),
  );
  assert.throws(
    () => buildDlrmArch({ ...arch, mlpTop: [6, 1], dcn: { numLayers: 1, lowRankDim: 1.5 } }),
    (e: unknown) => e instanceof UserError && /--dcn-low-rank-dim/.test(e.message),
  );
});
