// The dcn interaction (DCN-v2 low-rank cross network) on both engines: the float64 reference's gradients
// against central finite differences (cross V, W, b; pooled bags through x_0); the native and the tfjs
// (cpu, wasm) engines' loss, predictions and every gradient against the reference; native and tfjs agreeing
// on the parameters after one sgd / adagrad step; architecture validation of the dcn flags.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { buildDlrmArch } from '../../src/model/archConfig';
import { allocDlrmParams } from '../../src/model/allocParams';
import { initDlrmParams } from '../../src/model/initParams';
import { UserError } from '../../src/util/errors';
import { engineConfig, kaggleArch, randomBatch, randomParams, referenceGradients } from './nativeReference';
import { assertFiniteDifferences, registerGradientCases, registerNativeTfjsStepCases } from './crossChecks';

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

registerNativeTfjsStepCases('dcn', kaggleArch('dcn'), 1, 4);

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
