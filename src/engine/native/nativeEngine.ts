// The native CPU engine behind the Engine interface: every step runs in the N-API addon (OpenBLAS GEMMs,
// C++ embedding bags and interaction) directly on the host DlrmParams / OptimizerState arrays, so there is
// nothing to sync and checkpoints are the same as with any engine. Steps run off the JS thread (the addon
// resolves a promise), so a loader can read ahead meanwhile; steps on one engine must be awaited in turn.
// At construction, table chunks that do not start on a cache line are replaced (once) by aligned copies
// inside the given DlrmParams / OptimizerState, and the tables are advised into transparent huge pages.
// Compressed features (QR/MD) are pooled and updated on the JS thread by CompressedFeature; the addon takes
// their pooled rows as external tables and hands back their gradients.
import type { Batch } from '../../dataset/batch';
import type { DlrmParams, LinearParams } from '../../model/params';
import type { OptimizerState, LinearState } from '../../model/optimizerState';
import type { DlrmGradients, Engine, EngineConfig, StepResult } from '../engine';
import { log } from '../../util/log';
import { alignEmbeddingTables } from './cacheAligned';
import {
  loadNativeAddon,
  NativeStepMode,
  NATIVE_BUILD_HINT,
  type NativeAddon,
  type NativeDlrmHandle,
  type NativeExternalBuffers,
  type NativeLinearSpec,
  type NativeModelSpec,
} from './nativeAddon';
import { compressedFeatures, type CompressedFeature } from '../../embedding/compressedFeature';
import { featureEmbeddings } from '../../embedding/compressedLayout';

export interface NativeEngineOptions {
  /** Worker threads (default: DLRM_NATIVE_THREADS, else one per core). */
  threads?: number;
  /** An addon already loaded (tests); default: loadNativeAddon(). */
  addon?: NativeAddon;
  /** Move misaligned table chunks to cache-line-aligned copies first (default true; see cacheAligned.ts). */
  alignTables?: boolean;
}

/** DLRM_NATIVE_THREADS=n overrides the thread count (0 or unset: one per core). */
function threadsFromEnv(): number {
  const v = Number(process.env.DLRM_NATIVE_THREADS ?? 0);
  return Number.isInteger(v) && v > 0 ? v : 0;
}

function linearSpecs(layers: LinearParams[], state: LinearState[] | undefined): NativeLinearSpec[] {
  return layers.map((l, i) => ({
    weight: l.weight,
    bias: l.bias,
    inFeatures: l.inFeatures,
    outFeatures: l.outFeatures,
    ...(state ? { accWeight: state[i].weight, accBias: state[i].bias } : {}),
  }));
}

/** The addon's view of a model: the same arrays, no copies. */
export function nativeModelSpec(
  config: EngineConfig,
  params: DlrmParams,
  state: OptimizerState,
  threads = 0,
): NativeModelSpec {
  if (state.name !== config.optimizer)
    throw new Error(`optimizer state is for '${state.name}', the engine for '${config.optimizer}'`);
  const stateful = config.optimizer !== 'sgd';
  return {
    bottom: linearSpecs(params.bottom, stateful ? state.bottom : undefined),
    top: linearSpecs(params.top, stateful ? state.top : undefined),
    tables: params.tables.map((t, i) => ({
      rows: t.rows,
      dim: t.dim,
      chunkRows: t.chunkRows,
      chunks: t.chunks,
      ...(stateful ? { state: state.tables[i] } : {}),
      ...(params.compressed?.[i] ? { external: true } : {}),
    })),
    ...(params.cross ? { cross: linearSpecs(params.cross, stateful ? state.cross : undefined) } : {}),
    interaction: config.arch.interaction,
    ...(config.arch.deepCross ? { deepCross: true } : {}),
    interactionItself: config.arch.interactionItself,
    loss: config.loss,
    lossWeights: config.lossWeights,
    lossThreshold: config.lossThreshold,
    optimizer: config.optimizer,
    threads,
    precision: config.precision ?? 'fp32',
  };
}

export class NativeEngine implements Engine {
  readonly name = 'native';
  private handle: NativeDlrmHandle | undefined;
  /** Compressed features, pooled and updated here on the JS thread (the addon sees them as external tables). */
  private readonly compressed: (CompressedFeature | undefined)[];
  private readonly external: NativeExternalBuffers | undefined;

  constructor(
    config: EngineConfig,
    private readonly params: DlrmParams,
    state: OptimizerState,
    options: NativeEngineOptions = {},
  ) {
    const addon = options.addon ?? loadNativeAddon().addon;
    if (!addon) throw new Error(NATIVE_BUILD_HINT);
    const started = performance.now();
    const moved = (options.alignTables ?? true) ? alignEmbeddingTables(addon, params, state) : 0;
    const threads = options.threads ?? threadsFromEnv();
    this.compressed = compressedFeatures(
      featureEmbeddings(config.arch),
      params.compressed,
      config.optimizer,
      state.compressed,
    );
    this.external = this.compressed.some(Boolean)
      ? { pooled: this.compressed.map(() => null), grads: this.compressed.map(() => null) }
      : undefined;
    this.handle = new addon.NativeDlrm(nativeModelSpec(config, params, state, threads));
    const { core } = addon.info();
    log().info(
      {
        threads: threads || 'one per core',
        openblasCore: core,
        precision: config.precision ?? 'fp32',
        alignedChunks: moved,
        setupMs: Math.round(performance.now() - started),
      },
      'native engine ready',
    );
  }

  private live(): NativeDlrmHandle {
    if (!this.handle) throw new Error('the native engine was disposed');
    return this.handle;
  }

  /** Pools the compressed features of `batch` into the external buffers (none without compressed features). */
  private poolExternal(batch: Batch): NativeExternalBuffers | undefined {
    const ext = this.external;
    if (!ext) return undefined;
    const d = this.params.tables[0].dim;
    this.compressed.forEach((c, t) => {
      if (!c) return;
      const n = batch.size * d;
      if (ext.pooled[t]?.length !== n) {
        ext.pooled[t] = new Float32Array(n);
        ext.grads[t] = new Float32Array(n);
      }
      c.forward(batch.sparse[t], ext.pooled[t], d, 0);
    });
    return ext;
  }

  async trainStep(batch: Batch, lr: number): Promise<StepResult> {
    const predictions = new Float32Array(batch.size);
    const ext = this.poolExternal(batch);
    const loss = await this.live().run(NativeStepMode.Train, batch, lr, predictions, undefined, ext);
    if (ext) {
      const d = this.params.tables[0].dim;
      this.compressed.forEach((c, t) => c?.update(ext.grads[t] as Float32Array, d, 0, lr));
    }
    return { loss, predictions };
  }

  async predict(batch: Batch): Promise<Float32Array> {
    const predictions = new Float32Array(batch.size);
    await this.live().run(NativeStepMode.Predict, batch, 0, predictions, undefined, this.poolExternal(batch));
    return predictions;
  }

  async gradients(batch: Batch): Promise<{ loss: number; grads: DlrmGradients }> {
    const layerGrads = (layers: LinearParams[]) =>
      layers.map((l) => ({ weight: new Float32Array(l.weight.length), bias: new Float32Array(l.bias.length) }));
    const grads: DlrmGradients = {
      bottom: layerGrads(this.params.bottom),
      top: layerGrads(this.params.top),
      pooled: this.params.tables.map((t) => new Float32Array(batch.size * t.dim)),
      ...(this.params.cross ? { cross: layerGrads(this.params.cross) } : {}),
    };
    const loss = await this.live().run(
      NativeStepMode.Gradients,
      batch,
      0,
      new Float32Array(batch.size),
      grads,
      this.poolExternal(batch),
    );
    return { loss, grads };
  }

  /** The addon updates the host arrays in place: nothing to copy back. */
  async syncToHost(): Promise<void> {}

  dispose(): void {
    this.handle = undefined;
  }
}
