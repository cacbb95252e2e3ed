// Float64 reference DLRM for the native engine's tests: random Kaggle-shaped models and batches, a plain
// forward + backward written from the definitions in REFERENCE.md (independent of every engine), and the
// optimizer updates. Shapes as in src/model/arch.ts; gradients in the DlrmGradients layout.
import type { Batch } from '../../src/dataset/batch';
import type { DlrmArch, InteractionOp, OptimizerName } from '../../src/model/arch';
import type { DlrmParams, LinearParams } from '../../src/model/params';
import type { OptimizerState } from '../../src/model/optimizerState';
import type { EngineConfig } from '../../src/engine/engine';
import type { LossConfig } from '../../src/model/loss';
import { Rng } from '../../src/util/random';

export const ADAGRAD_EPS = 1e-10;

/** Kaggle widths (13-512-256-64-16, 26 tables of dim 16, top ...-512-256-1) with small tables. */
export function kaggleArch(interaction: InteractionOp, interactionItself = false, tableRows = 40): DlrmArch {
  const d = 16,
    T = 26,
    n = T + 1;
  const topIn = interaction === 'dot' ? d + (interactionItself ? (n * (n + 1)) / 2 : (n * (n - 1)) / 2) : n * d;
  return {
    mlpBot: [13, 512, 256, 64, d],
    mlpTop: [topIn, 512, 256, 1],
    tableSizes: Array.from({ length: T }, (_, t) => 5 + ((t * 7 + tableRows) % tableRows)),
    embeddingDim: d,
    interaction,
    interactionItself,
    // dcn: two cross layers of a small rank (MLPerf's are 3 of rank 512)
    ...(interaction === 'dcn' ? { dcn: { numLayers: 2, lowRankDim: 24 } } : {}),
  };
}

export function engineConfig(arch: DlrmArch, optimizer: OptimizerName, loss: Partial<LossConfig> = {}): EngineConfig {
  return {
    arch,
    optimizer,
    loss: loss.loss ?? 'bce',
    lossWeights: loss.lossWeights ?? [1, 1],
    lossThreshold: loss.lossThreshold ?? 0,
  };
}

function linear(rng: Rng, inF: number, outF: number, bias = true): LinearParams {
  const ws = Math.sqrt(2 / (inF + outF)),
    bs = Math.sqrt(1 / outF);
  return {
    weight: Float32Array.from({ length: inF * outF }, () => rng.normal() * ws),
    bias: Float32Array.from({ length: bias ? outF : 0 }, () => rng.normal() * bs),
    inFeatures: inF,
    outFeatures: outF,
  };
}

/** Random parameters in the reference's init distributions; tables chunked by `chunkRows` rows. */
export function randomParams(arch: DlrmArch, seed: number, chunkRows = 7): DlrmParams {
  const rng = new Rng(seed);
  const mlp = (w: number[]) => w.slice(1).map((out, i) => linear(rng, w[i], out));
  const params: DlrmParams = {
    bottom: mlp(arch.mlpBot),
    top: arch.deepCross
      ? [
          ...mlp(arch.mlpTop.slice(0, -1)),
          linear(rng, (arch.tableSizes.length + 1) * arch.embeddingDim + arch.mlpTop[arch.mlpTop.length - 2], 1),
        ]
      : mlp(arch.mlpTop),
    tables: arch.tableSizes.map((rows) => {
      const a = Math.sqrt(1 / rows),
        d = arch.embeddingDim,
        chunks: Float32Array[] = [];
      for (let r = 0; r < rows; r += chunkRows)
        chunks.push(Float32Array.from({ length: Math.min(chunkRows, rows - r) * d }, () => (2 * rng.next() - 1) * a));
      return { rows, dim: d, chunkRows, chunks };
    }),
  };
  if (arch.dcn) {
    // V_l, W_l as Linear pairs (V without bias); b_l random (not TorchRec's zeros) so its gradients are exercised
    const N = (arch.tableSizes.length + 1) * arch.embeddingDim,
      r = arch.dcn.lowRankDim;
    params.cross = Array.from({ length: arch.dcn.numLayers }, () => [
      linear(rng, N, r, false),
      linear(rng, r, N),
    ]).flat();
  }
  if (arch.deepCross) {
    // --model dcn: w_l [1, N] and b_l [N], b_l random (not zeros) so its gradients are exercised
    const N = (arch.tableSizes.length + 1) * arch.embeddingDim;
    params.cross = Array.from({ length: arch.deepCross.crossLayers }, () => ({
      ...linear(rng, N, 1, false),
      bias: Float32Array.from({ length: N }, () => rng.normal() * 0.1),
    }));
  }
  return params;
}

/** Optimizer state; adagrad accumulators start at `init` (0 as in the reference; > 0 to test a later step). */
export function zeroState(name: OptimizerName, params: DlrmParams, init = 0): OptimizerState {
  if (name === 'sgd') return { name, bottom: [], top: [], tables: [], ...(params.cross ? { cross: [] } : {}) };
  const lin = (ls: LinearParams[]) =>
    ls.map((l) => ({
      weight: new Float32Array(l.weight.length).fill(init),
      bias: new Float32Array(l.bias.length).fill(init),
    }));
  return {
    name,
    bottom: lin(params.bottom),
    top: lin(params.top),
    tables: params.tables.map((t) =>
      t.chunks.map((c) => new Float32Array(name === 'adagrad' ? c.length : c.length / t.dim).fill(init)),
    ),
    ...(params.cross ? { cross: lin(params.cross) } : {}),
  };
}

/** A random batch: dense ~ log(1+x)-like, bags of 0..maxBag indices (duplicates likely in small tables). */
export function randomBatch(arch: DlrmArch, size: number, seed: number, maxBag = 3): Batch {
  const rng = new Rng(seed);
  const D = arch.mlpBot[0];
  return {
    size,
    numDense: D,
    dense: Float32Array.from({ length: size * D }, () => Math.log1p(rng.nextInt(50))),
    labels: Float32Array.from({ length: size }, () => rng.nextInt(2)),
    sparse: arch.tableSizes.map((rows) => {
      const offsets = new Uint32Array(size + 1),
        idx: number[] = [];
      for (let b = 0; b < size; b++) {
        const k = maxBag === 1 ? 1 : rng.nextInt(maxBag + 1);
        for (let j = 0; j < k; j++) idx.push(rng.nextInt(rows));
        offsets[b + 1] = idx.length;
      }
      return { offsets, indices: Uint32Array.from(idx) };
    }),
  };
}

export function tableRow(params: DlrmParams, t: number, r: number): Float32Array {
  const tab = params.tables[t];
  const c = Math.floor(r / tab.chunkRows),
    o = (r % tab.chunkRows) * tab.dim;
  return tab.chunks[c].subarray(o, o + tab.dim);
}

export function cloneParams(p: DlrmParams): DlrmParams {
  const lin = (ls: LinearParams[]) => ls.map((l) => ({ ...l, weight: l.weight.slice(), bias: l.bias.slice() }));
  return {
    bottom: lin(p.bottom),
    top: lin(p.top),
    tables: p.tables.map((t) => ({ ...t, chunks: t.chunks.map((c) => c.slice()) })),
    ...(p.cross ? { cross: lin(p.cross) } : {}),
  };
}

export function cloneState(s: OptimizerState): OptimizerState {
  const lin = (ls: { weight: Float32Array; bias: Float32Array }[]) =>
    ls.map((l) => ({ weight: l.weight.slice(), bias: l.bias.slice() }));
  return {
    name: s.name,
    bottom: lin(s.bottom),
    top: lin(s.top),
    tables: s.tables.map((t) => t.map((c) => c.slice())),
    ...(s.cross ? { cross: lin(s.cross) } : {}),
  };
}

export interface ReferenceResult {
  loss: number;
  predictions: Float64Array;
  bottom: { weight: Float64Array; bias: Float64Array }[];
  top: { weight: Float64Array; bias: Float64Array }[];
  pooled: Float64Array[];
  /** dcn: gradients of the cross layers, as DlrmParams.cross. */
  cross: { weight: Float64Array; bias: Float64Array }[];
}

/** Rounds the inputs of a layer's products (bf16 GEMMs), or undefined for exact products. */
export type GemmRound = (l: LinearParams) => ((x: number) => number) | undefined;

const exact = (x: number): number => x;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** x as float32, then rounded to bf16 (nearest, ties to even, on the bit pattern), as a number. */
export function bf16Round(x: number): number {
  f32[0] = x;
  const u = u32[0];
  u32[0] = ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) << 16;
  return f32[0];
}

/** y = act(W x + b) for one sample, float64 (products of the rounded inputs when `round` is given). */
function layerForward(
  l: LinearParams,
  x: Float64Array,
  relu: boolean,
  round: (x: number) => number = exact,
): Float64Array {
  const y = new Float64Array(l.outFeatures);
  const xr = x.map(round);
  for (let o = 0; o < l.outFeatures; o++) {
    let s = l.bias[o];
    const row = o * l.inFeatures;
    for (let i = 0; i < l.inFeatures; i++) s += round(l.weight[row + i]) * xr[i];
    y[o] = relu && s < 0 ? 0 : s;
  }
  return y;
}

/** Backprop through one layer for one sample: accumulates dW, db and returns dx (unmasked). */
function layerBackward(
  l: LinearParams,
  x: Float64Array,
  dy: Float64Array,
  g: { weight: Float64Array; bias: Float64Array },
  round: (x: number) => number = exact,
): Float64Array {
  const dx = new Float64Array(l.inFeatures);
  const xr = x.map(round);
  for (let o = 0; o < l.outFeatures; o++) {
    if (dy[o] === 0) continue;
    g.bias[o] += dy[o];
    const d = round(dy[o]);
    const row = o * l.inFeatures;
    for (let i = 0; i < l.inFeatures; i++) {
      g.weight[row + i] += d * xr[i];
      dx[i] += d * round(l.weight[row + i]);
    }
  }
  return dx;
}

/**
 * Mean-loss forward and backward of the whole batch in float64 (the reference DLRM's definitions). With
 * `gemmRound`, each layer's products take the inputs it rounds (a model of bf16 GEMMs; sums stay float64).
 */
export function referenceGradients(
  cfg: EngineConfig,
  params: DlrmParams,
  batch: Batch,
  gemmRound?: GemmRound,
): ReferenceResult {
  const roundOf = (l: LinearParams) => gemmRound?.(l) ?? exact;
  const { arch } = cfg;
  const B = batch.size,
    d = arch.embeddingDim,
    T = arch.tableSizes.length,
    n = T + 1;
  const zeros = (ls: LinearParams[]) =>
    ls.map((l) => ({ weight: new Float64Array(l.weight.length), bias: new Float64Array(l.bias.length) }));
  const res: ReferenceResult = {
    loss: 0,
    predictions: new Float64Array(B),
    bottom: zeros(params.bottom),
    top: zeros(params.top),
    pooled: arch.tableSizes.map(() => new Float64Array(B * d)),
    cross: zeros(params.cross ?? []),
  };
  // the dcn interaction's V/W pairs (--model dcn's cross layers go through deepCrossForward instead)
  const cross = arch.deepCross ? [] : (params.cross ?? []);
  const thr = cfg.lossThreshold > 0 && cfg.lossThreshold < 1 ? cfg.lossThreshold : 0;
  for (let b = 0; b < B; b++) {
    // bottom MLP
    const bottomActs: Float64Array[] = [
      Float64Array.from(batch.dense.subarray(b * batch.numDense, (b + 1) * batch.numDense)),
    ];
    for (const l of params.bottom)
      bottomActs.push(layerForward(l, bottomActs[bottomActs.length - 1], true, roundOf(l)));
    const rows: Float64Array[] = [bottomActs[bottomActs.length - 1]];
    batch.sparse.forEach((bag, t) => {
      const e = new Float64Array(d);
      for (let k = bag.offsets[b]; k < bag.offsets[b + 1]; k++) {
        const r = tableRow(params, t, bag.indices[k]);
        for (let c = 0; c < d; c++) e[c] += r[c];
      }
      rows.push(e);
    });
    // interaction
    const pairs: [number, number][] = [];
    let R: Float64Array;
    if (arch.interaction === 'dot') {
      for (let i = 0; i < n; i++) for (let j = 0; j < (arch.interactionItself ? i + 1 : i); j++) pairs.push([i, j]);
      R = new Float64Array(d + pairs.length);
      R.set(rows[0]);
      pairs.forEach(([i, j], k) => {
        let s = 0;
        for (let c = 0; c < d; c++) s += rows[i][c] * rows[j][c];
        R[d + k] = s;
      });
    } else {
      R = new Float64Array(n * d);
      rows.forEach((r, i) => R.set(r, i * d));
    }
    // dcn: x_{l+1} = x_0 * (W_l V_l x_l + b_l) + x_l, keeping x_l, V_l x_l and z_l per layer
    const x0 = R,
      crossX: Float64Array[] = [R],
      crossXV: Float64Array[] = [],
      crossZ: Float64Array[] = [];
    for (let l = 0; 2 * l < cross.length; l++) {
      const V = cross[2 * l],
        W = cross[2 * l + 1];
      const xv = layerForward({ ...V, bias: new Float32Array(V.outFeatures) }, crossX[l], false, roundOf(V));
      const z = layerForward(W, xv, false, roundOf(W));
      crossXV.push(xv);
      crossZ.push(z);
      crossX.push(x0.map((v, i) => v * z[i] + crossX[l][i]));
    }
    R = crossX[crossX.length - 1];
    const deep = arch.deepCross ? deepCrossForward(params, R) : undefined;
    const topActs: Float64Array[] = [R];
    if (!deep)
      params.top.forEach((l, i) =>
        topActs.push(layerForward(l, topActs[topActs.length - 1], i + 1 < params.top.length, roundOf(l))),
      );
    const z = deep ? deep.logit : topActs[topActs.length - 1][0];
    const raw = 1 / (1 + Math.exp(-z));
    const clamped = thr > 0 && (raw < thr || raw > 1 - thr);
    const p = clamped ? (raw < thr ? thr : 1 - thr) : raw;
    res.predictions[b] = p;
    const y = batch.labels[b];
    let dLdp: number;
    if (cfg.loss === 'mse') {
      res.loss += (p - y) ** 2 / B;
      dLdp = (2 * (p - y)) / B;
    } else {
      const w = cfg.loss === 'wbce' ? cfg.lossWeights[y > 0.5 ? 1 : 0] : 1;
      res.loss -= (w * (y * Math.max(Math.log(p), -100) + (1 - y) * Math.max(Math.log(1 - p), -100))) / B;
      dLdp = (w * (p - y)) / (p * (1 - p)) / B;
    }
    // backward
    let dy: Float64Array = new Float64Array([clamped ? 0 : dLdp * raw * (1 - raw)]);
    if (deep) dy = deepCrossBackward(params, deep, dy, res);
    for (let li = deep ? -1 : params.top.length - 1; li >= 0; li--) {
      const dx = layerBackward(params.top[li], topActs[li], dy, res.top[li], roundOf(params.top[li]));
      if (li > 0) for (let i = 0; i < dx.length; i++) if (topActs[li][i] <= 0) dx[i] = 0;
      dy = dx;
    }
    const dRows = rows.map(() => new Float64Array(d));
    if (cross.length > 0) {
      const dx0 = new Float64Array(n * d);
      for (let l = cross.length / 2 - 1; l >= 0; l--) {
        const dz = dy.map((g, i) => g * x0[i]);
        dy.forEach((g, i) => (dx0[i] += g * crossZ[l][i]));
        const V = cross[2 * l],
          W = cross[2 * l + 1];
        const dxv = layerBackward(W, crossXV[l], dz, res.cross[2 * l + 1], roundOf(W));
        const vGrad = { weight: res.cross[2 * l].weight, bias: new Float64Array(V.outFeatures) };
        const dxl = layerBackward({ ...V, bias: new Float32Array(V.outFeatures) }, crossX[l], dxv, vGrad, roundOf(V));
        dy = dy.map((g, i) => g + dxl[i]);
      }
      dy = dy.map((g, i) => g + dx0[i]);
    }
    if (arch.interaction === 'dot') {
      for (let c = 0; c < d; c++) dRows[0][c] += dy[c];
      pairs.forEach(([i, j], k) => {
        const g = dy[d + k];
        for (let c = 0; c < d; c++) {
          dRows[i][c] += g * rows[j][c];
          dRows[j][c] += g * rows[i][c];
        }
      });
    } else {
      dRows.forEach((r, i) => r.set(dy.subarray(i * d, (i + 1) * d)));
    }
    for (let t = 0; t < T; t++) res.pooled[t].set(dRows[t + 1], b * d);
    dy = dRows[0];
    for (let li = params.bottom.length - 1; li >= 0; li--) {
      const out = bottomActs[li + 1];
      for (let i = 0; i < dy.length; i++) if (out[i] <= 0) dy[i] = 0;
      dy = layerBackward(params.bottom[li], bottomActs[li], dy, res.bottom[li], roundOf(params.bottom[li]));
    }
  }
  return res;
}

/** --model dcn's forward from x_0 for one sample: cross layers x_l, deep activations, the output's input and the logit. */
interface DeepCrossActs {
  crossX: Float64Array[];
  deepActs: Float64Array[];
  head: Float64Array;
  logit: number;
}

function deepCrossForward(params: DlrmParams, x0: Float64Array): DeepCrossActs {
  const crossX = [x0];
  for (const c of params.cross ?? []) {
    const xl = crossX[crossX.length - 1];
    let s = 0;
    for (let i = 0; i < xl.length; i++) s += xl[i] * c.weight[i];
    crossX.push(xl.map((v, i) => x0[i] * s + c.bias[i] + v));
  }
  const deepActs = [x0];
  for (const l of params.top.slice(0, -1)) deepActs.push(layerForward(l, deepActs[deepActs.length - 1], true));
  const xL = crossX[crossX.length - 1],
    h = deepActs[deepActs.length - 1];
  const head = new Float64Array(xL.length + h.length);
  head.set(xL);
  head.set(h, xL.length);
  return { crossX, deepActs, head, logit: layerForward(params.top[params.top.length - 1], head, false)[0] };
}

/** --model dcn's backward for one sample from d(logit): accumulates the top and cross gradients, returns d(x_0). */
function deepCrossBackward(
  params: DlrmParams,
  a: DeepCrossActs,
  dLogit: Float64Array,
  res: ReferenceResult,
): Float64Array {
  const top = params.top,
    cross = params.cross ?? [];
  const x0 = a.crossX[0],
    N = x0.length;
  const dHead = layerBackward(top[top.length - 1], a.head, dLogit, res.top[top.length - 1]);
  // deep layers back to x_0
  let dy: Float64Array = dHead.slice(N);
  for (let li = top.length - 2; li >= 0; li--) {
    for (let i = 0; i < dy.length; i++) if (a.deepActs[li + 1][i] <= 0) dy[i] = 0;
    dy = layerBackward(top[li], a.deepActs[li], dy, res.top[li]);
  }
  const dx0 = dy;
  // cross layers: g = d(x_{l+1})
  let g: Float64Array = dHead.slice(0, N);
  for (let l = cross.length - 1; l >= 0; l--) {
    const xl = a.crossX[l],
      w = cross[l].weight;
    let s = 0,
      ds = 0;
    for (let i = 0; i < N; i++) {
      s += xl[i] * w[i];
      ds += g[i] * x0[i];
    }
    for (let i = 0; i < N; i++) {
      dx0[i] += g[i] * s;
      res.cross[l].bias[i] += g[i];
      res.cross[l].weight[i] += ds * xl[i];
    }
    g = g.map((v, i) => v + ds * w[i]);
  }
  return dx0.map((v, i) => v + g[i]);
}

/** Sum of the pooled gradients per table row (duplicates accumulate): Map row -> gradient. */
export function embeddingRowGradients(
  batch: Batch,
  t: number,
  pooled: ArrayLike<number>,
  d: number,
): Map<number, Float64Array> {
  const bag = batch.sparse[t],
    m = new Map<number, Float64Array>();
  for (let b = 0; b < batch.size; b++)
    for (let k = bag.offsets[b]; k < bag.offsets[b + 1]; k++) {
      const r = bag.indices[k];
      let g = m.get(r);
      if (!g) m.set(r, (g = new Float64Array(d)));
      for (let c = 0; c < d; c++) g[c] += pooled[b * d + c];
    }
  return m;
}

/** One optimizer update of w (and acc) with gradient g, float64; `rowwise` uses acc[0] as the row's accumulator. */
export function referenceUpdate(
  name: OptimizerName,
  w: ArrayLike<number>,
  acc: ArrayLike<number> | undefined,
  g: ArrayLike<number>,
  lr: number,
  rowwise = false,
): { w: Float64Array; acc?: Float64Array } {
  const nw = Float64Array.from(w);
  if (name === 'sgd') {
    for (let i = 0; i < nw.length; i++) nw[i] -= lr * g[i];
    return { w: nw };
  }
  const na = Float64Array.from(acc as ArrayLike<number>);
  if (rowwise) {
    let sq = 0;
    for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
    na[0] += sq / g.length;
    for (let i = 0; i < nw.length; i++) nw[i] -= (lr * g[i]) / (Math.sqrt(na[0]) + ADAGRAD_EPS);
  } else {
    for (let i = 0; i < nw.length; i++) {
      na[i] += g[i] * g[i];
      nw[i] -= (lr * g[i]) / (Math.sqrt(na[i]) + ADAGRAD_EPS);
    }
  }
  return { w: nw, acc: na };
}

/** max |a - b| / max |b| (0 when both are all zeros). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let num = 0,
    den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den === 0 ? num : num / den;
}
