// The training configuration: one plain typed object (TrainConfig) with every default in one place
// (DEFAULT_TRAIN_CONFIG), the table of `dlrm train` flags that fill it (TRAIN_FLAGS: flag name, value
// kind, help), and how a run's config is assembled: defaults < a --load-model checkpoint's saved
// settings < --config file.json < command-line flags, then validated. Keys are the flags in camelCase (--arch-mlp-bot -> archMlpBot); config files may use
// either spelling. Booleans are real booleans (JSON true/false; --flag / --no-flag on the command line).
import * as path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { TFJS_BACKENDS, type TfjsBackendName } from '../engine/tfjs/backend';
import { BF16_NATIVE_ONLY, PRECISIONS, type Precision } from '../engine/engine';
import {
  MODEL_KINDS,
  type EmbeddingCompression,
  type InteractionOp,
  type LossFunction,
  type ModelKind,
  type OptimizerName,
  type QrOperation,
} from '../model/arch';
import { UserError } from '../util/errors';
import { readJsonFile } from '../util/jsonFile';
import { choiceOption, floatOption, intOption, layerListOption } from '../util/options';
import { readCheckpointHeader } from '../model/checkpoint';
import { INTERACTION_OPS } from '../model/archConfig';
import { checkLearningRate, validateLrSchedule } from './lrSchedule';
import { DEFAULT_PARTS_SHUFFLE_MEMORY_MB } from '../dataset/partsSource';

export const DATA_GENERATIONS = ['random', 'synthetic', 'dataset'] as const;
export type DataGeneration = (typeof DATA_GENERATIONS)[number];
export const ENGINE_CHOICES = ['auto', 'tfjs', 'native'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];
/** The processed-data split train-time evaluations use (generated data always uses its held-out block). */
export const TEST_SPLITS = ['test', 'val'] as const;
export type TestSplit = (typeof TEST_SPLITS)[number];

export interface TrainConfig {
  // --- architecture
  /** dlrm, or dcn: the original Deep & Cross Network (src/model/deepCross.ts). */
  model: ModelKind;
  /** --model dcn: its cross layers (the paper's comparison: 6). */
  dcnCrossLayers: number;
  /** Embedding dimension d; null = the last bottom MLP width. */
  archSparseFeatureSize: number | null;
  /** Rows of each embedding table for random/synthetic data (a dataset's sizes come from its manifest). */
  archEmbeddingSize: number[];
  /** Bottom MLP widths, input (dense features) to output d. */
  archMlpBot: number[];
  /** Top MLP widths without the input width (derived from the interaction), ending in 1. */
  archMlpTop: number[];
  archInteractionOp: InteractionOp;
  archInteractionItself: boolean;
  /** dcn interaction: cross layers and their rank (TorchRec's dcn_num_layers, dcn_low_rank_dim). */
  dcnNumLayers: number;
  dcnLowRankDim: number;
  // --- compressed embeddings (the reference's flags; src/embedding/compressedLayout.ts)
  qrFlag: boolean;
  qrOperation: QrOperation;
  qrCollisions: number;
  /** Only tables with more rows than this are split. */
  qrThreshold: number;
  mdFlag: boolean;
  /** alpha of the alpha-power rule. */
  mdTemperature: number;
  mdThreshold: number;
  mdRoundDims: boolean;
  // --- loss and optimizer
  lossFunction: LossFunction;
  /** wbce: [weight of negatives, weight of positives]. */
  lossWeights: [number, number];
  /** Clamp probabilities to [t, 1-t] in the loss; 0 = off. */
  lossThreshold: number;
  optimizer: OptimizerName;
  learningRate: number;
  lrNumWarmupSteps: number;
  lrDecayStartStep: number;
  lrNumDecaySteps: number;
  // --- data
  /** null = 'dataset' when --processed-data-file is given, else 'random' (the reference's default). */
  dataGeneration: DataGeneration | null;
  processedDataFile: string | null;
  /** dataset: check each row group's checksum and values on its first read (false: --no-verify). */
  verify: boolean;
  /** Parts-folder datasets: MiB the train split's two in-memory shuffle buckets may take (src/dataset/partsSource.ts). */
  shuffleMemoryMb: number;
  /** > 0: fold every categorical index to index % M and each table to min(count, M) rows. */
  maxIndRange: number;
  /** random data: indices per embedding bag (the maximum unless fixed); synthetic bags hold one index as Criteo's. */
  numIndicesPerLookup: number;
  numIndicesPerLookupFixed: boolean;
  /** random/synthetic: rows per epoch. */
  dataSize: number;
  /** synthetic: indices per bag of each table (MLPerf DLRMv2's multi-hot shape); [] = one-hot. */
  multiHotSizes: number[];
  // --- loop
  miniBatchSize: number;
  nepochs: number;
  /** Batches per epoch at most; 0 = all. */
  numBatches: number;
  /** Log (and write a metrics "train" line) every this many steps. */
  printFreq: number;
  /** Evaluate every this many steps (0 = only at the end of each epoch). */
  testFreq: number;
  testMiniBatchSize: number;
  /** dataset: the split evaluated during training ('test', as the reference, or 'val'). */
  testSplit: TestSplit;
  seed: number;
  // --- files and engine
  saveModel: string | null;
  /** Also checkpoint every this many steps (0 = only at evaluations and the end). */
  saveFreq: number;
  /** Keep the checkpoint of the evaluation with the best AUC so far here. */
  saveBest: string | null;
  loadModel: string | null;
  metricsFile: string | null;
  /** The run's name in the metrics file and the report's legend; null = the metrics file's base name. */
  runName: string | null;
  engine: EngineChoice;
  /** tfjs backend; null = the fastest that loads. */
  backend: TfjsBackendName | null;
  /** GEMM arithmetic of the training steps (bf16: native engine, AVX512_BF16, fp32 master weights); evaluation is fp32. */
  precision: Precision;
}

/** Every default, in one place. The synthetic defaults make `dlrm train --data-generation synthetic` learn in well under a minute. */
export const DEFAULT_TRAIN_CONFIG: Readonly<TrainConfig> = Object.freeze({
  model: 'dlrm',
  dcnCrossLayers: 6,
  archSparseFeatureSize: null,
  // the Kaggle columns' cardinalities (+1 for the missing value), capped at 10,000 rows
  archEmbeddingSize: [
    1461, 584, 10000, 10000, 306, 25, 10000, 634, 4, 10000, 5684, 10000, 3195, 28, 10000, 10000, 11, 5653, 2174, 5,
    10000, 19, 16, 10000, 106, 10000,
  ],
  archMlpBot: [13, 64, 16],
  archMlpTop: [64, 1],
  archInteractionOp: 'dot',
  archInteractionItself: false,
  dcnNumLayers: 3,
  dcnLowRankDim: 512,
  qrFlag: false,
  qrOperation: 'mult',
  qrCollisions: 4,
  qrThreshold: 200,
  mdFlag: false,
  mdTemperature: 0.3,
  mdThreshold: 200,
  mdRoundDims: false,
  lossFunction: 'bce',
  lossWeights: [1, 1],
  lossThreshold: 0,
  optimizer: 'sgd',
  learningRate: 0.1,
  lrNumWarmupSteps: 0,
  lrDecayStartStep: 0,
  lrNumDecaySteps: 0,
  dataGeneration: null,
  processedDataFile: null,
  verify: true,
  shuffleMemoryMb: DEFAULT_PARTS_SHUFFLE_MEMORY_MB,
  maxIndRange: 0,
  numIndicesPerLookup: 10,
  numIndicesPerLookupFixed: false,
  dataSize: 131072,
  multiHotSizes: [],
  miniBatchSize: 128,
  nepochs: 1,
  numBatches: 0,
  printFreq: 256,
  testFreq: 0,
  testMiniBatchSize: 4096,
  testSplit: 'test',
  seed: 123,
  saveModel: null,
  saveFreq: 0,
  saveBest: null,
  loadModel: null,
  metricsFile: null,
  runName: null,
  engine: 'auto',
  backend: null,
  precision: 'fp32',
} satisfies TrainConfig);

/** How a flag's value is read from the command line (a string) or a config file (JSON). */
export type FlagKind =
  | { kind: 'int'; min: number; max?: number }
  | { kind: 'float'; min: number; max?: number }
  | { kind: 'intList' }
  | { kind: 'floatPair' }
  | { kind: 'bool' }
  | { kind: 'choice'; choices: readonly string[] }
  | { kind: 'path' }
  | { kind: 'text' }
  | { kind: 'learningRate' };

export interface FlagSpec {
  key: keyof TrainConfig;
  /** The flag without dashes, e.g. 'arch-mlp-bot'. */
  flag: string;
  type: FlagKind;
  help: string;
}

const int = (min: number, max?: number): FlagKind => ({ kind: 'int', min, max });
const float = (min: number, max?: number): FlagKind => ({ kind: 'float', min, max });
const choice = (choices: readonly string[]): FlagKind => ({ kind: 'choice', choices });

/** Every `dlrm train` flag that sets a TrainConfig field, in help order. */
export const TRAIN_FLAGS: readonly FlagSpec[] = [
  {
    key: 'model',
    flag: 'model',
    type: choice(MODEL_KINDS),
    help: 'dlrm | dcn (the original Deep & Cross Network: cross layers beside a deep --arch-mlp-top network on x_0 = [bottom MLP output, embeddings])',
  },
  { key: 'dcnCrossLayers', flag: 'dcn-cross-layers', type: int(1), help: '--model dcn: cross layers' },
  {
    key: 'archSparseFeatureSize',
    flag: 'arch-sparse-feature-size',
    type: int(1),
    help: 'embedding dimension d (default: last --arch-mlp-bot width)',
  },
  {
    key: 'archEmbeddingSize',
    flag: 'arch-embedding-size',
    type: { kind: 'intList' },
    help: 'rows per embedding table, dash list (random/synthetic data only)',
  },
  {
    key: 'archMlpBot',
    flag: 'arch-mlp-bot',
    type: { kind: 'intList' },
    help: 'bottom MLP widths, dense input to d, e.g. 13-512-256-64-16',
  },
  {
    key: 'archMlpTop',
    flag: 'arch-mlp-top',
    type: { kind: 'intList' },
    help: 'top MLP widths without the derived input, ending in 1, e.g. 512-256-1',
  },
  {
    key: 'archInteractionOp',
    flag: 'arch-interaction-op',
    type: choice(INTERACTION_OPS),
    help: 'feature interaction: dot | cat | dcn (DCN-v2 low-rank cross network, TorchRec DLRM_DCN)',
  },
  {
    key: 'archInteractionItself',
    flag: 'arch-interaction-itself',
    type: { kind: 'bool' },
    help: 'dot: keep the diagonal of the interaction too',
  },
  { key: 'dcnNumLayers', flag: 'dcn-num-layers', type: int(1), help: 'dcn: cross layers' },
  {
    key: 'dcnLowRankDim',
    flag: 'dcn-low-rank-dim',
    type: int(1),
    help: 'dcn: rank r of each cross layer (V [r, N], W [N, r])',
  },
  {
    key: 'qrFlag',
    flag: 'qr-flag',
    type: { kind: 'bool' },
    help: 'quotient-remainder embeddings for tables with more rows than --qr-threshold',
  },
  {
    key: 'qrOperation',
    flag: 'qr-operation',
    type: choice(['mult', 'add', 'concat']),
    help: 'QR: combine the quotient and remainder embeddings by mult | add | concat (concat: --arch-mlp-bot ends in twice --arch-sparse-feature-size)',
  },
  {
    key: 'qrCollisions',
    flag: 'qr-collisions',
    type: int(1),
    help: 'QR: remainder table rows c (the quotient table has ceil(n/c))',
  },
  {
    key: 'qrThreshold',
    flag: 'qr-threshold',
    type: int(0),
    help: 'QR: only tables with more rows than this are split',
  },
  {
    key: 'mdFlag',
    flag: 'md-flag',
    type: { kind: 'bool' },
    help: 'mixed-dimension embeddings (alpha-power rule, projected to d) for tables with more rows than --md-threshold',
  },
  { key: 'mdTemperature', flag: 'md-temperature', type: float(0), help: 'MD: alpha of the alpha-power rule' },
  {
    key: 'mdThreshold',
    flag: 'md-threshold',
    type: int(0),
    help: 'MD: only tables with more rows than this get a smaller dim',
  },
  {
    key: 'mdRoundDims',
    flag: 'md-round-dims',
    type: { kind: 'bool' },
    help: 'MD: round each dim to the nearest power of two',
  },
  { key: 'lossFunction', flag: 'loss-function', type: choice(['mse', 'bce', 'wbce']), help: 'loss: mse | bce | wbce' },
  {
    key: 'lossWeights',
    flag: 'loss-weights',
    type: { kind: 'floatPair' },
    help: 'wbce class weights negative-positive, e.g. 1.0-3.0',
  },
  {
    key: 'lossThreshold',
    flag: 'loss-threshold',
    type: float(0, 0.5),
    help: 'clamp probabilities to [t, 1-t] in the loss (0 = off)',
  },
  {
    key: 'optimizer',
    flag: 'optimizer',
    type: choice(['sgd', 'adagrad', 'rowwise-adagrad']),
    help: 'sgd | adagrad | rowwise-adagrad',
  },
  {
    key: 'learningRate',
    flag: 'learning-rate',
    type: { kind: 'learningRate' },
    help: 'base learning rate (a positive number)',
  },
  { key: 'lrNumWarmupSteps', flag: 'lr-num-warmup-steps', type: int(0), help: 'linear warmup steps W' },
  {
    key: 'lrDecayStartStep',
    flag: 'lr-decay-start-step',
    type: int(0),
    help: 'step S where the power-2 decay starts (>= W)',
  },
  { key: 'lrNumDecaySteps', flag: 'lr-num-decay-steps', type: int(0), help: 'decay steps D (0 = no decay)' },
  {
    key: 'dataGeneration',
    flag: 'data-generation',
    type: choice(DATA_GENERATIONS),
    help: 'random | synthetic | dataset (default: dataset with --processed-data-file, else random)',
  },
  {
    key: 'processedDataFile',
    flag: 'processed-data-file',
    type: { kind: 'path' },
    help: 'processed file written by `dlrm preprocess`',
  },
  {
    key: 'verify',
    flag: 'verify',
    type: { kind: 'bool' },
    help: "processed data: check every row group's checksum and values before the first step (--no-verify reads damaged files)",
  },
  {
    key: 'shuffleMemoryMb',
    flag: 'shuffle-memory-mb',
    type: int(1),
    help: 'parts-folder data: MiB for the two shuffle buckets in memory (bounds the train reader)',
  },
  {
    key: 'maxIndRange',
    flag: 'max-ind-range',
    type: int(0),
    help: 'fold categorical indices to index % M, tables to min(count, M) rows (0 = off)',
  },
  {
    key: 'numIndicesPerLookup',
    flag: 'num-indices-per-lookup',
    type: int(1),
    help: 'random data: indices per embedding bag (at most, unless fixed)',
  },
  {
    key: 'numIndicesPerLookupFixed',
    flag: 'num-indices-per-lookup-fixed',
    type: { kind: 'bool' },
    help: 'random data: every bag has exactly --num-indices-per-lookup indices',
  },
  {
    key: 'multiHotSizes',
    flag: 'multi-hot-sizes',
    type: { kind: 'intList' },
    help: 'synthetic data: indices per bag of each table, comma or dash list (MLPerf DLRMv2: docs/TRAINING.md)',
  },
  { key: 'dataSize', flag: 'data-size', type: int(1), help: 'random/synthetic: rows per epoch' },
  { key: 'miniBatchSize', flag: 'mini-batch-size', type: int(1), help: 'training batch size' },
  { key: 'nepochs', flag: 'nepochs', type: int(1), help: 'epochs' },
  { key: 'numBatches', flag: 'num-batches', type: int(0), help: 'at most this many batches per epoch (0 = all)' },
  { key: 'printFreq', flag: 'print-freq', type: int(1), help: 'log loss, lr and samples/s every N steps' },
  {
    key: 'testFreq',
    flag: 'test-freq',
    type: int(0),
    help: 'evaluate every N steps (0 = at the end of each epoch only)',
  },
  { key: 'testMiniBatchSize', flag: 'test-mini-batch-size', type: int(1), help: 'evaluation batch size' },
  {
    key: 'testSplit',
    flag: 'test-split',
    type: choice(TEST_SPLITS),
    help: 'processed data: the split evaluated during training, test | val',
  },
  { key: 'seed', flag: 'seed', type: int(0, 2 ** 32 - 1), help: 'seed of initialisation and random/synthetic data' },
  {
    key: 'saveModel',
    flag: 'save-model',
    type: { kind: 'path' },
    help: 'checkpoint file written at evaluations, every --save-freq steps and at the end',
  },
  { key: 'saveFreq', flag: 'save-freq', type: int(0), help: 'also checkpoint every N steps (0 = off)' },
  {
    key: 'saveBest',
    flag: 'save-best',
    type: { kind: 'path' },
    help: 'keep the checkpoint of the best evaluation AUC so far in this file (written when an evaluation beats it)',
  },
  {
    key: 'loadModel',
    flag: 'load-model',
    type: { kind: 'path' },
    help: 'resume from this checkpoint (exactly where it stopped)',
  },
  {
    key: 'metricsFile',
    flag: 'metrics-file',
    type: { kind: 'path' },
    help: 'append run/train/eval JSON lines here (read by `dlrm report`)',
  },
  {
    key: 'runName',
    flag: 'run-name',
    type: { kind: 'text' },
    help: "the run's name in the metrics file and the report's legend (default: the metrics file's name without .jsonl; a resumed run keeps its name)",
  },
  { key: 'engine', flag: 'engine', type: choice(ENGINE_CHOICES), help: 'auto | tfjs | native' },
  {
    key: 'backend',
    flag: 'backend',
    type: choice(TFJS_BACKENDS),
    help: `tfjs backend: ${TFJS_BACKENDS.join(' | ')} (default: the fastest that loads)`,
  },
  {
    key: 'precision',
    flag: 'precision',
    type: choice(PRECISIONS),
    help: 'training GEMMs: fp32 | bf16 (native engine on a CPU with AVX512_BF16; fp32 master weights; evaluation stays fp32)',
  },
];

/** A dash-separated pair of non-negative numbers, e.g. '1.0-3.0'. */
function floatPairOption(value: string): [number, number] {
  const parts = value.split('-');
  const nums = parts.map((p) => (/^\d*\.?\d+(e[+-]?\d+)?$/i.test(p) ? Number(p) : NaN));
  if (nums.length !== 2 || nums.some((n) => !Number.isFinite(n))) {
    throw new InvalidArgumentError(`'${value}' is not two non-negative numbers joined by a dash (e.g. 1.0-3.0).`);
  }
  return [nums[0], nums[1]];
}

/** A short one-line text (a name): not empty, no control characters, at most 100 characters. */
function textOption(value: string): string {
  const v = value.trim();
  // eslint-disable-next-line no-control-regex -- control characters are what it refuses
  if (v === '' || v.length > 100 || /[\u0000-\u001f\u007f]/.test(v))
    throw new InvalidArgumentError(`${JSON.stringify(value)} must be 1 to 100 characters on one line`);
  return v;
}

/** The commander value parser of a flag (booleans take no value). */
export function parserFor(type: FlagKind): ((value: string) => unknown) | undefined {
  switch (type.kind) {
    case 'int':
      return intOption(type.min, type.max);
    case 'float':
      return floatOption(type.min, type.max);
    case 'intList':
      // commas as TorchRec's flags write lists (3,2,1,...), or dashes as the reference's (13-512-256)
      return (v: string) => layerListOption(v.replace(/,/g, '-'));
    case 'floatPair':
      return floatPairOption;
    case 'choice':
      return choiceOption(type.choices);
    case 'path':
      return (v: string) => v;
    case 'text':
      return textOption;
    case 'learningRate':
      // a UserError (not commander's InvalidArgumentError): the flag says what a config file says
      return (v: string) => checkLearningRate(v, '--learning-rate');
    case 'bool':
      return undefined;
  }
}

/** camelCase of a kebab-case flag name. */
function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

const FLAG_BY_KEY = new Map<string, FlagSpec>(TRAIN_FLAGS.map((f) => [f.key, f]));

/** The message for --raw-data-file, which training never reads (no silent fallback to random data). */
export const RAW_DATA_FILE_REFUSAL =
  '--raw-data-file: dlrm train reads processed data only (it never falls back to random data); run `dlrm preprocess` on the raw file first, then pass --processed-data-file';

/** Reads one config-file value: JSON of the right type, or a string in the flag's command-line form. */
function configValue(spec: FlagSpec, value: unknown, where: string): unknown {
  const bad = (msg: string) => new UserError(`${where}: "${spec.flag}": ${msg}`);
  if (value === null) {
    if (DEFAULT_TRAIN_CONFIG[spec.key] === null) return null;
    throw bad('null is not allowed here (only for settings whose default is null)');
  }
  if (spec.type.kind === 'learningRate') return checkLearningRate(value, `${where}: "${spec.flag}"`);
  if (spec.type.kind === 'bool') {
    if (typeof value !== 'boolean') throw bad(`${JSON.stringify(value)} is not a boolean (use true or false)`);
    return value;
  }
  // an empty list only where the default is one (--multi-hot-sizes: one-hot), e.g. in a checkpoint's saved config
  const defaultValue = DEFAULT_TRAIN_CONFIG[spec.key];
  if (
    spec.type.kind === 'intList' &&
    Array.isArray(value) &&
    value.length === 0 &&
    Array.isArray(defaultValue) &&
    defaultValue.length === 0
  )
    return [];
  if (spec.type.kind === 'intList' && Array.isArray(value)) value = value.join('-');
  if (spec.type.kind === 'floatPair' && Array.isArray(value)) value = value.join('-');
  if ((spec.type.kind === 'int' || spec.type.kind === 'float') && typeof value === 'number') value = String(value);
  if (typeof value !== 'string') throw bad(`${JSON.stringify(value)} has the wrong type`);
  try {
    return parserFor(spec.type)!(value);
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw bad(err.message);
    throw err;
  }
}

/**
 * The settings of a JSON object (a config file's or a checkpoint's): keys are flag names or their
 * camelCase, values as configValue reads them. Relative paths resolve against `baseDir`. Unknown keys
 * are refused, or skipped with `ignoreUnknown` (a checkpoint from another dlrm version).
 */
function configFromObject(json: object, where: string, baseDir: string, ignoreUnknown: boolean): Partial<TrainConfig> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of Object.entries(json)) {
    if (rawKey.startsWith('_')) continue;
    const key = camel(rawKey);
    if (key === 'rawDataFile') throw new UserError(`${where}: ${RAW_DATA_FILE_REFUSAL}`);
    const spec = FLAG_BY_KEY.get(key);
    if (!spec) {
      if (ignoreUnknown) continue;
      throw new UserError(
        `${where}: unknown setting "${rawKey}" (settings are dlrm train flag names, e.g. "mini-batch-size")`,
      );
    }
    let v = configValue(spec, value, where);
    if (spec.type.kind === 'path' && typeof v === 'string') v = path.resolve(baseDir, v);
    out[key] = v;
  }
  return out;
}

/**
 * Reads a --config JSON file into a partial TrainConfig. Keys are flag names (kebab-case) or their
 * camelCase; keys starting with '_' are comments. Relative paths in it are relative to the file.
 */
export function readConfigFile(file: string): Partial<TrainConfig> {
  const json = readJsonFile(file, '--config');
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new UserError(`${file}: a config file holds one JSON object of flag: value`);
  return configFromObject(json, file, path.dirname(file), false);
}

/**
 * The settings a checkpoint was trained with, to continue its run by default: all but its files
 * (--load-model, --save-model, --save-best, --metrics-file), which a resumed run names itself, so it never
 * overwrites a checkpoint or log it was not told to.
 */
function checkpointSettings(file: string): Partial<TrainConfig> {
  const saved = readCheckpointHeader(file).trainConfig;
  if (typeof saved !== 'object' || saved === null) return {};
  const settings = configFromObject(saved, `--load-model ${file}: its saved train config`, process.cwd(), true);
  delete settings.loadModel;
  delete settings.saveModel;
  delete settings.saveBest;
  delete settings.metricsFile;
  return settings;
}

/** Keeps only the TrainConfig fields that are set (commander leaves absent flags undefined). */
function definedFields(opts: Partial<TrainConfig>): Partial<TrainConfig> {
  const out: Record<string, unknown> = {};
  for (const spec of TRAIN_FLAGS) {
    const v = opts[spec.key];
    if (v !== undefined) out[spec.key] = v;
  }
  return out;
}

/**
 * The run's config: defaults < the --load-model checkpoint's saved settings < config file < command
 * line, with paths made absolute and dataGeneration resolved, validated. So `--load-model F` alone
 * continues F's run; any setting given again overrides it (a different architecture is then refused
 * when the checkpoint is loaded).
 */
export function resolveTrainConfig(cli: Partial<TrainConfig>, configFile?: string): TrainConfig {
  const fromFile = configFile ? readConfigFile(configFile) : {};
  const given = { ...fromFile, ...definedFields(cli) };
  const fromCheckpoint = given.loadModel ? checkpointSettings(given.loadModel) : {};
  const merged: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, ...fromCheckpoint, ...given };
  // the data source is chosen as a whole: a generation or file given now replaces the checkpoint's pair
  if (given.processedDataFile && given.dataGeneration === undefined) merged.dataGeneration = 'dataset';
  if (given.dataGeneration && given.dataGeneration !== 'dataset' && given.processedDataFile === undefined)
    merged.processedDataFile = null;
  for (const spec of TRAIN_FLAGS) {
    const v = merged[spec.key];
    if (spec.type.kind === 'path' && typeof v === 'string') Object.assign(merged, { [spec.key]: path.resolve(v) });
  }
  merged.dataGeneration ??= merged.processedDataFile ? 'dataset' : 'random';
  if (merged.dataGeneration === 'dataset') {
    for (const flag of ['archEmbeddingSize', 'dataSize'] as const) {
      if (given[flag] !== undefined) {
        throw new UserError(
          `--${FLAG_BY_KEY.get(flag)?.flag} applies to random/synthetic data only: a processed file's table sizes and rows come from its manifest (use --max-ind-range to cap tables, --num-batches to shorten epochs)`,
        );
      }
    }
  }
  checkModelFlags(merged.model, given);
  validateTrainConfig(merged);
  return merged;
}

/** Refuses flags given for the other --model: DLRM's interaction flags with dcn, --dcn-cross-layers with dlrm. */
function checkModelFlags(model: ModelKind, given: Partial<TrainConfig>): void {
  if (model === 'dlrm') {
    if (given.dcnCrossLayers !== undefined)
      throw new UserError(
        '--dcn-cross-layers applies to --model dcn only (DLRM with DCN-v2: --arch-interaction-op dcn --dcn-num-layers)',
      );
    return;
  }
  const dlrmOnly: [keyof TrainConfig, boolean][] = [
    ['archInteractionOp', given.archInteractionOp !== undefined && given.archInteractionOp !== 'cat'],
    ['archInteractionItself', given.archInteractionItself === true],
    ['dcnNumLayers', given.dcnNumLayers !== undefined],
    ['dcnLowRankDim', given.dcnLowRankDim !== undefined],
  ];
  for (const [key, set] of dlrmOnly) {
    if (!set) continue;
    throw new UserError(
      `--${FLAG_BY_KEY.get(key)?.flag} applies to --model dlrm only: --model dcn has its own cross network (--dcn-cross-layers) over x_0 = [bottom MLP output, embeddings]`,
    );
  }
}

/** Refuses inconsistent settings with a message naming the flags and what to do instead. */
export function validateTrainConfig(c: TrainConfig): void {
  validateLrSchedule(c);
  if (c.dataGeneration === 'dataset' && !c.processedDataFile) {
    throw new UserError(
      '--data-generation dataset needs --processed-data-file (run `dlrm preprocess` first to make one)',
    );
  }
  if (c.dataGeneration !== 'dataset' && c.processedDataFile) {
    throw new UserError(
      `--processed-data-file is given but --data-generation is ${c.dataGeneration}: use --data-generation dataset (the default with a processed file) or drop --processed-data-file; training never silently ignores a data file`,
    );
  }
  if (c.dataGeneration !== 'dataset' && c.archEmbeddingSize.length === 0) {
    throw new UserError(`--arch-embedding-size: ${c.dataGeneration} data needs at least one embedding table`);
  }
  if (c.dataGeneration !== 'dataset' && c.testSplit !== 'test') {
    throw new UserError(
      `--test-split ${c.testSplit}: only a processed file has a val split; ${c.dataGeneration} data is evaluated on its held-out block`,
    );
  }
  if (c.multiHotSizes.length > 0 && c.dataGeneration !== 'synthetic') {
    throw new UserError(
      `--multi-hot-sizes applies to synthetic data only (--data-generation synthetic); this run's data is ${c.dataGeneration ?? 'random'}`,
    );
  }
  if (c.multiHotSizes.length > 0 && c.multiHotSizes.length !== c.archEmbeddingSize.length) {
    throw new UserError(
      `--multi-hot-sizes: ${c.multiHotSizes.length} sizes for ${c.archEmbeddingSize.length} embedding tables (--arch-embedding-size)`,
    );
  }
  if (c.saveBest && c.saveBest === c.saveModel) {
    throw new UserError(
      `--save-best and --save-model both name ${c.saveBest}: the best checkpoint needs a file of its own`,
    );
  }
  if (c.lossFunction === 'wbce' && c.lossWeights.every((w) => w === 0))
    throw new UserError('--loss-weights: both class weights are 0');
  if (!(c.lossThreshold >= 0 && c.lossThreshold < 0.5))
    throw new UserError(`--loss-threshold: ${c.lossThreshold} must be in [0, 0.5)`);
  if (c.precision === 'bf16' && (c.engine === 'tfjs' || c.backend !== null)) {
    throw new UserError(BF16_NATIVE_ONLY);
  }
  compressionOf(c);
}

/** The --qr-* / --md-* settings as the architecture's compression (undefined: plain tables). */
export function compressionOf(c: TrainConfig): EmbeddingCompression | undefined {
  if (c.qrFlag && c.mdFlag)
    throw new UserError('--qr-flag and --md-flag cannot be combined (the reference fails on it too)');
  if (c.qrFlag) return { qr: { operation: c.qrOperation, collisions: c.qrCollisions, threshold: c.qrThreshold } };
  if (c.mdFlag) return { md: { temperature: c.mdTemperature, threshold: c.mdThreshold, roundDims: c.mdRoundDims } };
  return undefined;
}
