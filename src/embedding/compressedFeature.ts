// One compressed feature's embedding on the host (layouts in compressedLayout.ts), for every engine: the
// pooled forward into the engines' strided [B, ..., d] layout and, from d(loss)/d(pooled), the gradients
// of its tables' pooled bags and of its projection, then the optimizer step.
//   QR: p_q = bag(q = floor(i/c)), p_r = bag(r = i mod c) over the quotient / remainder tables;
//       out = p_q * p_r (mult) | p_q + p_r (add) | [p_q, p_r] (concat); the pooling is summed per table first,
//       as the reference's two F.embedding_bag calls.
//   MD: p = bag(i) [B, m]; out = p Pᵀ with P [d, m] (bias-free Linear), or p itself when m = d.
// Backward: QR mult g_q = g * p_r, g_r = g * p_q; add g_q = g_r = g; concat the halves of g.
//           MD g_p = g P; g_P = gᵀ p (summed over the batch). Every gradient is computed before any update.
// The table updates are the plain tables' (sparseOptimizers.ts); the projection uses the dense layers' rule
// (sgd; adagrad, also under rowwise-adagrad). `update`/`gradients` use the p's of the last `forward`, which
// must be of the same batch.
import type { BagInput } from '../dataset/batch';
import type { OptimizerName } from '../model/arch';
import type { CompressedFeatureParams } from '../model/params';
import type { FeatureEmbedding } from './compressedLayout';
import { EmbeddingBagBackward } from './embeddingBagBackward';
import { embeddingBagForward, indexOutOfRange } from './embeddingBagForward';
import {
  ADAGRAD_EPS,
  adagradEmbeddingUpdate,
  rowwiseAdagradEmbeddingUpdate,
  sgdEmbeddingUpdate,
} from './sparseOptimizers';

export type CompressedLayout = Exclude<FeatureEmbedding, { kind: 'plain' }>;

export interface CompressedFeatureState {
  tables: Float32Array[][];
  projection?: Float32Array;
}

/** Gradients of one compressed feature for one batch: per table d(loss)/d(its pooled bag) [B*e], and d(loss)/dP. */
export interface CompressedFeatureGradients {
  pooled: Float32Array[];
  projection?: Float32Array;
}

export class CompressedFeature {
  private readonly backward = new EmbeddingBagBackward();
  private bags: BagInput[] = [];
  private pooled: Float32Array[] = [];
  private readonly grads: CompressedFeatureGradients;

  constructor(
    readonly layout: CompressedLayout,
    readonly params: CompressedFeatureParams,
    readonly optimizer: OptimizerName,
    readonly state: CompressedFeatureState | undefined,
    readonly featureIndex = 0,
  ) {
    this.grads = {
      pooled: params.tables.map(() => new Float32Array(0)),
      ...(params.projection ? { projection: new Float32Array(params.projection.length) } : {}),
    };
  }

  /** The bags of the feature's own tables (QR: quotient and remainder indices). */
  private tableBags(bag: BagInput): BagInput[] {
    const f = this.layout;
    if (f.kind === 'md') return [bag];
    const c = f.collisions,
      n = bag.indices.length;
    const reuse = this.bags.length === 2 && this.bags[0].indices.length === n;
    const q = reuse ? this.bags[0].indices : new Uint32Array(n);
    const r = reuse ? this.bags[1].indices : new Uint32Array(n);
    for (let p = 0; p < n; p++) {
      const i = bag.indices[p];
      if (i >= f.categories) throw indexOutOfRange(this.featureIndex, i, f.categories);
      q[p] = Math.floor(i / c);
      r[p] = i - q[p] * c;
    }
    return [
      { offsets: bag.offsets, indices: q },
      { offsets: bag.offsets, indices: r },
    ];
  }

  /** Writes the feature's pooled output [B, d] at out[b*stride + offset ..]. */
  forward(bag: BagInput, out: Float32Array, stride: number, offset: number): void {
    const B = bag.offsets.length - 1;
    const f = this.layout,
      e = f.dim;
    this.bags = this.tableBags(bag);
    this.pooled = this.params.tables.map((t, k) => {
      const p = this.pooled[k]?.length === B * e ? this.pooled[k] : new Float32Array(B * e);
      embeddingBagForward(t, this.bags[k], p, e, 0, this.featureIndex);
      return p;
    });
    if (f.kind === 'qr') {
      const [pq, pr] = this.pooled;
      for (let b = 0; b < B; b++) {
        const o = b * stride + offset,
          s = b * e;
        if (f.operation === 'mult') for (let k = 0; k < e; k++) out[o + k] = pq[s + k] * pr[s + k];
        else if (f.operation === 'add') for (let k = 0; k < e; k++) out[o + k] = pq[s + k] + pr[s + k];
        else
          for (let k = 0; k < e; k++) {
            out[o + k] = pq[s + k];
            out[o + e + k] = pr[s + k];
          }
      }
      return;
    }
    const p = this.pooled[0],
      P = this.params.projection,
      d = f.baseDim;
    for (let b = 0; b < B; b++) {
      const o = b * stride + offset,
        s = b * e;
      if (!P) {
        for (let k = 0; k < d; k++) out[o + k] = p[s + k];
        continue;
      }
      for (let j = 0; j < d; j++) {
        let acc = 0;
        for (let k = 0; k < e; k++) acc += p[s + k] * P[j * e + k];
        out[o + j] = acc;
      }
    }
  }

  /** Gradients from d(loss)/d(out) at grad[b*stride + offset ..] (arrays reused by the next call). */
  gradients(grad: Float32Array, stride: number, offset: number): CompressedFeatureGradients {
    const f = this.layout,
      e = f.dim;
    const B = this.bags[0].offsets.length - 1;
    const g = this.grads;
    g.pooled = g.pooled.map((a) => (a.length === B * e ? a : new Float32Array(B * e)));
    if (f.kind === 'qr') {
      const [pq, pr] = this.pooled,
        [gq, gr] = g.pooled;
      for (let b = 0; b < B; b++) {
        const o = b * stride + offset,
          s = b * e;
        for (let k = 0; k < e; k++) {
          if (f.operation === 'mult') {
            gq[s + k] = grad[o + k] * pr[s + k];
            gr[s + k] = grad[o + k] * pq[s + k];
          } else if (f.operation === 'add') {
            gq[s + k] = gr[s + k] = grad[o + k];
          } else {
            gq[s + k] = grad[o + k];
            gr[s + k] = grad[o + e + k];
          }
        }
      }
      return g;
    }
    const p = this.pooled[0],
      gp = g.pooled[0],
      P = this.params.projection,
      gP = g.projection,
      d = f.baseDim;
    if (!P || !gP) {
      for (let b = 0; b < B; b++) for (let k = 0; k < d; k++) gp[b * e + k] = grad[b * stride + offset + k];
      return g;
    }
    gP.fill(0);
    for (let b = 0; b < B; b++) {
      const o = b * stride + offset,
        s = b * e;
      for (let k = 0; k < e; k++) gp[s + k] = 0;
      for (let j = 0; j < d; j++) {
        const gj = grad[o + j];
        if (gj === 0) continue;
        for (let k = 0; k < e; k++) {
          gp[s + k] += gj * P[j * e + k];
          gP[j * e + k] += gj * p[s + k];
        }
      }
    }
    return g;
  }

  /** The optimizer step from d(loss)/d(out), after the forward of the same batch. */
  update(grad: Float32Array, stride: number, offset: number, lr: number): void {
    const g = this.gradients(grad, stride, offset);
    const e = this.layout.dim;
    this.params.tables.forEach((table, k) => {
      if (this.optimizer === 'sgd') {
        sgdEmbeddingUpdate(table, this.bags[k], g.pooled[k], e, 0, lr);
        return;
      }
      const rows = this.backward.backward(this.bags[k], g.pooled[k], e, 0, e);
      const acc = (this.state as CompressedFeatureState).tables[k];
      if (this.optimizer === 'adagrad') adagradEmbeddingUpdate(table, acc, rows, lr);
      else rowwiseAdagradEmbeddingUpdate(table, acc, rows, lr);
    });
    const P = this.params.projection,
      gP = g.projection;
    if (!P || !gP) return;
    if (this.optimizer === 'sgd') {
      for (let i = 0; i < P.length; i++) P[i] -= lr * gP[i];
      return;
    }
    const acc = this.state?.projection as Float32Array;
    for (let i = 0; i < P.length; i++) {
      const a = (acc[i] += gP[i] * gP[i]);
      P[i] -= (lr * gP[i]) / (Math.sqrt(a) + ADAGRAD_EPS);
    }
  }
}

/** The compressed features of a model (undefined for plain ones), bound to its params and state. */
export function compressedFeatures(
  layouts: readonly FeatureEmbedding[],
  params: (CompressedFeatureParams | undefined)[] | undefined,
  optimizer: OptimizerName,
  state: (CompressedFeatureState | undefined)[] | undefined,
): (CompressedFeature | undefined)[] {
  return layouts.map((f, t) => {
    const p = params?.[t];
    if (f.kind === 'plain') return undefined;
    if (!p) throw new Error(`feature ${t}: ${f.kind} embedding without its parameters`);
    return new CompressedFeature(f, p, optimizer, state?.[t], t);
  });
}
