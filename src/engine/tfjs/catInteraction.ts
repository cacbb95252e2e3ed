// The `cat` interaction: [x, e_1, ..., e_T] concatenated, x [B,d], pooled bags [B,T,d] -> [B, d(T+1)],
// with an explicit gradient (slices of dy), like every differentiated function of the engine:
// @tensorflow/tfjs-core alone registers no op gradients, so the engine only differentiates customGrads.
import * as tf from '@tensorflow/tfjs-core';

export const catInteraction = tf.customGrad<tf.Tensor2D>((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, pooled] = args as [tf.Tensor2D, tf.Tensor3D];
  const [B, T, d] = pooled.shape;
  return {
    value: tf.concat([x, tf.reshape(pooled, [B, T * d])], 1),
    gradFunc: (dy: tf.Tensor2D) => [
      tf.slice(dy, [0, 0], [B, d]),
      tf.reshape(tf.slice(dy, [0, d], [B, T * d]), [B, T, d]),
    ],
  };
}) as (x: tf.Tensor2D, pooled: tf.Tensor3D) => tf.Tensor2D;
