// The `dlrm train` loop, top to bottom: config -> data sources -> architecture (table sizes from the
// data) -> parameters (fresh from --seed or --load-model) -> engine -> epochs of batches: LR from the
// schedule, trainStep, stop on a non-finite loss, log + metrics "train" line every --print-freq steps and
// at the last step of each epoch and of a stopped run,
// evaluate + checkpoint every --test-freq steps and at each epoch end (and keep the evaluation's model
// in --save-best when its AUC beats the best so far), checkpoint every --save-freq steps. Progress
// (epoch, batch in epoch, rows, optimizer step) and the best so far are what a checkpoint stores, so a
// resumed run continues with the very batch and learning rate an uninterrupted run would use.
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { createEngine } from '../engine/createEngine';
import type { Engine } from '../engine/engine';
import { countCorrect, type BinaryMetrics } from '../eval/metrics';
import { hasConstantDenseInput } from '../dataset/constantDense';
import { buildDlrmArch } from '../model/archConfig';
import type { DlrmArch } from '../model/arch';
import type { DlrmParams } from '../model/params';
import {
  NonFiniteValuesError,
  saveCheckpoint,
  type BestCheckpoint,
  type CheckpointProgress,
} from '../model/checkpoint';
import { checkOutputFile, removeStaleTemps } from '../util/atomic';
import { UserError } from '../util/errors';
import { acquireLock } from '../util/lock';
import { log } from '../util/log';
import { startProgress } from '../util/progress';
import { compressionOf, type TrainConfig } from './config';
import { beatsBest, startingBest } from './bestCheckpoint';
import { openTrainData, type TrainData } from './dataSources';
import { divergenceError } from './divergence';
import { evaluate } from '../eval/evaluate';
import { learningRateAt } from './lrSchedule';
import { lookahead } from './lookahead';
import { MetricsLog, runNameFor } from './metricsLog';
import { freshModel, resumeModel, type ModelStart } from './resume';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../../../package.json') as { version: string }).version;

export interface TrainOptions {
  /** Asked after every step (but the last of an epoch): true saves a checkpoint and stops (e.g. on Ctrl-C). */
  shouldStop?: (progress: CheckpointProgress) => boolean;
}

export interface TrainResult {
  engine: string;
  /** Optimizer steps done over the whole run (resumed steps included). */
  globalStep: number;
  /** The last evaluation (null when stopped before any). */
  metrics: BinaryMetrics | null;
  /** The best evaluation so far and its --save-best file (null when none was kept; without --save-best, the loaded checkpoint's record). */
  best: BestCheckpoint | null;
  /** True when shouldStop ended the run early. */
  stopped: boolean;
  /** The model's final parameters and optimizer state (host arrays). */
  model: ModelStart;
}

/** The architecture of the run: flags plus the table sizes and dense width of the data. */
function archFor(c: TrainConfig, data: TrainData): DlrmArch {
  if (hasConstantDenseInput(data.train) && c.archMlpBot[0] !== 1) {
    const bot = c.archMlpBot.join('-');
    throw new UserError(
      `--arch-mlp-bot: the first width ${c.archMlpBot[0]} (in '${bot}') must be 1: the data has no dense features, so the bottom MLP takes one constant input equal to 1 (its output is a learned vector); e.g. --arch-mlp-bot ${[1, ...c.archMlpBot.slice(1)].join('-')}`,
    );
  }
  return buildDlrmArch({
    mlpBot: c.archMlpBot,
    mlpTop: c.archMlpTop,
    sparseFeatureSize: c.archSparseFeatureSize ?? undefined,
    tableSizes: data.train.tableSizes,
    numDense: data.train.numDense,
    // --model dcn's x_0 is the cat interaction's output (src/model/deepCross.ts)
    interaction: c.model === 'dcn' ? 'cat' : c.archInteractionOp,
    interactionItself: c.model === 'dlrm' && c.archInteractionItself,
    dcn: { numLayers: c.dcnNumLayers, lowRankDim: c.dcnLowRankDim },
    compression: compressionOf(c),
    ...(c.model === 'dcn' ? { deepCross: { crossLayers: c.dcnCrossLayers } } : {}),
  });
}

/**
 * Claims the run's output files before any work: each must be writable (its folder exists), must not be
 * an input (the processed file; the loaded checkpoint for all but --save-model, which may continue it in
 * place) nor lie inside a parts folder; the checkpoints are locked against a second run writing them,
 * and the temporaries a killed run left beside them are removed. Returns the release of the locks.
 */
function claimOutputs(c: TrainConfig): () => void {
  const data = c.processedDataFile ? [{ flag: '--processed-data-file', path: c.processedDataFile }] : [];
  const loaded = c.loadModel ? [{ flag: '--load-model', path: c.loadModel }] : [];
  if (c.saveModel) checkOutputFile('--save-model', c.saveModel, data);
  if (c.saveBest) checkOutputFile('--save-best', c.saveBest, [...data, ...loaded]);
  if (c.metricsFile) {
    const checkpoints = [
      ...loaded,
      ...(c.saveModel ? [{ flag: '--save-model', path: c.saveModel }] : []),
      ...(c.saveBest ? [{ flag: '--save-best', path: c.saveBest }] : []),
    ];
    checkOutputFile('--metrics-file', c.metricsFile, [...data, ...checkpoints]);
  }
  const releases: (() => void)[] = [];
  try {
    for (const file of [c.saveModel, c.saveBest]) {
      if (!file) continue;
      releases.push(acquireLock(file));
      removeStaleTemps(file);
    }
  } catch (err) {
    releases.forEach((r) => r());
    throw err;
  }
  return () => releases.forEach((r) => r());
}

/** Runs a whole training as configured; throws a UserError on bad input or divergence. */
export async function runTraining(c: TrainConfig, opts: TrainOptions = {}): Promise<TrainResult> {
  const release = claimOutputs(c);
  try {
    return await trainClaimed(c, opts);
  } finally {
    release();
  }
}

async function trainClaimed(c: TrainConfig, opts: TrainOptions): Promise<TrainResult> {
  const data = openTrainData(c);
  let engine: Engine | undefined;
  try {
    if (c.verify && c.processedDataFile) {
      const t0 = performance.now();
      await data.checkAll(); // a damaged byte or a value out of contract stops the run before its first step
      log().info(
        { file: c.processedDataFile, seconds: Number(((performance.now() - t0) / 1000).toFixed(2)) },
        'processed file checked (checksums and values)',
      );
    }
    const arch = archFor(c, data);
    const model = c.loadModel
      ? resumeModel(c.loadModel, arch, c.optimizer, c.miniBatchSize, data.state)
      : freshModel(arch, c.optimizer, c.seed);
    const engineConfig = {
      arch,
      optimizer: c.optimizer,
      loss: c.lossFunction,
      lossWeights: c.lossWeights,
      lossThreshold: c.lossThreshold,
      precision: c.precision,
    };
    engine = await createEngine(
      { engine: c.engine, backend: c.backend ?? undefined },
      engineConfig,
      model.params,
      model.optimizerState,
    );
    return await trainLoop(c, data, arch, model, engine, opts);
  } finally {
    engine?.dispose();
    data.close();
  }
}

async function trainLoop(
  c: TrainConfig,
  data: TrainData,
  arch: DlrmArch,
  model: ModelStart,
  engine: Engine,
  opts: TrainOptions,
): Promise<TrainResult> {
  const metricsLog = new MetricsLog(c.metricsFile);
  // a resumed run continues its run in the metrics file (same id); a fresh one (or an old checkpoint's) gets a new id
  const runId = model.runId ?? randomUUID();
  metricsLog.run(runId, runNameFor(c.runName, c.metricsFile), engine.name, c, {
    arch,
    resumedFrom: c.loadModel ? { file: c.loadModel, ...model.progress } : null,
  });
  const B = c.miniBatchSize;
  const batchesPerEpoch = Math.min(Math.ceil(data.train.rows / B), c.numBatches > 0 ? c.numBatches : Infinity);
  log().info(
    {
      engine: engine.name,
      trainRows: data.train.rows,
      testRows: data.test.rows,
      tables: arch.tableSizes.length,
      parameters: countParameters(model.params),
      batchesPerEpoch,
      epochs: c.nepochs,
    },
    'training',
  );

  const at: CheckpointProgress = { ...model.progress };
  // rows are the position in the data; batches are counted in this run's batch size
  at.batchInEpoch = Math.ceil(at.rowInEpoch / B);
  if (at.batchInEpoch >= batchesPerEpoch) Object.assign(at, { epoch: at.epoch + 1, batchInEpoch: 0, rowInEpoch: 0 });
  // a run resumed in place starts with a good checkpoint at --save-model already
  let lastSaved =
    c.saveModel && c.loadModel && path.resolve(c.saveModel) === path.resolve(c.loadModel)
      ? { path: c.saveModel, step: at.globalStep }
      : null;
  let lastMetrics: BinaryMetrics | null = null;
  let best = startingBest(c.saveBest, data.testSplit, model.best);
  /** Where the last step was, for divergence messages about the model (not a batch). */
  let lastStep = {
    step: at.globalStep,
    epoch: at.epoch,
    batchInEpoch: Math.max(0, at.batchInEpoch - 1),
    lr: learningRateAt(c, Math.max(1, at.globalStep)),
  };

  const writeCheckpoint = async (file: string): Promise<void> => {
    await engine.syncToHost();
    const contents = {
      engine: engine.name,
      arch,
      params: model.params,
      optimizerState: model.optimizerState,
      progress: { ...at },
      best,
      runId,
      trainConfig: c,
      dataState: data.state,
    };
    try {
      saveCheckpoint(file, contents, `dlrm ${VERSION}`);
    } catch (err) {
      if (err instanceof NonFiniteValuesError)
        throw divergenceError(`${err.section} holds ${err.value}`, lastStep, null, c, lastSaved);
      throw err;
    }
  };
  const save = async (): Promise<void> => {
    if (!c.saveModel) return;
    await writeCheckpoint(c.saveModel);
    lastSaved = { path: c.saveModel, step: at.globalStep };
    log().info(
      { checkpoint: c.saveModel, step: at.globalStep, epoch: at.epoch, batchInEpoch: at.batchInEpoch },
      'checkpoint saved',
    );
  };
  const evaluateAndSave = async (epoch: number): Promise<BinaryMetrics> => {
    const m = await evaluate(engine, data.test, c.testMiniBatchSize);
    if (Number.isNaN(m.logloss))
      throw divergenceError(`the predictions on the ${data.testSplit} data are NaN`, lastStep, null, c, lastSaved);
    // the best checkpoint is written before the eval line that says it was kept
    let kept = false;
    if (c.saveBest !== null && beatsBest(m.auc, best)) {
      best = { file: c.saveBest, split: data.testSplit, step: at.globalStep, auc: m.auc };
      await writeCheckpoint(c.saveBest);
      kept = true;
      log().info({ checkpoint: c.saveBest, step: at.globalStep, auc: m.auc }, 'best checkpoint saved');
    }
    metricsLog.eval(at.globalStep, epoch, data.testSplit, m, c.saveBest ? kept : undefined);
    log().info(
      {
        step: at.globalStep,
        epoch,
        split: data.testSplit,
        rows: m.rows,
        auc: m.auc,
        logloss: m.logloss,
        accuracy: m.accuracy,
        ne: m.ne,
        best: c.saveBest ? kept : undefined,
      },
      'eval',
    );
    await save();
    return m;
  };

  while (at.epoch < c.nepochs) {
    const epoch = at.epoch;
    const bar = startProgress(`epoch ${epoch + 1}/${c.nepochs}`, batchesPerEpoch, 'batches');
    // the print window: loss and rows since the last train line, and the training time they took
    let windowLoss = 0;
    let windowCorrect = 0;
    let windowRows = 0;
    let windowSeconds = 0;
    let segmentStart = performance.now();
    const pauseClock = () => (windowSeconds += (performance.now() - segmentStart) / 1000);
    try {
      for await (const batch of lookahead(data.train.batches(B, at.rowInEpoch))) {
        if (at.batchInEpoch >= batchesPerEpoch) break;
        const step = at.globalStep + 1;
        lastStep = { step, epoch, batchInEpoch: at.batchInEpoch, lr: learningRateAt(c, step) };
        const { loss, predictions } = await engine.trainStep(batch, lastStep.lr);
        if (!Number.isFinite(loss)) throw divergenceError(`the loss is ${loss}`, lastStep, batch, c, lastSaved);
        Object.assign(at, {
          globalStep: step,
          batchInEpoch: at.batchInEpoch + 1,
          rowInEpoch: at.rowInEpoch + batch.size,
        });
        windowLoss += loss * batch.size;
        windowCorrect += countCorrect(predictions, batch.labels);
        windowRows += batch.size;
        const endOfEpoch = at.batchInEpoch === batchesPerEpoch;
        /** Logs the print window as a train line at this step (so the last step of an epoch or of a stopped run is always on the curves). */
        const logWindow = (): void => {
          pauseClock();
          const line = {
            step,
            epoch,
            loss: windowLoss / windowRows,
            accuracy: windowCorrect / windowRows,
            lr: lastStep.lr,
            samplesPerSec: windowRows / windowSeconds,
          };
          log().info(
            {
              ...line,
              loss: Number(line.loss.toFixed(6)),
              accuracy: Number(line.accuracy.toFixed(6)),
              samplesPerSec: Math.round(line.samplesPerSec),
            },
            'train',
          );
          metricsLog.train(line);
          bar.update(at.batchInEpoch, `loss ${line.loss.toFixed(5)}`);
          windowLoss = 0;
          windowCorrect = 0;
          windowRows = 0;
          windowSeconds = 0;
          segmentStart = performance.now();
        };
        if (step % c.printFreq === 0 || endOfEpoch) logWindow();
        else bar.update(at.batchInEpoch);
        if (endOfEpoch) break;
        if (opts.shouldStop?.({ ...at })) {
          if (windowRows > 0) logWindow();
          await save();
          log().info(
            { step, epoch, batchInEpoch: at.batchInEpoch, checkpoint: c.saveModel },
            c.saveModel ? 'stopped: resume with --load-model' : 'stopped (no --save-model: nothing to resume from)',
          );
          return { engine: engine.name, globalStep: at.globalStep, metrics: lastMetrics, best, stopped: true, model };
        }
        // evaluations and checkpoints don't count against samples/s
        const evalNow = c.testFreq > 0 && step % c.testFreq === 0;
        const saveNow = c.saveFreq > 0 && step % c.saveFreq === 0;
        if (!evalNow && !saveNow) continue;
        pauseClock();
        if (evalNow) lastMetrics = await evaluateAndSave(epoch);
        else await save();
        segmentStart = performance.now();
      }
    } finally {
      bar.stop();
    }
    // the epoch is complete: progress points at the start of the next one
    Object.assign(at, { epoch: epoch + 1, batchInEpoch: 0, rowInEpoch: 0 });
    lastMetrics = await evaluateAndSave(epoch);
  }
  // resumed from a checkpoint of a finished run: nothing to train, evaluate it once
  lastMetrics ??= await evaluateAndSave(Math.max(0, at.epoch - 1));
  await engine.syncToHost();
  return { engine: engine.name, globalStep: at.globalStep, metrics: lastMetrics, best, stopped: false, model };
}

/** Number of trainable parameters of a model. */
function countParameters(params: DlrmParams): number {
  let n = 0;
  for (const l of [...params.bottom, ...params.top]) n += l.weight.length + l.bias.length;
  for (const t of params.tables) n += t.rows * t.dim;
  return n;
}
