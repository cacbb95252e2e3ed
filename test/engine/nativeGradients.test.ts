// Native engine vs the float64 reference: loss, predictions and every gradient (bottom, top, pooled bags)
// for each loss, the loss threshold and every interaction, on Kaggle-shaped random models and batches, and
// the dot interaction on other table counts and embedding widths.
// Also checks the reference itself against central finite differences.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { NativeEngine } from '../../src/engine/native/nativeEngine';
import type { EngineConfig } from '../../src/engine/engine';
import type { DlrmArch } from '../../src/model/arch';
import {
  engineConfig,
  kaggleArch,
  randomBatch,
  randomParams,
  referenceGradients,
  relativeError,
  zeroState,
} from './nativeReference';
import { nativeAddon, nativeSkip } from './nativeAddonForTests';

const TOL = 1e-4;

const cases: { name: string; cfg: EngineConfig }[] = [
  { name: 'bce, dot', cfg: engineConfig(kaggleArch('dot'), 'sgd', { loss: 'bce' }) },
  { name: 'mse, dot', cfg: engineConfig(kaggleArch('dot'), 'sgd', { loss: 'mse' }) },
  {
    name: 'wbce, dot + interaction-itself',
    cfg: engineConfig(kaggleArch('dot', true), 'sgd', { loss: 'wbce', lossWeights: [0.3, 1.7] }),
  },
  { name: 'bce, cat', cfg: engineConfig(kaggleArch('cat'), 'sgd', { loss: 'bce' }) },
  { name: 'mse, cat', cfg: engineConfig(kaggleArch('cat'), 'sgd', { loss: 'mse' }) },
  // the vector dot-interaction kernels' edges: one vector block or several, rows that end exactly on a block,
  // the last pair values of a sample (never written past), embedding widths that are not a multiple of 16
  ...[
    [2, 3, false],
    [2, 3, true],
    [15, 16, false],
    [16, 16, true],
    [16, 16, false],
    [40, 32, false],
    [33, 5, true],
  ].map(([tables, d, itself]) => ({
    name: `bce, dot${itself ? ' + interaction-itself' : ''}, ${String(tables)} tables of dim ${String(d)}`,
    cfg: engineConfig(dotArch(tables as number, d as number, itself as boolean), 'sgd', { loss: 'bce' }),
  })),
];

/** A small DLRM with `tables` tables of dimension d and the dot interaction. */
function dotArch(tables: number, d: number, itself: boolean): DlrmArch {
  const n = tables + 1;
  return {
    ...kaggleArch('dot', itself),
    mlpBot: [13, 8, d],
    mlpTop: [d + (itself ? (n * (n + 1)) / 2 : (n * (n - 1)) / 2), 8, 1],
    tableSizes: Array.from({ length: tables }, (_, t) => 5 + t),
    embeddingDim: d,
  };
}

for (const { name, cfg } of cases) {
  test(`native gradients match the float64 reference: ${name}`, { skip: nativeSkip }, async () => {
    const params = randomParams(cfg.arch, 11);
    const batch = randomBatch(cfg.arch, 50, 12);
    const engine = new NativeEngine(cfg, params, zeroState('sgd', params), { addon: nativeAddon });
    const { loss, grads } = await engine.gradients(batch);
    const ref = referenceGradients(cfg, params, batch);
    assert.ok(Math.abs(loss - ref.loss) / ref.loss < TOL, `loss ${loss} vs ${ref.loss}`);
    const predictions = await engine.predict(batch);
    assert.ok(relativeError(predictions, ref.predictions) < TOL, 'predictions');
    grads.bottom.forEach((g, l) => {
      assert.ok(
        relativeError(g.weight, ref.bottom[l].weight) < TOL,
        `bottom ${l} weight: ${relativeError(g.weight, ref.bottom[l].weight)}`,
      );
      assert.ok(relativeError(g.bias, ref.bottom[l].bias) < TOL, `bottom ${l} bias`);
    });
    grads.top.forEach((g, l) => {
      assert.ok(
        relativeError(g.weight, ref.top[l].weight) < TOL,
        `top ${l} weight: ${relativeError(g.weight, ref.top[l].weight)}`,
      );
      assert.ok(relativeError(g.bias, ref.top[l].bias) < TOL, `top ${l} bias`);
    });
    grads.pooled.forEach((g, t) =>
      assert.ok(relativeError(g, ref.pooled[t]) < TOL, `pooled ${t}: ${relativeError(g, ref.pooled[t])}`),
    );
    // gradients() must not move the parameters
    assert.deepEqual(await engine.predict(batch), predictions);
    engine.dispose();
  });
}

test('loss threshold clamps predictions and zeroes the gradient of clamped rows', { skip: nativeSkip }, async () => {
  const cfg = engineConfig(kaggleArch('dot'), 'sgd', { loss: 'bce' });
  const params = randomParams(cfg.arch, 21);
  const batch = randomBatch(cfg.arch, 40, 22);
  const probe = await new NativeEngine(cfg, params, zeroState('sgd', params), { addon: nativeAddon }).predict(batch);
  // a threshold between the batch's smallest and largest distance to 0/1 clamps some rows, not all
  const sorted = Array.from(probe, (p) => Math.min(p, 1 - p)).sort((a, b) => a - b);
  const threshold = sorted[Math.floor(sorted.length / 2)];
  const clampedCfg = { ...cfg, lossThreshold: threshold };
  const engine = new NativeEngine(clampedCfg, params, zeroState('sgd', params), { addon: nativeAddon });
  const { loss, grads } = await engine.gradients(batch);
  const ref = referenceGradients(clampedCfg, params, batch);
  assert.ok(Math.abs(loss - ref.loss) / ref.loss < TOL);
  const p = await engine.predict(batch);
  for (const v of p) assert.ok(v >= threshold - 1e-7 && v <= 1 - threshold + 1e-7);
  assert.ok(relativeError(grads.top[0].weight, ref.top[0].weight) < TOL);
  assert.ok(relativeError(grads.bottom[0].weight, ref.bottom[0].weight) < TOL);
  grads.pooled.forEach((g, t) => assert.ok(relativeError(g, ref.pooled[t]) < TOL, `pooled ${t}`));
});

test('the float64 reference agrees with central finite differences', () => {
  const arch = { ...kaggleArch('dot'), mlpBot: [13, 8, 16], mlpTop: [16 + 351, 8, 1] };
  for (const loss of ['bce', 'mse', 'wbce'] as const) {
    const cfg = engineConfig(arch, 'sgd', { loss, lossWeights: [0.5, 2] });
    const params = randomParams(arch, 31);
    const batch = randomBatch(arch, 6, 32);
    const ref = referenceGradients(cfg, params, batch);
    const h = 1e-3;
    const probes: [Float32Array, Float64Array, number][] = [
      [params.bottom[0].weight, ref.bottom[0].weight, 5],
      [params.bottom[1].bias, ref.bottom[1].bias, 3],
      [params.top[0].weight, ref.top[0].weight, 400],
      [params.top[1].weight, ref.top[1].weight, 2],
    ];
    for (const [w, g, i] of probes) {
      const keep = w[i];
      w[i] = keep + h;
      const up = referenceGradients(cfg, params, batch).loss;
      w[i] = keep - h;
      const down = referenceGradients(cfg, params, batch).loss;
      w[i] = keep;
      const numeric = (up - down) / (2 * h);
      assert.ok(
        Math.abs(numeric - g[i]) <= 1e-3 * Math.max(1e-3, Math.abs(g[i])) + 1e-6,
        `${loss}: numeric ${numeric} vs analytic ${g[i]}`,
      );
    }
  }
});
