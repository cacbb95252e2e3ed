// `dlrm import --format safetensors`: a DLRM_Net state_dict (the reference's names, or TorchRec's DLRM
// names: src/export/torchrecStateDict.ts; float32) to our checkpoint, so a model trained by the reference is evaluated, served and fine-tuned here. The
// architecture: MLP widths, table sizes and d from the tensor shapes; the interaction from the file's
// dlrm_arch metadata (written by dlrm export), else the flags, else the one interaction whose width matches
// the top MLP's input; flags that contradict the file are refused. --max-ind-range and --loss-threshold
// come from the flags, else the metadata, else 0. The checkpoint holds zero optimizer state and no
// progress: fine-tuning it starts at step 0 (a fresh LR schedule).
import * as path from 'node:path';
import type { DlrmArch, InteractionOp, OptimizerName } from '../model/arch';
import { buildDlrmArch, interactionOutputWidth } from '../model/archConfig';
import { allocDlrmParams } from '../model/allocParams';
import { allocOptimizerState } from '../model/allocOptimizerState';
import { saveCheckpoint } from '../model/checkpoint';
import type { DataState } from '../train/dataSources';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../train/config';
import { checkOutputFile } from '../util/atomic';
import { UserError } from '../util/errors';
import { readSafetensorsHeader, readSafetensorsInto } from './safetensors';
import { referenceStateDict, shapesFromStateDict, type StateDictShapes, type TensorShape } from './stateDict';
import { interactionColumnsFromTorchrec, isTorchrecStateDict, renameTorchrecStateDict } from './torchrecStateDict';
import { describeCompression } from '../embedding/compressedLayout';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pkg = require('../../../package.json') as { version: string };

export const IMPORT_FORMATS = ['safetensors'] as const;

export interface ImportConfig {
  format: string;
  in: string;
  out: string;
  interactionOp?: InteractionOp;
  interactionItself?: boolean;
  /** --arch-mlp-bot (checked against the shapes). */
  mlpBot?: number[];
  /** --arch-mlp-top without its input width (checked against the shapes). */
  mlpTop?: number[];
  maxIndRange?: number;
  lossThreshold?: number;
  /** Optimizer whose (zero) state the checkpoint holds, so `dlrm train --load-model` fine-tunes with it. */
  optimizer: OptimizerName;
  /** The processed file whose vocabularies the model's indices follow (recorded for eval/predict). */
  processedDataFile?: string;
}

/** A JSON metadata value, or undefined when absent; a UserError when it does not parse. */
function metadataJson(file: string, metadata: Record<string, string>, key: string): unknown {
  const v = metadata[key];
  if (v === undefined) return undefined;
  try {
    return JSON.parse(v);
  } catch (err) {
    throw new UserError(`${file}: __metadata__.${key} is not JSON (${(err as Error).message})`);
  }
}

/** The interaction: metadata, else flags, else the only one whose output width is the top MLP's input. */
function resolveInteraction(
  file: string,
  s: StateDictShapes,
  saved: DlrmArch | undefined,
  c: ImportConfig,
): { op: InteractionOp; itself: boolean } {
  const T = s.tableSizes.length,
    d = s.embeddingDim,
    topIn = s.mlpTop[0];
  if (s.dcn) {
    if (c.interactionOp !== undefined && c.interactionOp !== 'dcn')
      throw new UserError(
        `--arch-interaction-op ${c.interactionOp}: ${file} holds a dcn cross network (inter_arch.crossnet.*)`,
      );
    return { op: 'dcn', itself: false };
  }
  if (saved) {
    if (c.interactionOp !== undefined && c.interactionOp !== saved.interaction)
      throw new UserError(`--arch-interaction-op ${c.interactionOp}: ${file} was exported with ${saved.interaction}`);
    if (c.interactionItself !== undefined && c.interactionItself !== saved.interactionItself)
      throw new UserError(
        `--arch-interaction-itself: ${file} was exported with it ${saved.interactionItself ? 'on' : 'off'}`,
      );
    return { op: saved.interaction, itself: saved.interactionItself };
  }
  if (c.interactionOp !== undefined)
    return { op: c.interactionOp, itself: c.interactionOp === 'dot' && c.interactionItself === true };
  const fits = (
    [
      ['cat', false],
      ['dot', false],
      ['dot', true],
    ] as const
  ).filter(([op, itself]) => interactionOutputWidth(op, itself, T, d) === topIn);
  if (fits.length !== 1) {
    throw new UserError(
      `${file}: no dlrm_arch metadata and the top MLP input ${topIn} ${fits.length === 0 ? 'fits no interaction' : 'fits several interactions'} of ${T} tables of dimension ${d}; pass --arch-interaction-op (and --arch-interaction-itself)`,
    );
  }
  return { op: fits[0][0], itself: fits[0][1] };
}

/** The architecture of the state_dict in `file`, checked against its metadata and the flags. */
function resolveArch(file: string, s: StateDictShapes, metadata: Record<string, string>, c: ImportConfig): DlrmArch {
  const saved = metadataJson(file, metadata, 'dlrm_arch') as DlrmArch | undefined;
  const widths = (w: readonly number[]) => w.join('-');
  if (c.mlpBot && widths(c.mlpBot) !== widths(s.mlpBot))
    throw new UserError(`--arch-mlp-bot ${widths(c.mlpBot)}: ${file} holds a bottom MLP ${widths(s.mlpBot)}`);
  if (c.mlpTop && widths(c.mlpTop) !== widths(s.mlpTop.slice(1)))
    throw new UserError(
      `--arch-mlp-top ${widths(c.mlpTop)}: ${file} holds a top MLP ${widths(s.mlpTop.slice(1))} (after its input ${s.mlpTop[0]})`,
    );
  const { op, itself } = resolveInteraction(file, s, saved, c);
  const arch = buildDlrmArch({
    mlpBot: s.mlpBot,
    mlpTop: s.mlpTop.slice(1),
    sparseFeatureSize: s.embeddingDim,
    tableSizes: s.tableSizes,
    interaction: op,
    interactionItself: itself,
    dcn: s.dcn,
  });
  if (arch.mlpTop[0] !== s.mlpTop[0])
    throw new UserError(
      `${file}: the top MLP takes ${s.mlpTop[0]} inputs but the ${op}${itself ? ' (itself)' : ''} interaction of ${s.tableSizes.length} tables of dimension ${s.embeddingDim} gives ${arch.mlpTop[0]}`,
    );
  return arch;
}

/**
 * The architecture of a QR/MD state_dict, which only the dlrm_arch metadata describes (the tensor shapes
 * alone do not give the tables' row counts): rebuilt and checked, and the file must hold exactly its tensors.
 */
function compressedArch(file: string, saved: DlrmArch, tensors: readonly TensorShape[], c: ImportConfig): DlrmArch {
  const widths = (w: readonly number[]) => w.join('-');
  if (c.mlpBot && widths(c.mlpBot) !== widths(saved.mlpBot))
    throw new UserError(`--arch-mlp-bot ${widths(c.mlpBot)}: ${file} holds a bottom MLP ${widths(saved.mlpBot)}`);
  if (c.mlpTop && widths(c.mlpTop) !== widths(saved.mlpTop.slice(1)))
    throw new UserError(`--arch-mlp-top ${widths(c.mlpTop)}: ${file} holds a top MLP ${widths(saved.mlpTop.slice(1))}`);
  const arch = buildDlrmArch({
    mlpBot: saved.mlpBot,
    mlpTop: saved.mlpTop.slice(1),
    tableSizes: saved.tableSizes,
    interaction: saved.interaction,
    interactionItself: saved.interactionItself,
    compression: saved.compression,
  });
  const want = referenceStateDict(allocDlrmParams(arch))
    .map((t) => `${t.name}[${t.shape.join(',')}]`)
    .sort();
  const got = tensors.map((t) => `${t.name}[${t.shape.join(',')}]`).sort();
  const missing = want.filter((n) => !got.includes(n)),
    extra = got.filter((n) => !want.includes(n));
  if (missing.length > 0 || extra.length > 0) {
    throw new UserError(
      `${file}: the tensors do not match its dlrm_arch metadata (${describeCompression(arch.compression)}): missing ${missing.slice(0, 3).join(', ') || 'none'}; unexpected ${extra.slice(0, 3).join(', ') || 'none'}`,
    );
  }
  return arch;
}

/** A number from the flags, else the metadata, else 0. */
function setting(file: string, flag: number | undefined, metadata: Record<string, string>, key: string): number {
  if (flag !== undefined) return flag;
  const v = metadata[key];
  if (v === undefined) return 0;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UserError(`${file}: __metadata__.${key} '${v}' is not a number`);
  return n;
}

/** The --qr-* / --md-* settings that rebuild `arch`'s compression (so `dlrm train --load-model` fine-tunes it). */
function compressionSettings(arch: DlrmArch): Partial<TrainConfig> {
  const { qr, md } = arch.compression ?? {};
  if (qr)
    return {
      qrFlag: true,
      qrOperation: qr.operation,
      qrCollisions: qr.collisions,
      qrThreshold: qr.threshold,
      archSparseFeatureSize: qr.operation === 'concat' ? arch.embeddingDim / 2 : arch.embeddingDim,
    };
  if (md) return { mdFlag: true, mdTemperature: md.temperature, mdThreshold: md.threshold, mdRoundDims: md.roundDims };
  return {};
}

export function runImport(c: ImportConfig): { arch: DlrmArch } {
  if (!(IMPORT_FORMATS as readonly string[]).includes(c.format))
    throw new UserError(`--format: '${c.format}' is not one of ${IMPORT_FORMATS.join(', ')}`);
  checkOutputFile('--out', c.out);
  if (path.resolve(c.out) === path.resolve(c.in))
    throw new UserError(`--out ${c.out} is the --in file itself; name another file`);
  const header = readSafetensorsHeader(c.in);
  const torchrec = isTorchrecStateDict(header.tensors);
  if (torchrec && ((c.interactionOp !== undefined && c.interactionOp !== 'dot') || c.interactionItself === true)) {
    throw new UserError(
      `--arch-interaction-op/--arch-interaction-itself: ${c.in} is a TorchRec DLRM, whose interaction is dot without the diagonal`,
    );
  }
  const tensors = torchrec ? renameTorchrecStateDict(c.in, header.tensors) : header.tensors;
  const saved = metadataJson(c.in, header.metadata, 'dlrm_arch') as DlrmArch | undefined;
  if (saved?.deepCross)
    throw new UserError(
      `${c.in} holds a --model dcn model (the original DCN): dlrm import reads DLRM state_dicts only; keep training from its checkpoint`,
    );
  const arch = saved?.compression
    ? compressedArch(c.in, saved, tensors, c)
    : resolveArch(
        c.in,
        shapesFromStateDict(c.in, tensors),
        header.metadata,
        torchrec ? { ...c, interactionOp: 'dot', interactionItself: false } : c,
      );
  const params = allocDlrmParams(arch);
  const byName = new Map(tensors.map((t) => [t.name, t]));
  for (const t of referenceStateDict(params)) readSafetensorsInto(c.in, byName.get(t.name)!, t.parts); // every name exists: the shapes came from them
  if (torchrec)
    interactionColumnsFromTorchrec(
      params.top[0].weight,
      params.top[0].outFeatures,
      arch.embeddingDim,
      arch.tableSizes.length,
    );
  const maxIndRange = setting(c.in, c.maxIndRange, header.metadata, 'dlrm_max_ind_range');
  const lossThreshold = setting(c.in, c.lossThreshold, header.metadata, 'dlrm_loss_threshold');
  const processedDataFile = c.processedDataFile === undefined ? null : path.resolve(c.processedDataFile);
  const trainConfig: TrainConfig = {
    ...DEFAULT_TRAIN_CONFIG,
    archSparseFeatureSize: arch.embeddingDim,
    archEmbeddingSize: arch.tableSizes,
    archMlpBot: arch.mlpBot,
    archMlpTop: arch.mlpTop.slice(1),
    archInteractionOp: arch.interaction,
    archInteractionItself: arch.interactionItself,
    ...compressionSettings(arch),
    lossThreshold,
    optimizer: c.optimizer,
    dataGeneration: processedDataFile === null ? null : 'dataset',
    processedDataFile,
    maxIndRange,
  };
  const dataState: DataState = {
    generation: processedDataFile === null ? 'random' : 'dataset',
    processedDataFile,
    seed: null,
    trainRows: 0,
    maxIndRange,
  };
  saveCheckpoint(
    c.out,
    {
      engine: 'import',
      arch,
      params,
      optimizerState: allocOptimizerState(params, c.optimizer),
      progress: { epoch: 0, batchInEpoch: 0, rowInEpoch: 0, globalStep: 0 },
      best: null,
      trainConfig,
      dataState,
    },
    `dlrm ${pkg.version} (import ${path.basename(c.in)})`,
  );
  return { arch };
}
