// The tfjs model parts on the cpu and wasm backends: forward equal to plain float64 code and gradients equal
// to its central finite differences, for the dot interaction (with/without the diagonal), cat, Linear,
// bottom and top MLPs and the losses (mse, bce, wbce, with and without the threshold clamp).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { DotInteraction } from '../../src/engine/tfjs/dotInteraction';
import { catInteraction } from '../../src/engine/tfjs/catInteraction';
import { bottomMlp } from '../../src/engine/tfjs/bottomMlp';
import { linear } from '../../src/engine/tfjs/linear';
import { topMlp } from '../../src/engine/tfjs/topMlp';
import { makeLoss } from '../../src/engine/tfjs/loss';
import type { LossConfig } from '../../src/model/loss';
import { Rng } from '../../src/util/random';
import { interactionRow, lossRow } from '../model/referenceDlrm';
import { checkGradients, randomArray, TEST_BACKENDS, useBackend } from './backends';

/** float64 x [B,in] . wt [in,out] + b, optional relu. */
function refLinear(
  x: Float64Array,
  wt: Float64Array,
  b: Float64Array,
  B: number,
  inF: number,
  outF: number,
  relu: boolean,
): Float64Array {
  const y = new Float64Array(B * outF);
  for (let r = 0; r < B; r++)
    for (let o = 0; o < outF; o++) {
      let s = b[o];
      for (let i = 0; i < inF; i++) s += x[r * inF + i] * wt[i * outF + o];
      y[r * outF + o] = relu && s < 0 ? 0 : s;
    }
  return y;
}

function refInteraction(
  x: Float64Array,
  e: Float64Array,
  B: number,
  T: number,
  d: number,
  op: 'dot' | 'cat',
  itself: boolean,
): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    const xr = Array.from(x.subarray(b * d, (b + 1) * d));
    const er = Array.from({ length: T }, (_, t) => Array.from(e.subarray((b * T + t) * d, (b * T + t + 1) * d)));
    out.push(...interactionRow(xr, er, { interaction: op, interactionItself: itself }));
  }
  return out;
}

for (const backend of TEST_BACKENDS) {
  test(`[${backend}] dot interaction example: x=[1,2], e0=[3,4], e1=[5,6]`, async () => {
    await useBackend(backend);
    const x = tf.tensor2d([[1, 2]]),
      e = tf.tensor3d([
        [
          [3, 4],
          [5, 6],
        ],
      ]);
    for (const strategy of ['tensor', 'host'] as const) {
      for (const [itself, expected] of [
        [false, [1, 2, 11, 17, 39]],
        [true, [1, 2, 5, 11, 25, 17, 39, 61]],
      ] as const) {
        const dot = new DotInteraction(2, itself, strategy);
        const out = dot.apply(x, e);
        assert.deepEqual(Array.from(out.dataSync()), expected, `${strategy} itself=${itself}`);
        out.dispose();
        dot.dispose();
      }
    }
    tf.dispose([x, e]);
  });

  for (const [itself, strategy] of [
    [false, 'tensor'],
    [true, 'tensor'],
    [false, 'host'],
    [true, 'host'],
  ] as const) {
    test(`[${backend}] dot interaction gradients (itself=${itself}, ${strategy})`, async () => {
      await useBackend(backend);
      const rng = new Rng(2),
        B = 3,
        T = 4,
        d = 5;
      const dot = new DotInteraction(T, itself, strategy);
      checkGradients(
        (x, e) => dot.apply(x as tf.Tensor2D, e as tf.Tensor3D),
        (x, e) => refInteraction(x, e, B, T, d, 'dot', itself),
        [
          { data: randomArray(rng, B * d), shape: [B, d] },
          { data: randomArray(rng, B * T * d), shape: [B, T, d] },
        ],
      );
      dot.dispose();
    });
  }

  test(`[${backend}] cat interaction gradients`, async () => {
    await useBackend(backend);
    const rng = new Rng(3),
      B = 2,
      T = 3,
      d = 4;
    checkGradients(
      (x, e) => catInteraction(x as tf.Tensor2D, e as tf.Tensor3D),
      (x, e) => refInteraction(x, e, B, T, d, 'cat', false),
      [
        { data: randomArray(rng, B * d), shape: [B, d] },
        { data: randomArray(rng, B * T * d), shape: [B, T, d] },
      ],
    );
  });

  test(`[${backend}] Linear (relu and linear) gradients`, async () => {
    await useBackend(backend);
    const rng = new Rng(4),
      B = 5,
      I = 6,
      O = 7;
    for (const act of ['relu', 'linear'] as const) {
      checkGradients(
        (x, wt, b) => linear(x as tf.Tensor2D, wt as tf.Tensor2D, b as tf.Tensor1D, act),
        (x, wt, b) => Array.from(refLinear(x, wt, b, B, I, O, act === 'relu')),
        [
          { data: randomArray(rng, B * I), shape: [B, I] },
          { data: randomArray(rng, I * O), shape: [I, O] },
          { data: randomArray(rng, O), shape: [O] },
        ],
      );
    }
  });

  for (const which of ['bottom', 'top'] as const) {
    test(`[${backend}] ${which} MLP gradients`, async () => {
      await useBackend(backend);
      const rng = new Rng(5),
        B = 4,
        widths = [5, 8, 6, which === 'top' ? 1 : 3];
      const inputs = [{ data: randomArray(rng, B * widths[0]), shape: [B, widths[0]] }];
      for (let l = 1; l < widths.length; l++) {
        inputs.push({ data: randomArray(rng, widths[l - 1] * widths[l]), shape: [widths[l - 1], widths[l]] });
        inputs.push({ data: randomArray(rng, widths[l], 0.3), shape: [widths[l]] });
      }
      const layersOf = <T>(w: T[]) =>
        Array.from({ length: widths.length - 1 }, (_, l) => ({ wt: w[2 * l], b: w[2 * l + 1] }));
      checkGradients(
        (x, ...w) => {
          const layers = layersOf(w).map((l) => ({ wt: l.wt as tf.Tensor2D, b: l.b as tf.Tensor1D }));
          return which === 'bottom' ? bottomMlp(x as tf.Tensor2D, layers) : topMlp(x as tf.Tensor2D, layers);
        },
        (x, ...w) => {
          let h = x;
          layersOf(w).forEach((l, i) => {
            h = refLinear(h, l.wt, l.b, B, widths[i], widths[i + 1], which === 'bottom' || i < widths.length - 2);
          });
          return Array.from(h);
        },
        inputs,
      );
    });
  }

  const losses: [string, LossConfig][] = [
    ['mse', { loss: 'mse', lossWeights: [1, 1], lossThreshold: 0 }],
    ['bce', { loss: 'bce', lossWeights: [1, 1], lossThreshold: 0 }],
    ['wbce 0.3-2', { loss: 'wbce', lossWeights: [0.3, 2], lossThreshold: 0 }],
    ['bce threshold 0.2', { loss: 'bce', lossWeights: [1, 1], lossThreshold: 0.2 }],
    ['mse threshold 0.2', { loss: 'mse', lossWeights: [1, 1], lossThreshold: 0.2 }],
  ];
  for (const [label, config] of losses) {
    test(`[${backend}] loss ${label}: value and d/dlogits`, async () => {
      await useBackend(backend);
      const B = 8;
      const logits = Float32Array.from({ length: B }, (_, i) => -3 + (6 * i) / (B - 1) + 0.01);
      const labels = Float32Array.from({ length: B }, (_, i) => (i % 3 === 0 ? 1 : 0));
      const weights = Float32Array.from(labels, (y) =>
        config.loss === 'wbce' ? (y >= 0.5 ? config.lossWeights[1] : config.lossWeights[0]) : 1,
      );
      const loss = makeLoss(config);
      checkGradients(
        (z, y, w) => loss(z as tf.Tensor1D, y as tf.Tensor1D, w as tf.Tensor1D),
        (z, y, w) => {
          let s = 0;
          z.forEach((zi, i) => {
            let p = 1 / (1 + Math.exp(-zi));
            if (config.lossThreshold > 0) p = Math.min(Math.max(p, config.lossThreshold), 1 - config.lossThreshold);
            s += lossRow(p, y[i], w[i], config);
          });
          return [s / z.length];
        },
        [
          { data: logits, shape: [B] },
          { data: labels, shape: [B], constant: true },
          { data: weights, shape: [B], constant: true },
        ],
      );
    });
  }

  test(`[${backend}] bce stays finite when the sigmoid saturates (log clamp at -100)`, async () => {
    await useBackend(backend);
    const loss = makeLoss({ loss: 'bce', lossWeights: [1, 1], lossThreshold: 0 });
    const [value, grad] = tf.tidy(() => {
      const z = tf.tensor1d([200, -200]),
        y = tf.tensor1d([0, 1]),
        w = tf.ones<tf.Rank.R1>([2]);
      return [
        loss(z, y, w).dataSync()[0],
        tf
          .grad((zz: tf.Tensor) => loss(zz as tf.Tensor1D, y, w))(z)
          .dataSync(),
      ];
    });
    assert.equal(value, 100);
    assert.deepEqual(Array.from(grad), [0.5, -0.5]);
  });
}
