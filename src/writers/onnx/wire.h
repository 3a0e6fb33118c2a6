#pragma once
// Protobuf wire format, written by hand for the few large ONNX attributes a
// big tree ensemble has (millions of node ids, modes, thresholds): they are
// encoded straight from the trees into buffers and spliced into the output,
// instead of going through repeated fields and a second serialized copy.

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace depickle::writers::wire {

inline std::size_t varint_size(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

inline char* put_varint(char* p, std::uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

/// An append-only byte buffer with a fixed capacity chosen up front; pages
/// that are never written are never touched (unlike std::string::resize).
class Bytes {
 public:
  Bytes() = default;
  explicit Bytes(std::size_t capacity)
      : data_(new char[capacity == 0 ? 1 : capacity]), cap_(capacity) {}
  char* end() { return data_.get() + size_; }
  void advance(char* new_end) { size_ = static_cast<std::size_t>(new_end - data_.get()); }
  void append(std::string_view s) {
    std::memcpy(end(), s.data(), s.size());
    size_ += s.size();
  }
  [[nodiscard]] std::string_view view() const { return {data_.get(), size_}; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::size_t capacity() const { return cap_; }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t cap_ = 0;
};

// Field tags (field number << 3 | wire type) used below.
constexpr std::uint8_t kVarint = 0;
constexpr std::uint8_t kLengthDelimited = 2;
inline std::string tag(std::uint32_t field, std::uint8_t wire_type) {
  char buf[8];
  char* end = put_varint(buf, (std::uint64_t{field} << 3) | wire_type);
  return {buf, static_cast<std::size_t>(end - buf)};
}
inline std::string varint(std::uint64_t v) {
  char buf[10];
  char* end = put_varint(buf, v);
  return {buf, static_cast<std::size_t>(end - buf)};
}
inline std::string length_prefixed(std::uint32_t field, std::string_view body) {
  return tag(field, kLengthDelimited) + varint(body.size()) + std::string(body);
}

/// An encoded message too large to copy: pieces whose concatenation is the
/// message's bytes (shared headers plus big payload buffers).
struct Pieces {
  std::vector<std::string> small;           // owned short pieces
  std::vector<std::shared_ptr<Bytes>> big;  // owned large payloads
  // Order of pieces: entry i is small[index] when is_small, else big[index].
  struct Ref {
    bool is_small;
    std::size_t index;
  };
  std::vector<Ref> order;

  void add(std::string s) {
    order.push_back({true, small.size()});
    small.push_back(std::move(s));
  }
  void add(std::shared_ptr<Bytes> b) {
    order.push_back({false, big.size()});
    big.push_back(std::move(b));
  }
  [[nodiscard]] std::size_t size() const {
    std::size_t n = 0;
    for (const auto& r : order) n += r.is_small ? small[r.index].size() : big[r.index]->size();
    return n;
  }
  template <typename Fn>
  void for_each(Fn fn) const {
    for (const auto& r : order)
      fn(r.is_small ? std::string_view(small[r.index]) : big[r.index]->view());
  }
  [[nodiscard]] std::string joined() const {
    std::string out;
    out.reserve(size());
    for_each([&](std::string_view s) { out.append(s); });
    return out;
  }
};

}  // namespace depickle::writers::wire
