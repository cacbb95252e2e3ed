// Dot interaction kernels (see interaction.h), on 16-lane GCC vectors (one AVX-512 register, two AVX2 ones in
// the avx2 clone) so no sum is ever reduced horizontally.
// Forward, per sample: Tᵀ [d, n padded to 16] is built once; row i's pair values z[i, 0..i) are then 16 at a
// time the sum over c of T[i, c] · Tᵀ[c, j..j+16): broadcast FMAs into registers, four rows at once (four
// independent chains hide the FMA latency). Rows are stored as whole vectors, the highest vector block of
// every row first: the lanes past a row's end land in later rows' first blocks, which are stored after them;
// a vector that would cross the end of the sample's pair values goes through a scratch copy instead, so
// nothing is written past the sample.
// Backward, per sample: dT[i] = Σ_j<i dz(i,j) T[j] (kept in a register over j, stored once, no zeroing
// pass) and dT[j] += dz(i,j) T[i], one FMA per 16 columns of d.
#include "interaction.h"

#include <cstddef>
#include <cstring>
#include <vector>

#include "simd.h"

namespace dlrm {

namespace {
constexpr int kLanes = 16;
typedef float Vec __attribute__((vector_size(kLanes * sizeof(float))));
// the same vector at any float address (loads and stores of rows that are not 64-byte aligned)
typedef float UnalignedVec __attribute__((vector_size(kLanes * sizeof(float)), aligned(alignof(float)), may_alias));
#define DLRM_VEC_AT(p) (*reinterpret_cast<UnalignedVec*>(p))
#define DLRM_VEC_AT_CONST(p) (*reinterpret_cast<const UnalignedVec*>(p))
inline int blocksOf(int len) { return (len + kLanes - 1) / kLanes; }
}  // namespace

int dotPairCount(int n, bool itself) { return itself ? n * (n + 1) / 2 : n * (n - 1) / 2; }

DLRM_MULTIVERSION
void dotInteractionForward(const float* T, int rows, int n, int d, bool itself, float* R) {
  const int width = d + dotPairCount(n, itself);
  const int pad = blocksOf(n) * kLanes;
  const int extra = itself ? 1 : 0;
  thread_local std::vector<float> transposed;
  transposed.assign(static_cast<std::size_t>(d) * pad, 0.0f);  // columns n..pad stay zero
  float* tt = transposed.data();
  float scratch[kLanes];
  for (int r = 0; r < rows; ++r) {
    const float* t = T + static_cast<std::size_t>(r) * n * d;
    float* out = R + static_cast<std::size_t>(r) * width;
    const float* zEnd = out + width;
    std::memcpy(out, t, sizeof(float) * d);
    for (int i = 0; i < n; ++i)
      for (int c = 0; c < d; ++c) tt[static_cast<std::size_t>(c) * pad + i] = t[static_cast<std::size_t>(i) * d + c];
    float* z = out + d;
    // rows i0..i0+3 (pair counts len(i) = i + extra), vector block b of each (highest first), over all d columns
    for (int i0 = 0; i0 < n; i0 += 4) {
      const int group = n - i0 < 4 ? n - i0 : 4;
      for (int b = blocksOf(i0 + group - 1 + extra); b-- > 0;) {
        Vec acc[4] = {};
        const float* col = tt + b * kLanes;
        for (int c = 0; c < d; ++c) {
          const Vec tc = DLRM_VEC_AT_CONST(col + static_cast<std::size_t>(c) * pad);
          for (int g = 0; g < 4; ++g) acc[g] += t[static_cast<std::size_t>(i0 + g < n ? i0 + g : i0) * d + c] * tc;
        }
        for (int g = 0; g < group; ++g) {
          const int i = i0 + g, len = i + extra;
          if (b * kLanes >= len) continue;
          float* zi = z + static_cast<std::size_t>(i) * (i - 1 + 2 * extra) / 2 + b * kLanes;
          if (zi + kLanes <= zEnd) {
            DLRM_VEC_AT(zi) = acc[g];
          } else {
            DLRM_VEC_AT(scratch) = acc[g];
            std::memcpy(zi, scratch, sizeof(float) * (len - b * kLanes));
          }
        }
      }
    }
  }
}

DLRM_MULTIVERSION
void dotInteractionBackward(const float* T, const float* dR, int rows, int n, int d, bool itself, float* dT) {
  const int width = d + dotPairCount(n, itself);
  const bool vectorised = d % kLanes == 0;
  for (int r = 0; r < rows; ++r) {
    const float* t = T + static_cast<std::size_t>(r) * n * d;
    const float* g = dR + static_cast<std::size_t>(r) * width;
    float* dt = dT + static_cast<std::size_t>(r) * n * d;
    if (!vectorised) {
      std::memcpy(dt, g, sizeof(float) * d);
      std::memset(dt + d, 0, sizeof(float) * (n - 1) * d);
    }
    const float* gz = g + d;
    for (int i = 0; i < n; ++i) {
      const float* ti = t + static_cast<std::size_t>(i) * d;
      float* dti = dt + static_cast<std::size_t>(i) * d;
      const float diag = itself ? 2.0f * gz[i] : 0.0f;
      if (vectorised) {
        // rows before i never touch dT[i] (they add into rows j < themselves): row i's value starts here, from
        // dR's x part for row 0, and later rows add into it
        for (int c = 0; c < d; c += kLanes) {
          const Vec vi = DLRM_VEC_AT_CONST(ti + c);
          Vec acc = diag * vi;
          if (i == 0) acc += DLRM_VEC_AT_CONST(g + c);
          for (int j = 0; j < i; ++j) {
            const float* tj = t + static_cast<std::size_t>(j) * d + c;
            float* dtj = dt + static_cast<std::size_t>(j) * d + c;
            acc += gz[j] * DLRM_VEC_AT_CONST(tj);
            DLRM_VEC_AT(dtj) += gz[j] * vi;
          }
          DLRM_VEC_AT(dti + c) = acc;
        }
      } else {
        for (int j = 0; j < i; ++j) {
          const float* tj = t + static_cast<std::size_t>(j) * d;
          float* dtj = dt + static_cast<std::size_t>(j) * d;
          for (int c = 0; c < d; ++c) {
            dti[c] += gz[j] * tj[c];
            dtj[c] += gz[j] * ti[c];
          }
        }
        for (int c = 0; c < d; ++c) dti[c] += diag * ti[c];
      }
      gz += i + (itself ? 1 : 0);
    }
  }
}

}  // namespace dlrm
