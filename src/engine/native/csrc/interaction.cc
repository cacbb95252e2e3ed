// Dot interaction kernels (see interaction.h): per sample, loops the compiler vectorises without
// reassociating float sums (forward: axpys over a transposed copy of T; backward: d-wide axpys).
#include "interaction.h"

#include <cstddef>
#include <cstring>
#include <vector>

#include "simd.h"

namespace dlrm {

int dotPairCount(int n, bool itself) { return itself ? n * (n + 1) / 2 : n * (n - 1) / 2; }

DLRM_MULTIVERSION
void dotInteractionForward(const float* T, int rows, int n, int d, bool itself, float* R) {
  const int width = d + dotPairCount(n, itself);
  // per sample, Tᵀ [d, n] makes every row of pair values a sum of contiguous axpys (vectorised, no reduction)
  thread_local std::vector<float> transposed;
  transposed.resize(static_cast<std::size_t>(n) * d);
  float* tt = transposed.data();
  for (int r = 0; r < rows; ++r) {
    const float* t = T + static_cast<std::size_t>(r) * n * d;
    float* out = R + static_cast<std::size_t>(r) * width;
    std::memcpy(out, t, sizeof(float) * d);
    for (int i = 0; i < n; ++i)
      for (int c = 0; c < d; ++c) tt[static_cast<std::size_t>(c) * n + i] = t[static_cast<std::size_t>(i) * d + c];
    float* z = out + d;
    for (int i = 0; i < n; ++i) {
      const int jEnd = itself ? i + 1 : i;
      const float* ti = t + static_cast<std::size_t>(i) * d;
      for (int j = 0; j < jEnd; ++j) z[j] = 0.0f;
      for (int c = 0; c < d; ++c) {
        const float v = ti[c];
        const float* col = tt + static_cast<std::size_t>(c) * n;
        for (int j = 0; j < jEnd; ++j) z[j] += v * col[j];
      }
      z += jEnd;
    }
  }
}

DLRM_MULTIVERSION
void dotInteractionBackward(const float* T, const float* dR, int rows, int n, int d, bool itself, float* dT) {
  const int width = d + dotPairCount(n, itself);
  for (int r = 0; r < rows; ++r) {
    const float* t = T + static_cast<std::size_t>(r) * n * d;
    const float* g = dR + static_cast<std::size_t>(r) * width;
    float* dt = dT + static_cast<std::size_t>(r) * n * d;
    std::memset(dt, 0, sizeof(float) * n * d);
    for (int c = 0; c < d; ++c) dt[c] = g[c];
    int k = d;
    for (int i = 0; i < n; ++i) {
      const float* ti = t + static_cast<std::size_t>(i) * d;
      float* dti = dt + static_cast<std::size_t>(i) * d;
      for (int j = 0; j < i; ++j) {
        const float gz = g[k++];
        const float* tj = t + static_cast<std::size_t>(j) * d;
        float* dtj = dt + static_cast<std::size_t>(j) * d;
        for (int c = 0; c < d; ++c) {
          dti[c] += gz * tj[c];
          dtj[c] += gz * ti[c];
        }
      }
      if (itself) {
        const float gz2 = 2.0f * g[k++];
        for (int c = 0; c < d; ++c) dti[c] += gz2 * ti[c];
      }
    }
  }
}

}  // namespace dlrm
