// The native kernels of `dlrm preprocess`, registered by the addon (src/engine/native/csrc/addon.cc). Their
// JS twins stay the reference and the fallback when the addon is not built: CriteoParser's Criteo fast path
// (src/rawformat/criteoParser.ts), U32HashTable.assignSequential (src/preprocess/hashTable.ts), OneHotRows.append
// and gatherInto (src/dataset/memoryShuffle.ts) and shuffledOrder (src/dataset/shuffleOrder.ts). Each
// kernel produces exactly what its JS twin produces; tests compare the two on the same input.
#pragma once
#include <napi.h>

namespace dlrm {

/** parseCriteoBlock(args) -> rows kept, or -1 when any line needs the JS parser (errors, unusual shapes). */
Napi::Value ParseCriteoBlock(const Napi::CallbackInfo& info);

/** parseDelimitedBlock(args) -> rows kept, -1 (the JS parser must read the block) or -2 (grow the key arrays);
 *  DelimitedBlockParser's native twin (src/rawformat/csrc/delimitedBlockParser.cc). */
Napi::Value ParseDelimitedBlock(const Napi::CallbackInfo& info);

/** assignFirstAppearance(slots, shift, values, from, to, state, fresh) -> where it stopped (see the .cc). */
Napi::Value AssignFirstAppearance(const Napi::CallbackInfo& info);

/** packRows / gatherRows: the in-memory shuffle's copies into and out of row-major rows (rowGather.cc). */
Napi::Value PackRows(const Napi::CallbackInfo& info);
Napi::Value GatherRows(const Napi::CallbackInfo& info);

/** shuffledOrder(state, rows, buckets, order): the shuffle's draws (shuffleOrder.cc). */
Napi::Value ShuffledOrder(const Napi::CallbackInfo& info);

}  // namespace dlrm
