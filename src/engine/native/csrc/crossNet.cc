// The dcn interaction's low-rank cross network on a slice of rows (see dlrmModel.h and src/model/crossNet.ts):
//   forward   xv_l = x_l V_lᵀ [rows, r]; z_l = xv_l W_lᵀ + b_l [rows, N]; x_{l+1} = x_0 ⊙ z_l + x_l
//   backward  with g = d(x_{l+1}): dz_l = g ⊙ x_0; dx_0 += g ⊙ z_l; dxv_l = dz_l W_l; g <- g + dxv_l V_l
//             and finally dx_0 += g (layer 0's x_l is x_0 itself).
// Two GEMMs per layer each way (the Linear helpers; g + dxv_l V_l accumulates into g with beta = 1), in the
// step's precision like the MLPs' (gemm.h); dz_l and dxv_l stay for pass 2's weight gradients.
#include <cstring>

#include "dlrmModel.h"
#include "linearLayer.h"
#include "simd.h"

namespace dlrm {

namespace {
DLRM_MULTIVERSION
void crossCombine(const float* x0, const float* z, const float* xl, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = x0[i] * z[i] + xl[i];
}

/** dz = g ⊙ x0; dx0 += g ⊙ z. */
DLRM_MULTIVERSION
void crossCombineBackward(const float* g, const float* x0, const float* z, float* dz, float* dx0, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    dz[i] = g[i] * x0[i];
    dx0[i] += g[i] * z[i];
  }
}

DLRM_MULTIVERSION
void addInPlace(float* a, const float* b, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) a[i] += b[i];
}
}  // namespace

void DlrmModel::crossForward(int r0, int rows, Precision precision) {
  const int N = n_ * cfg_.dim;
  const std::size_t off = static_cast<std::size_t>(r0) * N, count = static_cast<std::size_t>(rows) * N;
  const float* x0 = interactionIn_.data() + off;
  const float* xl = x0;
  for (std::size_t l = 0; l < crossX_.size(); ++l) {
    const LinearLayer& V = cfg_.cross[2 * l];
    const LinearLayer& W = cfg_.cross[2 * l + 1];
    float* xv = crossXV_[l].data() + static_cast<std::size_t>(r0) * V.out;
    float* z = crossZ_[l].data() + off;
    float* next = crossX_[l].data() + off;
    linearForward(xl, rows, N, V.weight, nullptr, V.out, xv, false, precision);
    linearForward(xv, rows, V.out, W.weight, W.bias, N, z, false, precision);
    crossCombine(x0, z, xl, next, count);
    xl = next;
  }
}

void DlrmModel::crossBackward(int r0, int rows, Precision precision) {
  const int N = n_ * cfg_.dim;
  const std::size_t off = static_cast<std::size_t>(r0) * N, count = static_cast<std::size_t>(rows) * N;
  const float* x0 = interactionIn_.data() + off;
  float* g = topInputGrad_.data() + off;  // d(x_L), then d(x_l) going down
  float* dx0 = interactionGrad_.data() + off;
  std::memset(dx0, 0, sizeof(float) * count);
  for (std::size_t l = crossX_.size(); l-- > 0;) {
    const LinearLayer& V = cfg_.cross[2 * l];
    const LinearLayer& W = cfg_.cross[2 * l + 1];
    float* dz = crossDZ_[l].data() + off;
    float* dxv = crossDXV_[l].data() + static_cast<std::size_t>(r0) * V.out;
    crossCombineBackward(g, x0, crossZ_[l].data() + off, dz, dx0, count);
    linearBackwardInput(dz, rows, N, W.weight, V.out, dxv, nullptr, precision);
    gemm(precision, false, false, rows, N, V.out, 1.0f, dxv, V.out, V.weight, N, 1.0f, g, N);
  }
  addInPlace(dx0, g, count);
}

}  // namespace dlrm
