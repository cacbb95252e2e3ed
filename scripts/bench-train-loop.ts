// Benchmark (not a test): what the `dlrm train` loop costs on top of the engine. Times (1) bare
// engine.trainStep calls over pre-generated batches and (2) runTraining over the same synthetic rows
// (data generation with lookahead, LR schedule, logging, progress, metrics JSONL; no evaluation counted:
// the loop's own samples/s of its train lines is reported), same engine, model and batch size.
// Prints samples/s of both, the loop's overhead, and CPU seconds (the machine may be shared).
// Usage: npx tsc -p . && node dist/scripts/bench-train-loop.js [--arch small|kaggle] [--batch 128]
//          [--steps 1000] [--engine auto|tfjs|native]
// Defaults (small arch, 1000 steps of 128) take well under a minute.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Batch } from '../src/dataset/batch';
import { createEngine } from '../src/engine/createEngine';
import { allocOptimizerState } from '../src/model/allocOptimizerState';
import { buildDlrmArch } from '../src/model/archConfig';
import { initDlrmParams } from '../src/model/initParams';
import { ENGINE_CHOICES, resolveTrainConfig, type EngineChoice, type TrainConfig } from '../src/train/config';
import { openTrainData } from '../src/train/dataSources';
import { runTraining } from '../src/train/train';
import { setupLogger } from '../src/util/log';

const { values: opts } = parseArgs({
  options: {
    arch: { type: 'string', default: 'small' },
    batch: { type: 'string', default: '128' },
    steps: { type: 'string', default: '1000' },
    engine: { type: 'string', default: 'auto' },
  },
});
if (!(ENGINE_CHOICES as readonly string[]).includes(opts.engine))
  throw new Error(`--engine ${opts.engine}: one of ${ENGINE_CHOICES.join(', ')}`);

const B = Number(opts.batch);
const steps = Number(opts.steps);
const kaggle = opts.arch === 'kaggle';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlrm-bench-loop-'));
const config: TrainConfig = resolveTrainConfig({
  dataGeneration: 'synthetic',
  archMlpBot: kaggle ? [13, 512, 256, 64, 16] : [13, 64, 16],
  archMlpTop: kaggle ? [512, 256, 1] : [64, 1],
  dataSize: B * steps,
  miniBatchSize: B,
  printFreq: steps,
  testMiniBatchSize: 4096,
  engine: opts.engine as EngineChoice,
  metricsFile: path.join(dir, 'metrics.jsonl'),
});

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

async function bareEngine(): Promise<{ samplesPerSec: number; cpu: number; engine: string }> {
  const data = openTrainData(config);
  const batches: Batch[] = [];
  for await (const b of data.train.batches(B)) batches.push(b);
  const arch = buildDlrmArch({
    mlpBot: config.archMlpBot,
    mlpTop: config.archMlpTop,
    tableSizes: data.train.tableSizes,
    numDense: data.train.numDense,
    interaction: 'dot',
    interactionItself: false,
  });
  const params = initDlrmParams(arch, config.seed);
  const engine = await createEngine(
    { engine: config.engine },
    { arch, optimizer: config.optimizer, loss: config.lossFunction, lossWeights: config.lossWeights, lossThreshold: 0 },
    params,
    allocOptimizerState(params, config.optimizer),
  );
  await engine.trainStep(batches[0], config.learningRate); // warmup
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const b of batches) await engine.trainStep(b, config.learningRate);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(cpu0);
  engine.dispose();
  return { samplesPerSec: (batches.length * B) / seconds, cpu, engine: engine.name };
}

async function main(): Promise<void> {
  setupLogger({ level: 'warn', pretty: false });
  const bare = await bareEngine();
  const cpu0 = process.cpuUsage();
  await runTraining(config);
  const cpu = cpuSeconds(cpu0);
  const train = fs
    .readFileSync(config.metricsFile as string, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; samplesPerSec?: number })
    .filter((l) => l.type === 'train');
  const loop = train[train.length - 1].samplesPerSec as number;
  console.log(`engine ${bare.engine}, arch ${opts.arch}, B=${B}, ${steps} steps`);
  console.log(`bare engine.trainStep : ${bare.samplesPerSec.toFixed(0)} samples/s (CPU ${bare.cpu.toFixed(1)} s)`);
  console.log(
    `dlrm train loop       : ${loop.toFixed(0)} samples/s (CPU ${cpu.toFixed(1)} s incl. data generation and the final evaluation)`,
  );
  console.log(
    `loop overhead         : ${(100 * (bare.samplesPerSec / loop - 1)).toFixed(1)}% (negative: lookahead hides data generation)`,
  );
  fs.rmSync(dir, { recursive: true, force: true });
}

void main();
