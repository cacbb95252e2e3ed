// The one GEMM entry point of the native kernels: cblas_sgemm's row-major contract, C [M, N] = alpha op(A) op(B)
// + beta C, in the arithmetic the model was asked for. Precision::Fp32 is OpenBLAS's sgemm; Precision::Bf16
// rounds A and B to bf16 and accumulates in fp32 (bf16Gemm.h), for shapes where every one of M, N and K is at
// least kBf16MinDim (thinner products stay in sgemm: the bf16 tile would be mostly padding, and they cost
// little). Bf16 requires bf16GemmSupported(); the model checks it once at construction.
#pragma once

namespace dlrm {

enum class Precision { Fp32 = 0, Bf16 = 1 };

constexpr int kBf16MinDim = 16;

void gemm(Precision precision, bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
          float beta, float* C, int ldc);

}  // namespace dlrm
