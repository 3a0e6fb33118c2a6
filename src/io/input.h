#pragma once
// Reading an input file and unwrapping its container. A plain pickle is
// memory-mapped and never copied; a compressed joblib/gzip/... file is inflated
// once, streaming, into a buffer capped by Limits::max_decompressed_bytes.

#include <cstdint>
#include <string>
#include <string_view>

#include "depickle.h"
#include "io/buffer.h"

namespace depickle::io {

/// How the pickle stream is wrapped, detected from magic bytes.
enum class Compression : std::uint8_t {
  kNone,
  kZlib,
  kGzip,
  kBz2,
  kLzma,
  kXz,
  kLz4,
  kZstd,
  kZFile
};

std::string_view compression_name(Compression c);  // "zlib", ..., "zfile" (joblib < 0.10)

/// Detects the compression of a stream from its first bytes.
Compression detect_compression(std::string_view head);

/// The raw bytes of a file ("-" for stdin), mapped when possible.
struct RawInput {
  std::string name;  // path as given, or "<stdin>"
  Buffer bytes;
};

RawInput read_input(const std::string& path, const Limits& limits);
/// The same, refusing symbolic links (O_NOFOLLOW): for files named by a pickle.
RawInput read_input_nofollow(const std::string& path, const Limits& limits);

/// Wraps caller-owned memory (library use); the memory must outlive the use.
struct Stream {
  Compression compression = Compression::kNone;
  Buffer owned;           // decompressed bytes, if compressed
  std::string_view data;  // the pickle stream (into the input or `owned`)
};

/// Detects the container of `raw` and returns the pickle stream inside it.
Stream open_stream(std::string_view raw, const Limits& limits);

}  // namespace depickle::io
