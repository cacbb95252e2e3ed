// --model dcn (the original Deep & Cross Network) through training, checkpoints, predict and serve: it learns
// the synthetic data's planted signal on both engines; a stopped-and-resumed run ends bit-identical to an
// uninterrupted one (cross layers and Adagrad state in the checkpoint); a checkpoint of the other model or
// another cross depth is refused naming the flags; a checkpoint whose train config predates --model still
// resumes as dlrm; meaningless flag combinations are UserErrors; configs/paper-dcn.json holds the paper's
// DCN beside kaggle.json's DLRM; `dlrm predict` scores raw lines of a dcn
// model exactly as the engine scores their processed rows, and `dlrm serve` as predict.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { allocDlrmParams } from '../../src/model/allocParams';
import { allocOptimizerState } from '../../src/model/allocOptimizerState';
import { loadCheckpointInto, readCheckpointHeader, saveCheckpoint } from '../../src/model/checkpoint';
import { resolveTrainConfig, type TrainConfig } from '../../src/train/config';
import { runTraining } from '../../src/train/train';
import { UserError } from '../../src/util/errors';
import { setupLogger } from '../../src/util/log';
import { assertExactResume } from '../helpers/exactResume';
import { repoRoot, tempDir } from '../helpers/sharedData';
import { buildFixture } from '../predict/fixtures';
import { assertPredictAndServeMatchEngine } from '../predict/predictServeParity';
import { nativeSkip } from '../engine/nativeAddonForTests';

const dir = tempDir('deep-cross');
before(() => setupLogger({ level: 'warn', pretty: false }));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const smokeFile = () => path.join(repoRoot(), 'configs', 'smoke.json');

/** The smoke config as --model dcn: 3 cross layers beside a deep 16 network; 2048 rows = 16 batches per epoch. */
function smokeDeepCross(over: Partial<TrainConfig> = {}): TrainConfig {
  return resolveTrainConfig(
    { dataSize: 2048, printFreq: 1000, model: 'dcn', dcnCrossLayers: 3, archMlpTop: [16, 1], ...over },
    smokeFile(),
  );
}

const refused = (re: RegExp) => (e: unknown) => e instanceof UserError && re.test(e.message);

for (const engine of ['native', 'tfjs'] as const) {
  test(
    `model dcn [${engine}]: learns the synthetic data's planted signal (held-out AUC > 0.65)`,
    { skip: engine === 'native' && nativeSkip },
    async () => {
      const r = await runTraining(
        smokeDeepCross({ engine, dataSize: 16384, ...(engine === 'tfjs' ? { backend: 'wasm' } : {}) }),
      );
      assert.ok((r.metrics?.auc ?? 0) > 0.65, `AUC ${r.metrics?.auc}`);
      assert.equal(r.model.params.cross?.length, 3);
      assert.equal(r.model.params.top[1].inFeatures, 27 * 8 + 16, 'the output layer reads [x_L, h]');
    },
  );
}

test('model dcn: exact resume (adagrad, mid-epoch 1): stop + save + load + finish == one run, bitwise', async () => {
  const base = { nepochs: 2, lrNumWarmupSteps: 4, lrDecayStartStep: 8, lrNumDecaySteps: 30 };
  const file = path.join(dir, 'part.ckpt');
  await assertExactResume(smokeDeepCross, base, file, 21, 32);
  const header = readCheckpointHeader(file);
  assert.deepEqual(header.arch.deepCross, { crossLayers: 3 });
  assert.ok(
    header.sections.some((s) => s.name === 'cross.2.bias') &&
      header.sections.some((s) => s.name === 'opt.cross.2.weight'),
    'cross sections',
  );
  await assert.rejects(
    runTraining(smokeDeepCross({ ...base, loadModel: file, dcnCrossLayers: 4 })),
    refused(/model dcn \(3 cross layers\) in the checkpoint, dcn \(4 cross layers\) here.*--dcn-cross-layers/),
  );
  await assert.rejects(
    runTraining(smokeDeepCross({ ...base, loadModel: file, model: 'dlrm', dcnCrossLayers: undefined })),
    refused(/model dcn \(3 cross layers\) in the checkpoint, dlrm here/),
  );
});

test('a checkpoint written before --model existed (no model keys in its train config) resumes as dlrm', async () => {
  const file = path.join(dir, 'old.ckpt');
  const smoke = (over: Partial<TrainConfig>) =>
    resolveTrainConfig({ dataSize: 2048, printFreq: 1000, ...over }, smokeFile());
  await runTraining(smoke({ nepochs: 1, saveModel: file }));
  const header = readCheckpointHeader(file);
  assert.equal(header.arch.deepCross, undefined, 'a dlrm arch has no deepCross key');
  const params = allocDlrmParams(header.arch),
    state = allocOptimizerState(params, header.optimizer);
  loadCheckpointInto(file, header, params, state);
  const { model: _model, dcnCrossLayers: _layers, ...oldConfig } = header.trainConfig as TrainConfig;
  assert.equal(_model, 'dlrm');
  saveCheckpoint(file, { ...header, params, optimizerState: state, trainConfig: oldConfig }, 'dlrm (before --model)');
  const resumed = resolveTrainConfig({ nepochs: 2, loadModel: file });
  assert.equal(resumed.model, 'dlrm');
  const r = await runTraining(resumed);
  assert.equal(r.globalStep, 32);
  assert.equal(r.model.params.cross, undefined);
});

test('meaningless --model combinations are refused naming the flags', () => {
  const cases: [Partial<TrainConfig>, RegExp][] = [
    [{ model: 'dcn', archInteractionOp: 'dcn' }, /--arch-interaction-op applies to --model dlrm only/],
    [{ model: 'dcn', archInteractionOp: 'dot' }, /--arch-interaction-op applies to --model dlrm only/],
    [{ model: 'dcn', archInteractionItself: true }, /--arch-interaction-itself applies to --model dlrm only/],
    [{ model: 'dcn', dcnNumLayers: 3 }, /--dcn-num-layers applies to --model dlrm only/],
    [{ model: 'dcn', dcnLowRankDim: 8 }, /--dcn-low-rank-dim applies to --model dlrm only/],
    [{ dcnCrossLayers: 6 }, /--dcn-cross-layers applies to --model dcn only/],
  ];
  for (const [over, message] of cases)
    assert.throws(
      () => resolveTrainConfig({ dataSize: 2048, ...over }, smokeFile()),
      refused(message),
      String(message),
    );
  // cat is what --model dcn builds x_0 with: allowed
  assert.equal(resolveTrainConfig({ model: 'dcn', archInteractionOp: 'cat' }, smokeFile()).model, 'dcn');
});

test('configs/paper-dcn.json: the paper DCN (6 cross layers, deep 512-256, d = 16) beside the kaggle.json DLRM', () => {
  const configs = path.join(repoRoot(), 'configs');
  const dcn = resolveTrainConfig({ processedDataFile: 'k.dlrm' }, path.join(configs, 'paper-dcn.json'));
  const dlrmKaggle = resolveTrainConfig({ processedDataFile: 'k.dlrm' }, path.join(configs, 'kaggle.json'));
  assert.deepEqual(
    [dcn.model, dcn.dcnCrossLayers, dcn.archMlpTop, dcn.archSparseFeatureSize],
    ['dcn', 6, [512, 256, 1], 16],
  );
  assert.equal(dlrmKaggle.model, 'dlrm');
  for (const key of ['archMlpBot', 'miniBatchSize', 'learningRate', 'optimizer', 'lossFunction'] as const)
    assert.deepEqual(dcn[key], dlrmKaggle[key], `${key} as the DLRM counterpart`);
});

test(
  'dlrm predict scores raw lines of a --model dcn model exactly as the engine scores their rows; dlrm serve as predict',
  { timeout: 120_000 },
  async () => {
    const fx = await buildFixture(dir, 'gen', {
      rows: 3000,
      seed: 9,
      train: { model: 'dcn', dcnCrossLayers: 2, archMlpTop: [16, 1] },
    });
    assert.deepEqual(readCheckpointHeader(fx.model).arch.deepCross, { crossLayers: 2 });
    await assertPredictAndServeMatchEngine(fx);
  },
);
