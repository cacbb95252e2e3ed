// Native twin of OneHotRows.appendInOrder's gather (src/dataset/memoryShuffle.ts): copies the rows
// order[from..to) of a row-major table of one-hot rows (row r = `width` uint32 words at r * width: label
// and D dense values as float32 bits, then T indices) into column outputs labels [n], dense [n, D] and
// indices[t] [n], n = to - from. The rows are hundreds of MB and read in random order, so the rows a few
// positions ahead are prefetched; in JS each row cost a cache and TLB miss in full.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "preprocessKernels.h"

namespace dlrm {
namespace {

constexpr std::size_t kPrefetchRows = 8;
constexpr std::size_t kLineWords = 16;

template <typename T>
T* typed(const Napi::Value& v, napi_typedarray_type type, const char* typeName, const std::string& what, std::size_t* length) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    throw Napi::TypeError::New(v.Env(), "gatherRows: " + what + " must be a " + typeName);
  auto a = v.As<Napi::TypedArray>();
  *length = a.ElementLength();
  return reinterpret_cast<T*>(static_cast<std::uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset());
}

std::size_t count(const Napi::Value& v, const char* what) {
  if (!v.IsNumber() || v.As<Napi::Number>().DoubleValue() < 0)
    throw Napi::TypeError::New(v.Env(), std::string("gatherRows: ") + what + " must be a non-negative number");
  return static_cast<std::size_t>(v.As<Napi::Number>().DoubleValue());
}

}  // namespace

/** gatherRows(words, width, numDense, order, from, to, labels, dense, indices[]) -> undefined */
Napi::Value GatherRows(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  std::size_t wordsLen = 0, orderLen = 0, labelsLen = 0, denseLen = 0;
  const auto* words = typed<const std::uint32_t>(info[0], napi_uint32_array, "Uint32Array", "words", &wordsLen);
  const std::size_t width = count(info[1], "width");
  const std::size_t D = count(info[2], "numDense");
  const auto* order = typed<const std::uint32_t>(info[3], napi_uint32_array, "Uint32Array", "order", &orderLen);
  const std::size_t from = count(info[4], "from");
  const std::size_t to = count(info[5], "to");
  auto* labels = typed<float>(info[6], napi_float32_array, "Float32Array", "labels", &labelsLen);
  auto* dense = typed<float>(info[7], napi_float32_array, "Float32Array", "dense", &denseLen);
  if (!info[8].IsArray()) throw Napi::TypeError::New(env, "gatherRows: indices must be an array of Uint32Array");
  const Napi::Array indexArrays = info[8].As<Napi::Array>();
  const std::size_t T = indexArrays.Length();
  const std::size_t n = to - from;
  if (from > to || to > orderLen) throw Napi::RangeError::New(env, "gatherRows: [from, to) is outside order");
  if (width != 1 + D + T) throw Napi::RangeError::New(env, "gatherRows: width " + std::to_string(width) + " is not 1 + numDense + tables");
  if (labelsLen < n || denseLen < n * D) throw Napi::RangeError::New(env, "gatherRows: labels/dense hold fewer than to - from rows");
  std::vector<std::uint32_t*> indices(T);
  for (std::size_t t = 0; t < T; ++t) {
    std::size_t len = 0;
    indices[t] = typed<std::uint32_t>(indexArrays.Get(static_cast<std::uint32_t>(t)), napi_uint32_array, "Uint32Array", "indices[" + std::to_string(t) + "]", &len);
    if (len < n) throw Napi::RangeError::New(env, "gatherRows: indices[" + std::to_string(t) + "] holds fewer than to - from rows");
  }
  const std::size_t rows = wordsLen / width;
  for (std::size_t j = from; j < to; ++j) {
    if (order[j] >= rows) throw Napi::RangeError::New(env, "gatherRows: order[" + std::to_string(j) + "] = " + std::to_string(order[j]) + " is past the " + std::to_string(rows) + " rows");
  }
  for (std::size_t j = 0; j < n; ++j) {
    if (j + kPrefetchRows < n) {
      const std::uint32_t* ahead = words + static_cast<std::size_t>(order[from + j + kPrefetchRows]) * width;
      for (std::size_t w = 0; w < width; w += kLineWords) __builtin_prefetch(ahead + w);
      __builtin_prefetch(ahead + width - 1);
    }
    const std::uint32_t* row = words + static_cast<std::size_t>(order[from + j]) * width;
    std::memcpy(labels + j, row, 4);
    std::memcpy(dense + j * D, row + 1, 4 * D);
    for (std::size_t t = 0; t < T; ++t) indices[t][j] = row[1 + D + t];
  }
  return env.Undefined();
}

}  // namespace dlrm
