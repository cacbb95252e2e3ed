// The dcn interaction through training, checkpoints and predict: it learns the synthetic data's planted
// signal on both engines; a stopped-and-resumed dcn run ends bit-identical to an uninterrupted one (the
// cross layers' parameters and Adagrad state are in the checkpoint); a checkpoint whose cross network
// differs is refused naming the flags; a checkpoint whose train config predates the dcn settings still
// resumes; `dlrm predict` scores raw lines of a dcn model exactly as the engine scores their processed rows,
// and `dlrm serve` scores them as predict does.
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

const dir = tempDir('dcn');
before(() => setupLogger({ level: 'warn', pretty: false }));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The smoke config with a dcn interaction of two rank-8 cross layers; 2048 rows = 16 batches per epoch. */
function smokeDcn(over: Partial<TrainConfig> = {}): TrainConfig {
  return resolveTrainConfig(
    { dataSize: 2048, printFreq: 1000, archInteractionOp: 'dcn', dcnNumLayers: 2, dcnLowRankDim: 8, ...over },
    path.join(repoRoot(), 'configs', 'smoke.json'),
  );
}

for (const engine of ['native', 'tfjs'] as const) {
  test(
    `dcn [${engine}]: learns the synthetic data's planted signal (held-out AUC > 0.65)`,
    { skip: engine === 'native' && nativeSkip },
    async () => {
      const r = await runTraining(
        smokeDcn({ engine, dataSize: 16384, ...(engine === 'tfjs' ? { backend: 'wasm' } : {}) }),
      );
      assert.ok((r.metrics?.auc ?? 0) > 0.65, `AUC ${r.metrics?.auc}`);
      assert.equal(r.model.params.cross?.length, 4);
    },
  );
}

test('dcn: exact resume (adagrad, mid-epoch 1): stop + save + load + finish == one uninterrupted run, bitwise', async () => {
  const base = { nepochs: 2, lrNumWarmupSteps: 4, lrDecayStartStep: 8, lrNumDecaySteps: 30 };
  const file = path.join(dir, 'part.ckpt');
  await assertExactResume(smokeDcn, base, file, 21, 32);
  const header = readCheckpointHeader(file);
  assert.deepEqual(header.arch.dcn, { numLayers: 2, lowRankDim: 8 });
  assert.ok(
    header.sections.some((s) => s.name === 'cross.3.bias') &&
      header.sections.some((s) => s.name === 'opt.cross.0.weight'),
    'cross sections',
  );
  // a different cross network is refused, naming the flags
  const refused = (re: RegExp) => (e: unknown) => e instanceof UserError && re.test(e.message);
  await assert.rejects(
    runTraining(smokeDcn({ ...base, loadModel: file, dcnNumLayers: 3 })),
    refused(/dcn \(2 layers of rank 8\) in the checkpoint, dcn \(3 layers of rank 8\) here.*--dcn-num-layers/),
  );
  await assert.rejects(
    runTraining(smokeDcn({ ...base, loadModel: file, archInteractionOp: 'dot' })),
    refused(/interaction dcn \(2 layers of rank 8\) in the checkpoint, dot here/),
  );
});

test('a checkpoint written before the dcn settings existed (no dcn keys in its train config) still resumes', async () => {
  const file = path.join(dir, 'old.ckpt');
  const smoke = (over: Partial<TrainConfig>) =>
    resolveTrainConfig({ dataSize: 2048, printFreq: 1000, ...over }, path.join(repoRoot(), 'configs', 'smoke.json'));
  await runTraining(smoke({ nepochs: 1, saveModel: file }));
  // rewrite it as an older dlrm wrote it: the same sections, a train config without the dcn keys
  const header = readCheckpointHeader(file);
  const params = allocDlrmParams(header.arch),
    state = allocOptimizerState(params, header.optimizer);
  loadCheckpointInto(file, header, params, state);
  const { dcnNumLayers: _layers, dcnLowRankDim: _rank, ...oldConfig } = header.trainConfig as TrainConfig;
  assert.equal(_layers, 3);
  saveCheckpoint(file, { ...header, params, optimizerState: state, trainConfig: oldConfig }, 'dlrm (before dcn)');
  assert.equal((readCheckpointHeader(file).trainConfig as Partial<TrainConfig>).dcnNumLayers, undefined);
  const resumed = resolveTrainConfig({ nepochs: 2, loadModel: file });
  assert.equal(resumed.archInteractionOp, 'dot');
  const r = await runTraining(resumed);
  assert.equal(r.globalStep, 32);
});

test(
  'dlrm predict scores raw lines of a dcn model exactly as the engine scores their processed rows; dlrm serve as predict',
  { timeout: 120_000 },
  async () => {
    const fx = await buildFixture(dir, 'gen', {
      rows: 3000,
      seed: 9,
      train: { archInteractionOp: 'dcn', dcnNumLayers: 2, dcnLowRankDim: 4, archMlpTop: [16, 1] },
    });
    assert.equal(readCheckpointHeader(fx.model).arch.interaction, 'dcn');
    await assertPredictAndServeMatchEngine(fx);
  },
);
