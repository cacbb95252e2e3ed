// Compiler helpers shared by the kernels: function multiversioning (one portable build that picks the
// Skylake-AVX512 / Haswell (AVX2 + FMA) clone of a hot loop at load time through an ifunc, the x86-64
// baseline elsewhere) and prefetching of embedding rows.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(DLRM_NO_MULTIVERSION)
#define DLRM_MULTIVERSION __attribute__((target_clones("arch=skylake-avx512", "arch=haswell", "default")))
#else
#define DLRM_MULTIVERSION
#endif

#define DLRM_PREFETCH_READ(p) __builtin_prefetch((p), 0, 1)
#define DLRM_PREFETCH_WRITE(p) __builtin_prefetch((p), 1, 1)
