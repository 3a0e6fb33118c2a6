#pragma once
// Owned byte buffers for input: a read-only file mapping (zero-copy) or an
// anonymous mapping that grows in place with mremap (decompressed streams,
// stdin), so growing never copies what was already written.

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace depickle::io {

class Buffer {
 public:
  Buffer() = default;
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer();

  /// Maps `size` bytes of the open file `fd` read-only.
  static Buffer map_file(int fd, std::uint64_t size, const std::string& name);
  /// An empty growable buffer with room for `capacity` bytes.
  static Buffer growable(std::uint64_t capacity);

  [[nodiscard]] std::string_view view() const { return {data_, size_}; }
  [[nodiscard]] std::uint64_t size() const { return size_; }

  /// Growable buffers: room to write at least `min_free` bytes at the end.
  /// The capacity at most doubles and never exceeds `max_capacity`.
  char* reserve_tail(std::uint64_t min_free,
                     std::uint64_t max_capacity = std::numeric_limits<std::uint64_t>::max());
  [[nodiscard]] std::uint64_t free_tail() const { return capacity_ - size_; }
  void commit(std::uint64_t n) { size_ += n; }
  /// Returns unused capacity to the system (after the last write).
  void shrink();

 private:
  void release();
  char* data_ = nullptr;
  std::uint64_t size_ = 0;
  std::uint64_t capacity_ = 0;
  std::uint64_t mapped_ = 0;  // bytes mapped (file size or capacity)
  bool writable_ = false;
};

}  // namespace depickle::io
