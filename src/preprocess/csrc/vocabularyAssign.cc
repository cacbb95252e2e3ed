// Native twin of U32HashTable.assignSequential (src/preprocess/hashTable.ts): maps raw categorical values
// to vocabulary indices in order of first appearance, in place, on the JS table's own slot array
// ([key, value] uint32 pairs, EMPTY value 0xFFFFFFFF, Fibonacci hashing, linear probing). The probe of the
// value PREFETCH positions ahead is prefetched: the large Criteo tables (~1M values, 8+ MB of slots) miss
// the caches on nearly every lookup, and in JS each miss was paid in full (~90 ns).
//   assignFirstAppearance(slots, shift, values, from, to, state, fresh) -> the position it stopped at
//   state = Uint32Array [count, limit, nextValue, freshCount], updated in place. Each new key gets
//   nextValue (then nextValue + 1 ...) and is appended to fresh[freshCount...]. It stops right after the
//   insert that takes count past limit (the JS side then grows the table, as getOrAdd would) or at `to`.
#include <cstdint>
#include <string>

#include "napiArgs.h"
#include "preprocessKernels.h"

namespace dlrm {
namespace {

constexpr std::uint32_t kEmpty = 0xffffffffu;
constexpr std::uint32_t kFibonacci = 0x9e3779b1u;
constexpr std::size_t kPrefetch = 16;

}  // namespace

Napi::Value AssignFirstAppearance(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  std::size_t slotsLen = 0, valuesLen = 0, stateLen = 0, freshLen = 0;
  std::uint32_t* slots = typedArrayArg<std::uint32_t>(info[0], "assignFirstAppearance: slots", &slotsLen);
  const std::size_t shift = countArg(info[1], "assignFirstAppearance: shift");
  std::uint32_t* values = typedArrayArg<std::uint32_t>(info[2], "assignFirstAppearance: values", &valuesLen);
  const std::size_t from = countArg(info[3], "assignFirstAppearance: from");
  const std::size_t to = countArg(info[4], "assignFirstAppearance: to");
  std::uint32_t* state = typedArrayArg<std::uint32_t>(info[5], "assignFirstAppearance: state", &stateLen);
  std::uint32_t* fresh = typedArrayArg<std::uint32_t>(info[6], "assignFirstAppearance: fresh", &freshLen);
  if (shift < 3 || shift > 31 || slotsLen != (std::size_t{2} << (32 - shift)))
    throw Napi::RangeError::New(env, "assignFirstAppearance: slots has " + std::to_string(slotsLen) + " entries, not 2 << (32 - shift " + std::to_string(shift) + ")");
  if (from > to || to > valuesLen) throw Napi::RangeError::New(env, "assignFirstAppearance: [from, to) is outside values");
  if (stateLen != 4) throw Napi::RangeError::New(env, "assignFirstAppearance: state must hold 4 values");
  std::uint32_t count = state[0];
  const std::uint32_t limit = state[1];
  std::uint32_t next = state[2];
  std::uint32_t freshCount = state[3];
  if (freshCount + (to - from) > freshLen) throw Napi::RangeError::New(env, "assignFirstAppearance: fresh has no room for to - from new keys");
  const std::uint32_t mask = static_cast<std::uint32_t>((slotsLen >> 1) - 1);
  const auto home = [shift](std::uint32_t key) { return static_cast<std::uint32_t>(key * kFibonacci) >> shift; };

  std::size_t i = from;
  for (; i < to; ++i) {
    if (i + kPrefetch < to) __builtin_prefetch(slots + 2 * static_cast<std::size_t>(home(values[i + kPrefetch])), 1);
    const std::uint32_t key = values[i];
    std::uint32_t s = home(key);
    for (;;) {
      std::uint32_t* pair = slots + 2 * static_cast<std::size_t>(s);
      if (pair[1] == kEmpty) {
        if (next == kEmpty) throw Napi::RangeError::New(env, "assignFirstAppearance: 0xFFFFFFFF cannot be stored as a value");
        pair[0] = key;
        pair[1] = next;
        values[i] = next++;
        fresh[freshCount++] = key;
        ++count;
        break;
      }
      if (pair[0] == key) {
        values[i] = pair[1];
        break;
      }
      s = (s + 1) & mask;
    }
    if (count > limit) {
      ++i;
      break;
    }
  }
  state[0] = count;
  state[2] = next;
  state[3] = freshCount;
  return Napi::Number::New(env, static_cast<double>(i));
}

}  // namespace dlrm
