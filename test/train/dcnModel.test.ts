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
import { runTraining, type TrainResult } from '../../src/train/train';
import { UserError } from '../../src/util/errors';
import { setupLogger } from '../../src/util/log';
import { modelFloats } from '../helpers/modelFloats';
import { repoRoot, tempDir } from '../helpers/sharedData';
import { buildFixture, dlrm, mergedRows, predictInChunks, referenceEngine } from '../predict/fixtures';
import { nativeSkip } from '../engine/nativeAddonForTests';
import { predictRows, startTestServer } from '../serve/fixtures';

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

const bits = (r: TrainResult) => new Uint32Array(modelFloats(r.model.params, r.model.optimizerState).buffer);

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
  const whole = await runTraining(smokeDcn(base));
  const file = path.join(dir, 'part.ckpt');
  const first = await runTraining(smokeDcn({ ...base, saveModel: file }), { shouldStop: (p) => p.globalStep === 21 });
  assert.equal(first.stopped, true);
  const header = readCheckpointHeader(file);
  assert.deepEqual(header.arch.dcn, { numLayers: 2, lowRankDim: 8 });
  assert.ok(
    header.sections.some((s) => s.name === 'cross.3.bias') &&
      header.sections.some((s) => s.name === 'opt.cross.0.weight'),
    'cross sections',
  );
  const rest = await runTraining(smokeDcn({ ...base, saveModel: file, loadModel: file }));
  assert.equal(rest.globalStep, 32);
  const [a, b] = [bits(rest), bits(whole)];
  assert.equal(a.length, b.length);
  assert.ok(
    a.every((v, i) => v === b[i]),
    'parameters and optimizer state differ',
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
    const engine = await referenceEngine(fx);
    try {
      const batch = mergedRows(fx, 0, fx.manifest.totalRows);
      const want = await predictInChunks(engine, batch, 4096);
      const r = dlrm(
        'predict',
        '--mini-batch-size',
        '4096',
        '--load-model',
        fx.model,
        '--input',
        fx.raw,
        '--processed-data-file',
        fx.merged,
      );
      assert.equal(r.status, 0, r.stderr);
      const rows = r.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(','));
      assert.equal(rows.length, want.length);
      rows.forEach((row, i) => assert.equal(Math.fround(Number(row[1])), want[i], `line ${i + 1}`));
      assert.ok(new Set(rows.map((row) => row[1])).size > 100, 'varied probabilities');
      // serve: the first 20 raw lines (without their label) in one request
      const lines = fs
        .readFileSync(fx.raw, 'utf8')
        .split('\n')
        .slice(0, 20)
        .map((l) => l.slice(l.indexOf('\t') + 1));
      const server = await startTestServer(fx.model);
      try {
        const reply = await predictRows(server, lines);
        assert.deepEqual(Float32Array.from(reply.probabilities), want.subarray(0, 20));
      } finally {
        await server.close();
      }
    } finally {
      engine.dispose();
    }
  },
);
