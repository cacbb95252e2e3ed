// The AVX512_BF16 GEMM (see bf16Gemm.h). Both operands are packed once per call into bf16 pairs along K
// (the operand layout of vdpbf16ps: one 32-bit lane holds the bf16 values of k and k + 1): A in blocks of
// kMr rows ([Kp][kMr] pairs per block), B in panels of kNr columns ([Kp][kNr] pairs per panel), tails padded
// with zeros. A 12 x 32 register tile (24 accumulators) runs over kKcPairs pairs of K at a time, so one B
// panel slice (16 KiB) stays in L1 while the A blocks stream from L2; the tile is written back with alpha,
// beta and masks for the M / N tails.
#include "bf16Gemm.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define DLRM_HAVE_BF16_KERNEL 1
#define DLRM_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#endif

namespace dlrm {

bool bf16GemmSupported() {
  const char* env = std::getenv("DLRM_NATIVE_BF16");
  if (env && std::strcmp(env, "off") == 0) return false;
#ifdef DLRM_HAVE_BF16_KERNEL
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
#else
  return false;
#endif
}

#ifdef DLRM_HAVE_BF16_KERNEL
namespace {

constexpr int kMr = 12;         // rows of the register tile
constexpr int kNr = 32;         // columns of the register tile (two zmm)
constexpr int kKcPairs = 128;   // K pairs per pass over the tile (B panel slice: kKcPairs * kNr * 4 bytes)

// Packs an operand of R rows (the rows of A, or the columns of op(B)) into blocks of Rb rows: block b at
// out + b * Kp * Rb holds the bf16 pairs [Kp][Rb], pair (kp, r) = (v(b Rb + r, 2kp), v(b Rb + r, 2kp + 1)),
// where v(r, k) = src[r * ld + k] (kContiguous) or src[k * ld + r], and 0 beyond R rows or K.
DLRM_BF16_TARGET
void packBlocks(const float* src, bool kContiguous, int ld, int R, int Rb, int K, uint32_t* out) {
  const int Kp = (K + 1) / 2, blocks = (R + Rb - 1) / Rb;
  if (!kContiguous) {
    // k is the slow index: one pass over the source, two rows (k, k + 1) at a time read left to right across
    // every block (sequential reads; a block at a time would stride through the whole operand once per block)
    for (int kp = 0; kp < Kp; ++kp) {
      const int k = 2 * kp;
      const float* even = src + static_cast<std::size_t>(k) * ld;
      const float* odd = k + 1 < K ? even + ld : nullptr;
      for (int b = 0; b < blocks; ++b) {
        uint32_t* dst = out + (static_cast<std::size_t>(b) * Kp + kp) * Rb;
        for (int r = 0; r < Rb; r += 16) {
          const int row = b * Rb + r, left = R - row, width = Rb - r < 16 ? Rb - r : 16;
          const __mmask16 m = left >= width ? static_cast<__mmask16>((1u << width) - 1) : left <= 0 ? 0 : static_cast<__mmask16>((1u << left) - 1);
          const __m512i e = _mm512_cvtepu16_epi32(reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, even + row))));
          __m512i pair = e;
          if (odd) {
            const __m512i o = _mm512_cvtepu16_epi32(reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, odd + row))));
            pair = _mm512_or_si512(e, _mm512_slli_epi32(o, 16));
          }
          _mm512_mask_storeu_epi32(dst + r, static_cast<__mmask16>((1u << width) - 1), pair);
        }
      }
    }
    return;
  }
  // k is the fast index: per block, each row converted to bf16 pairs in a row-major scratch [Rb][Kp]
  // (contiguous, vector stores), then 16 rows at a time gathered column by column into [Kp][Rb]; the rows
  // past R are never read (masked gathers store zeros there)
  thread_local std::vector<uint32_t> rowsBf16;
  if (rowsBf16.size() < static_cast<std::size_t>(Rb) * Kp) rowsBf16.resize(static_cast<std::size_t>(Rb) * Kp);
  const __m512i lanes = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const int* base = reinterpret_cast<const int*>(rowsBf16.data());
  for (int b = 0; b < blocks; ++b) {
    const int rValid = R - b * Rb < Rb ? R - b * Rb : Rb;
    for (int r = 0; r < rValid; ++r) {
      const float* row = src + static_cast<std::size_t>(b * Rb + r) * ld;
      uint32_t* dst = rowsBf16.data() + static_cast<std::size_t>(r) * Kp;
      for (int kp = 0; kp < Kp; kp += 16) {
        const int k = 2 * kp, left = K - k;
        const __mmask16 lo = left >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << left) - 1);
        const __mmask16 hi = left >= 32 ? 0xFFFF : left <= 16 ? 0 : static_cast<__mmask16>((1u << (left - 16)) - 1);
        const __m512 a = _mm512_maskz_loadu_ps(lo, row + k);
        const __m512 c = _mm512_maskz_loadu_ps(hi, row + k + 16);
        const int n = Kp - kp < 16 ? Kp - kp : 16;
        _mm512_mask_storeu_epi32(dst + kp, static_cast<__mmask16>((1u << n) - 1), reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(c, a)));
      }
    }
    uint32_t* block = out + static_cast<std::size_t>(b) * Kp * Rb;
    for (int g = 0; g < Rb; g += 16) {
      const int width = Rb - g < 16 ? Rb - g : 16, valid = rValid - g < width ? (rValid - g > 0 ? rValid - g : 0) : width;
      const __mmask16 store = static_cast<__mmask16>((1u << width) - 1), read = static_cast<__mmask16>((1u << valid) - 1);
      __m512i index = _mm512_mullo_epi32(_mm512_add_epi32(lanes, _mm512_set1_epi32(g)), _mm512_set1_epi32(Kp));
      for (int kp = 0; kp < Kp; ++kp) {
        const __m512i v = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), read, index, base, 4);
        _mm512_mask_storeu_epi32(block + static_cast<std::size_t>(kp) * Rb + g, store, v);
        index = _mm512_add_epi32(index, _mm512_set1_epi32(1));
      }
    }
  }
}

// The kMr x kNr tile over `pairs` K pairs of one A block and one B panel; written to C (mValid x nValid) as
// alpha acc + beta C (beta = 0: C's contents ignored).
DLRM_BF16_TARGET
void tile(const uint32_t* a, const uint32_t* b, int pairs, float alpha, float beta, float* C, int ldc, int mValid, int nValid) {
  __m512 acc[kMr][2];
#pragma GCC unroll 12
  for (int i = 0; i < kMr; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int kp = 0; kp < pairs; ++kp) {
    const __m512bh b0 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(b + kp * kNr));
    const __m512bh b1 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(b + kp * kNr + 16));
    const uint32_t* ak = a + kp * kMr;
#pragma GCC unroll 12
    for (int i = 0; i < kMr; ++i) {
      const __m512bh ai = reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int>(ak[i])));
      acc[i][0] = _mm512_dpbf16_ps(acc[i][0], ai, b0);
      acc[i][1] = _mm512_dpbf16_ps(acc[i][1], ai, b1);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  const __mmask16 m0 = nValid >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << nValid) - 1);
  const __mmask16 m1 = nValid >= 32 ? 0xFFFF : nValid <= 16 ? 0 : static_cast<__mmask16>((1u << (nValid - 16)) - 1);
  for (int i = 0; i < mValid; ++i) {
    float* c = C + static_cast<std::size_t>(i) * ldc;
    __m512 r0 = _mm512_mul_ps(va, acc[i][0]), r1 = _mm512_mul_ps(va, acc[i][1]);
    if (beta != 0.0f) {
      r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, c), r0);
      r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, c + 16), r1);
    }
    _mm512_mask_storeu_ps(c, m0, r0);
    _mm512_mask_storeu_ps(c + 16, m1, r1);
  }
}

DLRM_BF16_TARGET
void gemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb, float beta, float* C,
          int ldc) {
  thread_local std::vector<uint32_t> aPack, bPack;
  const int Kp = (K + 1) / 2;
  const int mBlocks = (M + kMr - 1) / kMr, nPanels = (N + kNr - 1) / kNr;
  aPack.resize(static_cast<std::size_t>(mBlocks) * Kp * kMr);
  bPack.resize(static_cast<std::size_t>(nPanels) * Kp * kNr);
  packBlocks(A, !transA, lda, M, kMr, K, aPack.data());
  packBlocks(B, transB, ldb, N, kNr, K, bPack.data());
  for (int k0 = 0; k0 < Kp; k0 += kKcPairs) {
    const int pairs = Kp - k0 < kKcPairs ? Kp - k0 : kKcPairs;
    const float b = k0 == 0 ? beta : 1.0f;
    for (int nb = 0; nb < nPanels; ++nb) {
      const uint32_t* panel = bPack.data() + (static_cast<std::size_t>(nb) * Kp + k0) * kNr;
      const int nValid = N - nb * kNr < kNr ? N - nb * kNr : kNr;
      for (int mb = 0; mb < mBlocks; ++mb) {
        const int mValid = M - mb * kMr < kMr ? M - mb * kMr : kMr;
        tile(aPack.data() + (static_cast<std::size_t>(mb) * Kp + k0) * kMr, panel, pairs, alpha, b,
             C + static_cast<std::size_t>(mb) * kMr * ldc + nb * kNr, ldc, mValid, nValid);
      }
    }
  }
}

}  // namespace
#endif

void bf16Gemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb, float beta,
              float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
#ifdef DLRM_HAVE_BF16_KERNEL
  if (K <= 0) {
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) {
        float& c = C[static_cast<std::size_t>(i) * ldc + j];
        c = beta == 0.0f ? 0.0f : beta * c;
      }
    return;
  }
  gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#else
  (void)transA, (void)transB, (void)K, (void)alpha, (void)A, (void)lda, (void)B, (void)ldb, (void)beta, (void)C, (void)ldc;
  std::abort();  // callers check bf16GemmSupported() first
#endif
}

}  // namespace dlrm
