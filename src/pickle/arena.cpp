#include "pickle/arena.h"

#include <sys/mman.h>

#include "core/error.h"

namespace depickle::pickle {

namespace {
// Large blocks come straight from mmap and are offered to transparent huge
// pages: a graph of millions of small values otherwise spends more time in
// page faults (one per 4 KiB) than in the VM.
constexpr std::size_t kHugePage = std::size_t{2} << 20;
std::size_t mapped_size(std::size_t bytes) {
  return (bytes + kHugePage - 1) & ~(kHugePage - 1);
}
}  // namespace

void* CappedResource::do_allocate(std::size_t bytes, std::size_t align) {
  if (bytes > cap_ - used_) {
    throw Error(ErrorCode::kLimit, "max_alloc_bytes",
                str_cat("the object graph needs more than ", cap_,
                        " bytes of memory (raise it with --limit max_alloc_bytes=N)"));
  }
  void* p = nullptr;
  if (bytes >= kHugePage && align <= 4096) {
    p = mmap(nullptr, mapped_size(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
             0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    madvise(p, mapped_size(bytes), MADV_HUGEPAGE);  // advice only: failure is harmless
  } else {
    p = std::pmr::new_delete_resource()->allocate(bytes, align);
  }
  used_ += bytes;
  return p;
}

void CappedResource::do_deallocate(void* p, std::size_t bytes, std::size_t align) {
  if (bytes >= kHugePage && align <= 4096) {
    munmap(p, mapped_size(bytes));
  } else {
    std::pmr::new_delete_resource()->deallocate(p, bytes, align);
  }
  used_ -= bytes;
}

}  // namespace depickle::pickle
