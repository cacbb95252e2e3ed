// Binary click-prediction metrics from model scores (probabilities, Float32Array [N]) and labels ([N],
// 0/1; a label >= 0.5 counts as a click): accuracy, exact ROC AUC, logloss, normalized entropy,
// calibration and average precision. The one metrics module: train-time eval, `dlrm eval` and the
// benchmarks all use it. Everything works on typed arrays (no JS object per row), so tens of millions
// of rows are fine: AUC and average precision sort the positive and the negative scores separately and
// merge-count them (radix sort, O(n)). Undefined values (AUC or average precision with one class only, any
// metric of an empty input, NE when the observed click rate is 0 or 1) are NaN; see docs/METRICS.md.
import { sortFloat32 } from './sortFloat32';

export interface BinaryMetrics {
  /** Number of rows N. */
  rows: number;
  /** Observed click rate: mean label. */
  positiveRate: number;
  /** Fraction of rows where (score >= 0.5) equals (label >= 0.5). */
  accuracy: number;
  /** Exact ROC AUC, ties between a positive and a negative count one half. */
  auc: number;
  /** Mean binary cross-entropy, logs clamped at -100 like the reference's BCELoss. */
  logloss: number;
  /** Normalized entropy: logloss divided by the entropy of the observed click rate. */
  ne: number;
  /** Mean score divided by the observed click rate (1 = calibrated). */
  calibration: number;
  /** Average precision, scikit-learn's definition (tied scores form one threshold). */
  averagePrecision: number;
}

/** The lowest value a log takes in the logloss (PyTorch's BCELoss clamps its logs at -100). */
export const LOG_CLAMP = -100;

/** Scores and labels of the same length, labels as any numeric typed array. */
export type Labels = Float32Array | Float64Array | Uint8Array;

function checkLengths(scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (scores.length !== labels.length) throw new Error(`metrics: ${scores.length} scores but ${labels.length} labels`);
}

function isPositive(label: number): boolean {
  return label >= 0.5;
}

/** Positive and negative scores, each sorted ascending; null when a score is NaN. */
function sortedByClass(scores: Float32Array, labels: Labels): { pos: Float32Array; neg: Float32Array } | null {
  let numPos = 0;
  for (let i = 0; i < labels.length; i++) {
    if (Number.isNaN(scores[i])) return null;
    if (isPositive(labels[i])) numPos++;
  }
  const pos = new Float32Array(numPos);
  const neg = new Float32Array(labels.length - numPos);
  let p = 0;
  let n = 0;
  for (let i = 0; i < labels.length; i++) {
    if (isPositive(labels[i])) pos[p++] = scores[i];
    else neg[n++] = scores[i];
  }
  sortFloat32(pos);
  sortFloat32(neg);
  return { pos, neg };
}

/**
 * ROC AUC from ascending positive and negative scores: the probability that a random positive scores
 * above a random negative, ties counting one half. NaN when either class is empty.
 */
function aucFromSorted(pos: Float32Array, neg: Float32Array): number {
  if (pos.length === 0 || neg.length === 0) return NaN;
  let below = 0; // negatives strictly below the current positive score
  let wins = 0; // sum over positives of (negatives below + half the negatives tied)
  let i = 0;
  while (i < pos.length) {
    const v = pos[i];
    let j = i;
    while (j < pos.length && pos[j] === v) j++;
    while (below < neg.length && neg[below] < v) below++;
    let tied = below;
    while (tied < neg.length && neg[tied] === v) tied++;
    wins += (j - i) * (below + (tied - below) / 2);
    i = j;
  }
  return wins / pos.length / neg.length;
}

/**
 * Average precision as scikit-learn computes it: sum over distinct thresholds (descending) of
 * (recall gain) x precision, all rows with the same score entering at once. NaN without positives.
 */
function averagePrecisionFromSorted(pos: Float32Array, neg: Float32Array): number {
  if (pos.length === 0) return NaN;
  let p = pos.length - 1;
  let n = neg.length - 1;
  let tp = 0;
  let fp = 0;
  let ap = 0;
  while (p >= 0) {
    const v = n >= 0 && neg[n] > pos[p] ? neg[n] : pos[p];
    const tpBefore = tp;
    while (p >= 0 && pos[p] === v) {
      tp++;
      p--;
    }
    while (n >= 0 && neg[n] === v) {
      fp++;
      n--;
    }
    ap += ((tp - tpBefore) / pos.length) * (tp / (tp + fp));
  }
  return ap;
}

/** Exact ROC AUC (ties count one half); NaN with one class only, an empty input or a NaN score. */
export function rocAuc(scores: Float32Array, labels: Labels): number {
  checkLengths(scores, labels);
  const s = sortedByClass(scores, labels);
  return s ? aucFromSorted(s.pos, s.neg) : NaN;
}

/** Average precision (scikit-learn's average_precision_score); NaN without positives or with a NaN score. */
export function averagePrecision(scores: Float32Array, labels: Labels): number {
  checkLengths(scores, labels);
  const s = sortedByClass(scores, labels);
  return s ? averagePrecisionFromSorted(s.pos, s.neg) : NaN;
}

/** The binary cross-entropy of one row, logs clamped at -100 (soft labels allowed). */
export function binaryCrossEntropy(score: number, label: number): number {
  const logP = Math.max(Math.log(score), LOG_CLAMP);
  const log1mP = Math.max(Math.log(1 - score), LOG_CLAMP);
  return -(label * logP + (1 - label) * log1mP);
}

/** Mean binary cross-entropy with the reference's clamping; NaN for an empty input. */
export function logLoss(scores: Float32Array, labels: Labels): number {
  checkLengths(scores, labels);
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += binaryCrossEntropy(scores[i], labels[i]);
  return sum / scores.length;
}

/** Entropy (nats) of a Bernoulli variable with probability `rate`; 0 at rate 0 or 1. */
export function bernoulliEntropy(rate: number): number {
  if (rate <= 0 || rate >= 1) return 0;
  return -(rate * Math.log(rate) + (1 - rate) * Math.log(1 - rate));
}

/** Rows where (score >= 0.5) equals (label >= 0.5): accuracy's numerator (also training's per-window accuracy). */
export function countCorrect(scores: Float32Array, labels: Labels): number {
  checkLengths(scores, labels);
  let correct = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i] >= 0.5 === isPositive(labels[i])) correct++;
  return correct;
}

/** All metrics of `scores` against `labels` (see BinaryMetrics). */
export function computeMetrics(scores: Float32Array, labels: Labels): BinaryMetrics {
  checkLengths(scores, labels);
  const rows = scores.length;
  let labelSum = 0;
  let scoreSum = 0;
  let bce = 0;
  for (let i = 0; i < rows; i++) {
    const s = scores[i];
    const y = labels[i];
    labelSum += y;
    scoreSum += s;
    bce += binaryCrossEntropy(s, y);
  }
  const positiveRate = labelSum / rows;
  const logloss = bce / rows;
  const entropy = bernoulliEntropy(positiveRate);
  const sorted = sortedByClass(scores, labels);
  return {
    rows,
    positiveRate,
    accuracy: countCorrect(scores, labels) / rows,
    auc: sorted ? aucFromSorted(sorted.pos, sorted.neg) : NaN,
    logloss,
    ne: entropy > 0 ? logloss / entropy : NaN,
    calibration: positiveRate > 0 ? scoreSum / rows / positiveRate : NaN,
    averagePrecision: sorted ? averagePrecisionFromSorted(sorted.pos, sorted.neg) : NaN,
  };
}

/**
 * Collects scores and labels batch by batch into growing typed arrays, then computes all metrics at
 * once. Memory: 8 bytes per row.
 */
export class MetricsAccumulator {
  private scores = new Float32Array(1024);
  private labels = new Float32Array(1024);
  private count = 0;

  /** Rows added so far. */
  get rows(): number {
    return this.count;
  }

  /** Adds one batch: scores[i] is the predicted click probability of the row labelled labels[i]. */
  add(scores: Float32Array, labels: Labels): void {
    checkLengths(scores, labels);
    const need = this.count + scores.length;
    if (need > this.scores.length) {
      let capacity = this.scores.length;
      while (capacity < need) capacity *= 2;
      const grownScores = new Float32Array(capacity);
      const grownLabels = new Float32Array(capacity);
      grownScores.set(this.scores.subarray(0, this.count));
      grownLabels.set(this.labels.subarray(0, this.count));
      this.scores = grownScores;
      this.labels = grownLabels;
    }
    this.scores.set(scores, this.count);
    this.labels.set(labels, this.count);
    this.count = need;
  }

  /** All metrics over the rows added so far. */
  compute(): BinaryMetrics {
    return computeMetrics(this.scores.subarray(0, this.count), this.labels.subarray(0, this.count));
  }

  /** Forgets all rows (keeps the allocated capacity). */
  reset(): void {
    this.count = 0;
  }
}
