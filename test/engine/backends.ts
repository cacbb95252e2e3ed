// Test helper: the tfjs backends the engine tests run on (cpu and wasm; the tensorflow ones when their
// native binding loads), and a gradient checker comparing tfjs gradients with central finite differences
// of an independent float64 function.
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectTfjsBackend, type TfjsBackendName } from '../../src/engine/tfjs/backend';
import { setupLogger } from '../../src/util/log';
import { Rng } from '../../src/util/random';
import { centralDifference } from '../model/referenceDlrm';

export const TEST_BACKENDS: TfjsBackendName[] = ['cpu', 'wasm'];

setupLogger({ level: 'warn' }); // no "TensorFlow.js backend: ..." line per engine in the test output

export async function useBackend(name: TfjsBackendName): Promise<void> {
  await selectTfjsBackend(name);
}

export interface GradInput {
  data: Float32Array;
  shape: number[];
  /** Skip the gradient check of this input (labels, constants). */
  constant?: boolean;
}

/**
 * Checks that tfFn's forward equals refFn's and that the gradients of L = sum(c * output) (c random)
 * match central differences of the float64 refFn, element by element (up to `maxChecks` per input).
 */
export function checkGradients(
  tfFn: (...xs: tf.Tensor[]) => tf.Tensor,
  refFn: (...xs: Float64Array[]) => number[],
  inputs: GradInput[],
  opts: { seed?: number; tol?: number; maxChecks?: number } = {},
): void {
  const rng = new Rng(opts.seed ?? 1);
  const tol = opts.tol ?? 2e-4;
  const a64 = inputs.map((i) => Float64Array.from(i.data));
  const refOut = refFn(...a64);
  const c = refOut.map(() => 2 * rng.next() - 1);
  const L = () => refFn(...a64).reduce((s, v, i) => s + c[i] * v, 0);
  const { out, grads } = tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(i.data, i.shape));
    const y = tfFn(...xs);
    // dy = c gives the gradients of sum(c * output) without differentiating any registered op
    const g = tf.grads((...a: tf.Tensor[]) => tfFn(...a))(xs, tf.tensor(c, y.shape));
    return { out: y.dataSync(), grads: g.map((t) => t.dataSync()) };
  });
  assert.equal(out.length, refOut.length, 'output length');
  out.forEach((v, i) =>
    assert.ok(Math.abs(v - refOut[i]) <= 1e-5 * (1 + Math.abs(refOut[i])), `output ${i}: ${v} vs ${refOut[i]}`),
  );
  inputs.forEach((inp, j) => {
    if (inp.constant) return;
    const n = inp.data.length,
      checks = Math.min(n, opts.maxChecks ?? 64);
    for (let q = 0; q < checks; q++) {
      const i = checks === n ? q : rng.nextInt(n);
      const fd = centralDifference(a64[j], i, 1e-6, L);
      assert.ok(
        Math.abs(grads[j][i] - fd) <= tol * (1 + Math.abs(fd)),
        `input ${j} element ${i}: gradient ${grads[j][i]} vs finite difference ${fd}`,
      );
    }
  });
}

export function randomArray(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => scale * (2 * rng.next() - 1));
}
