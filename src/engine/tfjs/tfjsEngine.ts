// The TensorFlow.js engine. Dense layers live in tf.Variables (weights transposed, see linear.ts); the
// embedding tables stay in the host DlrmParams and are pooled/updated on the host (src/embedding), so no
// gather over a table is ever differentiated. One step:
//   host: pooled [B,T,d] = EmbeddingBags.forward(batch)
//   tfjs: x = bottomMlp(dense [B,D]); z = interaction(x, pooled) (dcn: crossNet(cat(x, pooled)));
//         logits = topMlp(z) (--model dcn: deepCrossLogits(cat(x, pooled))); loss(logits, labels)
//         -> gradients of every dense variable and of `pooled`; dense optimizer step on the variables
//   host: sparse optimizer step of the tables from d(loss)/d(pooled).
// All tensors of a step are created inside tf.tidy, so the tensor count stays constant across steps. Every
// differentiated function is a tf.customGrad (linear, interactions, loss): tfjs-core registers no op gradients.
import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../../dataset/batch';
import { EmbeddingBags, splitPooledByTable } from '../../embedding/embeddingBags';
import { compressedFeatures } from '../../embedding/compressedFeature';
import { featureEmbeddings } from '../../embedding/compressedLayout';
import { lossWeights } from '../../model/loss';
import type { OptimizerState } from '../../model/optimizerState';
import type { DlrmParams } from '../../model/params';
import { UserError } from '../../util/errors';
import type { DlrmGradients, Engine, EngineConfig, StepResult } from '../engine';
import { selectTfjsBackend, TFJS_ENGINE_NAMES, type TfjsBackendName } from './backend';
import { catInteraction } from './catInteraction';
import { crossNet, type CrossLayerTensors } from './crossNet';
import { deepCrossLogits } from './deepCross';
import {
  createDenseVariables,
  disposeDenseVariables,
  readDenseVariables,
  transposeMatrix,
  updateDenseVariables,
  updateDenseWeight,
  type DenseLayerVariables,
} from './denseVariables';
import { DotInteraction, dotStrategyFor } from './dotInteraction';
import { bottomMlp } from './bottomMlp';
import type { LinearTensors } from './linear';
import { topMlp } from './topMlp';
import { makeLoss, outputProbabilities, type LossFn } from './loss';

interface StepTensors {
  loss: tf.Scalar;
  predictions: tf.Tensor1D;
  gradPooled: tf.Tensor3D;
  /** wt, b gradient pairs of the bottom layers, the top layers, then (--model dcn) the cross layers. */
  gradDense: tf.Tensor[];
  /** dcn: per cross layer the gradients of V_lᵀ, W_lᵀ and b_l. */
  gradCross: tf.Tensor[];
}

/** Checks that the host params have the shapes `config.arch` describes. */
function checkParams(config: EngineConfig, params: DlrmParams, state: OptimizerState): void {
  const { arch } = config;
  const widths = (layers: DlrmParams['bottom']) =>
    layers.length ? [layers[0].inFeatures, ...layers.map((l) => l.outFeatures)] : [];
  if (
    widths(params.bottom).join('-') !== arch.mlpBot.join('-') ||
    widths(params.top).join('-') !== arch.mlpTop.join('-')
  ) {
    throw new UserError(
      `parameters (bottom ${widths(params.bottom).join('-')}, top ${widths(params.top).join('-')}) do not match the architecture (bottom ${arch.mlpBot.join('-')}, top ${arch.mlpTop.join('-')})`,
    );
  }
  const features = featureEmbeddings(arch);
  if (
    params.tables.length !== features.length ||
    params.tables.some(
      (t, i) => t.rows !== (features[i].kind === 'plain' ? features[i].rows : 0) || t.dim !== arch.embeddingDim,
    )
  ) {
    throw new UserError(
      `embedding tables do not match the architecture (${arch.tableSizes.length} tables of dim ${arch.embeddingDim})`,
    );
  }
  const crossLayers = arch.interaction === 'dcn' ? 2 * (arch.dcn?.numLayers ?? 0) : (arch.deepCross?.crossLayers ?? 0);
  if ((params.cross?.length ?? 0) !== crossLayers) {
    throw new UserError(
      `the cross network's parameters (${params.cross?.length ?? 0} layers) do not match the architecture (${arch.interaction}${arch.dcn ? `, ${arch.dcn.numLayers} cross layers` : ''})`,
    );
  }
  if (state.name !== config.optimizer)
    throw new UserError(`optimizer state is for '${state.name}' but the optimizer is '${config.optimizer}'`);
  if (config.optimizer === 'sgd') return; // sgd reads no state (it may be empty arrays or none at all)
  const layersOk = (ls: DlrmParams['bottom'], ss: OptimizerState['bottom']) =>
    ls.length === ss.length &&
    ls.every((l, i) => ss[i].weight.length === l.weight.length && ss[i].bias.length === l.bias.length);
  const tablesOk =
    state.tables.length === params.tables.length &&
    params.tables.every(
      (t, i) =>
        state.tables[i].length === t.chunks.length &&
        t.chunks.every(
          (c, k) => state.tables[i][k].length === (config.optimizer === 'adagrad' ? c.length : c.length / t.dim),
        ),
    );
  const crossOk = !params.cross || (state.cross !== undefined && layersOk(params.cross, state.cross));
  if (!layersOk(params.bottom, state.bottom) || !layersOk(params.top, state.top) || !tablesOk || !crossOk) {
    throw new UserError(`the '${config.optimizer}' optimizer state does not match the parameters' shapes`);
  }
}

export class TfjsEngine implements Engine {
  private readonly bottom: DenseLayerVariables[];
  private readonly top: DenseLayerVariables[];
  /**
   * dcn: V_0, W_0, V_1, ... as DlrmParams.cross (V's bias variable is empty and never used); --model dcn: the
   * cross layers w_l (as wt [N, 1]), b_l.
   */
  private readonly cross: DenseLayerVariables[];
  private readonly embeddings: EmbeddingBags;
  private readonly dot: DotInteraction | undefined;
  private readonly loss: LossFn;
  private pooled: Float32Array = new Float32Array(0);

  /** Selects the backend (see backend.ts) and builds the engine on it. */
  static async create(
    config: EngineConfig,
    params: DlrmParams,
    state: OptimizerState,
    backend?: TfjsBackendName | 'auto',
  ): Promise<TfjsEngine> {
    const selected = await selectTfjsBackend(backend);
    return new TfjsEngine(TFJS_ENGINE_NAMES[selected], config, params, state);
  }

  private constructor(
    readonly name: string,
    private readonly config: EngineConfig,
    private readonly params: DlrmParams,
    private readonly state: OptimizerState,
  ) {
    checkParams(config, params, state);
    this.bottom = params.bottom.map((l, i) => createDenseVariables(l, state.bottom[i], config.optimizer));
    this.top = params.top.map((l, i) => createDenseVariables(l, state.top[i], config.optimizer));
    this.cross = (params.cross ?? []).map((l, i) =>
      createDenseVariables(
        l,
        state.cross?.[i] ?? { weight: new Float32Array(0), bias: new Float32Array(0) },
        config.optimizer,
      ),
    );
    const compressed = compressedFeatures(
      featureEmbeddings(config.arch),
      params.compressed,
      config.optimizer,
      state.compressed,
    );
    this.embeddings = new EmbeddingBags(params.tables, config.optimizer, state, compressed);
    this.dot =
      config.arch.interaction === 'dot'
        ? new DotInteraction(params.tables.length, config.arch.interactionItself, dotStrategyFor(tf.getBackend()))
        : undefined;
    this.loss = makeLoss(config);
  }

  private checkBatch(batch: Batch): void {
    const { arch } = this.config;
    if (batch.numDense !== arch.mlpBot[0])
      throw new UserError(`batch has ${batch.numDense} dense features, the model expects ${arch.mlpBot[0]}`);
    if (batch.sparse.length !== arch.tableSizes.length)
      throw new UserError(
        `batch has ${batch.sparse.length} categorical features, the model expects ${arch.tableSizes.length}`,
      );
  }

  /** Host pooling of the bags into the reused [B,T,d] buffer. */
  private poolBags(batch: Batch): Float32Array {
    this.checkBatch(batch);
    this.pooled = this.embeddings.forward(batch, this.pooled);
    return this.pooled;
  }

  /** Logits [B, 1]; `deepCross` holds --model dcn's cross layers (empty otherwise). */
  private logits(
    dense: tf.Tensor2D,
    pooled: tf.Tensor3D,
    bottom: LinearTensors[],
    top: LinearTensors[],
    cross: CrossLayerTensors[],
    deepCross: LinearTensors[],
  ): tf.Tensor2D {
    const x = bottomMlp(dense, bottom);
    if (this.config.arch.deepCross) return deepCrossLogits(catInteraction(x, pooled), deepCross, top);
    const z = this.dot ? this.dot.apply(x, pooled) : catInteraction(x, pooled);
    return topMlp(cross.length > 0 ? crossNet(z, cross) : z, top);
  }

  /** --model dcn's cross layers (empty for DLRM). */
  private deepCrossLayers(): DenseLayerVariables[] {
    return this.config.arch.deepCross ? this.cross : [];
  }

  /** The layers whose gradients are wt, b pairs: bottom, top, then --model dcn's cross layers. */
  private pairLayers(): DenseLayerVariables[] {
    return [...this.bottom, ...this.top, ...this.deepCrossLayers()];
  }

  /** The dcn interaction's cross layers' variables as crossNet takes them (none for --model dcn). */
  private crossTensors(): CrossLayerTensors[] {
    const out: CrossLayerTensors[] = [];
    if (this.config.arch.deepCross) return out;
    for (let l = 0; l + 1 < this.cross.length; l += 2)
      out.push({ vt: this.cross[l].wt, wt: this.cross[l + 1].wt, b: this.cross[l + 1].b });
    return out;
  }

  /** Forward, loss and gradients (call inside tf.tidy; `predictions` is kept: dispose or return it). */
  private lossAndGradients(batch: Batch, pooledHost: Float32Array): StepTensors {
    const B = batch.size,
      T = this.params.tables.length,
      d = this.config.arch.embeddingDim;
    const dense = tf.tensor2d(batch.dense, [B, batch.numDense]);
    const pooled = tf.tensor3d(pooledHost, [B, T, d]);
    const labels = tf.tensor1d(batch.labels);
    const weights = tf.tensor1d(lossWeights(batch.labels, this.config));
    const layers = this.pairLayers();
    const cross = this.crossTensors();
    let predictions: tf.Tensor1D | undefined;
    const f = (...xs: tf.Tensor[]): tf.Scalar => {
      const [p, ...w] = xs;
      const asLayers = (from: number, n: number): LinearTensors[] =>
        Array.from({ length: n }, (_, i) => ({
          wt: w[2 * (from + i)] as tf.Tensor2D,
          b: w[2 * (from + i) + 1] as tf.Tensor1D,
        }));
      const c0 = 2 * layers.length;
      const asCross = cross.map((_, l) => ({
        vt: w[c0 + 3 * l] as tf.Tensor2D,
        wt: w[c0 + 3 * l + 1] as tf.Tensor2D,
        b: w[c0 + 3 * l + 2] as tf.Tensor1D,
      }));
      const logits = this.logits(
        dense,
        p as tf.Tensor3D,
        asLayers(0, this.bottom.length),
        asLayers(this.bottom.length, this.top.length),
        asCross,
        asLayers(this.bottom.length + this.top.length, this.deepCrossLayers().length),
      );
      // kept: tf.grads disposes every other intermediate of f (the caller disposes it)
      predictions = tf.keep(outputProbabilities(logits, this.config.lossThreshold));
      return this.loss(logits, labels, weights);
    };
    const { value, grads } = tf.valueAndGrads(f)([
      pooled,
      ...layers.flatMap((v) => [v.wt, v.b]),
      ...cross.flatMap((c) => [c.vt, c.wt, c.b]),
    ]);
    const [gradPooled, ...rest] = grads;
    return {
      loss: value,
      predictions: predictions as tf.Tensor1D,
      gradPooled: gradPooled as tf.Tensor3D,
      gradDense: rest.slice(0, 2 * layers.length),
      gradCross: rest.slice(2 * layers.length),
    };
  }

  async trainStep(batch: Batch, lr: number): Promise<StepResult> {
    const pooledHost = this.poolBags(batch);
    const out = tf.tidy(() => {
      const s = this.lossAndGradients(batch, pooledHost);
      const lrT = tf.scalar(lr);
      this.pairLayers().forEach((v, i) => updateDenseVariables(v, s.gradDense[2 * i], s.gradDense[2 * i + 1], lrT));
      for (let l = 0; 3 * l < s.gradCross.length; l++) {
        updateDenseWeight(this.cross[2 * l], s.gradCross[3 * l], lrT);
        updateDenseVariables(this.cross[2 * l + 1], s.gradCross[3 * l + 1], s.gradCross[3 * l + 2], lrT);
      }
      return { loss: s.loss, predictions: s.predictions, gradPooled: s.gradPooled };
    });
    try {
      const [loss, predictions, gradPooled] = await Promise.all([
        out.loss.data(),
        out.predictions.data(),
        out.gradPooled.data(),
      ]);
      this.embeddings.update(batch, gradPooled as Float32Array, lr);
      return { loss: loss[0], predictions: Float32Array.from(predictions as Float32Array) };
    } finally {
      tf.dispose(out);
    }
  }

  async predict(batch: Batch): Promise<Float32Array> {
    const pooledHost = this.poolBags(batch);
    const B = batch.size,
      T = this.params.tables.length,
      d = this.config.arch.embeddingDim;
    const p = tf.tidy(() => {
      const dense = tf.tensor2d(batch.dense, [B, batch.numDense]);
      const pooled = tf.tensor3d(pooledHost, [B, T, d]);
      return outputProbabilities(
        this.logits(dense, pooled, this.bottom, this.top, this.crossTensors(), this.deepCrossLayers()),
        this.config.lossThreshold,
      );
    });
    try {
      return Float32Array.from((await p.data()) as Float32Array);
    } finally {
      p.dispose();
    }
  }

  async gradients(batch: Batch): Promise<{ loss: number; grads: DlrmGradients }> {
    const pooledHost = this.poolBags(batch);
    const out = tf.tidy(() => {
      const s = this.lossAndGradients(batch, pooledHost);
      s.predictions.dispose();
      return { loss: s.loss, gradPooled: s.gradPooled, gradDense: s.gradDense, gradCross: s.gradCross };
    });
    try {
      const dense = await Promise.all(
        out.gradDense.map(async (g) => Float32Array.from((await g.data()) as Float32Array)),
      );
      const crossHost = await Promise.all(
        out.gradCross.map(async (g) => Float32Array.from((await g.data()) as Float32Array)),
      );
      const layerGrads = (layers: DlrmParams['bottom'], from: number) =>
        layers.map((l, i) => ({
          weight: transposeMatrix(dense[2 * (from + i)], l.inFeatures, l.outFeatures),
          bias: dense[2 * (from + i) + 1],
        }));
      // per cross layer: V_lᵀ, W_lᵀ, b_l -> {V_l, no bias}, {W_l, b_l} in the DlrmParams layout
      const cross = this.config.arch.deepCross
        ? layerGrads(this.params.cross ?? [], this.bottom.length + this.top.length)
        : (this.params.cross ?? []).map((l, i) => {
            const k = 3 * Math.floor(i / 2) + (i % 2);
            return {
              weight: transposeMatrix(crossHost[k], l.inFeatures, l.outFeatures),
              bias: i % 2 === 0 ? new Float32Array(0) : crossHost[k + 1],
            };
          });
      const T = this.params.tables.length,
        d = this.config.arch.embeddingDim;
      return {
        loss: (await out.loss.data())[0],
        grads: {
          bottom: layerGrads(this.params.bottom, 0),
          top: layerGrads(this.params.top, this.bottom.length),
          pooled: splitPooledByTable((await out.gradPooled.data()) as Float32Array, batch.size, T, d),
          ...(this.params.cross ? { cross } : {}),
        },
      };
    } finally {
      tf.dispose(out);
    }
  }

  async syncToHost(): Promise<void> {
    for (let i = 0; i < this.bottom.length; i++)
      await readDenseVariables(this.bottom[i], this.params.bottom[i], this.state.bottom[i]);
    for (let i = 0; i < this.top.length; i++)
      await readDenseVariables(this.top[i], this.params.top[i], this.state.top[i]);
    const crossParams = this.params.cross ?? [];
    for (let i = 0; i < this.cross.length; i++) {
      await readDenseVariables(
        this.cross[i],
        crossParams[i],
        this.state.cross?.[i] ?? { weight: new Float32Array(0), bias: new Float32Array(0) },
      );
    }
  }

  dispose(): void {
    [...this.bottom, ...this.top, ...this.cross].forEach(disposeDenseVariables);
    this.dot?.dispose();
  }
}
