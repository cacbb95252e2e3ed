// Native twin of CriteoParser's Criteo fast path (src/rawformat/criteoParser.ts): parses a block of complete
// '\n'- or '\r\n'-terminated Criteo-shaped lines (label, D integer dense columns, T hex categoricals, TAB-separated)
// into labels [capacity] float32, dense [capacity, D] float32 (clipped at 0, log(x+1) in float32) and raw
// categorical values written table-major: table t's value of row r goes to tableDst[t][tableBase[t] + r]
// (after % maxIndRange when > 0). Label-0 lines are dropped by the same seeded sub-sampling draw as
// src/rawformat/subsample.ts. Any line off the fast path (an error, a sign, too many digits, a wrong field
// count) makes the whole block return -1: the JS parser then parses the block and names the problem, so
// error messages have one source. Measured: the JS parser costs ~0.7 us per line on this machine.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "napiArgs.h"
#include "preprocessKernels.h"
#include "subsample.h"

namespace dlrm {
namespace {

constexpr std::uint8_t kNewline = 10;
constexpr std::uint8_t kReturn = 13;
constexpr std::uint8_t kTab = 9;
constexpr std::uint8_t kEndField = 16;
constexpr std::uint8_t kEndLine = 17;
constexpr std::uint8_t kOther = 255;

struct ByteClasses {
  std::uint8_t hex[256];
  std::uint8_t dec[256];
  ByteClasses() {
    for (int c = 0; c < 256; ++c) {
      dec[c] = (c >= '0' && c <= '9') ? static_cast<std::uint8_t>(c - '0') : kOther;
      hex[c] = dec[c];
      if (c >= 'a' && c <= 'f') hex[c] = static_cast<std::uint8_t>(c - 'a' + 10);
      if (c >= 'A' && c <= 'F') hex[c] = static_cast<std::uint8_t>(c - 'A' + 10);
    }
    hex[kTab] = dec[kTab] = kEndField;
    hex[kNewline] = dec[kNewline] = kEndLine;
    hex[kReturn] = dec[kReturn] = kEndLine;  // the line must then end in "\r\n" (checked after its last field)
  }
};
const ByteClasses kClasses;

/** log1pFloat32 of src/rawformat/criteoParser.ts: x and x+1 rounded to float32, the log rounded to float32. */
float log1pFloat32(std::uint64_t x, const float* table, std::size_t tableSize) {
  if (x < tableSize) return table[x];
  const float xf = static_cast<float>(static_cast<double>(x));
  const float x1 = static_cast<float>(static_cast<double>(xf) + 1.0);
  return static_cast<float>(std::log(static_cast<double>(x1)));
}

}  // namespace

Napi::Value ParseCriteoBlock(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "parseCriteoBlock: expects one options object");
  const Napi::Object a = info[0].As<Napi::Object>();
  std::size_t bytesLen = 0, labelsLen = 0, denseLen = 0, baseLen = 0, tableLen = 0;
  const auto* bytes = typedArrayArg<const std::uint8_t>(a.Get("bytes"), "parseCriteoBlock: bytes", &bytesLen);
  auto* labels = typedArrayArg<float>(a.Get("labels"), "parseCriteoBlock: labels", &labelsLen);
  auto* dense = typedArrayArg<float>(a.Get("dense"), "parseCriteoBlock: dense", &denseLen);
  const auto* tableBase = typedArrayArg<const std::int32_t>(a.Get("tableBase"), "parseCriteoBlock: tableBase", &baseLen);
  const auto* log1pTable = typedArrayArg<const float>(a.Get("log1pTable"), "parseCriteoBlock: log1pTable", &tableLen);
  const std::size_t end = static_cast<std::size_t>(numberArg(a.Get("end"), "parseCriteoBlock: end"));
  const std::size_t capacity = static_cast<std::size_t>(numberArg(a.Get("capacity"), "parseCriteoBlock: capacity"));
  const std::size_t D = static_cast<std::size_t>(numberArg(a.Get("numDense"), "parseCriteoBlock: numDense"));
  const std::uint64_t M = static_cast<std::uint64_t>(numberArg(a.Get("maxIndRange"), "parseCriteoBlock: maxIndRange"));
  const double rate = numberArg(a.Get("subsampleRate"), "parseCriteoBlock: subsampleRate");
  const auto seed = static_cast<std::uint32_t>(numberArg(a.Get("seed"), "parseCriteoBlock: seed"));
  const auto day = static_cast<std::uint32_t>(numberArg(a.Get("day"), "parseCriteoBlock: day"));
  const auto firstLine = static_cast<std::uint64_t>(numberArg(a.Get("firstLine"), "parseCriteoBlock: firstLine"));
  const Napi::Value dstValue = a.Get("tableDst");
  if (!dstValue.IsArray()) throw Napi::TypeError::New(env, "parseCriteoBlock: tableDst must be an array of Uint32Array");
  const Napi::Array dstArray = dstValue.As<Napi::Array>();
  const std::size_t T = dstArray.Length();
  if (end > bytesLen) throw Napi::RangeError::New(env, "parseCriteoBlock: end " + std::to_string(end) + " is past the bytes (" + std::to_string(bytesLen) + ")");
  if (labelsLen < capacity || denseLen < capacity * D) throw Napi::RangeError::New(env, "parseCriteoBlock: labels/dense are shorter than capacity rows");
  if (baseLen != T) throw Napi::RangeError::New(env, "parseCriteoBlock: tableBase has " + std::to_string(baseLen) + " entries, tableDst " + std::to_string(T));
  std::vector<std::uint32_t*> dst(T);
  for (std::size_t t = 0; t < T; ++t) {
    std::size_t length = 0;
    std::uint32_t* table = typedArrayArg<std::uint32_t>(dstArray.Get(static_cast<std::uint32_t>(t)), "parseCriteoBlock: tableDst[" + std::to_string(t) + "]", &length);
    if (tableBase[t] < 0 || static_cast<std::size_t>(tableBase[t]) + capacity > length)
      throw Napi::RangeError::New(env, "parseCriteoBlock: table " + std::to_string(t) + "'s rows do not fit tableDst at tableBase");
    dst[t] = table + tableBase[t];
  }
  // every scan stops at a '\n', so a block ending with one can never be read past its end
  if (end == 0 || bytes[end - 1] != kNewline) return Napi::Number::New(env, -1);

  const std::uint8_t* hexClass = kClasses.hex;
  const std::uint8_t* decClass = kClasses.dec;
  std::size_t rows = 0, line = 0, p = 0;
  while (p < end) {
    if (line == capacity) return Napi::Number::New(env, -1);
    const std::uint8_t c = bytes[p];
    if ((c != '0' && c != '1') || decClass[bytes[p + 1]] != kEndField) return Napi::Number::New(env, -1);
    p += 2;
    float* row = dense + rows * D;
    std::uint8_t d = 0;
    for (std::size_t k = 0; k < D; ++k) {
      const bool neg = bytes[p] == '-';
      if (neg) ++p;
      const std::size_t start = p;
      std::uint64_t v = 0;
      while ((d = decClass[bytes[p]]) < 10) {
        v = v * 10 + d;
        ++p;
      }
      if (d != kEndField || p - start > 15 || (neg && p == start)) return Napi::Number::New(env, -1);
      row[k] = neg ? 0.0f : log1pFloat32(v, log1pTable, tableLen);
      ++p;
    }
    for (std::size_t t = 0; t < T; ++t) {
      const std::size_t start = p;
      std::uint32_t v = 0;
      while ((d = hexClass[bytes[p]]) < 16) {
        v = (v << 4) | d;
        ++p;
      }
      if (p - start > 8 || d != (t + 1 == T ? kEndLine : kEndField)) return Napi::Number::New(env, -1);
      dst[t][rows] = M != 0 ? static_cast<std::uint32_t>(v % M) : v;
      ++p;
    }
    if (bytes[p - 1] == kReturn) {
      if (bytes[p] != kNewline) return Napi::Number::New(env, -1);
      ++p;
    }
    const std::uint8_t label = static_cast<std::uint8_t>(c - '0');
    if (label != 0 || rate == 0 || subsampleDraw(seed, day, firstLine + line) >= rate) {
      labels[rows] = label;
      ++rows;
    }
    ++line;
  }
  if (line != capacity) return Napi::Number::New(env, -1);
  return Napi::Number::New(env, static_cast<double>(rows));
}

}  // namespace dlrm
