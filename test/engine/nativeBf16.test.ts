// The native engine at precision bf16: gradients of the Kaggle-shaped model (dot, cat, and dcn with its cross
// layers) against a float64 reference whose wide layers take bf16-rounded inputs (a model of the bf16 GEMMs,
// written independently of the kernel),
// tightly, while they differ from the exact reference (the bf16 path really ran); predictions fp32 and equal to an fp32 engine's; a training step that moves the fp32 master
// weights as the fp32 step does, to bf16 accuracy; and the addon's refusal where bf16 is unavailable
// (DLRM_NATIVE_BF16=off simulates a CPU without AVX512_BF16).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { NativeEngine } from '../../src/engine/native/nativeEngine';
import { bf16Unavailable } from '../../src/engine/native/nativeAddon';
import type { EngineConfig } from '../../src/engine/engine';
import {
  bf16Round,
  cloneParams,
  engineConfig,
  kaggleArch,
  randomBatch,
  randomParams,
  referenceGradients,
  relativeError,
  zeroState,
  type GemmRound,
} from './nativeReference';
import { nativeAddon } from './nativeAddonForTests';

const bf16Skip = !nativeAddon
  ? 'native addon not built'
  : nativeAddon.gemm && nativeAddon.info().bf16
    ? false
    : 'this CPU has no AVX512_BF16';
// against the model of bf16 GEMMs, what remains is fp32 accumulation, the rare input that rounds to the other
// bf16 neighbour (float32 vs float64 activations) and a ReLU that flips with it (relative L2; the exact
// reference is 5-20% away on these random models)
const BF16_MODEL_TOL = 3e-2;
// the fp32 engine meets 1e-4 (nativeGradients.test.ts); the bf16 path must be visibly coarser
const FP32_LIKE = 1e-4;

const bf16 = (cfg: EngineConfig): EngineConfig => ({ ...cfg, precision: 'bf16' });

/** The layers the engine runs in bf16 on one thread: every GEMM of the layer has M, N and K >= 16 (csrc/gemm.h). */
const bf16Layers =
  (batchSize: number): GemmRound =>
  (l) =>
    l.inFeatures >= 16 && l.outFeatures >= 16 && batchSize >= 16 ? bf16Round : undefined;

/** ||a - b|| / ||b|| (a single ReLU that flips with a rounding moves one sample's gradient: a max-norm would see only that). */
function relativeL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0,
    den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

for (const interaction of ['dot', 'cat', 'dcn'] as const) {
  test(
    `bf16 gradients match the float64 reference of bf16-rounded GEMM inputs: ${interaction}`,
    { skip: bf16Skip },
    async () => {
      const cfg = engineConfig(kaggleArch(interaction), 'sgd', { loss: 'bce' });
      const params = randomParams(cfg.arch, 41);
      const batch = randomBatch(cfg.arch, 64, 42);
      // one thread: the weight-gradient GEMMs are not split by output rows, so which ones are bf16 is known
      const engine = new NativeEngine(bf16(cfg), params, zeroState('sgd', params), { addon: nativeAddon, threads: 1 });
      const { loss, grads } = await engine.gradients(batch);
      const model = referenceGradients(cfg, params, batch, bf16Layers(batch.size));
      const exact = referenceGradients(cfg, params, batch);
      assert.ok(Math.abs(loss - model.loss) / model.loss < 1e-4, `loss ${loss} vs ${model.loss}`);
      assert.ok(Math.abs(loss - exact.loss) / exact.loss < 1e-3, `loss ${loss} vs exact ${exact.loss}`);
      let worstModel = 0,
        worstExact = 0;
      const check = (what: string, got: Float32Array, want: Float64Array, wantExact: Float64Array) => {
        const e = relativeL2(got, want);
        assert.ok(e < BF16_MODEL_TOL, `${what}: relative error ${e} against the bf16 model`);
        worstModel = Math.max(worstModel, e);
        worstExact = Math.max(worstExact, relativeL2(got, wantExact));
      };
      grads.bottom.forEach(
        (g, l) => (
          check(`bottom ${l} weight`, g.weight, model.bottom[l].weight, exact.bottom[l].weight),
          check(`bottom ${l} bias`, g.bias, model.bottom[l].bias, exact.bottom[l].bias)
        ),
      );
      grads.top.forEach(
        (g, l) => (
          check(`top ${l} weight`, g.weight, model.top[l].weight, exact.top[l].weight),
          check(`top ${l} bias`, g.bias, model.top[l].bias, exact.top[l].bias)
        ),
      );
      // dcn: the cross layers' GEMMs run in bf16 too, forward and backward (V without bias)
      (grads.cross ?? []).forEach((g, l) => {
        check(`cross ${l} weight`, g.weight, model.cross[l].weight, exact.cross[l].weight);
        if (l % 2 === 1) check(`cross ${l} bias`, g.bias, model.cross[l].bias, exact.cross[l].bias);
      });
      grads.pooled.forEach((g, t) => check(`pooled ${t}`, g, model.pooled[t], exact.pooled[t]));
      // the bf16 path really ran (fp32 meets 1e-4 against the exact reference), and the model explains its error
      assert.ok(
        worstExact > FP32_LIKE,
        `every gradient is fp32-exact (worst ${worstExact}): the bf16 kernel did not run`,
      );
      assert.ok(
        worstModel * 3 < worstExact,
        `the bf16 model explains little: ${worstModel} vs ${worstExact} from the exact reference`,
      );
      engine.dispose();
    },
  );
}

test('bf16 predictions are fp32: equal to an fp32 engine on the same parameters', { skip: bf16Skip }, async () => {
  const cfg = engineConfig(kaggleArch('dot'), 'sgd', { loss: 'bce' });
  const params = randomParams(cfg.arch, 51);
  const batch = randomBatch(cfg.arch, 80, 52);
  const p16 = await new NativeEngine(bf16(cfg), params, zeroState('sgd', params), { addon: nativeAddon }).predict(
    batch,
  );
  const p32 = await new NativeEngine(cfg, params, zeroState('sgd', params), { addon: nativeAddon }).predict(batch);
  assert.deepEqual(p16, p32);
});

test(
  'a bf16 SGD step lands on the fp32 master weights: W - lr g exactly as the bf16 gradient says',
  { skip: bf16Skip },
  async () => {
    const cfg = bf16(engineConfig(kaggleArch('dot'), 'sgd', { loss: 'bce' }));
    const start = randomParams(cfg.arch, 61);
    const batch = randomBatch(cfg.arch, 96, 62);
    // an update far below a bf16 weight's resolution (2^-8 relative): a bf16 weight copy would lose most of it
    const lr = 1e-3;
    const { grads } = await new NativeEngine(cfg, start, zeroState('sgd', start), {
      addon: nativeAddon,
      threads: 1,
    }).gradients(batch);
    const p = cloneParams(start);
    await new NativeEngine(cfg, p, zeroState('sgd', p), { addon: nativeAddon, threads: 1 }).trainStep(batch, lr);
    for (const which of ['bottom', 'top'] as const) {
      p[which].forEach((layer, l) => {
        const moved = layer.weight.map((w, i) => w - start[which][l].weight[i]);
        const expected = grads[which][l].weight.map((g) => -lr * g);
        // fp32 subtraction of nearby weights leaves ~2^-24 / lr of the step's size
        assert.ok(
          relativeError(moved, expected) < 1e-2,
          `${which} ${l}: update error ${relativeError(moved, expected)}`,
        );
      });
    }
  },
);

test(
  'bf16 gradients and SGD steps do not depend on the thread count (pass 2 splits wide layers by input columns)',
  { skip: bf16Skip },
  async () => {
    const cfg = bf16(engineConfig(kaggleArch('dot'), 'sgd', { loss: 'bce' }));
    const start = randomParams(cfg.arch, 81);
    const batch = randomBatch(cfg.arch, 96, 82);
    const run = async (threads: number) => {
      const p = cloneParams(start);
      const { grads } = await new NativeEngine(cfg, p, zeroState('sgd', p), { addon: nativeAddon, threads }).gradients(
        batch,
      );
      await new NativeEngine(cfg, p, zeroState('sgd', p), { addon: nativeAddon, threads }).trainStep(batch, 0.05);
      return { grads, p };
    };
    const one = await run(1);
    for (const threads of [2, 3]) {
      const many = await run(threads);
      for (const which of ['bottom', 'top'] as const)
        one.p[which].forEach((layer, l) => {
          // the same sums in the same order for the bf16 layers; the thin fp32 ones may differ in the last bits
          const g = relativeError(many.grads[which][l].weight, one.grads[which][l].weight);
          assert.ok(g < 1e-5, `${which} ${l} weight gradient, ${threads} threads: ${g} from one thread's`);
          const w = relativeError(many.p[which][l].weight, layer.weight);
          assert.ok(w < 1e-6, `${which} ${l} weights after a step, ${threads} threads: ${w} from one thread's`);
        });
    }
  },
);

test(
  'precision bf16 is refused where the CPU lacks it (DLRM_NATIVE_BF16=off)',
  { skip: nativeAddon?.gemm ? false : 'addon without bf16 support' },
  () => {
    const before = process.env.DLRM_NATIVE_BF16;
    process.env.DLRM_NATIVE_BF16 = 'off';
    try {
      assert.equal(nativeAddon!.info().bf16, false);
      assert.match(bf16Unavailable(nativeAddon!) ?? '', /DLRM_NATIVE_BF16=off/);
      const cfg = engineConfig(kaggleArch('dot'), 'sgd', { loss: 'bce' });
      const params = randomParams(cfg.arch, 71);
      assert.throws(
        () => new NativeEngine(bf16(cfg), params, zeroState('sgd', params), { addon: nativeAddon }),
        /precision bf16 needs a CPU with AVX512_BF16/,
      );
      const x = new Float32Array(32 * 32);
      assert.throws(
        () => nativeAddon!.gemm!('bf16', false, false, 32, 32, 32, 1, x, 32, x, 32, 0, x.slice(), 32),
        /AVX512_BF16/,
      );
    } finally {
      if (before === undefined) delete process.env.DLRM_NATIVE_BF16;
      else process.env.DLRM_NATIVE_BF16 = before;
    }
  },
);
