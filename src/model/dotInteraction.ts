// The `dot` interaction on host typed arrays (engine-independent kernels; the tfjs engine uses them on its
// cpu and wasm backends, where they beat batched matMul + gather by far). Per sample, M = [x; e_1..e_T]
// (n = T+1 rows of d), output [x, M_i·M_j for i > j (i >= j with itself), row-major by i then j].
// Shapes: x [B,d], pooled [B,T,d], out [B, d + P] with P = n(n-1)/2 (n(n+1)/2 with itself).
// Backward: dM = G M with G symmetric (G_ij = G_ji = d(out)/d(M_i·M_j), 2x on the diagonal), dx += d(out)[:d].

/** Number of interaction values P for n = T+1 rows. */
export function dotPairCount(numTables: number, itself: boolean): number {
  const n = numTables + 1;
  return itself ? (n * (n + 1)) / 2 : (n * (n - 1)) / 2;
}

/** Copies sample b's rows [x_b; pooled_b] into m [n*d]. */
function gatherRows(x: Float32Array, pooled: Float32Array, b: number, T: number, d: number, m: Float64Array): void {
  for (let k = 0; k < d; k++) m[k] = x[b * d + k];
  const base = b * T * d;
  for (let k = 0; k < T * d; k++) m[d + k] = pooled[base + k];
}

/** m[a..a+d) · m[b..b+d), four partial sums (the JIT keeps them in registers). */
function rowDot(m: Float64Array, a: number, b: number, d: number): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0,
    k = 0;
  for (; k + 3 < d; k += 4) {
    s0 += m[a + k] * m[b + k];
    s1 += m[a + k + 1] * m[b + k + 1];
    s2 += m[a + k + 2] * m[b + k + 2];
    s3 += m[a + k + 3] * m[b + k + 3];
  }
  for (; k < d; k++) s0 += m[a + k] * m[b + k];
  return s0 + s1 + (s2 + s3);
}

export function dotInteractionForward(
  x: Float32Array,
  pooled: Float32Array,
  B: number,
  T: number,
  d: number,
  itself: boolean,
  out: Float32Array,
): void {
  const n = T + 1,
    P = dotPairCount(T, itself),
    W = d + P;
  const m = new Float64Array(n * d);
  for (let b = 0; b < B; b++) {
    gatherRows(x, pooled, b, T, d, m);
    let o = b * W;
    for (let k = 0; k < d; k++) out[o++] = m[k];
    for (let i = 0; i < n; i++) {
      const last = itself ? i : i - 1;
      for (let j = 0; j <= last; j++) out[o++] = rowDot(m, i * d, j * d, d);
    }
  }
}

/**
 * Gradients of x [B,d] and pooled [B,T,d] (overwritten) from dOut [B, d+P]: per sample dM = G M with G the
 * symmetric [n,n] matrix of the pair gradients (2 g_ii on the diagonal with itself, 0 without).
 */
export function dotInteractionBackward(
  x: Float32Array,
  pooled: Float32Array,
  dOut: Float32Array,
  B: number,
  T: number,
  d: number,
  itself: boolean,
  dx: Float32Array,
  dPooled: Float32Array,
): void {
  const n = T + 1,
    P = dotPairCount(T, itself),
    W = d + P;
  const m = new Float64Array(n * d),
    g = new Float64Array(n * n),
    dm = new Float64Array(n * d);
  for (let b = 0; b < B; b++) {
    gatherRows(x, pooled, b, T, d, m);
    let o = b * W + d;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) g[i * n + j] = g[j * n + i] = dOut[o++];
      g[i * n + i] = itself ? 2 * dOut[o++] : 0;
    }
    for (let i = 0; i < n; i++) {
      const gi = i * n,
        di = i * d;
      let k = 0;
      for (; k + 3 < d; k += 4) {
        let s0 = 0,
          s1 = 0,
          s2 = 0,
          s3 = 0;
        for (let j = 0; j < n; j++) {
          const gij = g[gi + j],
            mj = j * d + k;
          s0 += gij * m[mj];
          s1 += gij * m[mj + 1];
          s2 += gij * m[mj + 2];
          s3 += gij * m[mj + 3];
        }
        dm[di + k] = s0;
        dm[di + k + 1] = s1;
        dm[di + k + 2] = s2;
        dm[di + k + 3] = s3;
      }
      for (; k < d; k++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += g[gi + j] * m[j * d + k];
        dm[di + k] = s;
      }
    }
    for (let k = 0; k < d; k++) dx[b * d + k] = dOut[b * W + k] + dm[k];
    const base = b * T * d;
    for (let k = 0; k < T * d; k++) dPooled[base + k] = dm[d + k];
  }
}
