// The learning-rate schedule of `dlrm train`: linear warmup over W steps, constant base rate, then a
// polynomial (power 2) decay over D steps starting at step S, never below LR_FLOOR. Steps are counted
// from 1 (the step being taken), as the reference counts them, so inside warmup and decay the rates are
// the reference's. Where it differs from the reference on purpose (docs/TRAINING.md, "LR schedule"):
//   - warmup ends at the base rate (step W uses base, not base*(W-1)/W) and the rate stays at base
//     between warmup and decay (the reference stays stuck at base*(W-1)/W);
//   - decay without warmup works (the reference crashes);
//   - after the decay the rate holds at the floor (the reference holds max(floor, base/D²), the same for
//     every realistic D).
import { UserError } from '../util/errors';

/** The smallest learning rate the decay goes down to (the reference's min_lr). */
export const LR_FLOOR = 1e-7;

export interface LrScheduleConfig {
  /** Base learning rate. */
  learningRate: number;
  /** W: warmup steps (0 = none). */
  lrNumWarmupSteps: number;
  /** S: step at which the decay starts. */
  lrDecayStartStep: number;
  /** D: decay steps (0 = no decay). */
  lrNumDecaySteps: number;
}

/** A decimal number as text (no 'NaN', 'Infinity', hex or trailing characters). */
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/**
 * The one check of a learning rate, wherever it is given: the --learning-rate flag (text), a config file
 * or a checkpoint's saved settings (JSON), the schedule's base rate. Returns it as a number, or throws a
 * UserError `<where>: <value> is not a learning rate: it must be a positive finite number, e.g. 0.1`.
 */
export function checkLearningRate(value: unknown, where: string): number {
  const n =
    typeof value === 'number' ? value : typeof value === 'string' && DECIMAL.test(value.trim()) ? Number(value) : NaN;
  if (n > 0 && Number.isFinite(n)) return n;
  const shown =
    typeof value === 'string' ? `'${value}'` : typeof value === 'number' ? String(value) : JSON.stringify(value);
  throw new UserError(`${where}: ${shown} is not a learning rate: it must be a positive finite number, e.g. 0.1`);
}

/** Refuses schedules that make no sense (a bad base rate, negative counts, decay starting inside the warmup). */
export function validateLrSchedule(c: LrScheduleConfig): void {
  checkLearningRate(c.learningRate, '--learning-rate');
  for (const [flag, v] of [
    ['--lr-num-warmup-steps', c.lrNumWarmupSteps],
    ['--lr-decay-start-step', c.lrDecayStartStep],
    ['--lr-num-decay-steps', c.lrNumDecaySteps],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new UserError(`${flag}: ${v} must be a non-negative integer`);
  }
  if (c.lrNumDecaySteps > 0 && c.lrDecayStartStep < c.lrNumWarmupSteps) {
    throw new UserError(
      `--lr-decay-start-step ${c.lrDecayStartStep} is inside the warmup (--lr-num-warmup-steps ${c.lrNumWarmupSteps}): the decay must start after the warmup ends`,
    );
  }
}

/**
 * The learning rate for optimizer step `step` (1-based: the first training step is step 1), counted
 * over the whole run (epochs included, resumes included).
 */
export function learningRateAt(c: LrScheduleConfig, step: number): number {
  const base = c.learningRate;
  const W = c.lrNumWarmupSteps;
  const S = c.lrDecayStartStep;
  const D = c.lrNumDecaySteps;
  if (W > 0 && step < W) return (base * step) / W;
  if (D > 0 && step >= S) {
    const remaining = Math.max(0, S + D - step) / D;
    return Math.max(LR_FLOOR, base * remaining * remaining);
  }
  return base;
}
