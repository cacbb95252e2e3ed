// Tests of the learning-rate schedule against an independent transcription of the reference scheduler
// (inside warmup and decay they must agree) and of the documented differences outside them.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { learningRateAt, LR_FLOOR, validateLrSchedule, type LrScheduleConfig } from '../../src/train/lrSchedule';
import { UserError } from '../../src/util/errors';

/** The reference LRPolicyScheduler.get_lr for step_count t, where it is defined (warmup and decay). */
function referenceLr(c: LrScheduleConfig, t: number): number | undefined {
  const W = c.lrNumWarmupSteps,
    S = c.lrDecayStartStep,
    D = c.lrNumDecaySteps;
  if (t < W) return c.learningRate * (1.0 - (W - t) / W);
  if (S <= t && t < S + D) return Math.max(1e-7, c.learningRate * ((D - (t - S)) / D) ** 2);
  return undefined;
}

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

test('inside warmup and decay the rate equals the reference formula', () => {
  const c: LrScheduleConfig = { learningRate: 4, lrNumWarmupSteps: 80, lrDecayStartStep: 480, lrNumDecaySteps: 270 };
  let checked = 0;
  for (let t = 1; t < 900; t++) {
    const ref = referenceLr(c, t);
    if (ref === undefined) continue;
    close(learningRateAt(c, t), ref);
    checked++;
  }
  assert.equal(checked, 79 + 270);
});

test('warmup reaches the base rate at step W and stays there until the decay (the reference sticks at base*(W-1)/W)', () => {
  const c: LrScheduleConfig = { learningRate: 0.5, lrNumWarmupSteps: 10, lrDecayStartStep: 20, lrNumDecaySteps: 5 };
  close(learningRateAt(c, 1), 0.05);
  close(learningRateAt(c, 9), 0.45);
  for (let t = 10; t <= 20; t++) assert.equal(learningRateAt(c, t), 0.5);
  close(learningRateAt(c, 21), 0.5 * (4 / 5) ** 2);
  close(learningRateAt(c, 24), 0.5 * (1 / 5) ** 2);
  // after the decay: held at the floor
  assert.equal(learningRateAt(c, 25), LR_FLOOR);
  assert.equal(learningRateAt(c, 10_000), LR_FLOOR);
});

test('the rate is monotone: non-decreasing through warmup, non-increasing from the decay on', () => {
  const c: LrScheduleConfig = { learningRate: 1, lrNumWarmupSteps: 7, lrDecayStartStep: 11, lrNumDecaySteps: 13 };
  for (let t = 1; t < 11; t++) assert.ok(learningRateAt(c, t + 1) >= learningRateAt(c, t));
  for (let t = 11; t < 40; t++) assert.ok(learningRateAt(c, t + 1) <= learningRateAt(c, t));
});

test('decay without warmup works (the reference crashes) and never goes below the floor', () => {
  const c: LrScheduleConfig = { learningRate: 1e-3, lrNumWarmupSteps: 0, lrDecayStartStep: 0, lrNumDecaySteps: 100 };
  validateLrSchedule(c);
  close(learningRateAt(c, 1), 1e-3 * (99 / 100) ** 2);
  for (let t = 1; t < 200; t++) assert.ok(learningRateAt(c, t) >= LR_FLOOR);
  assert.equal(learningRateAt({ ...c, learningRate: 1e-5 }, 99), LR_FLOOR); // 1e-5 * 0.01² is below the floor
});

test('no warmup and no decay: constant base rate', () => {
  const c: LrScheduleConfig = { learningRate: 0.1, lrNumWarmupSteps: 0, lrDecayStartStep: 0, lrNumDecaySteps: 0 };
  for (const t of [1, 2, 1000, 1e9]) assert.equal(learningRateAt(c, t), 0.1);
});

test('validation refuses a decay starting inside the warmup and bad numbers, naming the flag', () => {
  assert.throws(
    () => validateLrSchedule({ learningRate: 1, lrNumWarmupSteps: 100, lrDecayStartStep: 50, lrNumDecaySteps: 10 }),
    (e: unknown) => e instanceof UserError && /--lr-decay-start-step 50 is inside the warmup/.test(e.message),
  );
  assert.throws(
    () => validateLrSchedule({ learningRate: 0, lrNumWarmupSteps: 0, lrDecayStartStep: 0, lrNumDecaySteps: 0 }),
    /--learning-rate/,
  );
  assert.throws(
    () => validateLrSchedule({ learningRate: 1, lrNumWarmupSteps: -1, lrDecayStartStep: 0, lrNumDecaySteps: 0 }),
    /--lr-num-warmup-steps/,
  );
  // a decay start inside the warmup is harmless when there is no decay
  validateLrSchedule({ learningRate: 1, lrNumWarmupSteps: 100, lrDecayStartStep: 0, lrNumDecaySteps: 0 });
});
