#pragma once
// Bounds-checked little-endian reader over the (decompressed) pickle stream.
// It also enforces pickle protocol 4 framing: inside a FRAME no read may cross
// the frame's end (Python's own unpickler refuses the same), and a new FRAME
// may not begin before the current one is used up.

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/bits.h"
#include "core/error.h"

namespace depickle {

class Cursor {
 public:
  explicit Cursor(std::string_view data, std::size_t start = 0) : data_(data), pos_(start) {}

  [[nodiscard]] std::size_t pos() const { return pos_; }
  [[nodiscard]] std::size_t size() const { return data_.size(); }
  [[nodiscard]] std::uint64_t remaining() const { return data_.size() - pos_; }
  [[nodiscard]] bool at_end() const { return pos_ >= data_.size(); }
  [[nodiscard]] bool in_frame() const { return frame_end_ > pos_; }
  [[nodiscard]] std::string_view data() const { return data_; }

  std::uint8_t read_u8() {
    need(1);
    return static_cast<std::uint8_t>(data_[pos_++]);
  }

  /// Returns a view of the next `n` bytes (zero-copy).
  std::string_view read_bytes(std::uint64_t n) {
    need(n);
    std::string_view out = data_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return out;
  }

  template <typename T>
  T read_le() {
    static_assert(std::endian::native == std::endian::little,
                  "depickle assumes a little-endian host");
    need(sizeof(T));
    T v;
    std::memcpy(&v, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  /// BINFLOAT is the one big-endian field of the pickle format.
  double read_f64be() {
    auto bits = depickle::byteswap(read_le<std::uint64_t>());
    return std::bit_cast<double>(bits);
  }

  /// Reads up to and including '\n'; returns the line without it.
  std::string_view read_line();

  /// Starts a frame of `len` bytes at the current position.
  void begin_frame(std::uint64_t len);

  /// For data that joblib writes outside the pickle framing: the current frame
  /// must be used up exactly, as joblib reads such data from the file itself.
  void require_frame_done(std::string_view what);

 private:
  void need(std::uint64_t n) {
    if (frame_end_ != 0) [[unlikely]] {
      if (pos_ < frame_end_) {
        if (n > frame_end_ - pos_) straddle(n);
        return;
      }
      frame_end_ = 0;  // frame used up: reads continue in the stream
    }
    if (n > data_.size() - pos_) [[unlikely]]
      truncated(n);
  }
  [[noreturn]] void straddle(std::uint64_t n) const;
  [[noreturn]] void truncated(std::uint64_t n) const;

  std::string_view data_;
  std::size_t pos_;
  std::size_t frame_end_ = 0;  // 0: not in a frame
};

}  // namespace depickle
