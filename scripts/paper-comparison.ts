// The DLRM paper's comparison experiment (Naumov et al. 2019, section 6, its figure of training and
// validation accuracy over one epoch) as a script (not a test): DLRM (configs/kaggle.json) against the
// original DCN (configs/paper-dcn.json: 6 cross layers beside a deep 512-256 network, d = 16), each under SGD
// (lr 0.1) and Adagrad (lr 0.01), trained for one epoch on a processed file and evaluated on its --test-split
// every --test-freq steps; one metrics JSONL per run in --out-dir (train lines carry the print window's
// training accuracy), then one `dlrm report` page (report.html) whose accuracy chart overlays every run's
// training (solid) and evaluation (dashed) accuracy like the paper's figure, and a table of the final
// figures on stdout. --with-dcn-v2 adds DLRM with the DCN-v2 interaction (TorchRec's low-rank cross network,
// 3 layers of rank 64) as an extra model. Measured figures: docs/MODEL.md, "The paper's comparison".
// Usage: node dist/scripts/paper-comparison.js --processed-data-file F [--out-dir DIR] [--test-freq N]
//        [--test-split val|test] [--mini-batch-size 128] [--num-batches 0] [--print-freq 64]
//        [--engine auto] [--with-dcn-v2]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { renderReport } from '../src/report/html';
import { readMetricsFile, type TrainPoint } from '../src/report/metricsFile';
import { resolveTrainConfig, type TrainConfig } from '../src/train/config';
import { runTraining } from '../src/train/train';
import { writeFileAtomic } from '../src/util/atomic';
import { setupLogger } from '../src/util/log';

const { values: opts } = parseArgs({
  options: {
    'processed-data-file': { type: 'string' },
    'out-dir': { type: 'string', default: 'paper-comparison' },
    'test-freq': { type: 'string', default: '0' },
    'test-split': { type: 'string', default: 'val' },
    'mini-batch-size': { type: 'string', default: '128' },
    'num-batches': { type: 'string', default: '0' },
    'print-freq': { type: 'string', default: '64' },
    engine: { type: 'string', default: 'auto' },
    'with-dcn-v2': { type: 'boolean', default: false },
  },
});

const configs = path.join(__dirname, '..', '..', 'configs');
/** Each model: its config file and the settings over it. */
const MODELS: Record<string, { file: string; over: Partial<TrainConfig> }> = {
  dlrm: { file: 'kaggle.json', over: {} },
  dcn: { file: 'paper-dcn.json', over: {} },
  ...(opts['with-dcn-v2']
    ? { 'dcn-v2': { file: 'kaggle.json', over: { archInteractionOp: 'dcn', dcnNumLayers: 3, dcnLowRankDim: 64 } } }
    : {}),
};
const OPTIMIZERS: Record<string, Partial<TrainConfig>> = {
  sgd: { optimizer: 'sgd', learningRate: 0.1 },
  adagrad: { optimizer: 'adagrad', learningRate: 0.01 },
};

const fixed = (v: number | null | undefined) => (v === null || v === undefined ? '   -  ' : v.toFixed(4));

/** Training accuracy over the train lines of the last 10% of the steps, each window weighted by its steps. */
function lateTrainAccuracy(train: TrainPoint[]): number | null {
  const last = train.length > 0 ? train[train.length - 1].step : 0;
  let steps = 0,
    sum = 0;
  train.forEach((p, i) => {
    const width = p.step - (i > 0 ? train[i - 1].step : 0);
    if (p.accuracy === null || p.step <= 0.9 * last) return;
    steps += width;
    sum += width * p.accuracy;
  });
  return steps > 0 ? sum / steps : null;
}

async function main(): Promise<void> {
  const file = opts['processed-data-file'];
  if (!file) throw new Error('--processed-data-file is required (the output of `dlrm preprocess`)');
  const outDir = path.resolve(opts['out-dir']);
  fs.mkdirSync(outDir, { recursive: true });
  setupLogger({ level: 'warn', pretty: false });
  const rows: string[] = [];
  const metricsFiles: string[] = [];
  for (const [model, { file: configFile, over }] of Object.entries(MODELS)) {
    for (const [optimizer, opt] of Object.entries(OPTIMIZERS)) {
      const name = `${model}-${optimizer}`;
      const metricsFile = path.join(outDir, `${name}.jsonl`);
      fs.rmSync(metricsFile, { force: true });
      const config = resolveTrainConfig(
        {
          processedDataFile: path.resolve(file),
          ...over,
          ...opt,
          testFreq: Number(opts['test-freq']),
          testSplit: opts['test-split'] as TrainConfig['testSplit'],
          miniBatchSize: Number(opts['mini-batch-size']),
          numBatches: Number(opts['num-batches']),
          printFreq: Number(opts['print-freq']),
          engine: opts.engine as TrainConfig['engine'],
          metricsFile,
          runName: name,
        },
        path.join(configs, configFile),
      );
      const started = performance.now();
      const r = await runTraining(config);
      const m = r.metrics;
      const trainAccuracy = lateTrainAccuracy(readMetricsFile(metricsFile).flatMap((run) => run.train));
      const line = `${name.padEnd(16)} ${String(r.globalStep).padStart(7)}  ${fixed(trainAccuracy)}     ${fixed(m?.accuracy)}  ${fixed(m?.auc)}  ${fixed(m?.logloss)}  ${((performance.now() - started) / 1000).toFixed(1).padStart(7)}`;
      console.log(line);
      rows.push(line);
      metricsFiles.push(metricsFile);
    }
  }
  const report = path.join(outDir, 'report.html');
  const title = `DLRM vs DCN, SGD and Adagrad (${path.basename(file)})`;
  writeFileAtomic(report, renderReport(metricsFiles.flatMap(readMetricsFile), title));
  console.log(
    `\nrun                steps  train acc  ${opts['test-split']} acc  AUC     logloss  seconds   (train acc: over the last 10% of the steps; the rest: the final evaluation)`,
  );
  for (const r of rows) console.log(r);
  console.log(`report: ${report}; metrics: ${metricsFiles.map((f) => path.basename(f)).join(', ')}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
