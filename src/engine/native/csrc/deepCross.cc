// --model dcn, the original Deep & Cross Network (src/model/deepCross.ts), on a slice of rows: from x_0 = T
// [rows, N] (already filled by the bottom MLP and the bags) to the loss, and back to dT = d(x_0).
//   cross     s_l = x_l · w_l; x_{l+1} = x_0 s_l + b_l + x_l                 (per row: vector work, no GEMM)
//   deep      h = ReLU layers top[0..k-2] on x_0                             (GEMMs, linearLayer.h)
//   output    logit = top[k-1] on [x_L, h]
//   backward  d[x_L, h] = dy W_out; h's part masked by ReLU and down the deep layers into dT; then with
//             g = d(x_{l+1}): ds_l = g · x_0, dT += g s_l, d(x_l) = g + ds_l w_l, and finally dT += d(x_0 as x_l).
// Pass 2 (deepCrossUpdate): the deep and output layers as any Linear (updateLayerRows); the cross layers by
// element ranges of N: d(w_l) = Σ_b ds_l x_l, d(b_l) = Σ_b g_l.
#include <cstring>

#include "dlrmModel.h"
#include "linearLayer.h"
#include "simd.h"

namespace dlrm {

namespace {
DLRM_MULTIVERSION
float dot(const float* a, const float* b, std::size_t n) {
  float s = 0.0f;
  for (std::size_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

/** out = x0 s + b + xl. */
DLRM_MULTIVERSION
void crossRow(const float* x0, float s, const float* b, const float* xl, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = x0[i] * s + b[i] + xl[i];
}

/** dx0 += g s (+ the d(x_l) term g + ds w when `last`, layer 0 whose x_l is x_0); else prev = g + ds w. */
DLRM_MULTIVERSION
void crossRowBackward(const float* g, float s, float ds, const float* w, float* dx0, float* prev, bool last, std::size_t n) {
  if (last) {
    for (std::size_t i = 0; i < n; ++i) dx0[i] += g[i] * s + g[i] + ds * w[i];
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    dx0[i] += g[i] * s;
    prev[i] = g[i] + ds * w[i];
  }
}

/** acc[i] += a x[i] over a range. */
DLRM_MULTIVERSION
void axpy(float a, const float* x, float* acc, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) acc[i] += a * x[i];
}
}  // namespace

void DlrmModel::deepCrossCapacity(std::size_t B) {
  const std::size_t N = static_cast<std::size_t>(n_) * cfg_.dim, L = cfg_.cross.size();
  const std::size_t head = N + cfg_.top[cfg_.top.size() - 2].out;
  for (auto* v : {&dcX_, &dcS_, &dcG_, &dcDS_}) v->resize(L);
  for (std::size_t l = 0; l < L; ++l) {
    dcX_[l].resize(B * N);
    dcG_[l].resize(B * N);
    dcS_[l].resize(B);
    dcDS_[l].resize(B);
  }
  dcHead_.resize(B * head);
  dcHeadGrad_.resize(B * head);
  dcScratch_.assign(pool_.size(), std::vector<float>(2 * N));
}

double DlrmModel::deepCrossSlice(StepMode mode, const BatchView& batch, int r0, int rows, float* predictions, Precision p) {
  const std::size_t N = static_cast<std::size_t>(n_) * cfg_.dim, R0 = static_cast<std::size_t>(r0);
  const std::size_t L = cfg_.cross.size(), k = cfg_.top.size();
  const LinearLayer& outL = cfg_.top.back();
  const std::size_t H = cfg_.top[k - 2].out, W = N + H;
  const float* x0 = interactionIn_.data() + R0 * N;

  // cross network
  const float* xl = x0;
  for (std::size_t l = 0; l < L; ++l) {
    const LinearLayer& C = cfg_.cross[l];
    float* s = dcS_[l].data() + R0;
    float* next = dcX_[l].data() + R0 * N;
    for (int r = 0; r < rows; ++r) {
      const std::size_t o = static_cast<std::size_t>(r) * N;
      s[r] = dot(xl + o, C.weight, N);
      crossRow(x0 + o, s[r], C.bias, xl + o, next + o, N);
    }
    xl = next;
  }
  // deep network, ReLU after every layer
  const float* h = x0;
  for (std::size_t l = 0; l + 1 < k; ++l) {
    const LinearLayer& D = cfg_.top[l];
    float* y = topAct_[l].data() + R0 * D.out;
    linearForward(h, rows, D.in, D.weight, D.bias, D.out, y, true, p);
    h = y;
  }
  // output layer on [x_L, h]
  float* head = dcHead_.data() + R0 * W;
  for (int r = 0; r < rows; ++r) {
    std::memcpy(head + r * W, xl + r * N, sizeof(float) * N);
    std::memcpy(head + r * W + N, h + r * H, sizeof(float) * H);
  }
  float* logit = topAct_.back().data() + R0;
  linearForward(head, rows, static_cast<int>(W), outL.weight, outL.bias, 1, logit, false, p);
  const bool backward = mode != StepMode::Predict;
  const double loss = sigmoidLoss(cfg_.loss, logit, batch.labels + R0, rows, batch.size, predictions + R0,
                                  backward ? topGrad_.back().data() + R0 : nullptr);
  if (!backward) return loss;

  // output backward: d[x_L, h]; h's part (masked by its ReLU) becomes the last deep layer's dy
  float* dHead = dcHeadGrad_.data() + R0 * W;
  linearBackwardInput(topGrad_.back().data() + R0, rows, 1, outL.weight, static_cast<int>(W), dHead, nullptr, p);
  float* dh = topGrad_[k - 2].data() + R0 * H;
  for (int r = 0; r < rows; ++r) std::memcpy(dh + r * H, dHead + r * W + N, sizeof(float) * H);
  reluBackward(dh, h, static_cast<std::size_t>(rows) * H);
  // deep backward into dT (overwritten: the deep network's share of d(x_0))
  float* dx0 = interactionGrad_.data() + R0 * N;
  for (std::size_t l = k - 1; l-- > 0;) {
    const LinearLayer& D = cfg_.top[l];
    const float* dy = topGrad_[l].data() + R0 * D.out;
    if (l == 0) linearBackwardInput(dy, rows, D.out, D.weight, D.in, dx0, nullptr, p);
    else linearBackwardInput(dy, rows, D.out, D.weight, D.in, topGrad_[l - 1].data() + R0 * D.in, topAct_[l - 1].data() + R0 * D.in, p);
  }
  // cross backward: g_{L-1} = d(x_L) from the head, then down the layers
  float* gTop = dcG_[L - 1].data() + R0 * N;
  for (int r = 0; r < rows; ++r) std::memcpy(gTop + r * N, dHead + r * W, sizeof(float) * N);
  for (std::size_t l = L; l-- > 0;) {
    const float* g = dcG_[l].data() + R0 * N;
    float* prev = l > 0 ? dcG_[l - 1].data() + R0 * N : nullptr;
    const float* s = dcS_[l].data() + R0;
    float* ds = dcDS_[l].data() + R0;
    for (int r = 0; r < rows; ++r) {
      const std::size_t o = static_cast<std::size_t>(r) * N;
      ds[r] = dot(g + o, x0 + o, N);
      crossRowBackward(g + o, s[r], ds[r], cfg_.cross[l].weight, dx0 + o, prev ? prev + o : nullptr, l == 0, N);
    }
  }
  return loss;
}

void DlrmModel::deepCrossUpdate(StepMode mode, int B, int part, int parts, float lr, const GradientOutputs* grads) {
  const std::size_t N = static_cast<std::size_t>(n_) * cfg_.dim, k = cfg_.top.size();
  for (std::size_t l = 0; l < k; ++l) {
    const float* x = l == 0 ? interactionIn_.data() : l + 1 == k ? dcHead_.data() : topAct_[l - 1].data();
    updateLayerRows(mode, cfg_.top[l], x, topGrad_[l].data(), B, part, parts, lr, grads ? grads->topWeight[l] : nullptr,
                    grads ? grads->topBias[l] : nullptr);
  }
  const std::size_t i0 = N * part / parts, i1 = N * (part + 1) / parts, n = i1 - i0;
  if (n == 0) return;
  float* gW = dcScratch_[part].data();
  float* gB = gW + N;
  for (std::size_t l = 0; l < cfg_.cross.size(); ++l) {
    const float* xl = l == 0 ? interactionIn_.data() : dcX_[l - 1].data();
    const float* g = dcG_[l].data();
    const float* ds = dcDS_[l].data();
    std::memset(gW, 0, sizeof(float) * n);
    std::memset(gB, 0, sizeof(float) * n);
    for (int b = 0; b < B; ++b) {
      const std::size_t o = static_cast<std::size_t>(b) * N + i0;
      axpy(ds[b], xl + o, gW, n);
      axpy(1.0f, g + o, gB, n);
    }
    LinearLayer& C = cfg_.cross[l];
    if (mode != StepMode::Train) {
      std::memcpy(grads->crossWeight[l] + i0, gW, sizeof(float) * n);
      std::memcpy(grads->crossBias[l] + i0, gB, sizeof(float) * n);
    } else {
      const bool sgd = cfg_.optimizer == OptimizerKind::Sgd;
      denseUpdate(cfg_.optimizer, C.weight + i0, sgd ? nullptr : C.accWeight + i0, gW, n, lr);
      denseUpdate(cfg_.optimizer, C.bias + i0, sgd ? nullptr : C.accBias + i0, gB, n, lr);
    }
  }
}

}  // namespace dlrm
