// Dense (Linear) layer kernels on OpenBLAS, PyTorch layout: W [out, in] row-major, y = x Wᵀ + b.
// Shapes: x [rows, in], y / dy [rows, out], dx [rows, in], dW [out, in], db [out]. Every GEMM passes
// transpose flags to gemm() (gemm.h: sgemm, or bf16 products with fp32 accumulation for Precision::Bf16),
// so no operand is ever copied or transposed in fp32 memory.
#pragma once
#include <cstddef>

#include "gemm.h"

namespace dlrm {

/** y = x Wᵀ + b (b may be null: no bias), then ReLU in place when `relu`. */
void linearForward(const float* x, int rows, int in, const float* W, const float* b, int out, float* y, bool relu, Precision precision = Precision::Fp32);

/** dx = dy W; when `reluOutput` is given (the ReLU output that fed this layer, [rows, in]) dx is masked by it. */
void linearBackwardInput(const float* dy, int rows, int out, const float* W, int in, float* dx, const float* reluOutput,
                         Precision precision = Precision::Fp32);

/** The block [o0, o1) x [i0, i1) of the weight gradient over all `rows` samples: dWBlock = alpha dy[:, o0:o1]ᵀ
 *  x[:, i0:i1] + beta dWBlock, where dWBlock is element (o0, i0) of a row-major [out, in] matrix (leading
 *  dimension in); beta = 1 with alpha = -lr is an SGD step straight on the weights. */
void linearWeightGradient(const float* dy, int rows, int out, int o0, int o1, const float* x, int in, int i0, int i1, float alpha, float beta,
                          float* dWBlock, Precision precision = Precision::Fp32);

/** The bias gradient of outputs [o0, o1): db = the column sums of dy[:, o0:o1] ([o1 - o0], overwritten). */
void biasGradient(const float* dy, int rows, int out, int o0, int o1, float* db);

/** ReLU backward in place: dy[i] = 0 where y[i] <= 0. */
void reluBackward(float* dy, const float* y, std::size_t n);

}  // namespace dlrm
