// Dense optimizer updates on flat parameter slices. The gradient is the sum of per-thread partial gradients
// (each thread reduced over its own batch rows), summed here on the fly so no reduced copy is stored.
//   sgd:     w -= lr g
//   adagrad: acc += g^2; w -= lr g / (sqrt(acc) + 1e-10)   (also the dense layers of rowwise-adagrad)
#pragma once
#include <cstddef>

namespace dlrm {

enum class OptimizerKind { Sgd = 0, Adagrad = 1, RowwiseAdagrad = 2 };

constexpr float kAdagradEps = 1e-10f;

/** Sums `parts` partial gradients (each at partial[k] + begin) into out[begin, end). */
void sumPartials(float* const* partials, int parts, std::size_t begin, std::size_t end, float* out);

/** Updates w[begin, end) (and acc for adagrad) with the summed partial gradients. */
void denseUpdate(OptimizerKind kind, float* w, float* acc, float* const* partials, int parts, std::size_t begin, std::size_t end, float lr);

}  // namespace dlrm
