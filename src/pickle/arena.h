#pragma once
// Memory for one document's object graph: a bump allocator whose total size is
// capped by Limits::max_alloc_bytes. Nothing is freed before the whole arena,
// which suits a graph that is built once and read many times.

#include <cstddef>
#include <cstring>
#include <memory_resource>
#include <string_view>
#include <utility>

namespace depickle::pickle {

/// Counts bytes taken from the system and throws Error(kLimit) past the cap.
class CappedResource : public std::pmr::memory_resource {
 public:
  explicit CappedResource(std::size_t cap) : cap_(cap) {}
  [[nodiscard]] std::size_t used() const { return used_; }

 private:
  void* do_allocate(std::size_t bytes, std::size_t align) override;
  void do_deallocate(void* p, std::size_t bytes, std::size_t align) override;
  [[nodiscard]] bool do_is_equal(const memory_resource& other) const noexcept override {
    return this == &other;
  }
  std::size_t cap_;
  std::size_t used_ = 0;
};

class Arena {
 public:
  explicit Arena(std::size_t cap) : capped_(cap), mono_(64 * 1024, &capped_) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  [[nodiscard]] std::pmr::memory_resource* resource() { return &mono_; }
  [[nodiscard]] std::size_t used() const { return capped_.used(); }

  /// Constructs a T in the arena. T must be trivially destructible or own only
  /// arena memory: destructors are never run.
  template <typename T, typename... Args>
  T* make(Args&&... args) {
    void* p = mono_.allocate(sizeof(T), alignof(T));
    return ::new (p) T(std::forward<Args>(args)...);
  }

  /// Uninitialized bytes owned by the arena.
  char* alloc_bytes(std::size_t n) { return static_cast<char*>(mono_.allocate(n ? n : 1, 16)); }

  std::string_view copy(std::string_view s) {
    char* p = alloc_bytes(s.size());
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }

 private:
  CappedResource capped_;
  std::pmr::monotonic_buffer_resource mono_;
};

}  // namespace depickle::pickle
