// --model dcn (the original Deep & Cross Network) on both engines: the float64 reference's gradients against
// central finite differences (w_l, b_l, the deep, output and bottom layers, a table row through x_0); the
// native and the tfjs (cpu, wasm) engines' loss, predictions and every gradient against the reference; native
// and tfjs agreeing on the parameters after two sgd / adagrad / rowwise-adagrad steps; architecture validation.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { DlrmArch } from '../../src/model/arch';
import { buildDlrmArch } from '../../src/model/archConfig';
import { allocDlrmParams } from '../../src/model/allocParams';
import { initDlrmParams } from '../../src/model/initParams';
import { UserError } from '../../src/util/errors';
import { engineConfig, kaggleArch, randomBatch, randomParams, referenceGradients } from './nativeReference';
import { assertFiniteDifferences, registerGradientCases, registerNativeTfjsStepCases } from './crossChecks';

/** Kaggle-shaped (26 tables of d = 16, N = 432) with a small deep network and `layers` cross layers. */
function dcnArch(layers = 3, mlpTop = [432, 24, 12, 1]): DlrmArch {
  return { ...kaggleArch('cat'), mlpBot: [13, 8, 16], mlpTop, deepCross: { crossLayers: layers } };
}

test('model dcn: the float64 reference agrees with central finite differences', () => {
  const arch = dcnArch(2);
  const cfg = engineConfig(arch, 'sgd', { loss: 'bce' });
  const params = randomParams(arch, 41);
  const batch = randomBatch(arch, 5, 42);
  const ref = referenceGradients(cfg, params, batch);
  const cross = params.cross ?? [];
  const top = params.top;
  assert.equal(top[2].inFeatures, 432 + 12, 'the output layer reads [x_L, h]');
  assertFiniteDifferences(
    cfg,
    params,
    batch,
    [
      ['w_0', cross[0].weight, ref.cross[0].weight],
      ['b_0', cross[0].bias, ref.cross[0].bias],
      ['w_1', cross[1].weight, ref.cross[1].weight],
      ['b_1', cross[1].bias, ref.cross[1].bias],
      ['deep 0', top[0].weight, ref.top[0].weight],
      ['deep 1 bias', top[1].bias, ref.top[1].bias],
      ['output weight', top[2].weight, ref.top[2].weight],
      ['bottom 0', params.bottom[0].weight, ref.bottom[0].weight],
    ],
    4,
    16,
  );
});

registerGradientCases('model dcn', [
  { name: 'bce, 3 cross layers', cfg: engineConfig(dcnArch(3), 'sgd', { loss: 'bce' }) },
  { name: 'mse, 1 cross layer, one deep layer', cfg: engineConfig(dcnArch(1, [432, 20, 1]), 'sgd', { loss: 'mse' }) },
  {
    name: 'wbce, 6 cross layers (the paper), deep 64-32',
    cfg: engineConfig(dcnArch(6, [432, 64, 32, 1]), 'sgd', { loss: 'wbce', lossWeights: [0.3, 1.7] }),
  },
]);

registerNativeTfjsStepCases('model dcn', dcnArch(3), 2, 3);

test('model dcn: architecture, parameter shapes, init and refused combinations', () => {
  const flags = {
    mlpBot: [13, 8, 4],
    mlpTop: [6, 1],
    tableSizes: [5, 6, 7],
    interaction: 'cat' as const,
    interactionItself: false,
    deepCross: { crossLayers: 3 },
  };
  const arch = buildDlrmArch(flags);
  assert.deepEqual(arch.mlpTop, [16, 6, 1], 'the deep network reads x_0 of width (T+1)d');
  assert.deepEqual(arch.deepCross, { crossLayers: 3 });
  const params = allocDlrmParams(arch);
  assert.deepEqual(
    (params.cross ?? []).map((l) => [l.outFeatures, l.inFeatures, l.weight.length, l.bias.length]),
    [
      [1, 16, 16, 16],
      [1, 16, 16, 16],
      [1, 16, 16, 16],
    ],
  );
  assert.deepEqual(
    params.top.map((l) => [l.outFeatures, l.inFeatures]),
    [
      [6, 16],
      [1, 16 + 6],
    ],
    'deep layer, then the output layer over [x_L, h]',
  );
  const init = initDlrmParams(arch, 5).cross ?? [];
  assert.ok(
    init.every((l) => l.bias.every((v) => v === 0) && l.weight.some((v) => v !== 0)),
    'w drawn, b zero',
  );
  const refused: [Partial<typeof flags> | { interaction: 'dot' | 'dcn' }, RegExp][] = [
    [{ interaction: 'dot' }, /--arch-interaction-op dot applies to --model dlrm only/],
    [{ interaction: 'dcn' }, /--arch-interaction-op dcn applies to --model dlrm only/],
    [{ mlpTop: [1] }, /--arch-mlp-top: '1' needs a deep layer/],
    [{ deepCross: { crossLayers: 0 } }, /--dcn-cross-layers: '0'/],
  ];
  for (const [change, message] of refused) {
    assert.throws(
      () => buildDlrmArch({ ...flags, ...change, dcn: { numLayers: 1, lowRankDim: 2 } }),
      (e: unknown) => e instanceof UserError && message.test(e.message),
      String(message),
    );
  }
});
