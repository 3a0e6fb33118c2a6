// Streaming decompression of joblib (and gzip'd pickle) containers into one
// growable buffer. Output is capped by Limits::max_decompressed_bytes while
// inflating; sizes declared by headers are never trusted for allocation.
// Concatenated streams are read as Python's gzip/bz2/lzma modules read them.

#include <bzlib.h>
#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <charconv>
#include <memory>

#include "core/error.h"
#include "io/input.h"

namespace depickle::io {

namespace {

constexpr std::uint64_t kChunk = 1 << 20;

// Collects decompressed output, enforcing the cap.
class Sink {
 public:
  Sink(Buffer& out, const Limits& limits, std::string_view codec)
      : out_(out), limits_(limits), codec_(codec) {}
  // Room for the next write (at most what the cap still allows, plus one
  // byte so that exceeding the cap is detected).
  std::pair<char*, std::uint64_t> room() {
    std::uint64_t allowed = limits_.max_decompressed_bytes + 1 - out_.size();
    // Grow towards the cap, never past it: a bomb then ends at the limit, not
    // at a failed doubling of an already huge buffer.
    char* p = out_.reserve_tail(std::min(kChunk, allowed), limits_.max_decompressed_bytes + 1);
    return {p, std::min(out_.free_tail(), allowed)};
  }
  void commit(std::uint64_t n) {
    out_.commit(n);
    if (out_.size() > limits_.max_decompressed_bytes) {
      throw Error(ErrorCode::kLimit, "max_decompressed_bytes",
                  str_cat("the ", codec_, " stream inflates to more than ",
                          limits_.max_decompressed_bytes, " bytes"),
                  limits_.max_decompressed_bytes);
    }
  }
  std::uint64_t decoder_memory() const { return limits_.max_decoder_bytes; }
  [[noreturn]] void decoder_too_big(std::uint64_t needed, std::uint64_t offset) const {
    throw Error(ErrorCode::kLimit, "max_decoder_bytes",
                needed == 0 ? str_cat("the ", codec_, " stream needs a larger window")
                            : str_cat("the ", codec_, " stream's header asks for ", needed,
                                      " bytes of decoder memory"),
                offset);
  }

 private:
  Buffer& out_;
  const Limits& limits_;
  std::string_view codec_;
};

[[noreturn]] void corrupt(std::string_view codec, std::uint64_t offset, std::string_view why) {
  throw Error(ErrorCode::kMalformed, str_cat(codec, " stream"),
              str_cat("corrupt or truncated: ", why), offset);
}

// After one stream ends, Python's readers start another if bytes remain.
bool more_streams(std::string_view raw, std::uint64_t consumed) {
  return consumed < raw.size();
}

void inflate_zlib(std::string_view raw, Sink& sink, std::string_view codec) {
  z_stream z{};
  // 15 + 32: zlib or gzip header, detected per stream.
  if (inflateInit2(&z, 15 + 32) != Z_OK) corrupt(codec, 0, "cannot initialise zlib");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&z, inflateEnd);
  std::uint64_t consumed = 0;
  for (;;) {
    auto [out, room] = sink.room();
    auto in_avail = static_cast<uInt>(std::min<std::uint64_t>(raw.size() - consumed, 1u << 30));
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data() + consumed));
    z.avail_in = in_avail;
    z.next_out = reinterpret_cast<Bytef*>(out);
    z.avail_out = static_cast<uInt>(std::min<std::uint64_t>(room, 1u << 30));
    uInt out_before = z.avail_out;
    int rc = inflate(&z, Z_NO_FLUSH);
    consumed += in_avail - z.avail_in;
    sink.commit(out_before - z.avail_out);
    if (rc == Z_STREAM_END) {
      // Python's gzip reader skips zero padding between and after members.
      if (codec == "gzip") {
        while (consumed < raw.size() && raw[consumed] == '\0') ++consumed;
      }
      if (!more_streams(raw, consumed)) return;
      inflateReset(&z);
      continue;
    }
    if (rc == Z_BUF_ERROR && consumed == raw.size()) corrupt(codec, consumed, "input ends early");
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      corrupt(codec, consumed, z.msg != nullptr ? z.msg : "inflate failed");
    }
  }
}

void inflate_bz2(std::string_view raw, Sink& sink) {
  bz_stream b{};
  if (BZ2_bzDecompressInit(&b, 0, 0) != BZ_OK) corrupt("bz2", 0, "cannot initialise bzip2");
  std::unique_ptr<bz_stream, int (*)(bz_stream*)> guard(&b, BZ2_bzDecompressEnd);
  std::uint64_t consumed = 0;
  for (;;) {
    auto [out, room] = sink.room();
    auto in_avail = static_cast<unsigned>(std::min<std::uint64_t>(raw.size() - consumed, 1u << 30));
    b.next_in = const_cast<char*>(raw.data() + consumed);
    b.avail_in = in_avail;
    b.next_out = out;
    b.avail_out = static_cast<unsigned>(std::min<std::uint64_t>(room, 1u << 30));
    unsigned out_before = b.avail_out;
    int rc = BZ2_bzDecompress(&b);
    consumed += in_avail - b.avail_in;
    sink.commit(out_before - b.avail_out);
    if (rc == BZ_STREAM_END) {
      if (!more_streams(raw, consumed)) return;
      BZ2_bzDecompressEnd(&b);
      b = bz_stream{};
      if (BZ2_bzDecompressInit(&b, 0, 0) != BZ_OK) corrupt("bz2", consumed, "cannot restart");
      continue;
    }
    if (rc != BZ_OK) corrupt("bz2", consumed, str_cat("bzip2 error ", rc));
    if (consumed == raw.size() && out_before == b.avail_out)
      corrupt("bz2", consumed, "input ends early");
  }
}

void inflate_lzma(std::string_view raw, Sink& sink, std::string_view codec) {
  lzma_stream s = LZMA_STREAM_INIT;
  // The auto decoder reads both .xz and legacy .lzma ("alone") streams.
  if (lzma_auto_decoder(&s, std::max<std::uint64_t>(sink.decoder_memory(), 1), LZMA_CONCATENATED) !=
      LZMA_OK) {
    corrupt(codec, 0, "cannot initialise liblzma");
  }
  std::unique_ptr<lzma_stream, void (*)(lzma_stream*)> guard(&s, lzma_end);
  s.next_in = reinterpret_cast<const std::uint8_t*>(raw.data());
  s.avail_in = raw.size();
  for (;;) {
    auto [out, room] = sink.room();
    s.next_out = reinterpret_cast<std::uint8_t*>(out);
    s.avail_out = room;
    std::size_t out_before = s.avail_out;
    lzma_ret rc = lzma_code(&s, s.avail_in == 0 ? LZMA_FINISH : LZMA_RUN);
    sink.commit(out_before - s.avail_out);
    if (rc == LZMA_STREAM_END) {
      if (s.avail_in != 0)
        corrupt(codec, raw.size() - s.avail_in, "trailing data after the stream");
      return;
    }
    if (rc == LZMA_MEMLIMIT_ERROR) sink.decoder_too_big(lzma_memusage(&s), raw.size() - s.avail_in);
    if (rc != LZMA_OK) {
      corrupt(codec, raw.size() - s.avail_in,
              rc == LZMA_DATA_ERROR || rc == LZMA_FORMAT_ERROR ? "bad data"
              : rc == LZMA_BUF_ERROR                           ? "input ends early"
                                     : str_cat("liblzma error ", static_cast<int>(rc)));
    }
  }
}

void inflate_lz4(std::string_view raw, Sink& sink) {
  LZ4F_dctx* dctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION))) {
    corrupt("lz4", 0, "cannot initialise lz4");
  }
  std::unique_ptr<LZ4F_dctx, LZ4F_errorCode_t (*)(LZ4F_dctx*)> guard(dctx,
                                                                     LZ4F_freeDecompressionContext);
  std::uint64_t consumed = 0;
  std::size_t hint = 1;
  while (consumed < raw.size()) {
    auto [out, room] = sink.room();
    std::size_t out_size = room;
    std::size_t in_size = raw.size() - consumed;
    hint = LZ4F_decompress(dctx, out, &out_size, raw.data() + consumed, &in_size, nullptr);
    if (LZ4F_isError(hint)) corrupt("lz4", consumed, LZ4F_getErrorName(hint));
    consumed += in_size;
    sink.commit(out_size);
    if (in_size == 0 && out_size == 0) corrupt("lz4", consumed, "no progress");
  }
  // hint == 0 once a frame is complete; anything else means it was cut short.
  for (;;) {
    if (hint == 0) return;
    auto [out, room] = sink.room();
    std::size_t out_size = room;
    std::size_t in_size = 0;
    hint = LZ4F_decompress(dctx, out, &out_size, nullptr, &in_size, nullptr);
    if (LZ4F_isError(hint)) corrupt("lz4", consumed, LZ4F_getErrorName(hint));
    sink.commit(out_size);
    if (out_size == 0 && hint != 0) corrupt("lz4", consumed, "input ends early");
  }
}

void inflate_zstd(std::string_view raw, Sink& sink) {
  ZSTD_DStream* z = ZSTD_createDStream();
  if (z == nullptr) corrupt("zstd", 0, "cannot initialise zstd");
  std::unique_ptr<ZSTD_DStream, std::size_t (*)(ZSTD_DStream*)> guard(z, ZSTD_freeDStream);
  // zstd's own default (2^27) already bounds the window; ours may lower it.
  int window_log = 10;
  while (window_log < 31 && (std::uint64_t{2} << window_log) <= sink.decoder_memory()) ++window_log;
  ZSTD_DCtx_setParameter(z, ZSTD_d_windowLogMax, window_log);
  ZSTD_inBuffer in{raw.data(), raw.size(), 0};
  std::size_t rc = 1;
  while (in.pos < in.size || rc != 0) {
    auto [out, room] = sink.room();
    ZSTD_outBuffer ob{out, room, 0};
    std::size_t in_before = in.pos;
    rc = ZSTD_decompressStream(z, &ob, &in);
    if (ZSTD_getErrorCode(rc) == ZSTD_error_frameParameter_windowTooLarge) {
      sink.decoder_too_big(0, in.pos);  // zstd's stable API does not say how much
    }
    if (ZSTD_isError(rc)) corrupt("zstd", in.pos, ZSTD_getErrorName(rc));
    sink.commit(ob.pos);
    if (ob.pos == 0 && in.pos == in_before && rc != 0) corrupt("zstd", in.pos, "input ends early");
  }
}

// joblib < 0.10: "ZF" + hex length padded to 19 characters, then zlib data.
void inflate_zfile(std::string_view raw, Sink& sink, Buffer& out) {
  constexpr std::size_t kHeader = 2 + 19;
  if (raw.size() < kHeader) corrupt("zfile", 0, "header is cut short");
  std::string_view hex = raw.substr(4, kHeader - 4);
  while (!hex.empty() && hex.back() == ' ') hex.remove_suffix(1);
  std::uint64_t declared = 0;
  auto res = std::from_chars(hex.data(), hex.data() + hex.size(), declared, 16);
  if (res.ec != std::errc() || res.ptr != hex.data() + hex.size()) {
    corrupt("zfile", 2, "bad length in header");
  }
  // Python 2 joblib (<= 0.8.4) wrote one more space before the data.
  std::size_t start = kHeader;
  while (start < raw.size() && raw[start] == ' ') ++start;
  inflate_zlib(raw.substr(start), sink, "zfile");
  if (out.size() != declared) {
    corrupt("zfile", start,
            str_cat("header declares ", declared, " bytes, data inflates to ", out.size()));
  }
}

}  // namespace

Stream open_stream(std::string_view raw, const Limits& limits) {
  Stream s;
  s.compression = detect_compression(raw.substr(0, 16));
  if (s.compression == Compression::kNone) {
    s.data = raw;
    return s;
  }
  std::string_view codec = compression_name(s.compression);
  s.owned = Buffer::growable(
      std::min<std::uint64_t>(raw.size() * 4 + 4096, limits.max_decompressed_bytes + 1));
  Sink sink(s.owned, limits, codec);
  switch (s.compression) {
  case Compression::kZlib:
  case Compression::kGzip: inflate_zlib(raw, sink, codec); break;
  case Compression::kBz2: inflate_bz2(raw, sink); break;
  case Compression::kLzma:
  case Compression::kXz: inflate_lzma(raw, sink, codec); break;
  case Compression::kLz4: inflate_lz4(raw, sink); break;
  case Compression::kZstd: inflate_zstd(raw, sink); break;
  case Compression::kZFile: inflate_zfile(raw, sink, s.owned); break;
  case Compression::kNone: break;
  }
  s.owned.shrink();
  s.data = s.owned.view();
  return s;
}

}  // namespace depickle::io
