// The bottom MLP on the dense features: Linear + ReLU after EVERY layer, the last included (as the
// reference). x [B, D] -> [B, d].
import type * as tf from '@tensorflow/tfjs-core';
import { linear, type LinearTensors } from './linear';

export function bottomMlp(x: tf.Tensor2D, layers: readonly LinearTensors[]): tf.Tensor2D {
  return layers.reduce((h, l) => linear(h, l.wt, l.b, 'relu'), x);
}
