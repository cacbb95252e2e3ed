// Sigmoid output + loss, fused: from the top MLP's logits z [rows] to probabilities p, the summed loss
// and dL/dz of the mean batch loss. Losses as in the reference DLRM: mse (mean (p-y)^2), bce (mean BCE,
// each log clamped at -100), wbce (BCE weighted by w_neg / w_pos by label). With a threshold t in (0,1)
// p is clamped to [t, 1-t] before the loss and the gradient is zero where the clamp is active.
#pragma once

namespace dlrm {

enum class LossKind { Mse = 0, Bce = 1, Wbce = 2 };

struct LossConfig {
  LossKind kind = LossKind::Bce;
  float weightNeg = 1.0f;
  float weightPos = 1.0f;
  float threshold = 0.0f;
};

/**
 * For rows [0, rows): p[i] = (clamped) sigmoid(z[i]); returns the sum of the per-row losses; when dz is
 * given writes dL/dz[i] of (sum / batchSize).
 */
double sigmoidLoss(const LossConfig& cfg, const float* z, const float* labels, int rows, int batchSize, float* p, float* dz);

}  // namespace dlrm
