// The precision switch in front of sgemm and the bf16 kernel (see gemm.h).
#include "gemm.h"

#include <cblas.h>

#include "bf16Gemm.h"

namespace dlrm {

void gemm(Precision precision, bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
          float beta, float* C, int ldc) {
  if (precision == Precision::Bf16 && M >= kBf16MinDim && N >= kBf16MinDim && K >= kBf16MinDim) {
    bf16Gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta, C,
              ldc);
}

}  // namespace dlrm
