// The original DCN (--model dcn, src/model/deepCross.ts has the definition) on tfjs, from x_0 [B, N] to the
// logits [B, 1]: the cross layers x_{l+1} = x_0 (x_l w_l) + b_l + x_l (w_l held transposed as wt [N, 1] like
// every Linear, b_l [N]), the deep layers (ReLU after each) on x_0 and the output layer on [x_L, h]. Each
// differentiated function is a customGrad (tfjs-core registers no op gradients): with g = d(x_{l+1}) and
// s = x_l w_l [B, 1], d(x_0) = g s, ds = rowsum(g ⊙ x_0), d(x_l) = g + ds w_lᵀ, d(w_l) = x_lᵀ ds, d(b_l) = 1ᵀ g.
import * as tf from '@tensorflow/tfjs-core';
import { linear, type LinearTensors } from './linear';

const crossLayer = tf.customGrad<tf.Tensor2D>((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x0, xl, wt, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  const s = tf.matMul(xl, wt);
  save([x0, xl, wt, s]);
  return {
    value: tf.add<tf.Tensor2D>(tf.add(tf.mul(x0, s), b), xl),
    gradFunc: (g: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [x0s, xls, wts, ss] = saved as tf.Tensor2D[];
      const B = g.shape[0];
      const ds = tf.sum<tf.Tensor2D>(tf.mul(g, x0s), 1, true);
      return [
        tf.mul(g, ss),
        tf.add(g, tf.matMul(ds, tf.transpose(wts))),
        tf.matMul(tf.transpose(xls), ds),
        tf.reshape(tf.matMul(tf.ones([1, B]), g), [g.shape[1]]),
      ];
    },
  };
}) as (x0: tf.Tensor2D, xl: tf.Tensor2D, wt: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/** [a, b] along columns, with the gradient split back. */
const concatColumns = tf.customGrad<tf.Tensor2D>((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b] = args as [tf.Tensor2D, tf.Tensor2D];
  const [B, na] = a.shape,
    nb = b.shape[1];
  return {
    value: tf.concat([a, b], 1),
    gradFunc: (dy: tf.Tensor2D) => [tf.slice(dy, [0, 0], [B, na]), tf.slice(dy, [0, na], [B, nb])],
  };
}) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/** Logits [B, 1] from x_0 [B, N]; `top` is the deep layers then the output layer. */
export function deepCrossLogits(
  x0: tf.Tensor2D,
  cross: readonly LinearTensors[],
  top: readonly LinearTensors[],
): tf.Tensor2D {
  const xL = cross.reduce((xl, c) => crossLayer(x0, xl, c.wt, c.b), x0);
  const h = top.slice(0, -1).reduce((a, l) => linear(a, l.wt, l.b, 'relu'), x0);
  const out = top[top.length - 1];
  return linear(concatColumns(xL, h), out.wt, out.b, 'linear');
}
