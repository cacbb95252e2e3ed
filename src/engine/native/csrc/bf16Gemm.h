// A bf16 GEMM with fp32 inputs, fp32 accumulation and an fp32 result, the cblas_sgemm contract in row-major
// layout: C [M, N] = alpha op(A) op(B) + beta C, op(A) [M, K], op(B) [K, N]. The inputs are rounded to bf16
// (round to nearest even) while they are packed, so callers keep fp32 master copies (weights, activations,
// gradients) and only the products are bf16: the split-SGD idea of Intel's CPU DLRM work. The kernel uses
// AVX512_BF16 (vdpbf16ps), compiled with a target attribute and chosen at run time: call bf16GemmSupported()
// first; on a CPU without it bf16Gemm must not be called. Single-threaded: callers split the work (each
// thread packs into its own thread-local buffers). Debian's OpenBLAS 0.3.21 exports no cblas_sbgemm, hence
// this kernel (docs/NATIVE.md, "bf16").
#pragma once

namespace dlrm {

/** True when this CPU has AVX512_BF16 (and AVX512BW/VL) and DLRM_NATIVE_BF16 is not "off" (tests simulate a CPU without it). */
bool bf16GemmSupported();

/** C = alpha op(A) op(B) + beta C with bf16 products (see above); transA / transB as cblas' CblasTrans. beta = 0 ignores C's contents. */
void bf16Gemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb, float beta,
              float* C, int ldc);

}  // namespace dlrm
