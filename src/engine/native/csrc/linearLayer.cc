// Linear layer kernels (see linearLayer.h): bias broadcast + GEMM with beta = 1 + fused ReLU.
#include "linearLayer.h"

#include <cstring>

#include "simd.h"

namespace dlrm {

DLRM_MULTIVERSION
static void broadcastBias(float* y, const float* b, int rows, int out) {
  for (int r = 0; r < rows; ++r) std::memcpy(y + static_cast<std::size_t>(r) * out, b, sizeof(float) * out);
}

DLRM_MULTIVERSION
static void reluInPlace(float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
}

void linearForward(const float* x, int rows, int in, const float* W, const float* b, int out, float* y, bool relu, Precision precision) {
  if (rows <= 0) return;
  if (b) broadcastBias(y, b, rows, out);
  gemm(precision, false, true, rows, out, in, 1.0f, x, in, W, in, b ? 1.0f : 0.0f, y, out);
  if (relu) reluInPlace(y, static_cast<std::size_t>(rows) * out);
}

DLRM_MULTIVERSION
void reluBackward(float* dy, const float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

void linearBackwardInput(const float* dy, int rows, int out, const float* W, int in, float* dx, const float* reluOutput, Precision precision) {
  if (rows <= 0) return;
  gemm(precision, false, false, rows, in, out, 1.0f, dy, out, W, in, 0.0f, dx, in);
  if (reluOutput) reluBackward(dx, reluOutput, static_cast<std::size_t>(rows) * in);
}

DLRM_MULTIVERSION
void biasGradient(const float* dy, int rows, int out, int o0, int o1, float* db) {
  const int n = o1 - o0;
  for (int o = 0; o < n; ++o) db[o] = 0.0f;
  for (int r = 0; r < rows; ++r) {
    const float* row = dy + static_cast<std::size_t>(r) * out + o0;
    for (int o = 0; o < n; ++o) db[o] += row[o];
  }
}

void linearWeightGradient(const float* dy, int rows, int out, int o0, int o1, const float* x, int in, int i0, int i1, float alpha, float beta,
                          float* dWBlock, Precision precision) {
  if (o1 <= o0 || i1 <= i0) return;
  gemm(precision, true, false, o1 - o0, i1 - i0, rows, alpha, dy + o0, out, x + i0, in, beta, dWBlock, in);
}

}  // namespace dlrm
