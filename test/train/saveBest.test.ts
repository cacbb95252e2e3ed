// `dlrm train --save-best`: over a run with a dozen evaluations whose AUC rises then falls, the file holds
// exactly the model of the evaluation with the highest AUC (its parameter and optimizer bytes equal those
// of a checkpoint saved at that step by a separate run; its recorded step and AUC equal the JSONL's), the
// eval lines flag exactly the running-best evaluations, a NaN AUC never counts, and a stopped-and-resumed
// run keeps comparing against the best of its checkpoint (same file, same result as one run) while a new
// --save-best file starts a new best. Also --test-split and the refusals of both flags.
import { test, after, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCheckpointHeader, type BestCheckpoint } from '../../src/model/checkpoint';
import { beatsBest, startingBest } from '../../src/train/bestCheckpoint';
import { resolveTrainConfig, type TrainConfig } from '../../src/train/config';
import { runTraining } from '../../src/train/train';
import { UserError } from '../../src/util/errors';
import { setupLogger } from '../../src/util/log';
import { buildFixture } from '../predict/fixtures';
import { repoRoot, tempDir } from '../helpers/sharedData';

const dir = tempDir('train-save-best');
before(() => setupLogger({ level: 'error', pretty: false }));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The smoke config, 16 batches per epoch, two epochs, an evaluation every 3 steps (12 in all). */
function run(over: Partial<TrainConfig> = {}): TrainConfig {
  return resolveTrainConfig(
    { dataSize: 2048, printFreq: 1000, nepochs: 2, testFreq: 3, ...over },
    path.join(repoRoot(), 'configs', 'smoke.json'),
  );
}

interface EvalLine {
  step: number;
  auc: number;
  split: string;
  best?: boolean;
}

function evalLines(file: string): EvalLine[] {
  const lines = fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string } & EvalLine);
  return lines.filter((l) => l.type === 'eval');
}

/** The float32 sections (parameters, then optimizer state) of a checkpoint file, as bytes. */
function sectionBytes(file: string): Buffer {
  return fs.readFileSync(file).subarray(readCheckpointHeader(file).sections[0].offset);
}

test('beatsBest: strictly higher AUC only; NaN never; anything beats no best', () => {
  const best: BestCheckpoint = { file: 'b.ckpt', split: 'test', step: 10, auc: 0.7 };
  assert.equal(beatsBest(0.70001, best), true);
  assert.equal(beatsBest(0.7, best), false);
  assert.equal(beatsBest(0.5, best), false);
  assert.equal(beatsBest(NaN, best), false);
  assert.equal(beatsBest(NaN, null), false);
  assert.equal(beatsBest(0.1, null), true);
});

test('startingBest: kept for the same file and split while the file exists; carried unchanged without --save-best', () => {
  const file = path.join(dir, 'exists.ckpt');
  fs.writeFileSync(file, 'x');
  const saved: BestCheckpoint = { file, split: 'test', step: 10, auc: 0.7 };
  assert.equal(startingBest(file, 'test', saved), saved);
  assert.equal(startingBest(null, 'test', saved), saved);
  assert.equal(startingBest(path.join(dir, 'other.ckpt'), 'test', saved), null);
  assert.equal(startingBest(file, 'val', saved), null);
  assert.equal(startingBest(file, 'test', { ...saved, file: path.join(dir, 'gone.ckpt') }), null);
  assert.equal(startingBest(file, 'test', null), null);
  assert.equal(startingBest(file, 'test', undefined), null);
});

test('--save-best keeps exactly the checkpoint of the evaluation with the highest AUC', async () => {
  const best = path.join(dir, 'best.ckpt');
  const metrics = path.join(dir, 'whole.jsonl');
  const r = await runTraining(run({ saveBest: best, metricsFile: metrics }));
  const evals = evalLines(metrics);
  assert.equal(evals.length, 12);
  // the AUC rises then falls: the best is neither the first nor the last evaluation
  const top = evals.reduce((a, e) => (e.auc > a.auc ? e : a));
  assert.notEqual(top.step, evals[0].step);
  assert.notEqual(top.step, evals[evals.length - 1].step);
  // "best" flags exactly the evaluations that beat every earlier one
  let runningMax = -Infinity;
  for (const e of evals) {
    assert.equal(e.best, e.auc > runningMax, `step ${e.step}`);
    runningMax = Math.max(runningMax, e.auc);
  }
  const header = readCheckpointHeader(best);
  assert.deepEqual(header.best, { file: best, split: 'heldout', step: top.step, auc: top.auc });
  assert.equal(header.progress.globalStep, top.step);
  assert.deepEqual(r.best, header.best);
  // the same parameters and optimizer state as a checkpoint a separate run saved at that step
  const atStep = path.join(dir, 'at-step.ckpt');
  const stopped = await runTraining(run({ saveModel: atStep }), { shouldStop: (p) => p.globalStep === top.step });
  assert.equal(stopped.stopped, true);
  assert.equal(readCheckpointHeader(atStep).progress.globalStep, top.step);
  assert.ok(
    sectionBytes(best).equals(sectionBytes(atStep)),
    'the best checkpoint holds another model than the one of its step',
  );
});

test("a resumed run keeps comparing against its checkpoint's best; a new --save-best file starts a new best", async () => {
  const whole = path.join(dir, 'whole-best.ckpt');
  const wholeMetrics = path.join(dir, 'whole-resume.jsonl');
  await runTraining(run({ saveBest: whole, metricsFile: wholeMetrics }));
  const bestStep = readCheckpointHeader(whole).progress.globalStep;
  const wholeEvals = evalLines(wholeMetrics);
  const laterEvals = wholeEvals.filter((e) => e.step > bestStep);
  assert.ok(laterEvals.length >= 2, 'evaluations after the best');

  // stop after the best evaluation, resume to the end: the best file is the same as in one run
  const ckpt = path.join(dir, 'resume.ckpt');
  const best = path.join(dir, 'resume-best.ckpt');
  const metrics = path.join(dir, 'resume.jsonl');
  const stopAt = bestStep + 1;
  const first = await runTraining(run({ saveModel: ckpt, saveBest: best, metricsFile: metrics }), {
    shouldStop: (p) => p.globalStep === stopAt,
  });
  assert.equal(first.stopped, true);
  assert.deepEqual(readCheckpointHeader(ckpt).best, { ...readCheckpointHeader(whole).best, file: best });
  const bestBytes = sectionBytes(best);
  const rest = await runTraining(run({ loadModel: ckpt, saveModel: ckpt, saveBest: best, metricsFile: metrics }));
  assert.equal(rest.globalStep, 32);
  assert.equal(rest.best?.step, bestStep);
  assert.ok(sectionBytes(best).equals(bestBytes), 'the resumed run replaced a better checkpoint');
  assert.ok(sectionBytes(best).equals(sectionBytes(whole)));
  assert.deepEqual(
    evalLines(metrics).map((e) => [e.step, e.auc, e.best]),
    wholeEvals.map((e) => [e.step, e.auc, e.best]),
  );

  // the same checkpoint resumed with another --save-best file: its first evaluation is kept there
  const fresh = path.join(dir, 'fresh-best.ckpt');
  const stoppedAgain = path.join(dir, 'resume-2.ckpt');
  await runTraining(run({ saveModel: stoppedAgain }), { shouldStop: (p) => p.globalStep === stopAt });
  const freshMetrics = path.join(dir, 'fresh.jsonl');
  const other = await runTraining(run({ loadModel: stoppedAgain, saveBest: fresh, metricsFile: freshMetrics }));
  const freshEvals = evalLines(freshMetrics);
  assert.deepEqual(
    freshEvals.map((e) => e.step),
    laterEvals.map((e) => e.step),
  );
  assert.equal(freshEvals[0].best, true);
  const top = freshEvals.reduce((a, e) => (e.auc > a.auc ? e : a));
  assert.deepEqual(other.best, { file: fresh, split: 'heldout', step: top.step, auc: top.auc });
  assert.equal(readCheckpointHeader(fresh).progress.globalStep, top.step);
});

test('without --save-best the eval lines have no "best" field and checkpoints record none', async () => {
  const metrics = path.join(dir, 'plain.jsonl');
  const ckpt = path.join(dir, 'plain.ckpt');
  await runTraining(run({ nepochs: 1, testFreq: 8, metricsFile: metrics, saveModel: ckpt }));
  const evals = evalLines(metrics);
  assert.equal(evals.length, 2);
  for (const e of evals) assert.equal('best' in e, false);
  assert.equal(readCheckpointHeader(ckpt).best, null);
});

test('--save-best is refused on the --save-model file and not inherited from a checkpoint; --test-split val needs processed data', async () => {
  const same = path.join(dir, 'same.ckpt');
  assert.throws(
    () => run({ saveModel: same, saveBest: same }),
    (e: unknown) => e instanceof UserError && /--save-best and --save-model both name .*same\.ckpt/.test(e.message),
  );
  assert.throws(
    () => run({ testSplit: 'val' }),
    (e: unknown) =>
      e instanceof UserError &&
      /--test-split val: only a processed file has a val split; synthetic data/.test(e.message),
  );
  const ckpt = path.join(dir, 'inherit.ckpt');
  await runTraining(
    run({ nepochs: 1, testFreq: 0, numBatches: 2, saveModel: ckpt, saveBest: path.join(dir, 'inherit-best.ckpt') }),
  );
  assert.equal(resolveTrainConfig({ loadModel: ckpt }).saveBest, null);
});

test("--test-split val evaluates the processed file's val split; test is the default", async () => {
  const f = await buildFixture(dir, 'split', { rows: 3000, seed: 7 });
  const base = {
    processedDataFile: f.merged,
    archMlpBot: [13, 16, 8],
    archMlpTop: [16, 1],
    numBatches: 4,
    printFreq: 1000,
  };
  const rowsOf = (split: 'val' | 'test') => f.manifest.splits[split].end - f.manifest.splits[split].start;
  const aucs: number[] = [];
  for (const split of ['test', 'val'] as const) {
    const metrics = path.join(dir, `split-${split}.jsonl`);
    const r = await runTraining(
      resolveTrainConfig({ ...base, metricsFile: metrics, ...(split === 'val' ? { testSplit: 'val' } : {}) }),
    );
    const evals = evalLines(metrics);
    assert.deepEqual(
      evals.map((e) => e.split),
      [split],
    );
    assert.equal(r.metrics?.rows, rowsOf(split));
    aucs.push(evals[0].auc);
  }
  assert.notEqual(rowsOf('val'), 0);
  assert.notEqual(aucs[0], aucs[1], 'the same model scores the same on both splits: one split evaluated twice?');
});
