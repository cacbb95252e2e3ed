// adviseHugePages (see hugePages.h). Best effort: every madvise error is ignored.
#include "hugePages.h"

#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace dlrm {

namespace {
constexpr std::uintptr_t kHugePage = 2u << 20;
constexpr int kMadvCollapse = 25;  // MADV_COLLAPSE, not in older headers
}  // namespace

std::size_t adviseHugePages(void* data, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const std::uintptr_t begin = (reinterpret_cast<std::uintptr_t>(data) + kHugePage - 1) & ~(kHugePage - 1);
  const std::uintptr_t end = (reinterpret_cast<std::uintptr_t>(data) + bytes) & ~(kHugePage - 1);
  if (end <= begin) return 0;
  void* p = reinterpret_cast<void*>(begin);
  const std::size_t len = end - begin;
  if (madvise(p, len, MADV_HUGEPAGE) != 0) return 0;
  madvise(p, len, kMadvCollapse);
  return len;
#else
  (void)data;
  (void)bytes;
  return 0;
#endif
}

}  // namespace dlrm
