// The dcn interaction's low-rank cross network on tfjs (src/model/crossNet.ts has the definition):
// x_{l+1} = x_0 ⊙ (W_l (V_l x_l) + b_l) + x_l on x_0 [B, N], two Linear layers per cross layer (linear.ts,
// weights held transposed: vt [N, r], wt [r, N]) and one customGrad for the combination, since tfjs-core
// registers no op gradients: d(x_0) = g ⊙ z, dz = g ⊙ x_0, d(x_l) = g.
import * as tf from '@tensorflow/tfjs-core';
import { linear } from './linear';

/** One cross layer's tensors: V_lᵀ [N, r] (no bias), W_lᵀ [r, N] and b_l [N]. */
export interface CrossLayerTensors {
  vt: tf.Tensor2D;
  wt: tf.Tensor2D;
  b: tf.Tensor1D;
}

const crossCombine = tf.customGrad<tf.Tensor2D>((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x0, z, xl, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([x0, z]);
  return {
    value: tf.add<tf.Tensor2D>(tf.mul(x0, z), xl),
    gradFunc: (g: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [x0s, zs] = saved as tf.Tensor2D[];
      return [tf.mul(g, zs), tf.mul(g, x0s), g];
    },
  };
}) as (x0: tf.Tensor2D, z: tf.Tensor2D, xl: tf.Tensor2D) => tf.Tensor2D;

/** x_L [B, N] from x_0 [B, N]. */
export function crossNet(x0: tf.Tensor2D, layers: CrossLayerTensors[]): tf.Tensor2D {
  let xl = x0;
  for (const { vt, wt, b } of layers) {
    const xv = linear(xl, vt, tf.zeros([vt.shape[1]]), 'linear');
    xl = crossCombine(x0, linear(xv, wt, b, 'linear'), xl);
  }
  return xl;
}
