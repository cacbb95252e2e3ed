// The engine-independent loss definitions: per-row weights, clamped output probabilities and mean losses
// against values computed by hand.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { lossWeights, meanLoss, outputProbability, type LossConfig } from '../../src/model/loss';

const cfg = (loss: LossConfig['loss'], lossThreshold = 0): LossConfig => ({
  loss,
  lossWeights: [0.25, 4],
  lossThreshold,
});

test('lossWeights: ones for mse/bce, class weights for wbce', () => {
  const y = Float32Array.from([0, 1, 1, 0]);
  assert.deepEqual(Array.from(lossWeights(y, cfg('bce'))), [1, 1, 1, 1]);
  assert.deepEqual(Array.from(lossWeights(y, cfg('wbce'))), [0.25, 4, 4, 0.25]);
});

test('outputProbability: sigmoid, clamped to [t, 1-t]', () => {
  assert.equal(outputProbability(0, 0), 0.5);
  assert.ok(Math.abs(outputProbability(2, 0) - 1 / (1 + Math.exp(-2))) < 1e-15);
  assert.equal(outputProbability(-50, 0.01), 0.01);
  assert.equal(outputProbability(50, 0.01), 0.99);
});

test('meanLoss: mse, bce (log clamped at -100) and wbce by hand', () => {
  const p = [0.8, 0.1],
    y = [1, 1];
  assert.ok(Math.abs(meanLoss(p, y, [1, 1], cfg('mse')) - (0.04 + 0.81) / 2) < 1e-12);
  assert.ok(Math.abs(meanLoss(p, y, [1, 1], cfg('bce')) - -(Math.log(0.8) + Math.log(0.1)) / 2) < 1e-12);
  assert.ok(
    Math.abs(meanLoss(p, [1, 0], [4, 0.25], cfg('wbce')) - -(4 * Math.log(0.8) + 0.25 * Math.log(0.9)) / 2) < 1e-12,
  );
  assert.equal(meanLoss([0, 1], [1, 0], [1, 1], cfg('bce')), 100);
});
