// `dlrm predict`: scores raw Criteo rows with a trained checkpoint. Raw lines -> (preprocess parser +
// saved vocabularies, RawRowSource) -> the training run's --max-ind-range folding (and the constant dense
// input of data without dense features, src/dataset/constantDense.ts) -> engine.predict in
// batches -> CSV rows, written as they come (bounded memory for any input size). One batch is scored
// while the previous one is written, so an engine working off the main thread (native) overlaps the CSV.
// The manifest's tables must fit the model exactly (count and rows per table, dense width), else a UserError.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { withConstantDense } from '../dataset/constantDense';
import type { EngineOptions } from '../engine/createEngine';
import { foldIndices } from '../train/foldIndices';
import { UserError } from '../util/errors';
import { log } from '../util/log';
import { formatCount, startProgress } from '../util/progress';
import { checkModelFitsData, createInferenceEngine, loadInferenceModel } from './inferenceModel';
import { locateManifest } from './manifestLocation';
import { PredictionCsv } from './predictionCsv';
import { RawRowSource } from './rawRowSource';
import { CustomRowSource } from '../schema/customRowSource';
import { VocabularyLookup } from './vocabularyLookup';

export interface PredictConfig extends EngineOptions {
  loadModel: string;
  input: string;
  /** CSV output file; null: stdout. */
  output: string | null;
  /** Where the vocabularies are found (see locateManifest); both undefined: the checkpoint's training data. */
  processedDataFile?: string;
  manifest?: string;
  miniBatchSize: number;
}

export interface PredictResult {
  rows: number;
  hasLabel: boolean;
  engine: string;
  seconds: number;
}

/** Scores every line of `c.input` and writes the CSV. */
export async function runPredict(c: PredictConfig): Promise<PredictResult> {
  const started = performance.now();
  if (c.output !== null && !fs.existsSync(path.dirname(path.resolve(c.output)))) throw new UserError(`--output ${c.output}: folder ${path.dirname(path.resolve(c.output))} does not exist`);
  const model = loadInferenceModel(c.loadModel);
  const where = locateManifest(c, model);
  let bytesRead = 0;
  const onBytes = (n: number): void => void (bytesRead += n);
  // users' own schemas (dlrm preprocess --schema) have their own row parser and 64-bit vocabularies
  const raw =
    where.manifest.options.dataSet === 'custom'
      ? await CustomRowSource.open(c.input, where.manifest, where.dir, onBytes)
      : await RawRowSource.open(c.input, where.manifest, VocabularyLookup.load(where.manifest, where.dir), { onBytes });
  const source = withConstantDense(foldIndices(raw, model.maxIndRange));
  checkModelFitsData(model, source, `the vocabularies of ${where.source}`);
  const engine = await createInferenceEngine(model, c);
  const csv = new PredictionCsv(c.output, raw.hasLabel);
  // no bar when the CSV itself goes to the terminal: the bar would be drawn into its lines
  const bar = c.output === undefined && process.stdout.isTTY ? undefined : startProgress('predict', Math.max(1, Math.round(fs.statSync(c.input).size / 1e6)), 'MB');
  let rows = 0;
  // one batch in the engine while the main thread writes the previous one's CSV and parses the next block
  let inFlight: { scores: Promise<Float32Array>; labels: Float32Array; firstLine: number } | null = null;
  try {
    log().info({ model: c.loadModel, input: c.input, vocabularies: where.source, labelled: raw.hasLabel, engine: engine.name, output: c.output ?? 'stdout' }, 'predicting');
    for await (const batch of source.batches(c.miniBatchSize)) {
      const previous = inFlight;
      const previousScores = previous ? await previous.scores : null;
      const scores = engine.predict(batch);
      scores.catch(() => undefined); // awaited below; a failure while the CSV is written must not go unhandled
      inFlight = { scores, labels: batch.labels, firstLine: rows + 1 };
      rows += batch.size;
      if (previous && previousScores) await csv.write(previous.firstLine, previousScores, previous.labels);
      bar?.update(Math.round(bytesRead / 1e6), `${formatCount(rows)} rows`);
    }
    if (inFlight) await csv.write(inFlight.firstLine, await inFlight.scores, inFlight.labels);
    await csv.close();
  } catch (err) {
    await inFlight?.scores.catch(() => undefined); // the engine must be idle before it is disposed
    csv.abort();
    throw err;
  } finally {
    bar?.stop();
    engine.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  log().info({ rows, seconds, rowsPerSec: Math.round(rows / Math.max(seconds, 1e-9)), output: c.output ?? 'stdout' }, 'predict done');
  return { rows, hasLabel: raw.hasLabel, engine: engine.name, seconds };
}
