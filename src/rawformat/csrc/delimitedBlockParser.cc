// Native twin of DelimitedBlockParser (src/rawformat/delimitedParser.ts) for blocks without a bad line:
// splits each line of bytes[0, end) at the delimiter (CSV quoting with "" inside quotes when `quoted`),
// skips empty lines, a UTF-8 byte-order mark before the block's first line when firstLine = 0, and the
// header line (`header` = 1: line 0 of the block when firstLine = 0), and writes per kept row: its label,
// its raw dense values [D] float64 (NaN = empty field), its 0-based line in the block, the span of its
// date field, and per table its keys (lo, and hi for 64-bit tables; multi-hot tables append a bag and
// write offsets[row + 1]). Keys: string = FNV-1a 64 of the bytes, hex = 1..8 hex digits, decimal = 1..10
// digits <= 2^32-1, an empty single-hot field = the key of the empty text; with maxIndRange M > 0 every
// key is taken mod M. Dense fields that are not a plain decimal ('-'? digits ('.' digits)?, <= 15 digits)
// are listed as fixups (row, slot, start, end) for JS to read with Number(). Label-0 rows are dropped by
// the seeded draw of src/rawformat/subsample.ts. Return: rows kept; -1 when any line needs the JS parser
// (a bad line, a quoted field with "" escapes in a dense or date column): it then parses the block and
// names the problem, so messages have one source; -2 when a multi-hot table's keys or the fixups outgrow
// their arrays (the caller retries with larger ones). counts gets per table its keys, then the fixups.
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "napiArgs.h"
#include "preprocessKernels.h"
#include "subsample.h"

namespace dlrm {
namespace {

constexpr std::uint8_t kNewline = 10;
constexpr std::uint8_t kReturn = 13;
constexpr std::uint8_t kQuote = 34;
constexpr int kDecline = -1;
constexpr int kFull = -2;

enum Role : std::int32_t { kIgnore = 0, kLabel = 1, kDense = 2, kCategorical = 3, kDate = 4 };
enum Encoding : std::int32_t { kString = 0, kHex = 1, kDecimal = 2 };

struct Table {
  std::int32_t encoding = kString;
  std::int32_t separator = -1;  // -1: single-hot
  std::uint32_t* lo = nullptr;
  std::uint32_t* hi = nullptr;  // null: 32-bit keys
  std::uint32_t* offsets = nullptr;
  std::size_t capacity = 0;
  std::size_t n = 0;
};

/** One split field: its bytes (the block, or an unescaped copy) and span. */
struct Field {
  const std::uint8_t* buf;
  std::size_t s, e;
  bool copied;
};

const double kPow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16};

/** plainDecimal of delimitedParser.ts: the exact value of '-'? digits ('.' digits)? (<= 15 digits), else false. */
bool plainDecimal(const std::uint8_t* buf, std::size_t s, std::size_t e, double* out) {
  std::size_t p = s;
  const bool neg = p < e && buf[p] == '-';
  if (neg) ++p;
  int digits = 0, scale = -1;
  double v = 0;
  for (; p < e; ++p) {
    const std::uint8_t c = buf[p];
    if (c >= '0' && c <= '9') {
      if (++digits > 15) return false;
      v = v * 10 + (c - '0');
      if (scale >= 0) ++scale;
    } else if (c == '.' && scale < 0) {
      scale = 0;
    } else {
      return false;
    }
  }
  if (digits == 0 || scale == 0) return false;
  if (scale > 0) v /= kPow10[scale];
  *out = neg ? -v : v;
  return true;
}

/** The key of buf[s, e) for a table of `encoding` (before mod M); false when the text is not one. */
bool keyOf(const std::uint8_t* buf, std::size_t s, std::size_t e, std::int32_t encoding, std::uint64_t* key) {
  std::uint64_t v = 0;
  if (encoding == kString) {
    v = 0xcbf29ce484222325ull;
    for (std::size_t p = s; p < e; ++p) v = (v ^ buf[p]) * 0x100000001b3ull;
  } else if (encoding == kHex) {
    if (e - s > 8) return false;
    for (std::size_t p = s; p < e; ++p) {
      const std::uint8_t c = buf[p];
      std::uint32_t d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      else return false;
      v = v * 16 + d;
    }
  } else {
    if (e - s > 10) return false;
    for (std::size_t p = s; p < e; ++p) {
      const std::uint8_t c = buf[p];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    if (v > 0xffffffffull) return false;
  }
  *key = v;
  return true;
}

std::vector<std::int32_t> int32List(const Napi::Value& v, const std::string& what) {
  std::size_t n = 0;
  const auto* data = typedArrayArg<const std::int32_t>(v, what, &n);
  return std::vector<std::int32_t>(data, data + n);
}

}  // namespace

Napi::Value ParseDelimitedBlock(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "parseDelimitedBlock: expects one options object");
  const Napi::Object a = info[0].As<Napi::Object>();
  const std::string at = "parseDelimitedBlock: ";
  std::size_t bytesLen = 0, labelsLen = 0, denseLen = 0, rowLinesLen = 0, datesLen = 0, fixupsLen = 0, countsLen = 0;
  const auto* bytes = typedArrayArg<const std::uint8_t>(a.Get("bytes"), at + "bytes", &bytesLen);
  auto* labels = typedArrayArg<float>(a.Get("labels"), at + "labels", &labelsLen);
  auto* rawDense = typedArrayArg<double>(a.Get("rawDense"), at + "rawDense", &denseLen);
  auto* rowLines = typedArrayArg<std::uint32_t>(a.Get("rowLines"), at + "rowLines", &rowLinesLen);
  auto* dateSpans = typedArrayArg<std::int32_t>(a.Get("dateSpans"), at + "dateSpans", &datesLen);
  auto* fixups = typedArrayArg<std::int32_t>(a.Get("fixups"), at + "fixups", &fixupsLen);
  auto* counts = typedArrayArg<std::uint32_t>(a.Get("counts"), at + "counts", &countsLen);
  const std::vector<std::int32_t> roles = int32List(a.Get("roles"), at + "roles");
  const std::vector<std::int32_t> slots = int32List(a.Get("slots"), at + "slots");
  const std::vector<std::int32_t> encodings = int32List(a.Get("encodings"), at + "encodings");
  const std::vector<std::int32_t> separators = int32List(a.Get("separators"), at + "separators");
  const std::size_t end = countArg(a.Get("end"), at + "end");
  const std::size_t capacity = countArg(a.Get("capacity"), at + "capacity");
  const std::size_t D = countArg(a.Get("numDense"), at + "numDense");
  const auto M = static_cast<std::uint64_t>(countArg(a.Get("maxIndRange"), at + "maxIndRange"));
  const double rate = numberArg(a.Get("subsampleRate"), at + "subsampleRate");
  const auto seed = static_cast<std::uint32_t>(numberArg(a.Get("seed"), at + "seed"));
  const auto day = static_cast<std::uint32_t>(countArg(a.Get("day"), at + "day"));
  const auto firstLine = static_cast<std::uint64_t>(countArg(a.Get("firstLine"), at + "firstLine"));
  const std::size_t header = countArg(a.Get("header"), at + "header");
  const auto delim = static_cast<std::uint8_t>(countArg(a.Get("delimiter"), at + "delimiter"));
  const bool quoted = a.Get("quoted").ToBoolean().Value();
  const std::size_t F = roles.size();
  const std::size_t T = encodings.size();
  if (slots.size() != F || separators.size() != T) throw Napi::RangeError::New(env, at + "slots/separators do not match roles/encodings");
  if (end > bytesLen) throw Napi::RangeError::New(env, at + "end is past the bytes");
  if (labelsLen < capacity || rowLinesLen < capacity || denseLen < capacity * D || datesLen < 2 * capacity)
    throw Napi::RangeError::New(env, at + "an output array is shorter than capacity rows");
  if (countsLen < T + 1) throw Napi::RangeError::New(env, at + "counts must hold tables + 1 entries");
  for (std::size_t f = 0; f < F; ++f) {
    const std::int32_t s = slots[f];
    const bool ok = roles[f] == kDense ? s >= 0 && static_cast<std::size_t>(s) < D
                    : roles[f] == kCategorical ? s >= 0 && static_cast<std::size_t>(s) < T
                                               : true;
    if (!ok) throw Napi::RangeError::New(env, at + "slot of field " + std::to_string(f) + " is out of range");
  }
  const Napi::Value keysValue = a.Get("keys");
  if (!keysValue.IsArray()) throw Napi::TypeError::New(env, at + "keys must be an array of {lo, hi, offsets}");
  const Napi::Array keysArray = keysValue.As<Napi::Array>();
  if (keysArray.Length() != T) throw Napi::RangeError::New(env, at + "keys must have one entry per table");
  std::vector<Table> tables(T);
  for (std::size_t t = 0; t < T; ++t) {
    const Napi::Value kv = keysArray.Get(static_cast<std::uint32_t>(t));
    if (!kv.IsObject()) throw Napi::TypeError::New(env, at + "keys[" + std::to_string(t) + "] must be an object");
    const Napi::Object k = kv.As<Napi::Object>();
    Table& tb = tables[t];
    tb.encoding = encodings[t];
    tb.separator = separators[t];
    const std::string name = at + "keys[" + std::to_string(t) + "].";
    tb.lo = typedArrayArg<std::uint32_t>(k.Get("lo"), name + "lo", &tb.capacity);
    if (!k.Get("hi").IsUndefined()) {
      std::size_t n = 0;
      tb.hi = typedArrayArg<std::uint32_t>(k.Get("hi"), name + "hi", &n);
      if (n < tb.capacity) throw Napi::RangeError::New(env, name + "hi is shorter than lo");
    }
    if (tb.separator >= 0) {
      std::size_t n = 0;
      tb.offsets = typedArrayArg<std::uint32_t>(k.Get("offsets"), name + "offsets", &n);
      if (n < capacity + 1) throw Napi::RangeError::New(env, name + "offsets is shorter than capacity + 1");
      tb.offsets[0] = 0;
    } else if (tb.capacity < capacity) {
      throw Napi::RangeError::New(env, name + "lo is shorter than capacity");
    }
  }
  const std::size_t maxFixups = fixupsLen / 4;

  std::vector<Field> fields(F);
  std::vector<std::string> copies(F);
  std::vector<std::size_t> keysAtRow(T);
  std::size_t rows = 0, line = 0, numFixups = 0;
  std::size_t p = firstLine == 0 && end >= 3 && bytes[0] == 0xef && bytes[1] == 0xbb && bytes[2] == 0xbf ? 3 : 0;
  const auto ret = [&](double v) { return Napi::Number::New(env, v); };
  while (p < end) {
    const auto* nl = static_cast<const std::uint8_t*>(std::memchr(bytes + p, kNewline, end - p));
    std::size_t lineEnd = nl ? static_cast<std::size_t>(nl - bytes) : end;
    const std::size_t lineIndex = line++;
    const std::size_t start = p;
    p = lineEnd + 1;
    if (lineEnd == start || (lineEnd == start + 1 && bytes[start] == kReturn)) continue;
    if (firstLine + lineIndex < header) continue;
    if (lineIndex >= capacity) return ret(kDecline);
    if (bytes[lineEnd - 1] == kReturn) --lineEnd;
    // split into fields
    std::size_t n = 0, q = start;
    for (;;) {
      Field fd{bytes, q, q, false};
      if (quoted && q < lineEnd && bytes[q] == kQuote) {
        std::size_t r = q + 1;
        bool escapes = false;
        for (;;) {
          if (r >= lineEnd) return ret(kDecline);
          if (bytes[r] == kQuote) {
            if (r + 1 < lineEnd && bytes[r + 1] == kQuote) {
              escapes = true;
              r += 2;
              continue;
            }
            break;
          }
          ++r;
        }
        fd.s = q + 1;
        fd.e = r;
        q = r + 1;
        if (q < lineEnd && bytes[q] != delim) return ret(kDecline);
        if (escapes && n < F) {
          std::string& c = copies[n];
          c.clear();
          for (std::size_t i = fd.s; i < fd.e; ++i) {
            c.push_back(static_cast<char>(bytes[i]));
            if (bytes[i] == kQuote) ++i;
          }
          fd = Field{reinterpret_cast<const std::uint8_t*>(c.data()), 0, c.size(), true};
        }
      } else {
        const auto* d = static_cast<const std::uint8_t*>(std::memchr(bytes + q, delim, lineEnd - q));
        q = d ? static_cast<std::size_t>(d - bytes) : lineEnd;
        fd.e = q;
      }
      if (n < F) fields[n] = fd;
      ++n;
      if (q >= lineEnd) break;
      ++q;
    }
    if (n != F) return ret(kDecline);
    // the row's values
    for (std::size_t t = 0; t < T; ++t) keysAtRow[t] = tables[t].n;
    const std::size_t fixupsAtRow = numFixups;
    float label = 0;
    for (std::size_t f = 0; f < F; ++f) {
      const Field& fd = fields[f];
      switch (roles[f]) {
        case kLabel:
          if (fd.e - fd.s != 1 || (fd.buf[fd.s] != '0' && fd.buf[fd.s] != '1')) return ret(kDecline);
          label = static_cast<float>(fd.buf[fd.s] - '0');
          break;
        case kDense: {
          double v = std::numeric_limits<double>::quiet_NaN();
          if (fd.e > fd.s && !plainDecimal(fd.buf, fd.s, fd.e, &v)) {
            if (fd.copied) return ret(kDecline);
            if (numFixups == maxFixups) return ret(kFull);
            std::int32_t* x = fixups + 4 * numFixups++;
            x[0] = static_cast<std::int32_t>(rows);
            x[1] = slots[f];
            x[2] = static_cast<std::int32_t>(fd.s);
            x[3] = static_cast<std::int32_t>(fd.e);
          }
          rawDense[rows * D + slots[f]] = v;
          break;
        }
        case kDate:
          if (fd.copied) return ret(kDecline);
          dateSpans[2 * rows] = static_cast<std::int32_t>(fd.s);
          dateSpans[2 * rows + 1] = static_cast<std::int32_t>(fd.e);
          break;
        case kCategorical: {
          Table& tb = tables[slots[f]];
          std::size_t from = fd.s;
          for (std::size_t i = fd.s; i <= fd.e; ++i) {
            if (tb.separator >= 0) {
              if (i < fd.e && fd.buf[i] != tb.separator) continue;
              if (i == from) {  // an empty list element (or an empty bag) adds no key
                from = i + 1;
                continue;
              }
            } else {
              i = fd.e;
            }
            std::uint64_t key = 0;
            if (!keyOf(fd.buf, from, i, tb.encoding, &key)) return ret(kDecline);
            if (M > 0) key %= M;
            if (tb.n == tb.capacity) return ret(kFull);
            tb.lo[tb.n] = static_cast<std::uint32_t>(key);
            if (tb.hi) tb.hi[tb.n] = static_cast<std::uint32_t>(key >> 32);
            ++tb.n;
            from = i + 1;
          }
          break;
        }
        default:
          break;
      }
    }
    if (label == 0 && rate > 0 && subsampleDraw(seed, day, firstLine + lineIndex - header) < rate) {
      for (std::size_t t = 0; t < T; ++t) tables[t].n = keysAtRow[t];
      numFixups = fixupsAtRow;
      continue;
    }
    labels[rows] = label;
    for (std::size_t t = 0; t < T; ++t)
      if (tables[t].offsets) tables[t].offsets[rows + 1] = static_cast<std::uint32_t>(tables[t].n);
    rowLines[rows++] = static_cast<std::uint32_t>(lineIndex);
  }
  for (std::size_t t = 0; t < T; ++t) counts[t] = static_cast<std::uint32_t>(tables[t].n);
  counts[T] = static_cast<std::uint32_t>(numFixups);
  return ret(static_cast<double>(rows));
}

}  // namespace dlrm
