// Dense optimizer updates on flat parameter slices (a thread's range of a layer's weights or biases), from
// the gradient of that range over the whole batch.
//   sgd:     w -= lr g
//   adagrad: acc += g^2; w -= lr g / (sqrt(acc) + 1e-10)   (also the dense layers of rowwise-adagrad)
#pragma once
#include <cstddef>

namespace dlrm {

enum class OptimizerKind { Sgd = 0, Adagrad = 1, RowwiseAdagrad = 2 };

constexpr float kAdagradEps = 1e-10f;

/** Updates w[0, n) (and acc[0, n) for adagrad) with the gradient g[0, n). */
void denseUpdate(OptimizerKind kind, float* w, float* acc, const float* g, std::size_t n, float lr);

}  // namespace dlrm
