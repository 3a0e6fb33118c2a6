#include "io/input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace depickle::io {

namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ > 2) close(fd_);
  }
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

[[noreturn]] void too_big(const Limits& limits) {
  throw Error(ErrorCode::kLimit, "max_input_bytes",
              str_cat("the input is larger than ", limits.max_input_bytes, " bytes"));
}

Buffer read_all(int fd, const std::string& name, const Limits& limits) {
  Buffer b = Buffer::growable(1 << 20);
  for (;;) {
    char* tail = b.reserve_tail(1 << 16);
    ssize_t n = read(fd, tail, static_cast<std::size_t>(b.free_tail()));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorCode::kUsage, str_cat("cannot read ", name), std::strerror(errno));
    }
    if (n == 0) break;
    b.commit(static_cast<std::uint64_t>(n));
    if (b.size() > limits.max_input_bytes) too_big(limits);
  }
  b.shrink();
  return b;
}

}  // namespace

namespace {
RawInput read_input_flags(const std::string& path, const Limits& limits, int flags) {
  RawInput in;
  in.name = path == "-" ? "<stdin>" : path;
  int raw_fd = path == "-" ? 0 : open(path.c_str(), O_RDONLY | O_CLOEXEC | flags);
  if (raw_fd < 0) {
    throw Error(ErrorCode::kUsage, str_cat("cannot open ", path), std::strerror(errno));
  }
  Fd fd(raw_fd);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) {
    throw Error(ErrorCode::kUsage, str_cat("cannot stat ", in.name), std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) throw Error(ErrorCode::kUsage, str_cat(in.name, " is a directory"));
  if (S_ISREG(st.st_mode)) {
    auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > limits.max_input_bytes) too_big(limits);
    in.bytes = Buffer::map_file(fd.get(), size, in.name);
  } else {
    in.bytes = read_all(fd.get(), in.name, limits);
  }
  return in;
}
}  // namespace

RawInput read_input(const std::string& path, const Limits& limits) {
  return read_input_flags(path, limits, 0);
}

RawInput read_input_nofollow(const std::string& path, const Limits& limits) {
  return read_input_flags(path, limits, O_NOFOLLOW);
}

std::string_view compression_name(Compression c) {
  switch (c) {
  case Compression::kNone: return "none";
  case Compression::kZlib: return "zlib";
  case Compression::kGzip: return "gzip";
  case Compression::kBz2: return "bz2";
  case Compression::kLzma: return "lzma";
  case Compression::kXz: return "xz";
  case Compression::kLz4: return "lz4";
  case Compression::kZstd: return "zstd";
  case Compression::kZFile: return "zfile";
  }
  return "?";
}

Compression detect_compression(std::string_view h) {
  auto at = [&](std::size_t i) -> unsigned {
    return i < h.size() ? static_cast<unsigned char>(h[i]) : 0x100u;
  };
  auto starts = [&](std::string_view magic) { return h.substr(0, magic.size()) == magic; };
  if (starts("\x1f\x8b")) return Compression::kGzip;
  // zlib: deflate method, and the header checksum that zlib requires.
  if (at(0) == 0x78 && at(1) <= 0xFF && ((at(0) << 8) | at(1)) % 31 == 0) return Compression::kZlib;
  if (starts("\xfd"
             "7zXZ\x00"))
    return Compression::kXz;
  // bz2: "BZh" + block size digit + the block or end-of-stream magic. 'B' is
  // also the BINBYTES opcode, hence the long signature.
  if (starts("BZh") && at(3) >= '1' && at(3) <= '9' &&
      (h.substr(4, 6) == "\x31\x41\x59\x26\x53\x59" ||
       h.substr(4, 6) == "\x17\x72\x45\x38\x50\x90")) {
    return Compression::kBz2;
  }
  // lzma "alone": properties byte 0x5d then a dictionary size; ']' is the
  // EMPTY_LIST opcode, but no opcode is 0x00, so "5d 00" is never a pickle.
  if (at(0) == 0x5d && at(1) == 0x00) return Compression::kLzma;
  if (starts("\x04\x22\x4d\x18")) return Compression::kLz4;
  // zstd; '(' is MARK, but 0xb5 is no opcode.
  if (starts("\x28\xb5\x2f\xfd")) return Compression::kZstd;
  if (starts("ZF0x")) return Compression::kZFile;
  return Compression::kNone;
}

}  // namespace depickle::io
