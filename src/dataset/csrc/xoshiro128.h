// The project's random generator in C++ (src/util/random.ts's Rng: xoshiro128**, nextInt by rejection), bit
// for bit, for the native kernels that draw what the JS side would (the merged file's shuffle order, random
// data blocks). The state is the four words the JS side hands over and takes back.
#pragma once
#include <cstdint>

namespace dlrm {

struct Xoshiro128 {
  std::uint32_t s[4];

  static std::uint32_t rotl(std::uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

  /** Rng.nextUint32(). */
  std::uint32_t nextUint32() {
    const std::uint32_t result = rotl(s[1] * 5u, 7) * 9u;
    const std::uint32_t t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Rng.nextInt(n), 0 < n <= 2^32: rejection below the largest multiple of n, no modulo bias. */
  std::uint32_t nextInt(std::uint64_t n) {
    const std::uint64_t limit = 4294967296ull - (4294967296ull % n);
    std::uint32_t r;
    do r = nextUint32();
    while (r >= limit);
    return static_cast<std::uint32_t>(r % n);
  }
};

}  // namespace dlrm
