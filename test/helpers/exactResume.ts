// The exact-resume check of a model family: one uninterrupted run against the same run stopped after a
// step, saved, loaded and finished; every parameter and optimizer-state float must match bit for bit.
import * as assert from 'node:assert/strict';
import type { TrainConfig } from '../../src/train/config';
import { runTraining, type TrainResult } from '../../src/train/train';
import { modelFloats } from './modelFloats';

const bits = (r: TrainResult) => new Uint32Array(modelFloats(r.model.params, r.model.optimizerState).buffer);

/**
 * Trains `config(base)` whole, then stops the same run after step `stopAt` (saved to `file`) and resumes it
 * from `file` to the end; asserts both end at `endStep` with the same bits. `file` then holds the resumed
 * run's final checkpoint.
 */
export async function assertExactResume(
  config: (over: Partial<TrainConfig>) => TrainConfig,
  base: Partial<TrainConfig>,
  file: string,
  stopAt: number,
  endStep: number,
): Promise<void> {
  const whole = await runTraining(config(base));
  const first = await runTraining(config({ ...base, saveModel: file }), {
    shouldStop: (p) => p.globalStep === stopAt,
  });
  assert.equal(first.stopped, true);
  const rest = await runTraining(config({ ...base, saveModel: file, loadModel: file }));
  assert.equal(rest.globalStep, endStep);
  const [a, b] = [bits(rest), bits(whole)];
  assert.equal(a.length, b.length);
  assert.ok(
    a.every((v, i) => v === b[i]),
    'parameters and optimizer state differ',
  );
}
