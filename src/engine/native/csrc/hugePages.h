// Transparent huge pages for embedding tables: random row gathers over gigabytes of 4 KiB pages spend most
// of their time in TLB misses. Tables are advised MADV_HUGEPAGE and, when already populated (the usual case:
// the model initialised them), collapsed in place with MADV_COLLAPSE (Linux >= 6.1; a no-op elsewhere).
#pragma once
#include <cstddef>

namespace dlrm {

/** Advises (and collapses) the 2 MiB-aligned part of [data, data + bytes); returns the bytes covered. */
std::size_t adviseHugePages(void* data, std::size_t bytes);

}  // namespace dlrm
