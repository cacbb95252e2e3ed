// Compiler helpers shared by the kernels: function multiversioning (one portable build that picks the
// AVX-512 / AVX2 clone of a hot loop at load time through an ifunc, the x86-64 baseline elsewhere) and
// prefetching of embedding rows. The clones are chosen by CPU feature: GCC's "arch=..." clones dispatch on
// the CPU model and pick the baseline on AMD processors (checked on this Zen 4).
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(DLRM_NO_MULTIVERSION)
#define DLRM_MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define DLRM_MULTIVERSION
#endif

#define DLRM_PREFETCH_READ(p) __builtin_prefetch((p), 0, 1)
#define DLRM_PREFETCH_WRITE(p) __builtin_prefetch((p), 1, 1)
