// The DLRM step orchestration (see dlrmModel.h).
#include "dlrmModel.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "interaction.h"
#include "linearLayer.h"

namespace dlrm {

namespace {
// Below this many rows per slice, one slice does the whole batch (the GEMMs get too thin to split).
constexpr int kMinRowsPerSlice = 16;

std::pair<std::size_t, std::size_t> splitRange(std::size_t n, int part, int parts) {
  return {n * part / parts, n * (part + 1) / parts};
}
}  // namespace

DlrmModel::DlrmModel(ModelConfig config, int threads) : cfg_(std::move(config)), pool_(threads) {
  n_ = static_cast<int>(cfg_.tables.size()) + 1;
  topIn_ = cfg_.dotInteraction ? cfg_.dim + dotPairCount(n_, cfg_.interactionItself) : n_ * cfg_.dim;
  const int parts = pool_.size();
  std::size_t maxW = 0, maxB = 0;
  for (const auto* layers : {&cfg_.bottom, &cfg_.top, &cfg_.cross})
    for (const LinearLayer& L : *layers) {
      maxW = std::max(maxW, static_cast<std::size_t>(L.out) * L.in);
      maxB = std::max(maxB, static_cast<std::size_t>(L.out));
    }
  gradW_.assign(parts, std::vector<float>(cfg_.optimizer == OptimizerKind::Sgd ? 0 : maxW));
  gradB_.assign(parts, std::vector<float>(maxB));
  scratch_.resize(parts);
  bottomAct_.resize(cfg_.bottom.size());
  bottomGrad_.resize(cfg_.bottom.size());
  topAct_.resize(cfg_.top.size());
  topGrad_.resize(cfg_.top.size());
  const std::size_t crossLayers = cfg_.dcnInteraction ? cfg_.cross.size() / 2 : 0;
  for (auto* v : {&crossX_, &crossXV_, &crossZ_, &crossDZ_, &crossDXV_}) v->resize(crossLayers);
}

void DlrmModel::ensureCapacity(int batch) {
  if (batch <= capacity_) return;
  const std::size_t B = static_cast<std::size_t>(batch);
  for (std::size_t l = 0; l < cfg_.bottom.size(); ++l) {
    bottomAct_[l].resize(B * cfg_.bottom[l].out);
    bottomGrad_[l].resize(B * cfg_.bottom[l].out);
  }
  for (std::size_t l = 0; l < cfg_.top.size(); ++l) {
    topAct_[l].resize(B * cfg_.top[l].out);
    topGrad_[l].resize(B * cfg_.top[l].out);
  }
  interactionIn_.resize(B * n_ * cfg_.dim);
  interactionGrad_.resize(B * n_ * cfg_.dim);
  if (cfg_.dotInteraction) {
    topInput_.resize(B * topIn_);
    topInputGrad_.resize(B * topIn_);
  }
  if (cfg_.deepCross) deepCrossCapacity(B);
  if (cfg_.dcnInteraction) {
    const std::size_t N = static_cast<std::size_t>(n_) * cfg_.dim;
    for (std::size_t l = 0; l < crossX_.size(); ++l) {
      const std::size_t r = cfg_.cross[2 * l].out;
      for (auto* v : {&crossX_[l], &crossZ_[l], &crossDZ_[l]}) v->resize(B * N);
      for (auto* v : {&crossXV_[l], &crossDXV_[l]}) v->resize(B * r);
    }
    topInputGrad_.resize(B * N);
  }
  capacity_ = batch;
}

double DlrmModel::forwardBackwardSlice(StepMode mode, const BatchView& batch, int r0, int r1, float* predictions) {
  const int rows = r1 - r0;
  const int d = cfg_.dim, n = n_, nd = n_ * cfg_.dim;
  const int D = cfg_.bottom.front().in;
  const std::size_t R0 = static_cast<std::size_t>(r0);
  const Precision p = mode == StepMode::Predict ? Precision::Fp32 : cfg_.precision;
  float* T = interactionIn_.data();

  // bottom MLP (ReLU after every layer), its output x becomes row 0 of each sample's T
  const float* x = batch.dense + R0 * D;
  for (std::size_t l = 0; l < cfg_.bottom.size(); ++l) {
    const LinearLayer& L = cfg_.bottom[l];
    float* y = bottomAct_[l].data() + R0 * L.out;
    linearForward(x, rows, L.in, L.weight, L.bias, L.out, y, true, p);
    x = y;
  }
  for (int r = 0; r < rows; ++r) std::memcpy(T + (R0 + r) * nd, x + static_cast<std::size_t>(r) * d, sizeof(float) * d);
  // embedding bags into rows 1..T of each sample's T
  for (std::size_t t = 0; t < cfg_.tables.size(); ++t) {
    if (cfg_.tables[t].external) {
      for (int r = r0; r < r1; ++r)
        std::memcpy(T + static_cast<std::size_t>(r) * nd + (t + 1) * d, batch.externalPooled[t] + static_cast<std::size_t>(r) * d, sizeof(float) * d);
    } else {
      embeddingBagForward(cfg_.tables[t], batch.bags[t], r0, r1, T + (t + 1) * d, nd);
    }
  }
  if (cfg_.deepCross) {
    const double loss = deepCrossSlice(mode, batch, r0, rows, predictions, p);
    if (mode != StepMode::Predict) bottomBackward(r0, rows, p);
    return loss;
  }
  // interaction
  const float* topInput;
  if (cfg_.dotInteraction) {
    dotInteractionForward(T + R0 * nd, rows, n, d, cfg_.interactionItself, topInput_.data() + R0 * topIn_);
    topInput = topInput_.data();
  } else if (cfg_.dcnInteraction) {
    crossForward(r0, rows, p);
    topInput = crossX_.back().data();
  } else {
    topInput = T;
  }
  // top MLP (ReLU after all but the last layer)
  const float* h = topInput + R0 * topIn_;
  for (std::size_t l = 0; l < cfg_.top.size(); ++l) {
    const LinearLayer& L = cfg_.top[l];
    float* y = topAct_[l].data() + R0 * L.out;
    linearForward(h, rows, L.in, L.weight, L.bias, L.out, y, l + 1 < cfg_.top.size(), p);
    h = y;
  }
  const bool backward = mode != StepMode::Predict;
  const double loss = sigmoidLoss(cfg_.loss, h, batch.labels + R0, rows, batch.size, predictions + R0,
                                  backward ? topGrad_.back().data() + R0 : nullptr);
  if (!backward) return loss;

  // top MLP backward of activations (dW is pass 2's); dX masked by the previous layer's ReLU
  float* dTopInput = cfg_.dotInteraction || cfg_.dcnInteraction ? topInputGrad_.data() : interactionGrad_.data();
  for (std::size_t l = cfg_.top.size(); l-- > 0;) {
    const LinearLayer& L = cfg_.top[l];
    const float* dy = topGrad_[l].data() + R0 * L.out;
    if (l == 0) linearBackwardInput(dy, rows, L.out, L.weight, L.in, dTopInput + R0 * topIn_, nullptr, p);
    else linearBackwardInput(dy, rows, L.out, L.weight, L.in, topGrad_[l - 1].data() + R0 * L.in, topAct_[l - 1].data() + R0 * L.in, p);
  }
  float* dT = interactionGrad_.data();
  if (cfg_.dotInteraction)
    dotInteractionBackward(T + R0 * nd, topInputGrad_.data() + R0 * topIn_, rows, n, d, cfg_.interactionItself, dT + R0 * nd);
  else if (cfg_.dcnInteraction)
    crossBackward(r0, rows, p);
  bottomBackward(r0, rows, p);
  return loss;
}

// The bottom MLP's backward of activations on rows [r0, r0 + rows), from row 0 of dT masked by x's ReLU.
void DlrmModel::bottomBackward(int r0, int rows, Precision p) {
  const int d = cfg_.dim;
  const std::size_t R0 = static_cast<std::size_t>(r0), nd = static_cast<std::size_t>(n_) * d;
  const float* dT = interactionGrad_.data();
  const std::size_t last = cfg_.bottom.size() - 1;
  float* dx = bottomGrad_[last].data() + R0 * d;
  for (int r = 0; r < rows; ++r) std::memcpy(dx + static_cast<std::size_t>(r) * d, dT + (R0 + r) * nd, sizeof(float) * d);
  reluBackward(dx, bottomAct_[last].data() + R0 * d, static_cast<std::size_t>(rows) * d);
  for (std::size_t l = cfg_.bottom.size(); l-- > 1;) {
    const LinearLayer& L = cfg_.bottom[l];
    linearBackwardInput(bottomGrad_[l].data() + R0 * L.out, rows, L.out, L.weight, L.in, bottomGrad_[l - 1].data() + R0 * L.in, bottomAct_[l - 1].data() + R0 * L.in, p);
  }
}

// This part's share of one layer's weight and bias gradients from its input x [B, in] and output gradient dy
// [B, out] (whole batch): written to outW/outB (Gradients mode) or applied by the optimizer. The bias by output
// rows; the weights by output rows too, except in bf16 for a layer wider than tall (SGD and Gradients, where the
// result goes straight into a [out, in] matrix): there by input columns, so each part packs only its columns of
// x for the GEMM (by rows, every part packs all of x). Either way a weight's value does not depend on the split
// (the bf16 kernel sums K in the same order for every shape). A layer without bias (dcn V) gets its column
// sums in scratch only.
void DlrmModel::updateLayerRows(StepMode mode, LinearLayer& L, const float* x, const float* dy, int B, int part, int parts, float lr, float* outW, float* outB) {
  auto [o0, o1] = splitRange(L.out, part, parts);
  float* gB = gradB_[part].data();
  const Precision p = cfg_.precision;  // pass 2 runs for Train and Gradients only
  const std::size_t nb = o1 - o0;
  const int a = static_cast<int>(o0), b = static_cast<int>(o1);
  const bool adagrad = mode == StepMode::Train && cfg_.optimizer != OptimizerKind::Sgd;
  const bool byColumns = p == Precision::Bf16 && !adagrad && L.in > L.out && L.out >= kBf16MinDim && L.in / parts >= kBf16MinDim;
  // the weight block this part computes: rows [wo0, wo1) x columns [wi0, wi1)
  int wo0 = a, wo1 = b, wi0 = 0, wi1 = L.in;
  if (byColumns) {
    auto [i0, i1] = splitRange(L.in, part, parts);
    wo0 = 0, wo1 = L.out, wi0 = static_cast<int>(i0), wi1 = static_cast<int>(i1);
  }
  const std::size_t w0 = static_cast<std::size_t>(wo0) * L.in + wi0;
  if (mode != StepMode::Train) {
    linearWeightGradient(dy, B, L.out, wo0, wo1, x, L.in, wi0, wi1, 1.0f, 0.0f, outW + w0, p);
    biasGradient(dy, B, L.out, a, b, outB ? outB + o0 : gB);
  } else if (!adagrad) {
    linearWeightGradient(dy, B, L.out, wo0, wo1, x, L.in, wi0, wi1, -lr, 1.0f, L.weight + w0, p);
    if (L.bias) {
      biasGradient(dy, B, L.out, a, b, gB);
      denseUpdate(cfg_.optimizer, L.bias + o0, nullptr, gB, nb, lr);
    }
  } else {
    float* gW = gradW_[part].data();
    linearWeightGradient(dy, B, L.out, a, b, x, L.in, 0, L.in, 1.0f, 0.0f, gW, p);
    denseUpdate(cfg_.optimizer, L.weight + w0, L.accWeight + w0, gW, nb * L.in, lr);
    if (L.bias) {
      biasGradient(dy, B, L.out, a, b, gB);
      denseUpdate(cfg_.optimizer, L.bias + o0, L.accBias + o0, gB, nb, lr);
    }
  }
}

void DlrmModel::updateSlice(StepMode mode, const BatchView& batch, int part, int parts, float lr, const GradientOutputs* grads) {
  const bool train = mode == StepMode::Train;
  const int B = batch.size;
  // layer l's input x [B, in] and output gradient dy [B, out], whole batch
  auto layerPass = [&](std::vector<LinearLayer>& layers, const float* firstInput, std::vector<std::vector<float>>& acts,
                       std::vector<std::vector<float>>& dys, const std::vector<float*>* outW, const std::vector<float*>* outB) {
    for (std::size_t l = 0; l < layers.size(); ++l) {
      const float* x = l == 0 ? firstInput : acts[l - 1].data();
      updateLayerRows(mode, layers[l], x, dys[l].data(), B, part, parts, lr, outW ? (*outW)[l] : nullptr, outB ? (*outB)[l] : nullptr);
    }
  };
  // dcn: V_l from x_l and d(xv_l), W_l from xv_l and dz_l
  for (std::size_t l = 0; l < crossX_.size(); ++l) {
    const float* xl = l == 0 ? interactionIn_.data() : crossX_[l - 1].data();
    updateLayerRows(mode, cfg_.cross[2 * l], xl, crossDXV_[l].data(), B, part, parts, lr, grads ? grads->crossWeight[2 * l] : nullptr, nullptr);
    updateLayerRows(mode, cfg_.cross[2 * l + 1], crossXV_[l].data(), crossDZ_[l].data(), B, part, parts, lr, grads ? grads->crossWeight[2 * l + 1] : nullptr,
                    grads ? grads->crossBias[2 * l + 1] : nullptr);
  }
  layerPass(cfg_.bottom, batch.dense, bottomAct_, bottomGrad_, grads ? &grads->bottomWeight : nullptr, grads ? &grads->bottomBias : nullptr);
  if (cfg_.deepCross) {
    deepCrossUpdate(mode, B, part, parts, lr, grads);
  } else {
    const float* topInput = cfg_.dotInteraction ? topInput_.data() : cfg_.dcnInteraction ? crossX_.back().data() : interactionIn_.data();
    layerPass(cfg_.top, topInput, topAct_, topGrad_, grads ? &grads->topWeight : nullptr, grads ? &grads->topBias : nullptr);
  }

  const int d = cfg_.dim;
  const std::size_t nd = static_cast<std::size_t>(n_) * d;
  const float* dT = interactionGrad_.data();
  for (std::size_t t = part; t < cfg_.tables.size(); t += parts) {
    const float* g = dT + (t + 1) * d;
    if (train && cfg_.tables[t].external) {
      float* out = batch.externalGrad[t];
      for (int b = 0; b < batch.size; ++b) std::memcpy(out + static_cast<std::size_t>(b) * d, g + b * nd, sizeof(float) * d);
    } else if (train) {
      embeddingBagUpdate(cfg_.tables[t], cfg_.optimizer, batch.bags[t], batch.size, g, nd, lr, scratch_[part]);
    } else {
      float* out = grads->pooled[t];
      for (int b = 0; b < batch.size; ++b) std::memcpy(out + static_cast<std::size_t>(b) * d, g + b * nd, sizeof(float) * d);
    }
  }
}

double DlrmModel::step(StepMode mode, const BatchView& batch, float lr, float* predictions, const GradientOutputs* grads) {
  if (batch.size <= 0) return 0.0;
  ensureCapacity(batch.size);
  const int threads = pool_.size();
  int slices = batch.size / kMinRowsPerSlice;
  if (slices > threads) slices = threads;
  if (slices < 1) slices = 1;
  double lossParts[64] = {0};
  // pass 1: row slices; pass 2: parameter slices (dense element ranges, tables by index)
  // a prediction is one job: the workers sleep after it rather than spin for a pass 2 that does not come
  pool_.parallelFor(
      slices,
      [&](int s) {
        auto [r0, r1] = splitRange(batch.size, s, slices);
        lossParts[s] = forwardBackwardSlice(mode, batch, static_cast<int>(r0), static_cast<int>(r1), predictions);
      },
      mode == StepMode::Predict);
  if (mode != StepMode::Predict) pool_.parallelFor(threads, [&](int part) { updateSlice(mode, batch, part, threads, lr, grads); });
  double loss = 0.0;
  for (int k = 0; k < slices; ++k) loss += lossParts[k];
  return loss / batch.size;
}

}  // namespace dlrm
