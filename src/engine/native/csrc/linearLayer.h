// Dense (Linear) layer kernels on OpenBLAS, PyTorch layout: W [out, in] row-major, y = x Wᵀ + b.
// Shapes: x [rows, in], y / dy [rows, out], dx [rows, in], dW [out, in], db [out]. Every GEMM passes
// transpose flags to cblas_sgemm, so no operand is ever copied or transposed in memory.
#pragma once
#include <cstddef>

namespace dlrm {

/** y = x Wᵀ + b, then ReLU in place when `relu`. */
void linearForward(const float* x, int rows, int in, const float* W, const float* b, int out, float* y, bool relu);

/** dx = dy W; when `reluOutput` is given (the ReLU output that fed this layer, [rows, in]) dx is masked by it. */
void linearBackwardInput(const float* dy, int rows, int out, const float* W, int in, float* dx, const float* reluOutput);

/** dW = dyᵀ x and db = column sums of dy (overwritten, not accumulated). */
void linearBackwardWeights(const float* dy, int rows, int out, const float* x, int in, float* dW, float* db);

/** ReLU backward in place: dy[i] = 0 where y[i] <= 0. */
void reluBackward(float* dy, const float* y, std::size_t n);

}  // namespace dlrm
