#include "pickle/arena.h"

#include "core/error.h"

namespace depickle::pickle {

void* CappedResource::do_allocate(std::size_t bytes, std::size_t align) {
  if (bytes > cap_ - used_) {
    throw Error(ErrorCode::kLimit, "max_alloc_bytes",
                str_cat("the object graph needs more than ", cap_,
                        " bytes of memory (raise it with --limit max_alloc_bytes=N)"));
  }
  void* p = std::pmr::new_delete_resource()->allocate(bytes, align);
  used_ += bytes;
  return p;
}

void CappedResource::do_deallocate(void* p, std::size_t bytes, std::size_t align) {
  std::pmr::new_delete_resource()->deallocate(p, bytes, align);
  used_ -= bytes;
}

}  // namespace depickle::pickle
