// checkGroupAsync: a row group's CRC-32 (zlib's: carry-less multiplication folding where the CPU has
// PCLMULQDQ, after Intel's "Fast CRC Computation Using PCLMULQDQ" as in Chromium's zlib; else slicing by 8)
// and value checks (labels 0/1, finite dense
// values, non-decreasing bag offsets from 0 to numIndices, indices below their table's rows), off the JS
// thread. The same checks, in the same terms, as src/dataset/groupCheck.ts; see groupCheck.h.
#include "groupCheck.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define DLRM_CRC32_CLMUL 1
#endif

namespace dlrm {
namespace {

/** CRC-32 tables for slicing by 8 (reflected polynomial 0xEDB88320, as zlib). */
struct Crc32Tables {
  std::array<std::array<uint32_t, 256>, 8> t{};
  Crc32Tables() {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
      for (int s = 1; s < 8; s++) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  }
};

#ifdef DLRM_CRC32_CLMUL
/**
 * The CRC state (pre-inverted, as inside zlib) after `n` bytes from state `c`; n is a multiple of 16, at
 * least 64. Folds four 128-bit lanes by 64 bytes, then to 128 bits, then a Barrett reduction to 32.
 */
__attribute__((target("sse4.1,pclmul"))) uint32_t crc32Clmul(const uint8_t* buf, std::size_t len, uint32_t c) {
  alignas(16) static const uint64_t k1k2[] = {0x0154442bd4, 0x01c6e41596};
  alignas(16) static const uint64_t k3k4[] = {0x01751997d0, 0x00ccaa009e};
  alignas(16) static const uint64_t k5k0[] = {0x0163cd6124, 0x0000000000};
  alignas(16) static const uint64_t poly[] = {0x01db710641, 0x01f7011641};
  __m128i x0, x1, x2, x3, x4, x5, x6, x7, x8;
  x1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(buf + 0x00));
  x2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(buf + 0x10));
  x3 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(buf + 0x20));
  x4 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(buf + 0x30));
  x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128(static_cast<int>(c)));
  x0 = _mm_load_si128(reinterpret_cast<const __m128i*>(k1k2));
  buf += 64;
  len -= 64;
  while (len >= 64) {
    x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
    x6 = _mm_clmulepi64_si128(x2, x0, 0x00);
    x7 = _mm_clmulepi64_si128(x3, x0, 0x00);
    x8 = _mm_clmulepi64_si128(x4, x0, 0x00);
    x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
    x2 = _mm_clmulepi64_si128(x2, x0, 0x11);
    x3 = _mm_clmulepi64_si128(x3, x0, 0x11);
    x4 = _mm_clmulepi64_si128(x4, x0, 0x11);
    x1 = _mm_xor_si128(_mm_xor_si128(x1, x5), _mm_loadu_si128(reinterpret_cast<const __m128i*>(buf + 0x00)));
    x2 = _mm_xor_si128(_mm_xor_si128(x2, x6), _mm_loadu_si128(reinterpret_cast<const __m128i*>(buf + 0x10)));
    x3 = _mm_xor_si128(_mm_xor_si128(x3, x7), _mm_loadu_si128(reinterpret_cast<const __m128i*>(buf + 0x20)));
    x4 = _mm_xor_si128(_mm_xor_si128(x4, x8), _mm_loadu_si128(reinterpret_cast<const __m128i*>(buf + 0x30)));
    buf += 64;
    len -= 64;
  }
  x0 = _mm_load_si128(reinterpret_cast<const __m128i*>(k3k4));
  for (__m128i next : {x2, x3, x4}) {
    x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
    x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
    x1 = _mm_xor_si128(_mm_xor_si128(x1, next), x5);
  }
  while (len >= 16) {
    x2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(buf));
    x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
    x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
    x1 = _mm_xor_si128(_mm_xor_si128(x1, x2), x5);
    buf += 16;
    len -= 16;
  }
  x2 = _mm_clmulepi64_si128(x1, x0, 0x10);
  x3 = _mm_setr_epi32(~0, 0, ~0, 0);
  x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), x2);
  x0 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(k5k0));
  x2 = _mm_srli_si128(x1, 4);
  x1 = _mm_and_si128(x1, x3);
  x1 = _mm_xor_si128(_mm_clmulepi64_si128(x1, x0, 0x00), x2);
  x0 = _mm_load_si128(reinterpret_cast<const __m128i*>(poly));
  x2 = _mm_and_si128(x1, x3);
  x2 = _mm_clmulepi64_si128(x2, x0, 0x10);
  x2 = _mm_and_si128(x2, x3);
  x2 = _mm_clmulepi64_si128(x2, x0, 0x00);
  x1 = _mm_xor_si128(x1, x2);
  return static_cast<uint32_t>(_mm_extract_epi32(x1, 1));
}
#endif

uint32_t crc32(const uint8_t* p, std::size_t n, uint32_t previous) {
  static const Crc32Tables tables;
  const auto& t = tables.t;
  uint32_t c = previous ^ 0xFFFFFFFFu;
#ifdef DLRM_CRC32_CLMUL
  static const bool clmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  if (clmul && n >= 64) {
    const std::size_t chunk = n & ~static_cast<std::size_t>(15);
    c = crc32Clmul(p, chunk, c);
    p += chunk;
    n -= chunk;
  }
#endif
  while (n >= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^ t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^
        t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

struct TableLayout {
  int64_t offsetsAt;  // -1: one index per row
  int64_t indicesAt;
  int64_t count;
};

/** True when every value of the group is in contract (the JS twin's checkGroupValues passes). */
bool valuesGood(const uint8_t* bytes, int64_t n, int64_t numDense, int64_t labelsAt, int64_t denseAt, const std::vector<TableLayout>& tables,
                const std::vector<uint32_t>& tableRows) {
  const uint8_t* labels = bytes + labelsAt;
  for (int64_t i = 0; i < n; i++) {
    float v;
    std::memcpy(&v, labels + 4 * i, 4);
    if (v != 0.0f && v != 1.0f) return false;
  }
  const uint8_t* dense = bytes + denseAt;
  uint32_t notFinite = 0;
  for (int64_t i = 0; i < n * numDense; i++) {
    uint32_t w;
    std::memcpy(&w, dense + 4 * i, 4);
    notFinite |= ((w & 0x7f800000u) == 0x7f800000u);
  }
  if (notFinite) return false;
  for (std::size_t t = 0; t < tables.size(); t++) {
    const TableLayout& L = tables[t];
    if (L.offsetsAt >= 0) {
      const uint8_t* o = bytes + L.offsetsAt;
      uint32_t prev, cur;
      std::memcpy(&prev, o, 4);
      if (prev != 0) return false;
      for (int64_t i = 1; i <= n; i++) {
        std::memcpy(&cur, o + 4 * i, 4);
        if (cur < prev) return false;
        prev = cur;
      }
      if (static_cast<int64_t>(prev) != L.count) return false;
    }
    if (tableRows.empty()) continue;
    const uint32_t limit = tableRows[t];
    const uint8_t* ix = bytes + L.indicesAt;
    uint32_t worst = 0;
    for (int64_t k = 0; k < L.count; k++) {
      uint32_t v;
      std::memcpy(&v, ix + 4 * k, 4);
      worst = v > worst ? v : worst;
    }
    if (L.count > 0 && worst >= limit) return false;
  }
  return true;
}

class GroupCheckWorker : public Napi::AsyncWorker {
 public:
  GroupCheckWorker(Napi::Env env, Napi::Uint8Array bytes, std::vector<double> layout, std::vector<uint32_t> tableRows, double crc)
      : Napi::AsyncWorker(env), bytes_(bytes.Data()), size_(bytes.ByteLength()), layout_(std::move(layout)), tableRows_(std::move(tableRows)),
        crc_(crc), deferred_(Napi::Promise::Deferred::New(env)) {
    keepAlive_ = Napi::Persistent(bytes.As<Napi::Object>());
  }
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    if (crc_ >= 0 && crc32(bytes_, size_, 0) != static_cast<uint32_t>(crc_)) result_ |= 1;
    const auto n = static_cast<int64_t>(layout_[0]);
    std::vector<TableLayout> tables;
    for (std::size_t at = 4; at + 2 < layout_.size(); at += 3) {
      tables.push_back({static_cast<int64_t>(layout_[at]), static_cast<int64_t>(layout_[at + 1]), static_cast<int64_t>(layout_[at + 2])});
    }
    if (!valuesGood(bytes_, n, static_cast<int64_t>(layout_[1]), static_cast<int64_t>(layout_[2]), static_cast<int64_t>(layout_[3]), tables, tableRows_)) {
      result_ |= 2;
    }
  }
  void OnOK() override { deferred_.Resolve(Napi::Number::New(Env(), result_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  const uint8_t* bytes_;
  std::size_t size_;
  std::vector<double> layout_;
  std::vector<uint32_t> tableRows_;
  double crc_;
  int result_ = 0;
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference keepAlive_;
};

}  // namespace

Napi::Value Crc32(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
      (info.Length() >= 2 && !info[1].IsUndefined() && !info[1].IsNumber())) {
    throw Napi::TypeError::New(info.Env(), "crc32(bytes: Uint8Array, previous?: number)");
  }
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  const uint32_t previous = info.Length() >= 2 && info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 0;
  return Napi::Number::New(info.Env(), crc32(bytes.Data(), bytes.ByteLength(), previous));
}

Napi::Value CheckGroupAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array || !info[3].IsNumber()) {
    throw Napi::TypeError::New(env, "checkGroupAsync(bytes: Uint8Array, layout: Float64Array, tableRows: Uint32Array | null, crc: number)");
  }
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  Napi::Float64Array layoutArray = info[1].As<Napi::Float64Array>();
  std::vector<double> layout(layoutArray.Data(), layoutArray.Data() + layoutArray.ElementLength());
  if (layout.size() < 4 || (layout.size() - 4) % 3 != 0) throw Napi::RangeError::New(env, "checkGroupAsync: layout must hold 4 + 3 * tables numbers");
  const double n = layout[0], numDense = layout[1];
  const double size = static_cast<double>(bytes.ByteLength());
  auto inside = [&](double at, double words) { return at >= 0 && at + 4 * words <= size; };
  bool ok = n >= 0 && numDense >= 0 && inside(layout[2], n) && inside(layout[3], n * numDense);
  for (std::size_t at = 4; ok && at + 2 < layout.size(); at += 3) {
    ok = (layout[at] < 0 || inside(layout[at], n + 1)) && inside(layout[at + 1], layout[at + 2]) && (layout[at] >= 0 || layout[at + 2] == n);
  }
  if (!ok) throw Napi::RangeError::New(env, "checkGroupAsync: a section lies outside the group's bytes");
  std::vector<uint32_t> tableRows;
  if (info[2].IsTypedArray()) {
    Napi::Uint32Array rows = info[2].As<Napi::Uint32Array>();
    tableRows.assign(rows.Data(), rows.Data() + rows.ElementLength());
    if (tableRows.size() != (layout.size() - 4) / 3) throw Napi::RangeError::New(env, "checkGroupAsync: one table row count per table");
  }
  auto* worker = new GroupCheckWorker(env, bytes, std::move(layout), std::move(tableRows), info[3].As<Napi::Number>().DoubleValue());
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace dlrm
