#pragma once
// Protobuf wire format, written by hand for the few large parts of a model —
// the attributes of a big tree ensemble (millions of node ids, modes,
// thresholds), a large coefficient matrix: they are encoded straight into
// buffers (or borrowed from the input) and spliced into the output, instead
// of going through protobuf's fields and a second serialized copy.

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
/// message's bytes (shared headers, big payload buffers, and bytes borrowed
/// from the input — a coefficient matrix goes from the pickle to the output).
struct Pieces {
  std::vector<std::string> small;           // owned short pieces
  std::vector<std::shared_ptr<Bytes>> big;  // owned large payloads
  std::vector<std::string_view> borrowed;   // outlive the write (the input's bytes)
  enum class Kind : std::uint8_t { kSmall, kBig, kBorrowed };
  struct Ref {
    Kind kind;
    std::size_t index;
  };
  std::vector<Ref> order;

  void add(std::string s) {
    order.push_back({Kind::kSmall, small.size()});
    small.push_back(std::move(s));
  }
  void add(std::shared_ptr<Bytes> b) {
    order.push_back({Kind::kBig, big.size()});
    big.push_back(std::move(b));
  }
  void add_borrowed(std::string_view s) {
    order.push_back({Kind::kBorrowed, borrowed.size()});
    borrowed.push_back(s);
  }
  [[nodiscard]] std::string_view piece(const Ref& r) const {
    switch (r.kind) {
    case Kind::kSmall: return small[r.index];
    case Kind::kBig: return big[r.index]->view();
    case Kind::kBorrowed: return borrowed[r.index];
    }
    return {};
  }
  [[nodiscard]] std::size_t size() const {
    std::size_t n = 0;
    for (const auto& r : order) n += piece(r).size();
    return n;
  }
  template <typename Fn>
  void for_each(Fn fn) const {
    for (const auto& r : order) fn(piece(r));
  }
  [[nodiscard]] std::string joined() const {
    std::string out;
    out.reserve(size());
    for_each([&](std::string_view s) { out.append(s); });
    return out;
  }
};

}  // namespace depickle::writers::wire
