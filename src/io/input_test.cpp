// Containers: every joblib compression of the same fixture must inflate to
// exactly the bytes of the uncompressed joblib dump (real joblib files).

#include "io/input.h"

#include <zstd.h>

#include <catch2/catch.hpp>

#include "core/error.h"
#include "unit_support.h"

using namespace depickle;  // NOLINT(google-build-using-namespace): test file

using depickle::testing::fixture_path;
using depickle::testing::require_error;

TEST_CASE("magic bytes decide the container, not the extension", "[io]") {
  CHECK(io::detect_compression("\x80\x04\x95") == io::Compression::kNone);
  CHECK(io::detect_compression("x\x9c") == io::Compression::kZlib);
  CHECK(io::detect_compression("\x1f\x8b\x08") == io::Compression::kGzip);
  CHECK(io::detect_compression("BZh91AY&SY") == io::Compression::kBz2);
  CHECK(io::detect_compression("BZh9") == io::Compression::kNone);  // BINBYTES could start so
  CHECK(io::detect_compression(std::string("\x5d\x00\x00\x40\x00", 5)) == io::Compression::kLzma);
  CHECK(io::detect_compression("]q\x00") == io::Compression::kNone);  // EMPTY_LIST, BINPUT
  CHECK(io::detect_compression(std::string("\xfd"
                                           "7zXZ\x00",
                                           6)) == io::Compression::kXz);
  CHECK(io::detect_compression("\x04\x22\x4d\x18") == io::Compression::kLz4);
  CHECK(io::detect_compression("\x28\xb5\x2f\xfd") == io::Compression::kZstd);
  CHECK(io::detect_compression("(lp0") == io::Compression::kNone);  // MARK, protocol 0
  CHECK(io::detect_compression("ZF0x1a2b") == io::Compression::kZFile);
}

TEST_CASE("every joblib compression inflates to the uncompressed dump", "[io]") {
  Limits limits;
  io::RawInput plain = io::read_input(fixture_path("joblib_forest.joblib"), limits);
  for (const char* name : {"joblib_forest_zlib.joblib.z", "joblib_forest_gzip.joblib.gz",
                           "joblib_forest_bz2.joblib.bz2", "joblib_forest_lzma.joblib.lzma",
                           "joblib_forest_xz.joblib.xz", "joblib_forest_lz4.joblib.lz4",
                           "joblib_forest_zstd.joblib.zst"}) {
    INFO(name);
    io::RawInput raw = io::read_input(fixture_path(name), limits);
    io::Stream s = io::open_stream(raw.bytes.view(), limits);
    CHECK(s.compression != io::Compression::kNone);
    CHECK(s.data == plain.bytes.view());
  }
}

TEST_CASE("decompression stops at the cap and on corrupt or cut streams", "[io]") {
  Limits limits;
  for (const char* name :
       {"joblib_forest_zlib.joblib.z", "joblib_forest_bz2.joblib.bz2", "joblib_forest_xz.joblib.xz",
        "joblib_forest_lz4.joblib.lz4", "joblib_forest_zstd.joblib.zst",
        "joblib_forest_lzma.joblib.lzma", "joblib_forest_gzip.joblib.gz"}) {
    INFO(name);
    io::RawInput raw = io::read_input(fixture_path(name), limits);
    Limits small;
    small.max_decompressed_bytes = 1000;
    require_error([&] { (void)io::open_stream(raw.bytes.view(), small); }, ErrorCode::kLimit,
                  "max_decompressed_bytes", "no limit error");
    std::string_view cut = raw.bytes.view().substr(0, raw.bytes.size() * 2 / 3);
    try {
      (void)io::open_stream(cut, limits);
      FAIL("a stream cut short decompressed without error");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kMalformed);
      CHECK(e.offset().has_value());
    }
    std::string corrupt(raw.bytes.view());
    for (std::size_t i = corrupt.size() / 3; i < corrupt.size() / 3 + 64; ++i) corrupt[i] ^= 0x5a;
    try {
      io::Stream s = io::open_stream(corrupt, limits);
      // Some codecs have no checksum over every byte; then the damage must at
      // least show in the output.
      io::RawInput plain = io::read_input(fixture_path("joblib_forest.joblib"), limits);
      CHECK(s.data != plain.bytes.view());
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kMalformed);
    }
  }
}

TEST_CASE("decoder memory is bounded by the stream header before allocating", "[io]") {
  // 18 bytes found by the container fuzzer: a legacy .lzma header asking for
  // a 2 GiB dictionary. liblzma would allocate it before reading any data.
  const std::string huge_dictionary(
      "\x5d\x00\x00\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf7"
      "\x00\x00\x00",
      18);
  Limits limits;
  require_error([&] { (void)io::open_stream(huge_dictionary, limits); }, ErrorCode::kLimit,
                "max_decoder_bytes", "a 2 GiB dictionary was accepted");
  // zstd decodes a frame of known size straight into the output, without a
  // window; a streamed frame (size unknown, as from a pipe) needs the window.
  std::string content(1 << 16, 'x');
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7919 % 251);
  std::string streamed(ZSTD_compressBound(content.size()), '\0');
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  std::size_t n =
      ZSTD_compress2(cctx, streamed.data(), streamed.size(), content.data(), content.size());
  ZSTD_freeCCtx(cctx);
  REQUIRE_FALSE(ZSTD_isError(n));
  streamed.resize(n);
  REQUIRE(ZSTD_getFrameContentSize(streamed.data(), streamed.size()) == ZSTD_CONTENTSIZE_UNKNOWN);
  for (const char* name :
       {"joblib_forest_lzma.joblib.lzma", "joblib_forest_xz.joblib.xz", "streamed zstd"}) {
    INFO(name);
    std::string bytes = name == std::string("streamed zstd")
                            ? streamed
                            : std::string(io::read_input(fixture_path(name), limits).bytes.view());
    CHECK_NOTHROW(io::open_stream(bytes, limits));
    Limits tiny;
    tiny.max_decoder_bytes = 1024;
    require_error([&] { (void)io::open_stream(bytes, tiny); }, ErrorCode::kLimit,
                  "max_decoder_bytes", "no decoder memory limit error");
  }
}
