// Tests of src/eval/metrics.ts against independent computations (pairwise AUC counting, direct
// precision/recall sums) and against scikit-learn 1.2.1 values computed once by hand (the literals below).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  MetricsAccumulator,
  averagePrecision,
  bernoulliEntropy,
  computeMetrics,
  logLoss,
  rocAuc,
} from '../../src/eval/metrics';
import { Rng } from '../../src/util/random';

/** O(n^2) AUC: over all positive/negative pairs, 1 if the positive scores higher, 1/2 on a tie. */
function pairwiseAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j] !== 0) continue;
      pairs++;
      if (scores[i] > scores[j]) wins += 1;
      else if (scores[i] === scores[j]) wins += 0.5;
    }
  }
  return wins / pairs;
}

/** Average precision straight from its definition: distinct thresholds, precision x recall gain. */
function directAveragePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const thresholds = [...new Set(Array.from(scores))].sort((a, b) => b - a);
  const P = Array.from(labels).filter((y) => y === 1).length;
  let prevRecall = 0;
  let ap = 0;
  for (const th of thresholds) {
    let tp = 0;
    let predicted = 0;
    for (let i = 0; i < scores.length; i++) {
      if (scores[i] >= th) {
        predicted++;
        if (labels[i] === 1) tp++;
      }
    }
    ap += (tp / P - prevRecall) * (tp / predicted);
    prevRecall = tp / P;
  }
  return ap;
}

// scikit-learn 1.2.1: roc_auc_score, log_loss, average_precision_score on these vectors
const A_LABELS = [0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 0, 1];
const A_SCORES = [0.1, 0.4, 0.35, 0.8, 0.8, 0.2, 0.4, 0.9, 0.55, 0.05, 0.4, 0.6];
const A_SKLEARN = { auc: 0.7916666666666667, logloss: 0.5345138390993457, ap: 0.7513888888888888 };
const B_LABELS = [
  0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
  1,
];
const B_SCORES = [
  0.3, 0.3, 0.5, 0.2, 0.3, 0.6, 0.7, 0.5, 0.5, 0.3, 0.4, 0.1, 0.4, 0.4, 0.3, 0.3, 0.8, 0.5, 0.8, 0.5, 0.6, 0.5, 0.2,
  0.7, 0.2, 0.3, 0.0, 0.5, 0.7, 0.2, 0.5, 0.5, 0.5, 0.3, 0.4, 0.3, 0.1, 0.1, 0.1, 0.4,
];
const B_SKLEARN = { auc: 0.8190883190883191, logloss: 0.49660275057374514, ap: 0.6528962498601968 };

test('AUC, logloss and average precision match scikit-learn on fixed vectors with ties', () => {
  for (const [labels, scores, want] of [
    [A_LABELS, A_SCORES, A_SKLEARN],
    [B_LABELS, B_SCORES, B_SKLEARN],
  ] as const) {
    const s = Float32Array.from(scores);
    const y = Float32Array.from(labels);
    assert.ok(Math.abs(rocAuc(s, y) - want.auc) < 1e-12, `auc ${rocAuc(s, y)} vs ${want.auc}`);
    assert.ok(Math.abs(averagePrecision(s, y) - want.ap) < 1e-12, `ap ${averagePrecision(s, y)} vs ${want.ap}`);
    // float32 scores: the log loss differs from float64 sklearn in the 8th digit at most
    assert.ok(Math.abs(logLoss(s, y) - want.logloss) < 1e-6, `logloss ${logLoss(s, y)} vs ${want.logloss}`);
  }
});

test('AUC and average precision equal pairwise / direct computations on random tied scores', () => {
  const rng = new Rng(11);
  for (let trial = 0; trial < 30; trial++) {
    const n = 1 + rng.nextInt(300);
    const levels = 1 + rng.nextInt(20); // few levels: many ties
    const y = Float32Array.from({ length: n }, () => (rng.next() < 0.3 ? 1 : 0));
    const s = Float32Array.from(
      y,
      (l) => Math.min(levels - 1, rng.nextInt(levels) + (l ? rng.nextInt(3) : 0)) / levels,
    );
    const hasBoth = y.includes(1) && y.includes(0);
    if (!hasBoth) {
      assert.ok(Number.isNaN(rocAuc(s, y)));
      continue;
    }
    assert.ok(Math.abs(rocAuc(s, y) - pairwiseAuc(s, y)) < 1e-12, `trial ${trial}`);
    assert.ok(Math.abs(averagePrecision(s, y) - directAveragePrecision(s, y)) < 1e-12, `trial ${trial}`);
  }
});

test('computeMetrics: accuracy, NE, calibration, positive rate from their definitions', () => {
  const s = Float32Array.from(A_SCORES);
  const y = Float32Array.from(A_LABELS);
  const m = computeMetrics(s, y);
  const rate = 6 / 12;
  let correct = 0;
  for (let i = 0; i < s.length; i++) if (s[i] >= 0.5 === (y[i] === 1)) correct++;
  assert.equal(m.rows, 12);
  assert.equal(m.positiveRate, rate);
  assert.equal(m.accuracy, correct / 12);
  assert.ok(Math.abs(m.logloss - A_SKLEARN.logloss) < 1e-6);
  assert.ok(Math.abs(m.ne - m.logloss / Math.log(2)) < 1e-12); // entropy of rate 1/2 is ln 2
  const meanScore = s.reduce((a, b) => a + b, 0) / 12;
  assert.ok(Math.abs(m.calibration - meanScore / rate) < 1e-12);
  assert.equal(m.auc, rocAuc(s, y));
  assert.equal(m.averagePrecision, averagePrecision(s, y));
  assert.ok(Math.abs(bernoulliEntropy(0.25) - -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75))) < 1e-15);
});

test('logloss clamps logs at -100 like the reference BCE', () => {
  const s = Float32Array.from([0, 1, 1e-50, 0.5]);
  const y = Float32Array.from([1, 0, 1, 1]);
  assert.ok(Math.abs(logLoss(s, y) - (100 + 100 + 100 + Math.log(2)) / 4) < 1e-12);
});

test('edge cases: one class only gives NaN AUC (and NE for a 0/1 rate); empty input gives NaN metrics', () => {
  const allNeg = computeMetrics(Float32Array.from([0.1, 0.7]), Float32Array.from([0, 0]));
  assert.ok(Number.isNaN(allNeg.auc));
  assert.ok(Number.isNaN(allNeg.averagePrecision));
  assert.ok(Number.isNaN(allNeg.ne));
  assert.ok(Number.isNaN(allNeg.calibration));
  assert.equal(allNeg.accuracy, 0.5);
  const allPos = computeMetrics(Float32Array.from([0.1, 0.7]), Float32Array.from([1, 1]));
  assert.ok(Number.isNaN(allPos.auc));
  assert.equal(allPos.averagePrecision, 1);
  const empty = computeMetrics(new Float32Array(0), new Float32Array(0));
  assert.equal(empty.rows, 0);
  for (const k of ['auc', 'logloss', 'accuracy', 'ne', 'calibration', 'averagePrecision', 'positiveRate'] as const)
    assert.ok(Number.isNaN(empty[k]), k);
  assert.ok(Number.isNaN(rocAuc(Float32Array.from([NaN, 0.2]), Float32Array.from([1, 0]))));
  assert.throws(() => rocAuc(new Float32Array(2), new Float32Array(3)), /2 scores but 3 labels/);
});

test('MetricsAccumulator over uneven batches equals computeMetrics over the whole', () => {
  const rng = new Rng(5);
  const n = 5000;
  const y = Float32Array.from({ length: n }, () => (rng.next() < 0.25 ? 1 : 0));
  const s = Float32Array.from(y, (l) => Math.min(0.999, Math.max(0.001, 0.2 + 0.3 * l + 0.4 * (rng.next() - 0.5))));
  const acc = new MetricsAccumulator();
  for (let i = 0; i < n;) {
    const k = Math.min(n - i, 1 + rng.nextInt(700));
    acc.add(s.subarray(i, i + k), y.subarray(i, i + k));
    i += k;
  }
  assert.equal(acc.rows, n);
  assert.deepEqual(acc.compute(), computeMetrics(s, y));
  acc.reset();
  assert.equal(acc.rows, 0);
});

test('AUC on a large tied input equals the Mann-Whitney statistic with average ranks', () => {
  const rng = new Rng(9);
  const n = 30_000;
  const y = Float32Array.from({ length: n }, () => (rng.next() < 0.2 ? 1 : 0));
  const s = Float32Array.from(y, (l) => Math.round((rng.next() + 0.3 * l) * 50) / 50);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => s[a] - s[b]);
  let rankSumPos = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j < n && s[order[j]] === s[order[i]]) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (y[order[k]] === 1) rankSumPos += avgRank;
    i = j;
  }
  const P = y.reduce((a, b) => a + b, 0);
  const N = n - P;
  const mannWhitney = (rankSumPos - (P * (P + 1)) / 2) / (P * N);
  assert.ok(Math.abs(rocAuc(s, y) - mannWhitney) < 1e-12, `${rocAuc(s, y)} vs ${mannWhitney}`);
  assert.ok(Math.abs(averagePrecision(s, y) - directAveragePrecision(s, y)) < 1e-12);
});
