// Fused sigmoid + loss (see loss.h). The BCE gradient uses the fused form dL/dz = w (p - y) / B, exact for
// the sigmoid composition (PyTorch's unfused BCE backward divides by max(p(1-p), 1e-12) and multiplies back).
#include "loss.h"

#include <algorithm>
#include <cmath>

namespace dlrm {

namespace {
double clampedLog(double v) { return std::max(std::log(v), -100.0); }
}  // namespace

double sigmoidLoss(const LossConfig& cfg, const float* z, const float* labels, int rows, int batchSize, float* p, float* dz) {
  const bool clamp = cfg.threshold > 0.0f && cfg.threshold < 1.0f;
  const float lo = cfg.threshold, hi = 1.0f - cfg.threshold;
  const float invB = 1.0f / static_cast<float>(batchSize);
  double total = 0.0;
  for (int i = 0; i < rows; ++i) {
    const float raw = 1.0f / (1.0f + std::exp(-z[i]));
    const bool active = clamp && (raw < lo || raw > hi);
    const float pc = active ? (raw < lo ? lo : hi) : raw;
    p[i] = pc;
    const float y = labels[i];
    float grad;
    if (cfg.kind == LossKind::Mse) {
      const float diff = pc - y;
      total += static_cast<double>(diff) * diff;
      grad = 2.0f * diff * raw * (1.0f - raw);
    } else {
      const float w = cfg.kind == LossKind::Wbce ? (y > 0.5f ? cfg.weightPos : cfg.weightNeg) : 1.0f;
      total -= w * (y * clampedLog(pc) + (1.0 - y) * clampedLog(1.0 - static_cast<double>(pc)));
      grad = w * (raw - y);
    }
    if (dz) dz[i] = active ? 0.0f : grad * invB;
  }
  return total;
}

}  // namespace dlrm
