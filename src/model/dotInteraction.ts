// The `dot` interaction on host typed arrays (engine-independent kernels; the tfjs engine uses them on its
// cpu and wasm backends, where they beat batched matMul + gather by far). Per sample, M = [x; e_1..e_T]
// (n = T+1 rows of d), output [x, M_i·M_j for i > j (i >= j with itself), row-major by i then j].
// Shapes: x [B,d], pooled [B,T,d], out [B, d + P] with P = n(n-1)/2 (n(n+1)/2 with itself).
// Backward: dM_i += g_ij M_j, dM_j += g_ij M_i for each pair (2 g_ii M_i on the diagonal), dx += d(out)[:d].

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

export function dotInteractionForward(x: Float32Array, pooled: Float32Array, B: number, T: number, d: number, itself: boolean, out: Float32Array): void {
  const n = T + 1, P = dotPairCount(T, itself), W = d + P;
  const m = new Float64Array(n * d);
  for (let b = 0; b < B; b++) {
    gatherRows(x, pooled, b, T, d, m);
    let o = b * W;
    for (let k = 0; k < d; k++) out[o++] = m[k];
    for (let i = 0; i < n; i++) {
      const ib = i * d, last = itself ? i : i - 1;
      for (let j = 0; j <= last; j++) {
        const jb = j * d;
        let s = 0;
        for (let k = 0; k < d; k++) s += m[ib + k] * m[jb + k];
        out[o++] = s;
      }
    }
  }
}

/** Gradients of x [B,d] and pooled [B,T,d] (overwritten) from dOut [B, d+P]. */
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
  const n = T + 1, P = dotPairCount(T, itself), W = d + P;
  const m = new Float64Array(n * d), dm = new Float64Array(n * d);
  for (let b = 0; b < B; b++) {
    gatherRows(x, pooled, b, T, d, m);
    dm.fill(0);
    let o = b * W + d;
    for (let i = 0; i < n; i++) {
      const ib = i * d;
      for (let j = 0; j < i; j++) {
        const g = dOut[o++];
        if (g === 0) continue;
        const jb = j * d;
        for (let k = 0; k < d; k++) {
          dm[ib + k] += g * m[jb + k];
          dm[jb + k] += g * m[ib + k];
        }
      }
      if (itself) {
        const g2 = 2 * dOut[o++];
        for (let k = 0; k < d; k++) dm[ib + k] += g2 * m[ib + k];
      }
    }
    for (let k = 0; k < d; k++) dx[b * d + k] = dOut[b * W + k] + dm[k];
    const base = b * T * d;
    for (let k = 0; k < T * d; k++) dPooled[base + k] = dm[d + k];
  }
}
