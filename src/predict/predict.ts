// `dlrm predict`: scores raw rows with a trained checkpoint. Raw lines (or Parquet rows rendered as lines,
// src/rawformat/parquetRows.ts) -> the RowEncoder shared with
// `dlrm serve` (preprocess parser + saved vocabularies, the training run's --max-ind-range folding and the
// constant dense input of data without dense features; src/predict/rowEncoder.ts), read in blocks by
// RawFileSource -> engine.predict in batches -> CSV rows, written as they come (bounded memory for any input size). One batch is scored
// while the previous one is written, so an engine working off the main thread (native) overlaps the CSV.
// The manifest's tables must fit the model exactly (count and rows per table, dense width), else a UserError.
import * as fs from 'node:fs';
import type { EngineOptions } from '../engine/createEngine';
import { checkOutputFile } from '../util/atomic';
import { log } from '../util/log';
import { formatCount, startProgress } from '../util/progress';
import { createInferenceEngine, loadInferenceModel, type InferenceModel } from './inferenceModel';
import { locateManifest, type ManifestLocation } from './manifestLocation';
import { KAGGLE_FIRST_ID, PredictionCsv, type PredictFormat, type ScoredRows } from './predictionCsv';
import { inputHasLabel, RawFileSource } from './rawFileSource';
import type { RowEncoder } from './rowEncoder';
import { openRowEncoder } from './modelRowEncoder';
import { isParquetInput, parquetFiles } from '../rawformat/parquetReader';
import { parquetHasLabel, parquetTextSchema, ParquetRowSource } from '../rawformat/parquetRows';
import type { BatchSource } from '../dataset/source';
import type { RowLines } from './rowLines';
import { UserError } from '../util/errors';

export interface PredictConfig extends EngineOptions {
  loadModel: string;
  input: string;
  /** CSV output file; null: stdout. */
  output: string | null;
  /** Where the vocabularies are found (see locateManifest); both undefined: the checkpoint's training data. */
  processedDataFile?: string;
  manifest?: string;
  miniBatchSize: number;
  /** csv (line, [id,] probability[, label]) or kaggle-submission (Id,Predicted). */
  format: PredictFormat;
  /** csv: add a column of this name holding each row's id. */
  idColumn: string | null;
  /** The first data row's id; null: 0, or 60000000 (Kaggle's test.txt) for kaggle-submission. */
  idStart: number | null;
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
  if (c.output !== null) {
    const inputs = [
      { flag: '--input', path: c.input },
      { flag: '--load-model', path: c.loadModel },
      ...(c.processedDataFile ? [{ flag: '--processed-data-file', path: c.processedDataFile }] : []),
      ...(c.manifest ? [{ flag: '--manifest', path: c.manifest }] : []),
    ];
    checkOutputFile('--output', c.output, inputs);
  }
  const model = loadInferenceModel(c.loadModel);
  const where = locateManifest(c, model);
  let bytesRead = 0;
  const onBytes = (n: number): void => void (bytesRead += n);
  const { encoder, source, inputBytes } = await openInput(c.input, where, model, onBytes);
  const engine = await createInferenceEngine(model, c);
  const idStart = c.idStart ?? (c.format === 'kaggle-submission' ? KAGGLE_FIRST_ID : 0);
  const csv = new PredictionCsv(c.output, {
    format: c.format,
    idColumn: c.idColumn,
    idStart,
    withLabel: encoder.hasLabel,
  });
  // no bar when the CSV itself goes to the terminal: the bar would be drawn into its lines
  const bar =
    c.output === null && process.stdout.isTTY
      ? undefined
      : startProgress('predict', Math.max(1, Math.round(inputBytes / 1e6)), 'MB');
  let rows = 0;
  // one batch in the engine while the main thread writes the previous one's CSV and parses the next block
  let inFlight: { scores: Promise<Float32Array>; rows: Omit<ScoredRows, 'probabilities'> } | null = null;
  try {
    log().info(
      {
        model: c.loadModel,
        input: c.input,
        vocabularies: where.source,
        labelled: encoder.hasLabel,
        engine: engine.name,
        output: c.output ?? 'stdout',
      },
      'predicting',
    );
    for await (const batch of source.batches(c.miniBatchSize)) {
      const previous = inFlight;
      const previousScores = previous ? await previous.scores : null;
      const scores = engine.predict(batch);
      scores.catch(() => undefined); // awaited below; a failure while the CSV is written must not go unhandled
      inFlight = { scores, rows: { lines: source.lines.take(batch.size), firstPosition: rows, labels: batch.labels } };
      rows += batch.size;
      if (previous && previousScores) await csv.write({ ...previous.rows, probabilities: previousScores });
      bar?.update(Math.round(bytesRead / 1e6), `${formatCount(rows)} rows`);
    }
    if (inFlight) await csv.write({ ...inFlight.rows, probabilities: await inFlight.scores });
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
  log().info(
    { rows, seconds, rowsPerSec: Math.round(rows / Math.max(seconds, 1e-9)), output: c.output ?? 'stdout' },
    'predict done',
  );
  return { rows, hasLabel: encoder.hasLabel, engine: engine.name, seconds };
}

/** The input's row encoder and batches: a raw text file, or Parquet (a file, folder or glob of parts). */
async function openInput(
  input: string,
  where: ManifestLocation,
  model: InferenceModel,
  onBytes: (n: number) => void,
): Promise<{ encoder: RowEncoder; source: BatchSource & { lines: RowLines }; inputBytes: number }> {
  const schema = where.manifest.schema;
  if (!isParquetInput(input)) {
    const encoder = openRowEncoder(where, model, await inputHasLabel(input, schema));
    return { encoder, source: new RawFileSource(input, encoder, schema, onBytes), inputBytes: fs.statSync(input).size };
  }
  if (where.manifest.options.dataSet !== 'custom')
    throw new UserError(
      `--input ${input}: Parquet input needs a model trained on data preprocessed with --schema (${where.source} is Criteo ${where.manifest.options.dataSet})`,
    );
  const files = parquetFiles(input, '--input');
  const encoder = openRowEncoder(
    { ...where, manifest: { ...where.manifest, schema: parquetTextSchema(schema) } },
    model,
    await parquetHasLabel(input, schema, '--input'),
  );
  return {
    encoder,
    source: new ParquetRowSource(files, encoder, schema, onBytes),
    inputBytes: files.reduce((s, f) => s + fs.statSync(f).size, 0),
  };
}
