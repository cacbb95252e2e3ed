// The loss on logits [B] with an explicit gradient, formulas as src/model/loss.ts: sigmoid, optional clamp
// to [t, 1-t], then mse / bce / wbce (weights [B] from lossWeights); d(mean loss)/dz is computed in closed
// form (w (s - y)/B for bce) instead of differentiating through log and sigmoid, so it stays finite when the
// sigmoid saturates (and no registered op gradient is needed: @tensorflow/tfjs-core alone has none). Also the model output (clamped probabilities) for predictions.
import * as tf from '@tensorflow/tfjs-core';
import type { LossConfig } from '../../model/loss';

/** Model outputs: sigmoid(z), clamped to [t, 1-t] when lossThreshold t > 0. */
export function outputProbabilities(logits: tf.Tensor, threshold: number): tf.Tensor1D {
  const s = tf.sigmoid(tf.reshape<tf.Rank.R1>(logits, [-1]));
  return threshold > 0 ? tf.clipByValue(s, threshold, 1 - threshold) : s;
}

/** Mean loss of logits [B] or [B, 1] (the top MLP's output shape). */
export type LossFn = (logits: tf.Tensor1D | tf.Tensor2D, labels: tf.Tensor1D, weights: tf.Tensor1D) => tf.Scalar;

/** The mean loss as a differentiable function of the logits (labels and weights get zero gradients). */
export function makeLoss(config: LossConfig): LossFn {
  const t = config.lossThreshold;
  return tf.customGrad<tf.Scalar>((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [logits, y, w, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const s = tf.sigmoid(tf.reshape(logits, [-1]));
    const p = t > 0 ? tf.clipByValue(s, t, 1 - t) : s;
    let value: tf.Scalar;
    if (config.loss === 'mse') {
      value = tf.mean(tf.squaredDifference(p, y));
    } else {
      const logP = tf.maximum(tf.log(p), -100);
      const log1mP = tf.maximum(tf.log(tf.sub(1, p)), -100);
      value = tf.neg(tf.mean(tf.mul(w, tf.add(tf.mul(y, logP), tf.mul(tf.sub(1, y), log1mP))))) as tf.Scalar;
    }
    save([s, p, y, w]);
    return {
      value,
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
        const [ss, ps, ys, ws] = saved as tf.Tensor1D[];
        const B = ss.shape[0];
        let g =
          config.loss === 'mse'
            ? tf.mul(tf.mul(tf.sub(ps, ys), tf.mul(ss, tf.sub(1, ss))), 2 / B)
            : tf.div(tf.mul(ws, tf.sub(ss, ys)), B);
        if (t > 0) g = tf.mul(g, tf.cast(tf.logicalAnd(tf.greaterEqual(ss, t), tf.lessEqual(ss, 1 - t)), 'float32'));
        return [tf.reshape(tf.mul(g, dy), logits.shape), tf.zerosLike(ys), tf.zerosLike(ws)];
      },
    };
  });
}
