// Native twins of the in-memory shuffle's two copies (src/dataset/memoryShuffle.ts), on a row-major table
// of one-hot rows (row r = `width` uint32 words at r * width: label and D dense values as float32 bits,
// then T indices):
//   packRows: a chunk's columns (labels [n], dense [n, D], per table offsets [n+1] and indices [n]) into
//     rows firstRow.. of the table; refuses (false, nothing written) a chunk with a bag of other than one index.
//   gatherRows: rows order[from..to) into column outputs labels [n], dense [n, D], indices[t] [n]. The rows
//     are hundreds of MB and read in random order, so rows a few positions ahead are prefetched; in JS each
//     row cost a cache and TLB miss in full.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "napiArgs.h"
#include "preprocessKernels.h"

namespace dlrm {
namespace {

constexpr std::size_t kPrefetchRows = 8;
constexpr std::size_t kLineWords = 16;

/** An array of Uint32Array (packRows' argument `what`): their data and lengths. */
std::vector<const std::uint32_t*> uint32Arrays(const Napi::Value& v, const char* what, std::vector<std::size_t>* lengths) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), std::string("packRows: ") + what + " must be an array of Uint32Array");
  const Napi::Array a = v.As<Napi::Array>();
  std::vector<const std::uint32_t*> out(a.Length());
  lengths->resize(out.size());
  for (std::size_t t = 0; t < out.size(); ++t) {
    out[t] = typedArrayArg<const std::uint32_t>(a.Get(static_cast<std::uint32_t>(t)), std::string("packRows: ") + what + "[" + std::to_string(t) + "]", &(*lengths)[t]);
  }
  return out;
}

}  // namespace

/** packRows(words, width, numDense, firstRow, labels, dense, offsets[], indices[]) -> whether the chunk was one-hot */
Napi::Value PackRows(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  std::size_t wordsLen = 0, labelsLen = 0, denseLen = 0;
  auto* words = typedArrayArg<std::uint32_t>(info[0], "packRows: words", &wordsLen);
  const std::size_t width = countArg(info[1], "packRows: width");
  const std::size_t D = countArg(info[2], "packRows: numDense");
  const std::size_t firstRow = countArg(info[3], "packRows: firstRow");
  const auto* labels = typedArrayArg<const float>(info[4], "packRows: labels", &labelsLen);
  const auto* dense = typedArrayArg<const float>(info[5], "packRows: dense", &denseLen);
  const std::size_t n = labelsLen;
  std::vector<std::size_t> offsetsLen, indicesLen;
  const auto offsets = uint32Arrays(info[6], "offsets", &offsetsLen);
  const auto indices = uint32Arrays(info[7], "indices", &indicesLen);
  const std::size_t T = indices.size();
  if (offsets.size() != T) throw Napi::RangeError::New(env, "packRows: offsets and indices differ in length");
  if (width != 1 + D + T) throw Napi::RangeError::New(env, "packRows: width " + std::to_string(width) + " is not 1 + numDense + tables");
  if (denseLen != n * D) throw Napi::RangeError::New(env, "packRows: dense holds " + std::to_string(denseLen) + " values, not rows x numDense");
  if ((firstRow + n) * width > wordsLen) throw Napi::RangeError::New(env, "packRows: rows " + std::to_string(firstRow) + " + " + std::to_string(n) + " are past the table");
  for (std::size_t t = 0; t < T; ++t) {
    if (offsetsLen[t] < n + 1) throw Napi::RangeError::New(env, "packRows: offsets[" + std::to_string(t) + "] holds " + std::to_string(offsetsLen[t]) + " values, fewer than rows + 1");
    const std::uint32_t* o = offsets[t];
    for (std::size_t i = 0; i <= n; ++i) {
      if (o[i] != i) return Napi::Boolean::New(env, false);
    }
    if (indicesLen[t] < n) throw Napi::RangeError::New(env, "packRows: indices[" + std::to_string(t) + "] is shorter than its offsets say");
  }
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t* row = words + (firstRow + i) * width;
    std::memcpy(row, labels + i, 4);
    std::memcpy(row + 1, dense + i * D, 4 * D);
    for (std::size_t t = 0; t < T; ++t) row[1 + D + t] = indices[t][i];
  }
  return Napi::Boolean::New(env, true);
}

/** gatherRows(words, width, numDense, order, from, to, labels, dense, indices[]) -> undefined */
Napi::Value GatherRows(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  std::size_t wordsLen = 0, orderLen = 0, labelsLen = 0, denseLen = 0;
  const auto* words = typedArrayArg<const std::uint32_t>(info[0], "gatherRows: words", &wordsLen);
  const std::size_t width = countArg(info[1], "gatherRows: width");
  const std::size_t D = countArg(info[2], "gatherRows: numDense");
  const auto* order = typedArrayArg<const std::uint32_t>(info[3], "gatherRows: order", &orderLen);
  const std::size_t from = countArg(info[4], "gatherRows: from");
  const std::size_t to = countArg(info[5], "gatherRows: to");
  auto* labels = typedArrayArg<float>(info[6], "gatherRows: labels", &labelsLen);
  auto* dense = typedArrayArg<float>(info[7], "gatherRows: dense", &denseLen);
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
    indices[t] = typedArrayArg<std::uint32_t>(indexArrays.Get(static_cast<std::uint32_t>(t)), "gatherRows: indices[" + std::to_string(t) + "]", &len);
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
