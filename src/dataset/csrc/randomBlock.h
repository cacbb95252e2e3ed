// The native twin of RandomSource's block generator (src/dataset/randomSource.ts, the reference): the same
// xoshiro128** draws in the same order (dense, then per table the bag sizes and the indices, then labels), so
// both give the same bytes for a seed; the JS twin is the fallback when the addon is not built.
#pragma once
#include <napi.h>

namespace dlrm {

/**
 * randomBlock(state: Uint32Array(4), rows, numDense, tableSizes: Float64Array, maxPerLookup, fixed)
 *   -> { dense: Float32Array [rows * numDense], labels: Float32Array [rows],
 *        bags: { offsets: Uint32Array [rows + 1], indices: Uint32Array }[] }
 * state is the generator's four words (Rng.getState()), advanced in place.
 */
Napi::Value RandomBlock(const Napi::CallbackInfo& info);

}  // namespace dlrm
