// The whole tfjs engine on the cpu and wasm backends against the independent float64 reference
// (test/model/referenceDlrm.ts): forward probabilities and loss; dense and pooled gradients against
// central finite differences of the reference loss; one SGD / Adagrad / row-wise Adagrad step against the
// hand-computed update from those gradients; no tensor leak across steps; createEngine selection.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../../src/dataset/batch';
import { createEngine } from '../../src/engine/createEngine';
import type { DlrmGradients, EngineConfig } from '../../src/engine/engine';
import { TfjsEngine } from '../../src/engine/tfjs/tfjsEngine';
import type { InteractionOp, LossFunction, OptimizerName } from '../../src/model/arch';
import { allocOptimizerState } from '../../src/model/allocOptimizerState';
import { buildDlrmArch } from '../../src/model/archConfig';
import { initDlrmParams } from '../../src/model/initParams';
import type { DlrmParams } from '../../src/model/params';
import { UserError } from '../../src/util/errors';
import { Rng } from '../../src/util/random';
import { centralDifference, randomBatch, referenceForward, referencePooled } from '../model/referenceDlrm';
import { TEST_BACKENDS } from './backends';

function setup(op: InteractionOp, itself: boolean, loss: LossFunction, optimizer: OptimizerName, threshold = 0) {
  const arch = buildDlrmArch({
    mlpBot: [4, 8, 3],
    mlpTop: [6, 1],
    tableSizes: [7, 5, 9],
    interaction: op,
    interactionItself: itself,
  });
  const config: EngineConfig = { arch, optimizer, loss, lossWeights: [0.4, 1.7], lossThreshold: threshold };
  // chunked tables (2-row chunks) so the engine's host embeddings handle chunk boundaries
  const params = initDlrmParams(arch, 11, 2 * arch.embeddingDim * 4);
  params.top[params.top.length - 1].bias[0] = 0; // keep probabilities away from 0/1
  return { arch, config, params, state: allocOptimizerState(params, optimizer) };
}

function clone(p: DlrmParams): DlrmParams {
  const lin = (l: DlrmParams['bottom'][number]) => ({ ...l, weight: l.weight.slice(), bias: l.bias.slice() });
  return {
    bottom: p.bottom.map(lin),
    top: p.top.map(lin),
    tables: p.tables.map((t) => ({ ...t, chunks: t.chunks.map((c) => c.slice()) })),
  };
}

const rowOf = (p: DlrmParams, t: number, r: number): Float32Array => {
  const tab = p.tables[t],
    c = Math.floor(r / tab.chunkRows);
  return tab.chunks[c].subarray((r - c * tab.chunkRows) * tab.dim, (r - c * tab.chunkRows + 1) * tab.dim);
};

const cases: [InteractionOp, boolean, LossFunction, number][] = [
  ['dot', false, 'bce', 0],
  ['dot', true, 'wbce', 0],
  ['cat', false, 'mse', 0],
  ['dot', false, 'mse', 0.05],
];

for (const backend of TEST_BACKENDS) {
  for (const [op, itself, loss, threshold] of cases) {
    test(`[${backend}] ${op}${itself ? '+itself' : ''} ${loss}${threshold ? ` t=${threshold}` : ''}: forward and gradients match the float64 reference`, async () => {
      const { arch, config, params } = setup(op, itself, loss, 'sgd', threshold);
      const engine = await TfjsEngine.create(config, params, allocOptimizerState(params, 'sgd'), backend);
      try {
        const batch = randomBatch(new Rng(21), 6, 4, arch.tableSizes, 3);
        const pooled = referencePooled(params, batch);
        const ref = referenceForward(arch, params, config, batch.dense, pooled, batch.labels);
        const p = await engine.predict(batch);
        p.forEach((v, i) => assert.ok(Math.abs(v - ref.p[i]) < 1e-5, `p[${i}] ${v} vs ${ref.p[i]}`));
        assert.ok(Math.max(...ref.p) - Math.min(...ref.p) > 0.02, `probabilities should spread: ${ref.p.join(',')}`);
        const { loss: l, grads } = await engine.gradients(batch);
        assert.ok(Math.abs(l - ref.loss) < 1e-5 * (1 + ref.loss), `loss ${l} vs ${ref.loss}`);
        // finite differences of the reference loss in float64
        const f64 = {
          bottom: params.bottom.map((x) => ({
            ...x,
            weight: Float64Array.from(x.weight),
            bias: Float64Array.from(x.bias),
          })),
          top: params.top.map((x) => ({ ...x, weight: Float64Array.from(x.weight), bias: Float64Array.from(x.bias) })),
          tables: params.tables,
        };
        const L = () =>
          referenceForward(arch, f64 as unknown as DlrmParams, config, batch.dense, pooled, batch.labels).loss;
        const near = (g: number, fd: number, what: string) =>
          assert.ok(Math.abs(g - fd) < 1e-4 * (1 + Math.abs(fd)), `${what}: ${g} vs finite difference ${fd}`);
        for (const side of ['bottom', 'top'] as const) {
          f64[side].forEach((layer, li) => {
            for (let i = 0; i < layer.weight.length; i += 3)
              near(
                grads[side][li].weight[i],
                centralDifference(layer.weight, i, 1e-6, L),
                `${side}[${li}].weight[${i}]`,
              );
            for (let i = 0; i < layer.bias.length; i++)
              near(grads[side][li].bias[i], centralDifference(layer.bias, i, 1e-6, L), `${side}[${li}].bias[${i}]`);
          });
        }
        const T = arch.tableSizes.length,
          d = arch.embeddingDim;
        for (let t = 0; t < T; t++) {
          for (let b = 0; b < batch.size; b++)
            for (let k = 0; k < d; k++) {
              near(
                grads.pooled[t][b * d + k],
                centralDifference(pooled, (b * T + t) * d + k, 1e-6, L),
                `pooled[${t}][${b},${k}]`,
              );
            }
        }
      } finally {
        engine.dispose();
      }
    });
  }

  for (const optimizer of ['sgd', 'adagrad', 'rowwise-adagrad'] as const) {
    test(`[${backend}] one ${optimizer} step equals the hand-computed update`, async () => {
      const { arch, config, params, state } = setup('dot', false, 'bce', optimizer);
      // a previous accumulator value, so the step reads it
      for (const s of [...state.bottom, ...state.top]) {
        s.weight.fill(0.01);
        s.bias.fill(0.02);
      }
      for (const chunks of state.tables) for (const c of chunks) c.fill(0.03);
      const before = clone(params);
      const engine = await TfjsEngine.create(config, params, state, backend);
      try {
        const batch: Batch = randomBatch(new Rng(5), 8, 4, arch.tableSizes);
        batch.sparse[0].indices[0] = batch.sparse[0].indices[1] = 3; // the same row in two bags
        // multi-hot bags with a duplicate inside one bag and an empty bag
        batch.sparse[1] = {
          offsets: Uint32Array.from([0, 2, 2, 3, 4, 5, 6, 7, 8]),
          indices: Uint32Array.from([2, 2, 0, 1, 2, 3, 4, 0]),
        };
        const { grads }: { grads: DlrmGradients } = await engine.gradients(batch);
        const lr = 0.05,
          eps = 1e-10;
        const res = await engine.trainStep(batch, lr);
        assert.ok(Number.isFinite(res.loss) && res.predictions.length === 8);
        await engine.syncToHost();
        const upd = (w: number, g: number, acc: number) =>
          optimizer === 'sgd' ? w - lr * g : w - (lr * g) / (Math.sqrt(acc + g * g) + eps);
        for (const side of ['bottom', 'top'] as const) {
          params[side].forEach((layer, li) => {
            layer.weight.forEach((w, i) => {
              const exp = upd(before[side][li].weight[i], grads[side][li].weight[i], 0.01);
              assert.ok(Math.abs(w - exp) < 1e-5, `${side}[${li}].weight[${i}] ${w} vs ${exp}`);
            });
            layer.bias.forEach((w, i) =>
              assert.ok(Math.abs(w - upd(before[side][li].bias[i], grads[side][li].bias[i], 0.02)) < 1e-5),
            );
          });
          if (optimizer !== 'sgd') {
            const g = grads[side][0].weight[0];
            assert.ok(Math.abs(state[side][0].weight[0] - (0.01 + g * g)) < 1e-6, 'dense accumulator synced to host');
          }
        }
        // embeddings: coalesce the pooled gradients per (table, row) by hand
        const d = arch.embeddingDim;
        arch.tableSizes.forEach((rows, t) => {
          const { offsets, indices } = batch.sparse[t];
          for (let r = 0; r < rows; r++) {
            const g = new Float64Array(d);
            let hits = 0;
            for (let b = 0; b < batch.size; b++)
              for (let q = offsets[b]; q < offsets[b + 1]; q++) {
                if (indices[q] !== r) continue;
                hits++;
                for (let k = 0; k < d; k++) g[k] += grads.pooled[t][b * d + k];
              }
            const w0 = rowOf(before, t, r),
              w1 = rowOf(params, t, r);
            const rowAcc = 0.03 + g.reduce((s, v) => s + v * v, 0) / d;
            for (let k = 0; k < d; k++) {
              let exp = w0[k];
              if (hits > 0) {
                if (optimizer === 'sgd') exp -= lr * g[k];
                else if (optimizer === 'adagrad') exp -= (lr * g[k]) / (Math.sqrt(0.03 + g[k] * g[k]) + eps);
                else exp -= (lr * g[k]) / (Math.sqrt(rowAcc) + eps);
              }
              assert.ok(Math.abs(w1[k] - exp) < 1e-5, `table ${t} row ${r} k ${k}: ${w1[k]} vs ${exp} (${hits} hits)`);
            }
          }
        });
      } finally {
        engine.dispose();
      }
    });
  }

  test(`[${backend}] no tensor leaks over steps; loss decreases on a fixed batch`, async () => {
    const { arch, config, params, state } = setup('dot', false, 'bce', 'adagrad');
    const engine = await TfjsEngine.create(config, params, state, backend);
    const batch = randomBatch(new Rng(8), 32, 4, arch.tableSizes);
    const first = (await engine.trainStep(batch, 0.05)).loss;
    const count = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 20; i++) {
      last = (await engine.trainStep(batch, 0.05)).loss;
      await engine.predict(batch);
      await engine.gradients(batch);
      assert.equal(tf.memory().numTensors, count, `step ${i}: tensor count`);
    }
    assert.ok(last < first * 0.9, `loss ${first} -> ${last}`);
    engine.dispose();
  });
}

test('createEngine: tfjs (and auto with a backend) build a tfjs engine, native builds or fails clearly, bad shapes are user errors', async () => {
  const { config, params, state } = setup('dot', false, 'bce', 'sgd');
  const e = await createEngine({ engine: 'tfjs', backend: 'cpu' }, config, params, state);
  assert.equal(e.name, 'tfjs-cpu');
  e.dispose();
  // native: an engine when the addon is built, else a one-line UserError naming --engine native
  try {
    const native = await createEngine({ engine: 'native' }, config, params, state);
    assert.equal(native.name, 'native');
    native.dispose();
  } catch (err) {
    assert.ok(err instanceof UserError && /native/.test(err.message), String(err));
  }
  await assert.rejects(
    createEngine({ engine: 'tfjs', backend: 'tensorflow-gpu' }, config, params, state),
    (err: unknown) => err instanceof UserError && /--backend tensorflow-gpu: cannot load it/.test(err.message),
  );
  await assert.rejects(
    createEngine({ engine: 'auto', backend: 'cpu' }, { ...config, optimizer: 'adagrad' }, params, state),
    /optimizer state is for 'sgd'/,
  );
  const rowwise = allocOptimizerState(params, 'rowwise-adagrad');
  rowwise.tables[1][0] = new Float32Array(3);
  await assert.rejects(
    createEngine({ engine: 'tfjs', backend: 'cpu' }, { ...config, optimizer: 'rowwise-adagrad' }, params, rowwise),
    /'rowwise-adagrad' optimizer state does not match/,
  );
  const auto = await createEngine({ engine: 'auto', backend: 'wasm' }, config, params, state);
  assert.equal(auto.name, 'tfjs-wasm');
  await assert.rejects(
    auto.predict(randomBatch(new Rng(1), 2, 5, [7, 5, 9])),
    /batch has 5 dense features, the model expects 4/,
  );
  auto.dispose();
});
