// What each categorical feature's embedding is under the reference's compression flags
// (facebookresearch/dlrm: dlrm_s_pytorch.py create_emb, tricks/qr_embedding_bag.py, tricks/md_embedding_bag.py):
//   plain: one table [n, d].
//   qr (--qr-flag, tables with n > --qr-threshold): a quotient table [ceil(n/c), e] and a remainder table
//       [c, e] (c = --qr-collisions), row i -> q = floor(i/c), r = i mod c, combined by mult | add (e = d)
//       or concat (e = d/2: the reference's --arch-sparse-feature-size is the half, the bottom MLP ends in 2e).
//   md (--md-flag, tables with n > --md-threshold): a table [n, m_t] with m_t from md_solver (alpha-power
//       rule over ALL tables, d0 = d for the smallest), projected to d by a bias-free Linear [d, m_t]
//       (none when m_t = d).
// Where the reference crashes we do the evident intent, documented in docs/MODEL.md: tables at or under a
// threshold stay plain at the full d (also under concat and md); --qr-flag with --md-flag is refused.
import type { DlrmArch, EmbeddingCompression, QrOperation } from '../model/arch';
import { UserError } from '../util/errors';

export type FeatureEmbedding =
  | { kind: 'plain'; rows: number; dim: number }
  | {
      kind: 'qr';
      categories: number;
      operation: QrOperation;
      collisions: number;
      qRows: number;
      rRows: number;
      dim: number;
    }
  | { kind: 'md'; rows: number; dim: number; baseDim: number };

/** torch.round: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The reference's md_solver(n, alpha, d0, round_dim) in float32 as torch computes it: sort n ascending,
 * lambda = d0 * n_min^alpha, d_i = round(max(1, lambda * n_i^-alpha)) (d = d0 for the smallest), then with
 * roundDims 2^round(log2 d_i). Returns the dims in the tables' order.
 */
export function mdSolver(n: readonly number[], alpha: number, d0: number, roundDims: boolean): number[] {
  const f = Math.fround;
  const order = n.map((_, i) => i).sort((a, b) => n[a] - n[b] || a - b);
  const lambda = f(d0 * f(f(n[order[0]]) ** f(alpha)));
  const dims = new Array<number>(n.length);
  order.forEach((t, rank) => {
    let d = rank === 0 ? d0 : f(lambda * f(f(n[t]) ** f(-alpha)));
    if (rank !== 0 && d < 1) d = 1;
    d = roundHalfEven(d);
    if (roundDims) d = 2 ** roundHalfEven(f(Math.log2(d)));
    dims[t] = d;
  });
  return dims;
}

/** Checks the flags against the tables and the embedding dim d (= the bottom MLP's output). */
export function checkCompression(c: EmbeddingCompression, dim: number): void {
  if (c.qr && c.md) throw new UserError('--qr-flag and --md-flag cannot be combined (the reference fails on it too)');
  if (c.qr) {
    const { operation, collisions, threshold } = c.qr;
    if (!['mult', 'add', 'concat'].includes(operation))
      throw new UserError(`--qr-operation: '${String(operation)}' is not one of mult, add, concat`);
    if (!Number.isSafeInteger(collisions) || collisions < 1)
      throw new UserError(`--qr-collisions: '${collisions}' is not a positive integer`);
    if (!Number.isSafeInteger(threshold) || threshold < 0)
      throw new UserError(`--qr-threshold: '${threshold}' is not a non-negative integer`);
    if (operation === 'concat' && dim % 2 !== 0)
      throw new UserError(
        `--qr-operation concat: the bottom MLP's last width ${dim} must be even (twice the embedding dim)`,
      );
  }
  if (c.md) {
    const { temperature, threshold, roundDims } = c.md;
    if (!Number.isFinite(temperature) || temperature < 0)
      throw new UserError(`--md-temperature: '${temperature}' is not a non-negative number`);
    if (!Number.isSafeInteger(threshold) || threshold < 0)
      throw new UserError(`--md-threshold: '${threshold}' is not a non-negative integer`);
    if (roundDims && 2 ** Math.round(Math.log2(dim)) !== dim)
      throw new UserError(
        `--md-round-dims: the embedding dim ${dim} must be a power of two (the reference rounds it too)`,
      );
  }
}

/** Each feature's embedding for `arch` (all plain without arch.compression). */
export function featureEmbeddings(
  arch: Pick<DlrmArch, 'tableSizes' | 'embeddingDim' | 'compression'>,
): FeatureEmbedding[] {
  const { tableSizes, embeddingDim: d, compression } = arch;
  const plain = (rows: number): FeatureEmbedding => ({ kind: 'plain', rows, dim: d });
  if (compression?.qr) {
    const { operation, collisions, threshold } = compression.qr;
    return tableSizes.map((n) =>
      n > threshold
        ? {
            kind: 'qr',
            categories: n,
            operation,
            collisions,
            qRows: Math.ceil(n / collisions),
            rRows: collisions,
            dim: operation === 'concat' ? d / 2 : d,
          }
        : plain(n),
    );
  }
  if (compression?.md) {
    const { temperature, threshold, roundDims } = compression.md;
    const dims = mdSolver(tableSizes, temperature, d, roundDims);
    return tableSizes.map((n, t) => (n > threshold ? { kind: 'md', rows: n, dim: dims[t], baseDim: d } : plain(n)));
  }
  return tableSizes.map(plain);
}

/** Float32 parameters of one feature's embedding (tables and projection). */
export function featureParamCount(f: FeatureEmbedding): number {
  if (f.kind === 'plain') return f.rows * f.dim;
  if (f.kind === 'qr') return (f.qRows + f.rRows) * f.dim;
  return f.rows * f.dim + (f.dim < f.baseDim ? f.baseDim * f.dim : 0);
}

/** Rows of one feature's tables (what the row-wise Adagrad state counts). */
export function featureRowCount(f: FeatureEmbedding): number {
  return f.kind === 'qr' ? f.qRows + f.rRows : f.rows;
}

/** The flags in words, e.g. 'plain', 'qr mult c=4 >200', 'md alpha=0.3 >200 round'. */
export function describeCompression(c: EmbeddingCompression | undefined): string {
  if (c?.qr) return `qr ${c.qr.operation} c=${c.qr.collisions} >${c.qr.threshold}`;
  if (c?.md) return `md alpha=${c.md.temperature} >${c.md.threshold}${c.md.roundDims ? ' round' : ''}`;
  return 'plain';
}

/** Bytes of a model's embeddings (float32): weights, and optimizer state per optimizer. */
export interface EmbeddingMemory {
  paramBytes: number;
  /** sgd none; adagrad one per weight; rowwise-adagrad one per table row plus one per projection weight. */
  optimizerBytes: Record<'sgd' | 'adagrad' | 'rowwise-adagrad', number>;
}

export function embeddingMemory(
  tableSizes: readonly number[],
  embeddingDim: number,
  compression?: EmbeddingCompression,
): EmbeddingMemory {
  const features = featureEmbeddings({ tableSizes: [...tableSizes], embeddingDim, compression });
  let params = 0,
    rowwise = 0;
  for (const f of features) {
    const n = featureParamCount(f);
    params += n;
    rowwise += featureRowCount(f) + (f.kind === 'md' ? n - f.rows * f.dim : 0);
  }
  return { paramBytes: 4 * params, optimizerBytes: { sgd: 0, adagrad: 4 * params, 'rowwise-adagrad': 4 * rowwise } };
}

/** The compression options `dlrm inspect --stats` and the benchmark compare at dim d: the reference's defaults. */
export function defaultCompressions(dim: number): { name: string; compression: EmbeddingCompression }[] {
  const qr = (operation: QrOperation): EmbeddingCompression => ({ qr: { operation, collisions: 4, threshold: 200 } });
  const md = (roundDims: boolean): EmbeddingCompression => ({ md: { temperature: 0.3, threshold: 200, roundDims } });
  const out: { name: string; compression: EmbeddingCompression }[] = [
    { name: '--qr-flag (mult, c=4)', compression: qr('mult') },
  ];
  if (dim % 2 === 0) out.push({ name: '--qr-flag --qr-operation concat', compression: qr('concat') });
  out.push({ name: '--md-flag (alpha 0.3)', compression: md(false) });
  if (2 ** Math.round(Math.log2(dim)) === dim) out.push({ name: '--md-flag --md-round-dims', compression: md(true) });
  return out;
}
