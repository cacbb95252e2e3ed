// The addon's gemm() (csrc/gemm.h) against a float64 reference computed here: in bf16, the products of the
// inputs rounded to bf16 (round to nearest even, done here on the float32 bit patterns, independently of
// the kernel) summed in float64, so the only allowed difference is the kernel's fp32 accumulation; and the
// fp32 products within a bf16 tolerance of the unrounded reference. Shapes cover every transpose, tails of
// the 12 x 32 tile, odd K, K longer than one K block, leading dimensions wider than the rows, alpha and beta,
// and the thin shapes that stay in sgemm.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { nativeAddon } from './nativeAddonForTests';
import { Rng } from '../../src/util/random';
import { bf16Round } from './nativeReference';

const bf16Skip = !nativeAddon
  ? 'native addon not built'
  : !nativeAddon.gemm || !nativeAddon.info().bf16
    ? 'this CPU has no AVX512_BF16'
    : false;

interface Shape {
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  /** Extra columns of padding in each leading dimension. */
  pad: number;
  alpha: number;
  beta: number;
}

function operands(s: Shape, seed: number) {
  const rng = new Rng(seed);
  const rand = () => rng.next();
  const lda = (s.transA ? s.M : s.K) + s.pad,
    ldb = (s.transB ? s.K : s.N) + s.pad,
    ldc = s.N + s.pad;
  const A = Float32Array.from({ length: (s.transA ? s.K : s.M) * lda }, () => rand() * 2 - 1);
  const B = Float32Array.from({ length: (s.transB ? s.N : s.K) * ldb }, () => rand() * 2 - 1);
  const C = Float32Array.from({ length: s.M * ldc }, () => rand() * 2 - 1);
  return { A, B, C, lda, ldb, ldc };
}

/** Reference C (float64) and, per element, sum |a b| (the scale of its rounding error). */
function reference(s: Shape, o: ReturnType<typeof operands>, round: (x: number) => number) {
  const C = new Float64Array(s.M * s.N),
    scale = new Float64Array(s.M * s.N);
  for (let i = 0; i < s.M; i++)
    for (let j = 0; j < s.N; j++) {
      let sum = 0,
        abs = 0;
      for (let k = 0; k < s.K; k++) {
        const a = round(s.transA ? o.A[k * o.lda + i] : o.A[i * o.lda + k]);
        const b = round(s.transB ? o.B[j * o.ldb + k] : o.B[k * o.ldb + j]);
        sum += a * b;
        abs += Math.abs(a * b);
      }
      C[i * s.N + j] = s.alpha * sum + s.beta * o.C[i * o.ldc + j];
      scale[i * s.N + j] = Math.abs(s.alpha) * abs + Math.abs(s.beta * o.C[i * o.ldc + j]);
    }
  return { C, scale };
}

const shapes: Shape[] = [];
for (const transA of [false, true])
  for (const transB of [false, true])
    for (const [M, N, K] of [
      [16, 16, 16],
      [12, 32, 2],
      [37, 45, 29],
      [64, 512, 367],
      [25, 33, 600],
      [100, 17, 2048],
    ])
      shapes.push({ M, N, K, transA, transB, pad: (M + N) % 3, alpha: M % 2 ? -0.01 : 1, beta: K % 2 ? 0.5 : 0 });

test('bf16 gemm equals the float64 sum of bf16-rounded products up to fp32 accumulation', { skip: bf16Skip }, () => {
  shapes.forEach((s, n) => {
    const o = operands(s, 100 + n);
    // shapes thinner than 16 stay in sgemm (gemm.h): exact products there
    const ref = reference(s, o, Math.min(s.M, s.N, s.K) >= 16 ? bf16Round : (x) => x);
    const C = o.C.slice();
    nativeAddon!.gemm!('bf16', s.transA, s.transB, s.M, s.N, s.K, s.alpha, o.A, o.lda, o.B, o.ldb, s.beta, C, o.ldc);
    for (let i = 0; i < s.M; i++) {
      for (let j = 0; j < s.N; j++) {
        const e = Math.abs(C[i * o.ldc + j] - ref.C[i * s.N + j]);
        // fp32 accumulation of K terms, the alpha scaling and the beta term: a few ulps of the magnitude each
        const bound = (s.K + 4) * 2 ** -24 * ref.scale[i * s.N + j] + 1e-30;
        assert.ok(
          e <= bound,
          `${JSON.stringify(s)} at (${i}, ${j}): ${C[i * o.ldc + j]} vs ${ref.C[i * s.N + j]} (bound ${bound})`,
        );
      }
      // the padding between rows of C is never written
      for (let j = s.N; j < o.ldc; j++)
        assert.equal(C[i * o.ldc + j], o.C[i * o.ldc + j], `${JSON.stringify(s)}: padding of row ${i} written`);
    }
  });
});

test(
  'bf16 gemm is within bf16 rounding of the unrounded product, and differs from fp32 (the inputs are rounded)',
  { skip: bf16Skip },
  () => {
    const s: Shape = { M: 48, N: 64, K: 256, transA: false, transB: true, pad: 0, alpha: 1, beta: 0 };
    const o = operands(s, 7);
    const exact = reference(s, o, (x) => x);
    const C16 = new Float32Array(s.M * s.N),
      C32 = new Float32Array(s.M * s.N);
    nativeAddon!.gemm!('bf16', false, true, s.M, s.N, s.K, 1, o.A, o.lda, o.B, o.ldb, 0, C16, o.ldc);
    nativeAddon!.gemm!('fp32', false, true, s.M, s.N, s.K, 1, o.A, o.lda, o.B, o.ldb, 0, C32, o.ldc);
    let worst16 = 0,
      worst32 = 0;
    for (let i = 0; i < C16.length; i++) {
      // each product carries two bf16 roundings (relative 2^-9 each)
      const bound = 2 ** -8 * 1.01 * exact.scale[i];
      assert.ok(Math.abs(C16[i] - exact.C[i]) <= bound, `element ${i}: ${C16[i]} vs ${exact.C[i]}`);
      worst16 = Math.max(worst16, Math.abs(C16[i] - exact.C[i]) / exact.scale[i]);
      worst32 = Math.max(worst32, Math.abs(C32[i] - exact.C[i]) / exact.scale[i]);
    }
    assert.ok(worst32 < 1e-5, `fp32 gemm error ${worst32}`);
    assert.ok(worst16 > 1e-4, `bf16 gemm error ${worst16} is fp32-like: the inputs were not rounded`);
  },
);

test('shapes thinner than 16 in M, N or K stay in fp32 under precision bf16', { skip: bf16Skip }, () => {
  for (const [M, N, K] of [
    [15, 64, 64],
    [64, 1, 256],
    [64, 64, 13],
  ]) {
    const s: Shape = { M, N, K, transA: false, transB: false, pad: 0, alpha: 1, beta: 0 };
    const o = operands(s, M + N + K);
    const C16 = new Float32Array(M * N),
      C32 = new Float32Array(M * N);
    nativeAddon!.gemm!('bf16', false, false, M, N, K, 1, o.A, o.lda, o.B, o.ldb, 0, C16, o.ldc);
    nativeAddon!.gemm!('fp32', false, false, M, N, K, 1, o.A, o.lda, o.B, o.ldb, 0, C32, o.ldc);
    assert.deepEqual(C16, C32, `${M}x${N}x${K}`);
  }
});

test(
  'gemm refuses operands shorter than their shape',
  { skip: nativeAddon?.gemm ? false : 'addon without gemm' },
  () => {
    const A = new Float32Array(10),
      B = new Float32Array(16 * 16),
      C = new Float32Array(16 * 16);
    assert.throws(
      () => nativeAddon!.gemm!('fp32', false, false, 16, 16, 16, 1, A, 16, B, 16, 0, C, 16),
      /A is too short/,
    );
    assert.throws(
      () => nativeAddon!.gemm!('fp32', false, false, 16, 16, 16, 1, B, 8, B, 16, 0, C, 16),
      /leading dimension/,
    );
  },
);
