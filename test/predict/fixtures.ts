// Test fixtures for `dlrm eval` / `dlrm predict`: a generated Criteo-shaped raw file, preprocessed in
// process (file order kept: --data-randomize none, so merged row i is raw line i+1), a briefly trained
// model checkpoint, and independent predictions: an engine built from the training run's own final
// parameters (not from the checkpoint reader under test), run on rows read straight from the merged file.
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadProfile } from '../../src/criteo/generatorProfile';
import { generateTextFile } from '../../src/criteo/generatorText';
import type { Batch } from '../../src/dataset/batch';
import { sliceBatch } from '../../src/dataset/batchRows';
import type { Manifest } from '../../src/dataset/manifest';
import { ProcessedFileReader } from '../../src/dataset/processedFile';
import { createEngine } from '../../src/engine/createEngine';
import type { Engine } from '../../src/engine/engine';
import { allocOptimizerState } from '../../src/model/allocOptimizerState';
import { readCheckpointHeader } from '../../src/model/checkpoint';
import { runPreprocess } from '../../src/preprocess/pipeline';
import { resolveTrainConfig, type TrainConfig } from '../../src/train/config';
import { runTraining, type TrainResult } from '../../src/train/train';
import { repoRoot } from '../helpers/sharedData';

export interface FixtureOptions {
  rows: number;
  seed: number;
  /** preprocess --min-frequency */
  minFrequency?: number;
  /** preprocess --max-ind-range (categorical values modulo M before the vocabulary) */
  preprocessMaxIndRange?: number;
  /** train --max-ind-range (indices folded modulo M) */
  trainMaxIndRange?: number;
  /** Other train settings (e.g. the interaction) over the fixture's small model. */
  train?: Partial<TrainConfig>;
}

export interface Fixture {
  raw: string;
  merged: string;
  model: string;
  manifest: Manifest;
  trained: TrainResult;
  trainMaxIndRange: number;
}

/** Preprocesses `raw` (a file of labelled lines) and trains a small model on it for 20 batches. */
export async function preprocessAndTrain(
  dir: string,
  name: string,
  raw: string,
  o: Omit<FixtureOptions, 'rows' | 'seed'> = {},
): Promise<Fixture> {
  const merged = path.join(dir, `${name}.dlrm`);
  const { manifest } = await runPreprocess({
    rawDataFile: raw,
    processedDataFile: merged,
    dataSet: 'kaggle',
    maxIndRange: o.preprocessMaxIndRange ?? -1,
    dataSubSampleRate: 0,
    dataRandomize: 'none',
    minFrequency: o.minFrequency ?? 0,
    seed: 0,
    skipInvalidLines: false,
    resume: false,
    workers: 1,
  });
  const model = path.join(dir, `${name}.ckpt`);
  const trainMaxIndRange = o.trainMaxIndRange ?? 0;
  const trained = await runTraining(
    resolveTrainConfig({
      processedDataFile: merged,
      archMlpBot: [13, 16, 8],
      archMlpTop: [16, 1],
      numBatches: 20,
      miniBatchSize: 128,
      learningRate: 0.2,
      maxIndRange: trainMaxIndRange,
      printFreq: 1000,
      saveModel: model,
      ...o.train,
    }),
  );
  return { raw, merged, model, manifest, trained, trainMaxIndRange };
}

/** Generates `rows` raw lines, preprocesses them and trains a model. */
export async function buildFixture(dir: string, name: string, o: FixtureOptions): Promise<Fixture> {
  const raw = path.join(dir, `${name}.txt`);
  await generateTextFile({ profile: loadProfile('kaggle'), rows: o.rows, out: raw, seed: o.seed, withLabel: true }); // (async with the generator's workers)
  return preprocessAndTrain(dir, name, raw, o);
}

/**
 * The engine of every comparison, in process and in the CLI: pure-JS tfjs, the same in any process. (With
 * 'auto' one process may get the native engine and another tfjs, whose float32 sums differ in the last
 * bit, and the comparisons are exact.)
 */
const ENGINE = { engine: 'tfjs', backend: 'cpu' } as const;

/** An engine on the training run's final parameters. */
export function referenceEngine(f: Fixture): Promise<Engine> {
  const { arch } = readCheckpointHeader(f.model);
  const params = f.trained.model.params;
  return createEngine(
    ENGINE,
    { arch, optimizer: 'sgd', loss: 'bce', lossWeights: [1, 1], lossThreshold: 0 },
    params,
    allocOptimizerState(params, 'sgd'),
  );
}

/** `batch` with every index of a table larger than M replaced by index % M (the training run's folding). */
export function foldBatch(batch: Batch, tableSizes: readonly number[], M: number): Batch {
  if (M <= 0) return batch;
  return {
    ...batch,
    sparse: batch.sparse.map((bag, t) =>
      tableSizes[t] > M ? { offsets: bag.offsets, indices: bag.indices.map((i) => i % M) } : bag,
    ),
  };
}

/** Rows [start, end) of the merged file, as the model sees them (folded). */
export function mergedRows(f: Fixture, start: number, end: number): Batch {
  const reader = ProcessedFileReader.open(f.merged);
  try {
    return foldBatch(
      reader.read(start, end),
      f.manifest.tables.map((t) => t.count),
      f.trainMaxIndRange,
    );
  } finally {
    reader.close();
  }
}

/** The engine's probabilities for `batch`, `chunk` rows per call. */
export async function predictInChunks(engine: Engine, batch: Batch, chunk: number): Promise<Float32Array> {
  const out = new Float32Array(batch.size);
  for (let a = 0; a < batch.size; a += chunk)
    out.set(await engine.predict(sliceBatch(batch, a, Math.min(batch.size, a + chunk))), a);
  return out;
}

/** Runs the built CLI (`node bin/dlrm.js <command> --engine tfjs --backend cpu ...`, the reference engine's). */
export function dlrm(
  command: 'eval' | 'predict',
  ...args: string[]
): { stdout: string; stderr: string; status: number | null } {
  const cli = [
    path.join(repoRoot(), 'bin', 'dlrm.js'),
    command,
    '--engine',
    ENGINE.engine,
    '--backend',
    ENGINE.backend,
    ...args,
  ];
  const r = spawnSync(process.execPath, cli, { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}
