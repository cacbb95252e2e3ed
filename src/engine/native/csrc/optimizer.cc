// Dense optimizer updates (see optimizer.h), vectorised by the compiler.
#include "optimizer.h"

#include <cmath>

#include "simd.h"

namespace dlrm {

DLRM_MULTIVERSION
void denseUpdate(OptimizerKind kind, float* w, float* acc, const float* g, std::size_t n, float lr) {
  if (kind == OptimizerKind::Sgd) {
    for (std::size_t i = 0; i < n; ++i) w[i] -= lr * g[i];
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      const float a = acc[i] + g[i] * g[i];
      acc[i] = a;
      w[i] -= lr * g[i] / (std::sqrt(a) + kAdagradEps);
    }
  }
}

}  // namespace dlrm
