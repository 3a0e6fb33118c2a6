#include "core/cursor.h"

#include <catch2/catch.hpp>

using depickle::Cursor;
using depickle::ErrorCode;

namespace {
ErrorCode code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const depickle::Error& e) {
    return e.code();
  }
  FAIL("no error");
  return ErrorCode::kInternal;
}
}  // namespace

TEST_CASE("reads are bounds-checked", "[cursor]") {
  Cursor c(std::string_view("\x01\x02\x03", 3));
  CHECK(c.read_u8() == 1);
  CHECK(c.read_le<std::uint16_t>() == 0x0302);
  CHECK(c.at_end());
  CHECK(code_of([&] { c.read_u8(); }) == ErrorCode::kTruncated);
}

TEST_CASE("frames: no read may cross a frame's end", "[cursor]") {
  std::string data = "abcdefgh";
  Cursor c(data);
  c.begin_frame(3);
  CHECK(c.read_bytes(2) == "ab");
  CHECK(code_of([&] { c.read_bytes(2); }) == ErrorCode::kMalformed);  // 1 byte left in the frame
  CHECK(c.read_u8() == 'c');
  CHECK(c.read_bytes(2) == "de");  // the frame is used up: reads continue in the stream
}

TEST_CASE("frames: a new frame may not start inside one", "[cursor]") {
  std::string data = "abcdefgh";
  Cursor c(data);
  c.begin_frame(4);
  c.read_u8();
  CHECK(code_of([&] { c.begin_frame(2); }) == ErrorCode::kMalformed);
  Cursor d(data);
  CHECK(code_of([&] { d.begin_frame(100); }) == ErrorCode::kTruncated);
}

TEST_CASE("frames: lines and joblib data respect frame ends", "[cursor]") {
  std::string data = "ab\ncd\nrest";
  Cursor c(data);
  c.begin_frame(4);
  CHECK(c.read_line() == "ab");
  CHECK(code_of([&] { c.read_line(); }) == ErrorCode::kMalformed);  // "c" then the frame ends
  Cursor d(data);
  d.begin_frame(4);
  CHECK(code_of([&] { d.require_frame_done("data"); }) == ErrorCode::kMalformed);
  d.read_bytes(4);
  d.require_frame_done("data");
  CHECK(d.read_bytes(2) == "d\n");
}
