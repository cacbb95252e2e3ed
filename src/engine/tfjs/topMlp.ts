// The top MLP on the interaction output: ReLU between layers, none after the last, so it returns logits
// [B, 1] (the sigmoid is applied by the loss and by outputProbabilities). z [B, topIn] -> [B, 1].
import type * as tf from '@tensorflow/tfjs-core';
import { linear, type LinearTensors } from './linear';

export function topMlp(x: tf.Tensor2D, layers: readonly LinearTensors[]): tf.Tensor2D {
  return layers.reduce((h, l, i) => linear(h, l.wt, l.b, i === layers.length - 1 ? 'linear' : 'relu'), x);
}
