// Tests of the training loop in-process (runTraining): it learns the synthetic data's planted signal,
// a seed reproduces a run, a stopped-and-resumed run ends with bit-identical parameters (mid-epoch, at
// an epoch boundary, with optimizer state), and checkpoints that don't fit the run are refused.
import { test, after, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveTrainConfig, type TrainConfig } from '../../src/train/config';
import { runTraining, type TrainResult } from '../../src/train/train';
import { readCheckpointHeader } from '../../src/model/checkpoint';
import { loadNativeAddon } from '../../src/engine/native/nativeAddon';
import type { OptimizerName } from '../../src/model/arch';
import { UserError } from '../../src/util/errors';
import { setupLogger } from '../../src/util/log';
import { repoRoot, tempDir } from '../helpers/sharedData';
import { modelFloats } from '../helpers/modelFloats';

const dir = tempDir('train');
before(() => setupLogger({ level: 'warn', pretty: false }));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The smoke config (tiny synthetic run) with overrides; 2048 rows of 128 = 16 batches per epoch. */
function smoke(over: Partial<TrainConfig> = {}): TrainConfig {
  return resolveTrainConfig(
    { dataSize: 2048, printFreq: 1000, ...over },
    path.join(repoRoot(), 'configs', 'smoke.json'),
  );
}

/** Every parameter and optimizer-state float of a run's final model, as raw bits. */
function bits(r: TrainResult): Uint32Array {
  return new Uint32Array(modelFloats(r.model.params, r.model.optimizerState).buffer);
}

function firstDifference(a: Uint32Array, b: Uint32Array): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

test('training on synthetic data learns the planted signal (held-out AUC well above 0.5)', async () => {
  const c = resolveTrainConfig({ dataGeneration: 'synthetic', dataSize: 32768, printFreq: 1000 });
  const r = await runTraining(c);
  assert.equal(r.globalStep, 256);
  assert.ok(r.metrics, 'an evaluation ran');
  assert.ok(r.metrics.auc > 0.65, `held-out AUC ${r.metrics.auc}`);
  assert.equal(r.metrics.rows, 8192);
  assert.ok(r.metrics.logloss < 0.56, `logloss ${r.metrics.logloss}`); // the click rate's entropy is 0.562
});

test('a seed reproduces a run bit for bit; another seed does not', async () => {
  const a = await runTraining(smoke({ nepochs: 1 }));
  const b = await runTraining(smoke({ nepochs: 1 }));
  const c = await runTraining(smoke({ nepochs: 1, seed: 124 }));
  assert.equal(firstDifference(bits(a), bits(b)), -1);
  assert.notEqual(firstDifference(bits(a), bits(c)), -1);
  assert.equal(a.metrics?.auc, b.metrics?.auc);
});

const resumeCases: { name: string; optimizer: OptimizerName; stopAtStep: number }[] = [
  { name: 'mid-epoch 0, sgd', optimizer: 'sgd', stopAtStep: 5 },
  { name: 'mid-epoch 1, rowwise-adagrad', optimizer: 'rowwise-adagrad', stopAtStep: 21 },
  { name: 'first batch of epoch 1, adagrad', optimizer: 'adagrad', stopAtStep: 17 },
];

for (const { name, optimizer, stopAtStep } of resumeCases) {
  test(`exact resume (${name}): stop + save + load + finish == one uninterrupted run, bitwise`, async () => {
    // warmup and decay so that a wrong LR step after resuming would show
    const base = {
      optimizer,
      nepochs: 2,
      learningRate: optimizer === 'sgd' ? 0.1 : 0.05,
      lrNumWarmupSteps: 4,
      lrDecayStartStep: 8,
      lrNumDecaySteps: 30,
    };
    const whole = await runTraining(smoke({ ...base, saveModel: path.join(dir, `whole-${optimizer}.ckpt`) }));
    assert.equal(whole.globalStep, 32);
    const file = path.join(dir, `part-${optimizer}.ckpt`);
    const first = await runTraining(smoke({ ...base, saveModel: file }), {
      shouldStop: (p) => p.globalStep === stopAtStep,
    });
    assert.equal(first.stopped, true);
    const header = readCheckpointHeader(file);
    assert.equal(header.progress.globalStep, stopAtStep);
    assert.deepEqual(
      [header.progress.epoch, header.progress.batchInEpoch],
      [Math.floor(stopAtStep / 16), stopAtStep % 16],
    );
    const rest = await runTraining(smoke({ ...base, saveModel: file, loadModel: file }));
    assert.equal(rest.globalStep, 32);
    assert.equal(firstDifference(bits(rest), bits(whole)), -1, 'parameters and optimizer state differ');
    assert.equal(rest.metrics?.auc, whole.metrics?.auc);
  });
}

test('exact resume across a finished run: 1 epoch, then --load-model with --nepochs 2 == 2 epochs', async () => {
  const whole = await runTraining(smoke({ nepochs: 2 }));
  const file = path.join(dir, 'epoch.ckpt');
  await runTraining(smoke({ nepochs: 1, saveModel: file }));
  assert.deepEqual(readCheckpointHeader(file).progress, { epoch: 1, batchInEpoch: 0, rowInEpoch: 0, globalStep: 16 });
  // --load-model alone continues the checkpoint's run with its saved settings (here: the smoke config, 2048 rows)
  const resumed = resolveTrainConfig({ nepochs: 2, loadModel: file });
  assert.deepEqual(
    [resumed.dataGeneration, resumed.dataSize, resumed.optimizer, resumed.archMlpBot, resumed.saveModel],
    ['synthetic', 2048, 'adagrad', [13, 16, 8], null],
  );
  // a data source given now replaces the checkpoint's as a whole
  const other = resolveTrainConfig({ loadModel: file, processedDataFile: 'k.dlrm' });
  assert.deepEqual([other.dataGeneration, other.processedDataFile], ['dataset', path.resolve('k.dlrm')]);
  const rest = await runTraining(resumed);
  assert.equal(firstDifference(bits(rest), bits(whole)), -1);
  // resuming a finished run trains nothing and evaluates it
  const again = await runTraining(smoke({ nepochs: 1, loadModel: file }));
  assert.equal(again.globalStep, 16);
  assert.ok(again.metrics);
});

test('a checkpoint that does not fit the run is refused, naming the difference', async () => {
  const file = path.join(dir, 'fit.ckpt');
  await runTraining(smoke({ nepochs: 1, numBatches: 2, saveModel: file }));
  const refused = (re: RegExp) => (e: unknown) => e instanceof UserError && re.test(e.message);
  await assert.rejects(
    runTraining(smoke({ loadModel: file, archMlpBot: [13, 32, 8] })),
    refused(/architecture does not match this run: bottom MLP 13-16-8 in the checkpoint, 13-32-8 here/),
  );
  const sizes = smoke().archEmbeddingSize.map((n, t) => (t === 3 ? n + 1 : n));
  await assert.rejects(
    runTraining(smoke({ loadModel: file, archEmbeddingSize: sizes })),
    refused(/table 3: 50 rows in the checkpoint, 51 here/),
  );
  await assert.rejects(
    runTraining(smoke({ loadModel: file, optimizer: 'sgd' })),
    refused(/holds adagrad optimizer state but --optimizer is sgd; pass --optimizer adagrad/),
  );
  assert.throws(() => smoke({ loadModel: path.join(dir, 'absent.ckpt') }), refused(/--load-model: cannot open/));
});

test('a checkpoint written by one engine resumes in the other (tfjs <-> native), ending close to a single-engine run', async (t) => {
  const { addon, reason } = loadNativeAddon();
  if (!addon) return t.skip(`native addon not built: ${reason}`);
  const whole = await runTraining(smoke({ nepochs: 1, engine: 'native' }));
  for (const [first, second] of [
    ['tfjs', 'native'],
    ['native', 'tfjs'],
  ] as const) {
    const file = path.join(dir, `cross-${first}.ckpt`);
    const stopped = await runTraining(smoke({ nepochs: 1, engine: first, saveModel: file }), {
      shouldStop: (p) => p.globalStep === 6,
    });
    assert.equal(stopped.stopped, true);
    assert.equal(stopped.engine === 'native', first === 'native');
    assert.match(readCheckpointHeader(file).engine, first === 'native' ? /^native$/ : /^tfjs/);
    const rest = await runTraining(smoke({ nepochs: 1, engine: second, loadModel: file }));
    assert.equal(rest.globalStep, whole.globalStep);
    assert.equal(rest.engine === 'native', second === 'native');
    const a = new Float32Array(bits(rest).buffer),
      b = new Float32Array(bits(whole).buffer);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1e-3 + Math.abs(b[i])));
    t.diagnostic(
      `${first} -> ${second}: largest relative parameter difference from a native-only run ${worst.toExponential(2)}`,
    );
    assert.ok(worst < 1e-3, `${first} -> ${second}: largest relative difference ${worst}`);
    assert.ok(Math.abs((rest.metrics?.auc ?? 0) - (whole.metrics?.auc ?? 1)) < 0.01);
  }
});
