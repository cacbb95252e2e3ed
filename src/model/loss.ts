// The losses of DLRM on probabilities p = clamp(sigmoid(z), t, 1-t) (t = lossThreshold, 0 = no clamp),
// engine-independent (plain numbers; engines implement the same formulas on tensors):
//   mse:  mean (p - y)^2
//   bce:  -mean [ y max(log p, -100) + (1-y) max(log(1-p), -100) ]      (PyTorch BCELoss)
//   wbce: as bce with per-row weights w = lossWeights[1] for y >= 0.5 (positives), lossWeights[0] otherwise.
// Gradient of the MEAN loss with respect to the logit z of row i (B rows, s = sigmoid(z)):
//   mse:  2 (p - y) s (1 - s) / B;   bce/wbce: w (s - y) / B;   both 0 where the clamp is active (s outside [t, 1-t]).
// (bce's gradient is that of the unclamped log, which differs from the clamped one only for p < e^-100.)
import type { LossFunction } from './arch';

export interface LossConfig {
  loss: LossFunction;
  /** wbce: weights of the negative and positive class. */
  lossWeights: [number, number];
  /** Clamp probabilities to [t, 1-t] before the loss (0 = off). */
  lossThreshold: number;
}

/** Per-row loss weights [B]: 1 for mse/bce, the class weight for wbce. */
export function lossWeights(labels: Float32Array, config: LossConfig): Float32Array {
  if (config.loss !== 'wbce') return new Float32Array(labels.length).fill(1);
  const [wNeg, wPos] = config.lossWeights;
  return Float32Array.from(labels, (y) => (y >= 0.5 ? wPos : wNeg));
}

/** The model output for logit z: sigmoid, clamped to [t, 1-t] when a threshold is set. */
export function outputProbability(z: number, threshold: number): number {
  const s = 1 / (1 + Math.exp(-z));
  return threshold > 0 ? Math.min(Math.max(s, threshold), 1 - threshold) : s;
}

/** The loss of one row (before the mean), given its output probability p, label y and weight w. */
export function rowLoss(p: number, y: number, w: number, config: LossConfig): number {
  if (config.loss === 'mse') return (p - y) ** 2;
  return -w * (y * Math.max(Math.log(p), -100) + (1 - y) * Math.max(Math.log(1 - p), -100));
}

/** Mean loss over a batch of output probabilities. */
export function meanLoss(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  weights: ArrayLike<number>,
  config: LossConfig,
): number {
  let s = 0;
  for (let i = 0; i < labels.length; i++) s += rowLoss(probabilities[i], labels[i], weights[i], config);
  return s / labels.length;
}
