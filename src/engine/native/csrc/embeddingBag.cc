// Embedding bag kernels (see embeddingBag.h): prefetched gathers and scatters, an open-addressing hash to
// sum duplicate rows before adagrad-type updates.
#include "embeddingBag.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "simd.h"

namespace dlrm {

namespace {
constexpr int kPrefetchDistance = 6;
constexpr std::uint32_t kEmpty = 0xFFFFFFFFu;

inline std::uint32_t hashRow(std::uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}
}  // namespace

DLRM_MULTIVERSION
void embeddingBagForward(const EmbeddingTable& table, const BagInput& bag, int rowBegin, int rowEnd, float* out, std::size_t outStride) {
  const int d = table.dim;
  const std::uint32_t* off = bag.offsets;
  const std::uint32_t* idx = bag.indices;
  const std::uint32_t prefetchEnd = off[rowEnd];
  for (int b = rowBegin; b < rowEnd; ++b) {
    const std::uint32_t ahead = off[b] + kPrefetchDistance;
    if (ahead < prefetchEnd) DLRM_PREFETCH_READ(table.row(idx[ahead]));
    float* o = out + static_cast<std::size_t>(b) * outStride;
    const std::uint32_t s = off[b], e = off[b + 1];
    if (s == e) {
      std::memset(o, 0, sizeof(float) * d);
      continue;
    }
    const float* r0 = table.row(idx[s]);
    for (int c = 0; c < d; ++c) o[c] = r0[c];
    for (std::uint32_t k = s + 1; k < e; ++k) {
      if (k + kPrefetchDistance < prefetchEnd) DLRM_PREFETCH_READ(table.row(idx[k + kPrefetchDistance]));
      const float* r = table.row(idx[k]);
      for (int c = 0; c < d; ++c) o[c] += r[c];
    }
  }
}

DLRM_MULTIVERSION
static void sgdScatter(EmbeddingTable& table, const BagInput& bag, int batch, const float* grad, std::size_t gradStride, float lr) {
  const int d = table.dim;
  const std::uint32_t* off = bag.offsets;
  const std::uint32_t* idx = bag.indices;
  const std::uint32_t nnz = off[batch];
  for (int b = 0; b < batch; ++b) {
    const float* g = grad + static_cast<std::size_t>(b) * gradStride;
    for (std::uint32_t k = off[b]; k < off[b + 1]; ++k) {
      if (k + kPrefetchDistance < nnz) DLRM_PREFETCH_WRITE(table.row(idx[k + kPrefetchDistance]));
      float* w = table.row(idx[k]);
      for (int c = 0; c < d; ++c) w[c] -= lr * g[c];
    }
  }
}

DLRM_MULTIVERSION
void embeddingBagGradient(const EmbeddingTable& table, const BagInput& bag, int batch, const float* grad, std::size_t gradStride, SparseScratch& s) {
  const int d = table.dim;
  const std::uint32_t* off = bag.offsets;
  const std::uint32_t* idx = bag.indices;
  const std::uint32_t nnz = off[batch];
  std::size_t capacity = 16;
  while (capacity < 2 * static_cast<std::size_t>(nnz)) capacity <<= 1;
  if (s.keys.size() < capacity) {
    s.keys.resize(capacity);
    s.slots.resize(capacity);
  }
  std::fill(s.keys.begin(), s.keys.begin() + capacity, kEmpty);
  s.uniqueRows.clear();
  if (s.gradSums.size() < static_cast<std::size_t>(nnz) * d) s.gradSums.resize(static_cast<std::size_t>(nnz) * d);
  const std::uint32_t mask = static_cast<std::uint32_t>(capacity - 1);
  for (int b = 0; b < batch; ++b) {
    const float* g = grad + static_cast<std::size_t>(b) * gradStride;
    for (std::uint32_t k = off[b]; k < off[b + 1]; ++k) {
      const std::uint32_t row = idx[k];
      std::uint32_t h = hashRow(row) & mask;
      while (s.keys[h] != kEmpty && s.keys[h] != row) h = (h + 1) & mask;
      float* sum;
      if (s.keys[h] == kEmpty) {
        s.keys[h] = row;
        s.slots[h] = static_cast<std::uint32_t>(s.uniqueRows.size());
        sum = s.gradSums.data() + s.uniqueRows.size() * d;
        s.uniqueRows.push_back(row);
        for (int c = 0; c < d; ++c) sum[c] = g[c];
      } else {
        sum = s.gradSums.data() + static_cast<std::size_t>(s.slots[h]) * d;
        for (int c = 0; c < d; ++c) sum[c] += g[c];
      }
    }
  }
}

DLRM_MULTIVERSION
static void adagradRows(EmbeddingTable& table, bool rowwise, const SparseScratch& s, float lr) {
  const int d = table.dim;
  const std::size_t n = s.uniqueRows.size();
  for (std::size_t u = 0; u < n; ++u) {
    if (u + kPrefetchDistance < n) {
      const std::uint32_t ahead = s.uniqueRows[u + kPrefetchDistance];
      DLRM_PREFETCH_WRITE(table.row(ahead));
      DLRM_PREFETCH_WRITE(table.stateOf(ahead, rowwise ? 1 : d));
    }
    const std::uint32_t r = s.uniqueRows[u];
    const float* g = s.gradSums.data() + u * d;
    float* w = table.row(r);
    if (rowwise) {
      float sq = 0.0f;
      for (int c = 0; c < d; ++c) sq += g[c] * g[c];
      float* acc = table.stateOf(r, 1);
      const float a = acc[0] + sq / static_cast<float>(d);
      acc[0] = a;
      const float scale = lr / (std::sqrt(a) + kAdagradEps);
      for (int c = 0; c < d; ++c) w[c] -= scale * g[c];
    } else {
      float* acc = table.stateOf(r, d);
      for (int c = 0; c < d; ++c) {
        const float a = acc[c] + g[c] * g[c];
        acc[c] = a;
        w[c] -= lr * g[c] / (std::sqrt(a) + kAdagradEps);
      }
    }
  }
}

void embeddingBagUpdate(EmbeddingTable& table, OptimizerKind kind, const BagInput& bag, int batch, const float* grad, std::size_t gradStride, float lr, SparseScratch& scratch) {
  if (kind == OptimizerKind::Sgd) {
    sgdScatter(table, bag, batch, grad, gradStride, lr);
    return;
  }
  embeddingBagGradient(table, bag, batch, grad, gradStride, scratch);
  adagradRows(table, kind == OptimizerKind::RowwiseAdagrad, scratch, lr);
}

}  // namespace dlrm
