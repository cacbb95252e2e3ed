// The seeded sub-sampling draw of --data-sub-sample-rate for the native parsers (criteoBlockParser.cc,
// src/rawformat/csrc/delimitedBlockParser.cc): subsampleDraw of src/rawformat/subsample.ts, bit for bit,
// a pure function of (seed, day, line) mapped to [0, 1). A label-0 line is dropped iff its draw < rate.
#pragma once
#include <cstdint>

namespace dlrm {

inline std::uint32_t subsampleMix32(std::uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

/** The draw in [0, 1) of line `line` (0-based within its day) of day `day` under `seed`. */
inline double subsampleDraw(std::uint32_t seed, std::uint32_t day, std::uint64_t line) {
  std::uint32_t h = subsampleMix32(seed ^ 0x2545f491u);
  h = subsampleMix32(h ^ ((day + 1u) * 0x9e3779b1u));
  h = subsampleMix32(h ^ static_cast<std::uint32_t>(line));
  h = subsampleMix32(h ^ static_cast<std::uint32_t>(line >> 32));
  return h / 4294967296.0;
}

}  // namespace dlrm
