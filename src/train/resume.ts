// Starting a run's model: fresh parameters from --seed, or the parameters, optimizer state, progress and
// best evaluation so far of a --load-model checkpoint after checking that it fits the run (same architecture as the data and
// flags give, same optimizer). Mismatches are refused with a message naming each difference.
import type { DlrmArch, OptimizerName } from '../model/arch';
import { describeCompression } from '../embedding/compressedLayout';
import { allocDlrmParams } from '../model/allocParams';
import { allocOptimizerState } from '../model/allocOptimizerState';
import {
  loadCheckpointInto,
  readCheckpointHeader,
  type BestCheckpoint,
  type CheckpointProgress,
} from '../model/checkpoint';
import { initDlrmParams } from '../model/initParams';
import type { OptimizerState } from '../model/optimizerState';
import type { DlrmParams } from '../model/params';
import { UserError } from '../util/errors';
import { log } from '../util/log';
import { changeLine } from '../util/quote';
import type { DataState } from './dataSources';

export interface ModelStart {
  params: DlrmParams;
  optimizerState: OptimizerState;
  progress: CheckpointProgress;
  /** The best evaluation so far (--save-best), null in a fresh run. */
  best: BestCheckpoint | null;
  /** The metrics run id of the run this model continues (null: a fresh run, or a checkpoint that records none). */
  runId: string | null;
}

/** The differences between a checkpoint's architecture and the run's, in words (empty when equal). */
export function archDifferences(saved: DlrmArch, run: DlrmArch): string[] {
  const out: string[] = [];
  const widths = (w: number[]) => w.join('-');
  if (widths(saved.mlpBot) !== widths(run.mlpBot))
    out.push(`bottom MLP ${widths(saved.mlpBot)} in the checkpoint, ${widths(run.mlpBot)} here (--arch-mlp-bot)`);
  if (widths(saved.mlpTop) !== widths(run.mlpTop))
    out.push(
      `top MLP ${widths(saved.mlpTop)} in the checkpoint, ${widths(run.mlpTop)} here (--arch-mlp-top, interaction)`,
    );
  if (saved.embeddingDim !== run.embeddingDim)
    out.push(
      `embedding dimension ${saved.embeddingDim} in the checkpoint, ${run.embeddingDim} here (--arch-sparse-feature-size)`,
    );
  const show = (a: DlrmArch) =>
    `${a.interaction}${a.interactionItself ? ' (itself)' : ''}${a.dcn ? ` (${a.dcn.numLayers} layers of rank ${a.dcn.lowRankDim})` : ''}`;
  if (show(saved) !== show(run)) {
    out.push(
      `interaction ${show(saved)} in the checkpoint, ${show(run)} here (--arch-interaction-op, --arch-interaction-itself, --dcn-num-layers, --dcn-low-rank-dim)`,
    );
  }
  const model = (a: DlrmArch) => (a.deepCross ? `dcn (${a.deepCross.crossLayers} cross layers)` : 'dlrm');
  if (model(saved) !== model(run))
    out.push(`model ${model(saved)} in the checkpoint, ${model(run)} here (--model, --dcn-cross-layers)`);
  const compression = (a: DlrmArch) => describeCompression(a.compression);
  if (compression(saved) !== compression(run))
    out.push(`embeddings ${compression(saved)} in the checkpoint, ${compression(run)} here (--qr-*, --md-*)`);
  if (saved.tableSizes.length !== run.tableSizes.length) {
    out.push(
      `${saved.tableSizes.length} embedding tables in the checkpoint, ${run.tableSizes.length} in the data here`,
    );
  } else {
    const sizes = saved.tableSizes.flatMap((n, t) =>
      n !== run.tableSizes[t] ? [`table ${t}: ${n} rows in the checkpoint, ${run.tableSizes[t]} here`] : [],
    );
    if (sizes.length > 0)
      out.push(
        `embedding table sizes differ (data or --max-ind-range/--arch-embedding-size): ${sizes.slice(0, 5).join('; ')}${sizes.length > 5 ? `; and ${sizes.length - 5} more` : ''}`,
      );
  }
  return out;
}

/** Fresh parameters (reference init from `seed`) and zero optimizer state. */
export function freshModel(arch: DlrmArch, optimizer: OptimizerName, seed: number): ModelStart {
  const params = initDlrmParams(arch, seed);
  return {
    params,
    optimizerState: allocOptimizerState(params, optimizer),
    progress: { epoch: 0, batchInEpoch: 0, rowInEpoch: 0, globalStep: 0 },
    best: null,
    runId: null,
  };
}

/** What sets each part of the data state, to name a difference by it. */
const DATA_STATE_NAMES: Record<keyof DataState, string> = {
  generation: '--data-generation',
  processedDataFile: '--processed-data-file',
  seed: '--seed (of the random/synthetic rows)',
  trainRows: 'training rows (--data-size, or the train split of --processed-data-file)',
  maxIndRange: '--max-ind-range',
  multiHotSizes: '--multi-hot-sizes',
};

/** The data a checkpoint was trained on, compared with this run's: one line per difference. */
export function dataDifferences(saved: unknown, run: DataState): string[] {
  if (typeof saved !== 'object' || saved === null) return ['the checkpoint records no data state'];
  const s = saved as Partial<DataState>;
  return (Object.keys(DATA_STATE_NAMES) as (keyof DataState)[]).flatMap((k) =>
    JSON.stringify(s[k]) !== JSON.stringify(run[k]) ? [changeLine(DATA_STATE_NAMES[k], s[k], run[k])] : [],
  );
}

/** Loads a checkpoint for this run, refusing one that does not fit it. */
export function resumeModel(
  file: string,
  arch: DlrmArch,
  optimizer: OptimizerName,
  miniBatchSize: number,
  dataState: DataState,
): ModelStart {
  const header = readCheckpointHeader(file);
  const diffs = archDifferences(header.arch, arch);
  if (diffs.length > 0)
    throw new UserError(
      `--load-model ${file}: the checkpoint's architecture does not match this run: ${diffs.join('; ')}`,
    );
  if (header.optimizer !== optimizer) {
    throw new UserError(
      `--load-model ${file}: the checkpoint holds ${header.optimizer} optimizer state but --optimizer is ${optimizer}; pass --optimizer ${header.optimizer}`,
    );
  }
  const params = allocDlrmParams(arch);
  const optimizerState = allocOptimizerState(params, optimizer);
  loadCheckpointInto(file, header, params, optimizerState);
  const dataDiffs = dataDifferences(header.dataState, dataState);
  const savedBatchSize = (header.trainConfig as { miniBatchSize?: unknown } | null)?.miniBatchSize;
  if (savedBatchSize !== miniBatchSize)
    dataDiffs.push(
      `${changeLine('--mini-batch-size', savedBatchSize, miniBatchSize)} (continuing at row ${header.progress.rowInEpoch} of epoch ${header.progress.epoch})`,
    );
  if (dataDiffs.length > 0) {
    log().warn(
      { checkpoint: file },
      'resuming with different data or batches than the checkpoint was trained with: not an exact continuation',
    );
    for (const d of dataDiffs) log().warn({ checkpoint: file }, `resume: ${d}`);
  }
  log().info({ checkpoint: file, ...header.progress, trainedBy: header.engine }, 'resuming from checkpoint');
  return { params, optimizerState, progress: header.progress, best: header.best ?? null, runId: header.runId ?? null };
}
