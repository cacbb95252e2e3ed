// What `dlrm train` says when the loss, the predictions or the parameters become NaN or infinite: the step, the likely causes given the
// run's settings and the batch, and what happened to the checkpoint. Training stops with exit code 3.
import type { Batch } from '../dataset/batch';
import { UserError } from '../util/errors';
import type { TrainConfig } from './config';

export const DIVERGED_EXIT_CODE = 3;

/** Where the first non-finite dense value of a batch is, or null. */
function firstBadDense(batch: Batch): { row: number; feature: number; value: number } | null {
  for (let i = 0; i < batch.dense.length; i++) {
    const v = batch.dense[i];
    if (!Number.isFinite(v)) return { row: Math.floor(i / batch.numDense), feature: i % batch.numDense, value: v };
  }
  return null;
}

/**
 * The error for a diverged run: `what` went non-finite (e.g. 'the loss is NaN') at optimizer step
 * `step` (1-based) of epoch `epoch`, batch `batchInEpoch` (0-based); `batch` is the batch of that step
 * when known.
 */
export function divergenceError(
  what: string,
  at: { step: number; epoch: number; batchInEpoch: number; lr: number },
  batch: Batch | null,
  c: TrainConfig,
  checkpoint: { path: string; step: number } | null,
): UserError {
  const causes: string[] = [];
  const bad = batch && firstBadDense(batch);
  if (bad)
    causes.push(
      `the batch holds dense value ${bad.value} (row ${bad.row} of the batch, dense feature ${bad.feature + 1}): bad input values`,
    );
  if (at.step === 1 && c.loadModel) causes.push(`the loaded model ${c.loadModel} already produces non-finite outputs`);
  causes.push(
    `the learning rate ${at.lr} is too high for --optimizer ${c.optimizer} (try a smaller --learning-rate, or warm up with --lr-num-warmup-steps)`,
  );
  if (c.lossFunction === 'mse' && c.lossThreshold === 0)
    causes.push(
      '--loss-function mse with --loss-threshold 0 lets the sigmoid saturate; try --loss-function bce or a small --loss-threshold',
    );
  const saved = checkpoint
    ? `the last good checkpoint ${checkpoint.path} (step ${checkpoint.step}) was left as it was`
    : c.saveModel
      ? `no checkpoint had been written yet, so ${c.saveModel} was not touched`
      : 'no checkpoint was written (--save-model not given)';
  return new UserError(
    `training diverged: ${what} at step ${at.step} (epoch ${at.epoch}, batch ${at.batchInEpoch + 1}); likely causes: ${causes.join('; ')}. Stopped; ${saved}.`,
    DIVERGED_EXIT_CODE,
  );
}
