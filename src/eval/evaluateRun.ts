// `dlrm eval`: one split of a merged processed file scored by a trained checkpoint. The split is streamed
// through the loader (any size), its indices folded by the training run's --max-ind-range exactly as
// training did (and given its constant dense input when the file has no dense feature), and the model is refused when its dense width or tables do not fit the file.
import { withConstantDense } from '../dataset/constantDense';
import { openDatasetSplit } from '../dataset/partsSource';
import type { SplitName } from '../dataset/manifest';
import type { EngineOptions } from '../engine/createEngine';
import { foldIndices } from '../dataset/foldIndices';
import { checkModelFitsData, createInferenceEngine, loadInferenceModel } from '../predict/inferenceModel';
import { log } from '../util/log';
import { evaluate } from './evaluate';
import type { BinaryMetrics } from './metrics';

export interface EvalConfig extends EngineOptions {
  processedDataFile: string;
  loadModel: string;
  split: SplitName;
  /** Rows per engine call. */
  miniBatchSize: number;
  /** Check each row group's checksum and values on its first read (false: --no-verify). */
  verify: boolean;
}

export interface EvalResult {
  processedDataFile: string;
  model: string;
  /** Optimizer steps the model was trained for (from its checkpoint). */
  modelSteps: number;
  split: SplitName;
  engine: string;
  metrics: BinaryMetrics;
  /** Wall time of the scoring pass (reading, predicting, metrics). */
  seconds: number;
  samplesPerSec: number;
}

/** Evaluates the checkpoint `c.loadModel` on split `c.split` of `c.processedDataFile`. */
export async function runEval(c: EvalConfig): Promise<EvalResult> {
  const model = loadInferenceModel(c.loadModel);
  const split = openDatasetSplit(c.processedDataFile, c.split, { verify: c.verify });
  try {
    const source = withConstantDense(foldIndices(split, model.maxIndRange));
    checkModelFitsData(model, source, c.processedDataFile);
    const engine = await createInferenceEngine(model, c);
    try {
      log().info(
        { model: c.loadModel, data: c.processedDataFile, split: c.split, rows: source.rows, engine: engine.name },
        'evaluating',
      );
      const started = performance.now();
      const metrics = await evaluate(engine, source, c.miniBatchSize, `eval ${c.split}`);
      const seconds = (performance.now() - started) / 1000;
      const samplesPerSec = metrics.rows / Math.max(seconds, 1e-9);
      log().info({ rows: metrics.rows, seconds, samplesPerSec: Math.round(samplesPerSec) }, 'eval done');
      return {
        processedDataFile: c.processedDataFile,
        model: c.loadModel,
        modelSteps: model.header.progress.globalStep,
        split: c.split,
        engine: engine.name,
        metrics,
        seconds,
        samplesPerSec,
      };
    } finally {
      engine.dispose();
    }
  } finally {
    split.close();
  }
}
