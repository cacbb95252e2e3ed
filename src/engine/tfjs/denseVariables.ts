// The dense layers as tf.Variables: each Linear's weight is held transposed, wt [in, out] (see linear.ts),
// next to its bias [out] and, for Adagrad, accumulators of the same shapes. Copies between the PyTorch
// host layout (weight [out, in]) and the variables, and the dense optimizer step:
//   sgd: w -= lr g;   adagrad (also for rowwise-adagrad): acc += g^2; w -= lr g / (sqrt(acc) + 1e-10).
import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerName } from '../../model/arch';
import type { LinearState } from '../../model/optimizerState';
import type { LinearParams } from '../../model/params';
import { ADAGRAD_EPS } from '../../embedding/sparseOptimizers';

/** [rows, cols] row-major -> [cols, rows] row-major. */
export function transposeMatrix(
  a: Float32Array,
  rows: number,
  cols: number,
  out: Float32Array = new Float32Array(rows * cols),
): Float32Array {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

export interface DenseLayerVariables {
  wt: tf.Variable<tf.Rank.R2>;
  b: tf.Variable<tf.Rank.R1>;
  /** Adagrad accumulators (absent for sgd). */
  accWt?: tf.Variable<tf.Rank.R2>;
  accB?: tf.Variable<tf.Rank.R1>;
}

export function createDenseVariables(
  layer: LinearParams,
  state: LinearState,
  optimizer: OptimizerName,
): DenseLayerVariables {
  const { inFeatures: i, outFeatures: o } = layer;
  const v: DenseLayerVariables = {
    wt: tf.variable(tf.tensor2d(transposeMatrix(layer.weight, o, i), [i, o])),
    b: tf.variable(tf.tensor1d(layer.bias)),
  };
  if (optimizer !== 'sgd') {
    v.accWt = tf.variable(tf.tensor2d(transposeMatrix(state.weight, o, i), [i, o]), false);
    v.accB = tf.variable(tf.tensor1d(state.bias), false);
  }
  return v;
}

/** Copies the variables back into the host layer (and its optimizer state). */
export async function readDenseVariables(
  v: DenseLayerVariables,
  layer: LinearParams,
  state: LinearState,
): Promise<void> {
  const { inFeatures: i, outFeatures: o } = layer;
  transposeMatrix((await v.wt.data()) as Float32Array, i, o, layer.weight);
  layer.bias.set(await v.b.data());
  if (v.accWt && v.accB) {
    transposeMatrix((await v.accWt.data()) as Float32Array, i, o, state.weight);
    state.bias.set(await v.accB.data());
  }
}

function step<R extends tf.Rank>(
  w: tf.Variable<R>,
  acc: tf.Variable<R> | undefined,
  g: tf.Tensor,
  lr: tf.Scalar,
): void {
  if (!acc) {
    w.assign(tf.sub<tf.Tensor<R>>(w, tf.mul(lr, g)));
    return;
  }
  const a = tf.add<tf.Tensor<R>>(acc, tf.square(g));
  acc.assign(a);
  w.assign(tf.sub<tf.Tensor<R>>(w, tf.div(tf.mul(lr, g), tf.add(tf.sqrt(a), ADAGRAD_EPS))));
}

/** One optimizer step of a layer's weight alone (a dcn V layer, which has no bias; call inside tf.tidy). */
export function updateDenseWeight(v: DenseLayerVariables, gWt: tf.Tensor, lr: tf.Scalar): void {
  step(v.wt, v.accWt, gWt, lr);
}

/** One optimizer step of a layer from its gradients (call inside tf.tidy). */
export function updateDenseVariables(v: DenseLayerVariables, gWt: tf.Tensor, gB: tf.Tensor, lr: tf.Scalar): void {
  step(v.wt, v.accWt, gWt, lr);
  step(v.b, v.accB, gB, lr);
}

export function disposeDenseVariables(v: DenseLayerVariables): void {
  for (const t of [v.wt, v.b, v.accWt, v.accB]) t?.dispose();
}
