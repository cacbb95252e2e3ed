// `dlrm predict`, `dlrm serve` and `dlrm eval` on QR and MD models trained on the real Kaggle sample
// (../shared; skipped with the reason when absent): the raw lines score exactly as the engine scores their
// processed rows, through predict and through serve's /v1/predict, and eval's AUC on the test split is the
// training run's final one.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Manifest } from '../../src/dataset/manifest';
import { createInferenceEngine, loadInferenceModel } from '../../src/predict/inferenceModel';
import { runPreprocess } from '../../src/preprocess/pipeline';
import { resolveTrainConfig, type TrainConfig } from '../../src/train/config';
import { runTraining } from '../../src/train/train';
import { setupLogger } from '../../src/util/log';
import { sharedCriteoFile, tempDir } from '../helpers/sharedData';
import { dlrm, predictInChunks } from '../predict/fixtures';
import { ProcessedFileReader } from '../../src/dataset/processedFile';
import { predictRows, startTestServer } from '../serve/fixtures';
import { preprocessConfig } from '../../src/preprocess/preprocessConfig';

const raw = sharedCriteoFile('kaggle-sample.txt');
const skip = 'skip' in raw ? raw.skip : false;
const dir = tempDir('qrmd-predict');
let merged = '';

before(async () => {
  if ('skip' in raw) return;
  setupLogger({ level: 'warn', pretty: false });
  merged = path.join(dir, 'k.dlrm');
  await runPreprocess(preprocessConfig(raw.path, merged, { dataRandomize: 'none', workers: 1 }));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const cases: { name: string; flags: Partial<TrainConfig> }[] = [
  { name: 'qr', flags: { qrFlag: true, qrCollisions: 8 } },
  { name: 'md', flags: { mdFlag: true, mdRoundDims: true } },
];

for (const { name, flags } of cases) {
  test(
    `${name}: predict and serve score raw lines as the engine scores their rows; eval gives the training's AUC (trained on the auto engine, scored by tfjs: within 1e-4)`,
    { skip },
    async () => {
      if ('skip' in raw) return;
      const model = path.join(dir, `${name}.ckpt`);
      const trained = await runTraining(
        resolveTrainConfig({
          processedDataFile: merged,
          archMlpBot: [13, 16, 8],
          archMlpTop: [16, 1],
          numBatches: 30,
          miniBatchSize: 128,
          learningRate: 0.1,
          printFreq: 1000,
          saveModel: model,
          ...flags,
        }),
      );
      const m = loadInferenceModel(model);
      assert.ok(m.params.compressed?.some(Boolean), 'compressed features');
      const r = dlrm('predict', '--mini-batch-size', '4096', '--load-model', model, '--input', raw.path);
      assert.equal(r.status, 0, r.stderr);
      const rows = r.stdout.trimEnd().split('\n').slice(1);
      const reader = ProcessedFileReader.open(merged);
      const batch = reader.read(0, (reader.metadata as Manifest).totalRows);
      reader.close();
      const engine = await createInferenceEngine(m, { engine: 'tfjs', backend: 'cpu' });
      const want = await predictInChunks(engine, batch, 4096);
      engine.dispose();
      assert.equal(rows.length, want.length);
      rows.forEach((row, i) => assert.equal(Math.fround(Number(row.split(',')[1])), want[i], `line ${i + 1}`));
      assert.ok(new Set(want).size > 100, 'varied scores');
      // dlrm serve: the first 200 raw lines posted as rows score the same
      const lines = fs.readFileSync(raw.path, 'utf8').split('\n').slice(0, 200);
      const server = await startTestServer(model);
      try {
        const reply = await predictRows(server, lines);
        assert.deepEqual(Float32Array.from(reply.probabilities), want.subarray(0, 200));
      } finally {
        await server.close();
      }
      const e = dlrm('eval', '--load-model', model, '--processed-data-file', merged, '--json');
      assert.equal(e.status, 0, e.stderr);
      const auc = (JSON.parse(e.stdout) as { auc: number }).auc;
      assert.ok(
        Math.abs(auc - (trained.metrics?.auc ?? NaN)) < 1e-4,
        `eval AUC ${auc}, training's ${trained.metrics?.auc}`,
      );
    },
  );
}
