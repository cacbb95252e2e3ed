// Loads the native CPU engine's N-API addon (build/Release/dlrm_native.node, built at install time by
// scripts/build-native.js) and describes its JS surface. A missing build is not an error: callers get the
// reason and fall back to TensorFlow.js. DLRM_NATIVE_ADDON=<path> loads another build; DLRM_NATIVE_ADDON=none
// hides the addon (to run the fallback for real).
import * as path from 'node:path';
import type { Batch } from '../../dataset/batch';
import type { NativeGroupCheck } from '../../dataset/groupCheck';
import type { PreprocessKernels } from '../../rawformat/nativeKernels';

/** How to get the fast path, for the one fallback log line. */
export const NATIVE_BUILD_HINT =
  'the native CPU engine is not built; for it install OpenBLAS and a C++ compiler (Debian/Ubuntu: apt-get install libopenblas-dev g++) then run `npm rebuild dlrm` (in a checkout: node scripts/build-native.js)';

export interface NativeLinearSpec {
  weight: Float32Array;
  bias: Float32Array;
  inFeatures: number;
  outFeatures: number;
  /** Adagrad accumulators (not for sgd). */
  accWeight?: Float32Array;
  accBias?: Float32Array;
}

export interface NativeTableSpec {
  rows: number;
  dim: number;
  chunkRows: number;
  chunks: Float32Array[];
  /** Optimizer state chunks (not for sgd). */
  state?: Float32Array[];
  /** Pooled by the caller and updated by it from the gradients run() writes (a compressed feature; 0 rows). */
  external?: boolean;
}

/** Per table (null for non-external ones): the pooled rows [B*d] in, d(loss)/d(pooled) [B*d] out of a Train step. */
export interface NativeExternalBuffers {
  pooled: (Float32Array | null)[];
  grads: (Float32Array | null)[];
}

export interface NativeModelSpec {
  bottom: NativeLinearSpec[];
  top: NativeLinearSpec[];
  tables: NativeTableSpec[];
  /** dcn: the cross layers V_0, W_0, V_1, ... (V with an empty bias), as DlrmParams.cross. */
  cross?: NativeLinearSpec[];
  interaction: 'dot' | 'cat' | 'dcn';
  /** --model dcn: cross holds {w_l, b_l} per cross layer, top the deep layers then the output over [x_L, h] (interaction cat). */
  deepCross?: boolean;
  interactionItself: boolean;
  loss: 'mse' | 'bce' | 'wbce';
  lossWeights: [number, number];
  lossThreshold: number;
  optimizer: 'sgd' | 'adagrad' | 'rowwise-adagrad';
  /** Worker threads (0 = one per core). */
  threads?: number;
  /** Advise the tables into transparent huge pages (default true). */
  hugePages?: boolean;
  /** GEMM arithmetic of Train / Gradients steps (default fp32; bf16 throws where info().bf16 is false). */
  precision?: 'fp32' | 'bf16';
}

export interface NativeGradientOutputs {
  bottom: { weight: Float32Array; bias: Float32Array }[];
  top: { weight: Float32Array; bias: Float32Array }[];
  pooled: Float32Array[];
  /** dcn: as DlrmParams.cross (V's bias gradient empty). */
  cross?: { weight: Float32Array; bias: Float32Array }[];
}

/** Step modes of NativeDlrm.run. */
export const enum NativeStepMode {
  Predict = 0,
  Gradients = 1,
  Train = 2,
}

export interface NativeDlrmHandle {
  readonly topInputWidth: number;
  /** Resolves to the mean loss; predictions [B] are written in place. */
  run(
    mode: NativeStepMode,
    batch: Batch,
    lr: number,
    predictions: Float32Array,
    grads?: NativeGradientOutputs,
    external?: NativeExternalBuffers,
  ): Promise<number>;
}

export interface NativeEmbeddingBagsHandle {
  forward(bags: Batch['sparse'], batchSize: number, outs: Float32Array[]): void;
  update(bags: Batch['sparse'], batchSize: number, grads: Float32Array[], lr: number): void;
}

/** The addon's exports; a build older than the preprocess kernels lacks them (see nativePreprocessKernels). */
export interface NativeAddon extends Partial<PreprocessKernels> {
  NativeDlrm: new (spec: NativeModelSpec) => NativeDlrmHandle;
  NativeEmbeddingBags: new (spec: {
    tables: NativeTableSpec[];
    optimizer: NativeModelSpec['optimizer'];
    threads?: number;
  }) => NativeEmbeddingBagsHandle;
  /** bf16: this CPU runs the bf16 GEMM (AVX512_BF16) and DLRM_NATIVE_BF16 is not "off" (absent from builds older than it). */
  info(): { openblas: string; core: string; hardwareThreads: number; bf16?: boolean };
  /** C = alpha op(A) op(B) + beta C, row-major, as cblas_sgemm, in fp32 or bf16 products (csrc/gemm.h; absent from builds older than it). */
  gemm?: (
    precision: 'fp32' | 'bf16',
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: Float32Array,
    lda: number,
    B: Float32Array,
    ldb: number,
    beta: number,
    C: Float32Array,
    ldc: number,
  ) => void;
  /** The address of the array's first byte modulo m. */
  addressModulo(a: ArrayBufferView, m: number): number;
  /** Advises the array's memory into transparent huge pages (before first touch: no later collapse copy). */
  adviseHugePages(a: ArrayBufferView): number;
  /** A processed file's row-group check off the JS thread (absent from builds older than it). */
  checkGroupAsync?: NativeGroupCheck;
  /** zlib.crc32(bytes, previous), faster (figures: docs/TRAINING.md, checkpoint format); absent from builds older than it, `previous` ignored by older ones. */
  crc32?: (bytes: Uint8Array, previous?: number) => number;
  /** RandomSource's block generator (src/dataset/csrc/randomBlock.h; absent from builds older than it); `state` is advanced in place. */
  randomBlock?: (
    state: Uint32Array,
    rows: number,
    numDense: number,
    tableSizes: Float64Array,
    maxPerLookup: number,
    fixed: boolean,
  ) => { dense: Float32Array; labels: Float32Array; bags: { offsets: Uint32Array; indices: Uint32Array }[] };
}

export type NativeAddonLoad = { addon: NativeAddon; reason?: undefined } | { addon?: undefined; reason: string };

/** The default build location, from dist/src/engine/native/ up to the package root. */
export const DEFAULT_ADDON_PATH = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'build',
  'Release',
  'dlrm_native.node',
);

/** Why this addon cannot train in bf16, or undefined when it can. */
export function bf16Unavailable(addon: NativeAddon): string | undefined {
  if (!addon.gemm) return 'the native addon predates bf16 support (rebuild it: node scripts/build-native.js)';
  if (addon.info().bf16) return undefined;
  return process.env.DLRM_NATIVE_BF16 === 'off'
    ? 'bf16 is switched off by DLRM_NATIVE_BF16=off'
    : 'this CPU lacks AVX512_BF16 (see /proc/cpuinfo flags)';
}

let cached: NativeAddonLoad | undefined;

/** Loads the addon from `file` (default: DLRM_NATIVE_ADDON or the build folder); never throws. */
export function loadNativeAddon(file?: string): NativeAddonLoad {
  if (file === undefined && cached) return cached;
  const target = file ?? process.env.DLRM_NATIVE_ADDON ?? DEFAULT_ADDON_PATH;
  let result: NativeAddonLoad;
  if (target === 'none') {
    result = { reason: 'hidden by DLRM_NATIVE_ADDON=none' };
  } else {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      result = { addon: require(target) as NativeAddon };
    } catch (err) {
      result = { reason: `cannot load ${target}: ${(err as Error).message.split('\n')[0]}` };
    }
  }
  if (file === undefined) cached = result;
  return result;
}
