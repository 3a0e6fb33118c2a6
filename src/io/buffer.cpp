#include "io/buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "core/error.h"

namespace depickle::io {

namespace {
std::uint64_t page_round(std::uint64_t n) {
  constexpr std::uint64_t kPage = 4096;
  return (n + kPage - 1) / kPage * kPage;
}
}  // namespace

Buffer::Buffer(Buffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)),
      mapped_(std::exchange(other.mapped_, 0)),
      writable_(other.writable_) {}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    mapped_ = std::exchange(other.mapped_, 0);
    writable_ = other.writable_;
  }
  return *this;
}

Buffer::~Buffer() {
  release();
}

void Buffer::release() {
  if (data_ != nullptr && mapped_ != 0) munmap(data_, mapped_);
  data_ = nullptr;
  size_ = capacity_ = mapped_ = 0;
}

Buffer Buffer::map_file(int fd, std::uint64_t size, const std::string& name) {
  Buffer b;
  if (size == 0) return b;
  // MAP_POPULATE: every page is read anyway (parse, hash); faulting them in
  // up front is cheaper than one fault per page later.
  void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  if (p == MAP_FAILED) {
    throw Error(ErrorCode::kUsage, str_cat("cannot map ", name), std::strerror(errno));
  }
  madvise(p, size, MADV_SEQUENTIAL);
  b.data_ = static_cast<char*>(p);
  b.size_ = b.capacity_ = b.mapped_ = size;
  return b;
}

Buffer Buffer::growable(std::uint64_t capacity) {
  Buffer b;
  b.writable_ = true;
  b.reserve_tail(capacity < 4096 ? 4096 : capacity);
  return b;
}

char* Buffer::reserve_tail(std::uint64_t min_free, std::uint64_t max_capacity) {
  if (capacity_ - size_ >= min_free) return data_ + size_;
  std::uint64_t want =
      page_round(std::max(size_ + min_free, std::min(capacity_ * 2, max_capacity)));
  void* p = data_ == nullptr
                ? mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                : mremap(data_, mapped_, want, MREMAP_MAYMOVE);
  if (p == MAP_FAILED) {
    throw Error(ErrorCode::kLimit, "memory", str_cat("cannot grow a buffer to ", want, " bytes"));
  }
  data_ = static_cast<char*>(p);
  capacity_ = mapped_ = want;
  return data_ + size_;
}

void Buffer::shrink() {
  if (!writable_ || data_ == nullptr) return;
  std::uint64_t keep = page_round(size_ == 0 ? 1 : size_);
  if (keep < mapped_) {
    void* p = mremap(data_, mapped_, keep, 0);
    if (p != MAP_FAILED) capacity_ = mapped_ = keep;
  }
}

}  // namespace depickle::io
