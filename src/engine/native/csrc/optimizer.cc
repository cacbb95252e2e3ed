// Dense optimizer updates (see optimizer.h), vectorised by the compiler.
#include "optimizer.h"

#include <cmath>

#include "simd.h"

namespace dlrm {

DLRM_MULTIVERSION
void sumPartials(float* const* partials, int parts, std::size_t begin, std::size_t end, float* out) {
  for (std::size_t i = begin; i < end; ++i) out[i] = partials[0][i];
  for (int k = 1; k < parts; ++k) {
    const float* p = partials[k];
    for (std::size_t i = begin; i < end; ++i) out[i] += p[i];
  }
}

DLRM_MULTIVERSION
void denseUpdate(OptimizerKind kind, float* w, float* acc, float* const* partials, int parts, std::size_t begin, std::size_t end, float lr) {
  // reduce into the first partial buffer, then update from it
  float* g = partials[0];
  for (int k = 1; k < parts; ++k) {
    const float* p = partials[k];
    for (std::size_t i = begin; i < end; ++i) g[i] += p[i];
  }
  if (kind == OptimizerKind::Sgd) {
    for (std::size_t i = begin; i < end; ++i) w[i] -= lr * g[i];
  } else {
    for (std::size_t i = begin; i < end; ++i) {
      const float a = acc[i] + g[i] * g[i];
      acc[i] = a;
      w[i] -= lr * g[i] / (std::sqrt(a) + kAdagradEps);
    }
  }
}

}  // namespace dlrm
