// An independent plain-TypeScript float64 DLRM forward (no tfjs, no shared engine code) used by tests as
// the reference: bottom MLP, dot/cat interaction, top MLP, sigmoid, clamp and loss, from the host
// DlrmParams (PyTorch layout) and the pooled bags [B,T,d]. Central finite differences of its loss give
// reference gradients.
import type { Batch } from '../../src/dataset/batch';
import type { DlrmArch } from '../../src/model/arch';
import type { DlrmParams, LinearParams } from '../../src/model/params';
import type { LossConfig } from '../../src/model/loss';
import { Rng } from '../../src/util/random';

/** y = x W^T + b for one row x [in], W [out, in]. */
export function linearRow(x: number[], l: LinearParams): number[] {
  const y: number[] = [];
  for (let o = 0; o < l.outFeatures; o++) {
    let s = l.bias[o];
    for (let i = 0; i < l.inFeatures; i++) s += l.weight[o * l.inFeatures + i] * x[i];
    y.push(s);
  }
  return y;
}

const relu = (v: number[]): number[] => v.map((a) => (a > 0 ? a : 0));

export function mlpRow(x: number[], layers: LinearParams[], reluLast: boolean): number[] {
  return layers.reduce((h, l, i) => {
    const y = linearRow(h, l);
    return i < layers.length - 1 || reluLast ? relu(y) : y;
  }, x);
}

/** Interaction of x [d] with pooled rows e [T][d]. */
export function interactionRow(
  x: number[],
  e: number[][],
  arch: Pick<DlrmArch, 'interaction' | 'interactionItself'>,
): number[] {
  if (arch.interaction === 'cat') return [...x, ...e.flat()];
  const rows = [x, ...e];
  const out = [...x];
  for (let i = 0; i < rows.length; i++) {
    for (let j = 0; j < (arch.interactionItself ? i + 1 : i); j++)
      out.push(rows[i].reduce((s, v, k) => s + v * rows[j][k], 0));
  }
  return out;
}

export function lossRow(p: number, y: number, w: number, c: LossConfig): number {
  if (c.loss === 'mse') return (p - y) ** 2;
  return -w * (y * Math.max(Math.log(p), -100) + (1 - y) * Math.max(Math.log(1 - p), -100));
}

/** Probabilities [B] and mean loss for dense [B*D], pooled [B,T,d] (as numbers), labels and weights. */
export function referenceForward(
  arch: DlrmArch,
  params: DlrmParams,
  c: LossConfig,
  dense: ArrayLike<number>,
  pooled: ArrayLike<number>,
  labels: ArrayLike<number>,
): { p: number[]; loss: number } {
  const B = labels.length,
    D = arch.mlpBot[0],
    T = arch.tableSizes.length,
    d = arch.embeddingDim;
  const p: number[] = [];
  let loss = 0;
  for (let b = 0; b < B; b++) {
    const x = mlpRow(
      Array.from({ length: D }, (_, k) => dense[b * D + k]),
      params.bottom,
      true,
    );
    const e = Array.from({ length: T }, (_, t) => Array.from({ length: d }, (_, k) => pooled[(b * T + t) * d + k]));
    const z = mlpRow(interactionRow(x, e, arch), params.top, false)[0];
    let pb = 1 / (1 + Math.exp(-z));
    if (c.lossThreshold > 0) pb = Math.min(Math.max(pb, c.lossThreshold), 1 - c.lossThreshold);
    p.push(pb);
    const w = c.loss === 'wbce' ? (labels[b] >= 0.5 ? c.lossWeights[1] : c.lossWeights[0]) : 1;
    loss += lossRow(pb, labels[b], w, c);
  }
  return { p, loss: loss / B };
}

/** Pooled bags [B,T,d] in float64, computed independently of src/embedding. */
export function referencePooled(params: DlrmParams, batch: Batch): Float64Array {
  const T = params.tables.length,
    d = T ? params.tables[0].dim : 0,
    B = batch.size;
  const out = new Float64Array(B * T * d);
  params.tables.forEach((tab, t) => {
    const { offsets, indices } = batch.sparse[t];
    for (let b = 0; b < B; b++) {
      for (let q = offsets[b]; q < offsets[b + 1]; q++) {
        const r = indices[q],
          c = Math.floor(r / tab.chunkRows);
        for (let k = 0; k < d; k++) out[(b * T + t) * d + k] += tab.chunks[c][(r - c * tab.chunkRows) * d + k];
      }
    }
  });
  return out;
}

/** Central difference d f / d a[i] (a is perturbed in place and restored). */
export function centralDifference(a: { [i: number]: number }, i: number, h: number, f: () => number): number {
  const v = a[i];
  a[i] = v + h;
  const fp = f();
  a[i] = v - h;
  const fm = f();
  a[i] = v;
  return (fp - fm) / (2 * h);
}

/** A random batch: dense ~ U(0, 2), multi-hot bags of 0..maxBag indices (empty bags included), 0/1 labels. */
export function randomBatch(rng: Rng, B: number, numDense: number, tableSizes: readonly number[], maxBag = 1): Batch {
  const sparse = tableSizes.map((n) => {
    const offsets = new Uint32Array(B + 1);
    const idx: number[] = [];
    for (let b = 0; b < B; b++) {
      const len = maxBag === 1 ? 1 : rng.nextInt(maxBag + 1);
      for (let j = 0; j < len; j++) idx.push(rng.nextInt(n));
      offsets[b + 1] = idx.length;
    }
    return { offsets, indices: Uint32Array.from(idx) };
  });
  return {
    size: B,
    numDense,
    dense: Float32Array.from({ length: B * numDense }, () => 2 * rng.next()),
    sparse,
    labels: Float32Array.from({ length: B }, () => (rng.next() < 0.3 ? 1 : 0)),
  };
}
