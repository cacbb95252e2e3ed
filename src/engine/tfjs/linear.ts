// One Linear layer y = act(x W^T + b) with an explicit gradient. The weight is held TRANSPOSED as
// wt [in, out] so that the forward is a plain matMul(x [B,in], wt [in,out]); the backward transposes
// explicitly and again uses plain matMuls (dx = dy' wt^T, dwt = x^T dy', db = 1^T dy'), because the wasm
// backend only reaches XNNPACK when neither matMul input is flagged as transposed.
import * as tf from '@tensorflow/tfjs-core';

export type LinearActivation = 'relu' | 'linear';

function makeLinear(activation: LinearActivation): (x: tf.Tensor2D, wt: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D {
  return tf.customGrad<tf.Tensor2D>((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, wt, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const y = tf.fused.matMul({ a: x, b: wt, bias: b, activation }) as tf.Tensor2D;
    save(activation === 'relu' ? [x, wt, y] : [x, wt]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [xs, wts, ys] = saved as tf.Tensor2D[];
        const g = activation === 'relu' ? tf.mul(dy, tf.step(ys)) : dy;
        // db = 1^T g as a matMul: wasm's Sum over axis 0 transposes first and is slower
        const [B, O] = g.shape as [number, number];
        const db = tf.reshape(tf.matMul(tf.ones([1, B]), g), [O]);
        return [tf.matMul(g, tf.transpose(wts)), tf.matMul(tf.transpose(xs), g), db];
      },
    };
  });
}

const linearRelu = makeLinear('relu');
const linearOnly = makeLinear('linear');

/** act(x wt + b) for x [B, in], wt [in, out], b [out] -> [B, out]. */
export function linear(x: tf.Tensor2D, wt: tf.Tensor2D, b: tf.Tensor1D, activation: LinearActivation): tf.Tensor2D {
  return activation === 'relu' ? linearRelu(x, wt, b) : linearOnly(x, wt, b);
}

/** The tensors of one layer as the engine holds them. */
export interface LinearTensors {
  wt: tf.Tensor2D;
  b: tf.Tensor1D;
}
