// RandomSource's block generator in C++ (see randomBlock.h), drawing with Xoshiro128 (xoshiro128.h) what
// src/util/random.ts draws: next() as u / 2^32 (a double, stored as float32) and nextInt(n).
#include "randomBlock.h"
#include "xoshiro128.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace dlrm {

Napi::Value RandomBlock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array || info[0].As<Napi::Uint32Array>().ElementLength() != 4)
    throw Napi::TypeError::New(env, "randomBlock: state must be a Uint32Array of 4 words");
  if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw Napi::TypeError::New(env, "randomBlock: tableSizes must be a Float64Array");
  Napi::Uint32Array stateArray = info[0].As<Napi::Uint32Array>();
  const std::int64_t rows = info[1].As<Napi::Number>().Int64Value();
  const std::int64_t numDense = info[2].As<Napi::Number>().Int64Value();
  Napi::Float64Array sizes = info[3].As<Napi::Float64Array>();
  const std::int64_t maxPerLookup = info[4].As<Napi::Number>().Int64Value();
  const bool fixed = info[5].ToBoolean();
  if (rows < 1 || rows > (1 << 24) || numDense < 0 || numDense > (1 << 16) || maxPerLookup < 1 || maxPerLookup > (1 << 20))
    throw Napi::RangeError::New(env, "randomBlock: rows, numDense or maxPerLookup out of range");
  for (std::size_t t = 0; t < sizes.ElementLength(); ++t)
    if (!(sizes[t] >= 1 && sizes[t] <= 4294967296.0) || sizes[t] != static_cast<double>(static_cast<std::uint64_t>(sizes[t])))
      throw Napi::RangeError::New(env, "randomBlock: tableSizes[" + std::to_string(t) + "] must be an integer in [1, 2^32]");

  Xoshiro128 rng;
  std::copy(stateArray.Data(), stateArray.Data() + 4, rng.s);
  const std::size_t R = static_cast<std::size_t>(rows);
  Napi::Float32Array dense = Napi::Float32Array::New(env, R * static_cast<std::size_t>(numDense));
  float* d = dense.Data();
  for (std::size_t i = 0; i < dense.ElementLength(); ++i) d[i] = static_cast<float>(static_cast<double>(rng.nextUint32()) / 4294967296.0);
  Napi::Array bags = Napi::Array::New(env, sizes.ElementLength());
  for (std::size_t t = 0; t < sizes.ElementLength(); ++t) {
    const std::uint64_t size = static_cast<std::uint64_t>(sizes[t]);
    Napi::Uint32Array offsets = Napi::Uint32Array::New(env, R + 1);
    std::uint32_t* off = offsets.Data();
    off[0] = 0;
    const std::uint64_t most = std::min<std::uint64_t>(static_cast<std::uint64_t>(maxPerLookup), size);
    for (std::size_t r = 0; r < R; ++r) off[r + 1] = off[r] + (fixed ? static_cast<std::uint32_t>(maxPerLookup) : 1u + rng.nextInt(most));
    Napi::Uint32Array indices = Napi::Uint32Array::New(env, off[R]);
    std::uint32_t* idx = indices.Data();
    for (std::size_t i = 0; i < indices.ElementLength(); ++i) idx[i] = rng.nextInt(size);
    Napi::Object bag = Napi::Object::New(env);
    bag.Set("offsets", offsets);
    bag.Set("indices", indices);
    bags.Set(static_cast<uint32_t>(t), bag);
  }
  Napi::Float32Array labels = Napi::Float32Array::New(env, R);
  for (std::size_t r = 0; r < R; ++r) labels.Data()[r] = rng.nextUint32() < 2147483648u ? 1.0f : 0.0f;
  std::copy(rng.s, rng.s + 4, stateArray.Data());
  Napi::Object out = Napi::Object::New(env);
  out.Set("dense", dense);
  out.Set("labels", labels);
  out.Set("bags", bags);
  return out;
}

}  // namespace dlrm
