// A trained checkpoint loaded for inference (`dlrm eval`, `dlrm predict`): its architecture and parameters
// (the optimizer state is read because the checkpoint holds it, then dropped), the training run's
// --max-ind-range (indices are folded the same way before scoring) and the processed file it was trained on.
// checkModelFitsData refuses data whose dense width or embedding tables (count, rows per table) differ from
// the model's, naming the checkpoint, the data and each difference.
import type { DlrmArch } from '../model/arch';
import { allocDlrmParams } from '../model/allocParams';
import { allocOptimizerState } from '../model/allocOptimizerState';
import {
  loadCheckpointInto,
  loadCheckpointIntoYielding,
  readCheckpointHeader,
  type CheckpointHeader,
} from '../model/checkpoint';
import type { OptimizerState } from '../model/optimizerState';
import type { DlrmParams } from '../model/params';
import { createEngine, type EngineOptions } from '../engine/createEngine';
import type { Engine } from '../engine/engine';
import type { LossConfig } from '../model/loss';
import type { BatchSource } from '../dataset/source';
import type { DataState } from '../train/dataSources';
import type { TrainConfig } from '../train/config';
import { UserError } from '../util/errors';

export interface InferenceModel {
  /** The checkpoint file. */
  file: string;
  header: CheckpointHeader;
  arch: DlrmArch;
  params: DlrmParams;
  /** The training run's --max-ind-range: indices are folded modulo this before scoring (<= 0: off). */
  maxIndRange: number;
  /** The processed file the model was trained on, as the training run named it (null: random/synthetic data). */
  processedDataFile: string | null;
  /** The training loss settings (only used to build an engine; predictions do not depend on them). */
  loss: LossConfig;
}

/** Reads a checkpoint written by `dlrm train --save-model` for scoring. */
export function loadInferenceModel(file: string): InferenceModel {
  const { header, params, state } = allocFor(file);
  loadCheckpointInto(file, header, params, state);
  return inferenceModelOf(file, header, params);
}

/** loadInferenceModel without holding the event loop for the whole read (`dlrm serve`'s loads and reloads). */
export async function loadInferenceModelYielding(file: string): Promise<InferenceModel> {
  const { header, params, state } = allocFor(file);
  await loadCheckpointIntoYielding(file, header, params, state);
  return inferenceModelOf(file, header, params);
}

/** The checkpoint's header and empty arrays for what it holds. */
function allocFor(file: string): { header: CheckpointHeader; params: DlrmParams; state: OptimizerState } {
  const header = readCheckpointHeader(file);
  const params = allocDlrmParams(header.arch);
  return { header, params, state: allocOptimizerState(params, header.optimizer) };
}

function inferenceModelOf(file: string, header: CheckpointHeader, params: DlrmParams): InferenceModel {
  const data = (header.dataState ?? {}) as Partial<DataState>;
  const config = (header.trainConfig ?? {}) as Partial<TrainConfig>;
  return {
    file,
    header,
    arch: header.arch,
    params,
    maxIndRange: data.maxIndRange ?? config.maxIndRange ?? 0,
    processedDataFile: data.processedDataFile ?? config.processedDataFile ?? null,
    loss: {
      loss: config.lossFunction ?? 'bce',
      lossWeights: config.lossWeights ?? [1, 1],
      lossThreshold: config.lossThreshold ?? 0,
    },
  };
}

/**
 * Refuses data that does not fit the model: `data` (already folded by the model's --max-ind-range) must
 * have the model's dense width and exactly its tables, each with the model's row count.
 */
export function checkModelFitsData(
  model: InferenceModel,
  data: Pick<BatchSource, 'numDense' | 'tableSizes'>,
  dataName: string,
): void {
  const { arch } = model;
  const problems: string[] = [];
  if (data.numDense !== arch.mlpBot[0])
    problems.push(`the model takes ${arch.mlpBot[0]} dense features, the data has ${data.numDense}`);
  if (data.tableSizes.length !== arch.tableSizes.length) {
    problems.push(
      `the model has ${arch.tableSizes.length} embedding tables, the data has ${data.tableSizes.length} categorical features`,
    );
  } else {
    const sizes = arch.tableSizes.flatMap((n, t) =>
      n !== data.tableSizes[t] ? [`table ${t}: ${n} rows in the model, ${data.tableSizes[t]} in the data`] : [],
    );
    if (sizes.length > 0)
      problems.push(
        `embedding table sizes differ: ${sizes.slice(0, 5).join('; ')}${sizes.length > 5 ? `; and ${sizes.length - 5} more` : ''}`,
      );
  }
  if (problems.length > 0) {
    const fold = model.maxIndRange > 0 ? ` (after the training run's --max-ind-range ${model.maxIndRange})` : '';
    throw new UserError(
      `--load-model ${model.file} does not fit ${dataName}${fold}: ${problems.join('; ')}; was the model trained on this data?`,
    );
  }
}

/** An engine for predictions only (no optimizer state is kept). */
export function createInferenceEngine(model: InferenceModel, opts: EngineOptions): Promise<Engine> {
  const optimizerState = allocOptimizerState(model.params, 'sgd');
  return createEngine(opts, { arch: model.arch, optimizer: 'sgd', ...model.loss }, model.params, optimizerState);
}
