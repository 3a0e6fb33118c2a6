#include "pickle/text.h"

#include <catch2/catch.hpp>

#include "depickle.h"

using namespace depickle::pickle;  // NOLINT(google-build-using-namespace): test file

TEST_CASE("decimal ints beyond int64 keep their digits", "[text]") {
  CHECK(std::get<std::int64_t>(parse_decimal("-12")) == -12);
  CHECK(std::get<std::int64_t>(parse_decimal("12L")) == 12);
  CHECK(std::get<std::string>(parse_decimal("123456789012345678901234567890")) ==
        "123456789012345678901234567890");
  CHECK(std::get<std::string>(parse_decimal("-000099999999999999999999")) ==
        "-99999999999999999999");
  CHECK_THROWS_AS(parse_decimal("12x"), depickle::Error);
  CHECK_THROWS_AS(parse_decimal(""), depickle::Error);
}

TEST_CASE("LONG1/LONG4 two's complement", "[text]") {
  CHECK(std::get<std::int64_t>(int_from_le_bytes("")) == 0);
  CHECK(std::get<std::int64_t>(int_from_le_bytes("\xff")) == -1);
  CHECK(std::get<std::int64_t>(int_from_le_bytes(std::string("\x00\x80", 2))) == -32768);
  CHECK(std::get<std::int64_t>(int_from_le_bytes(std::string("\x00\x80\x00", 3))) == 32768);
  CHECK(std::get<std::int64_t>(
            int_from_le_bytes(std::string("\x00\x00\x00\x00\x00\x00\x00\x80", 8))) == INT64_MIN);
  // 2**64 and -(2**64) need 9 bytes.
  CHECK(std::get<std::string>(int_from_le_bytes(
            std::string("\x00\x00\x00\x00\x00\x00\x00\x00\x01", 9))) == "18446744073709551616");
  CHECK(std::get<std::string>(int_from_le_bytes(
            std::string("\x00\x00\x00\x00\x00\x00\x00\x00\xff", 9))) == "-18446744073709551616");
  // A non-minimal 9-byte encoding of -1 still fits int64.
  CHECK(std::get<std::int64_t>(int_from_le_bytes(std::string(9, '\xff'))) == -1);
}

TEST_CASE("UTF-8 validation accepts surrogates as pickle writes them", "[text]") {
  CHECK_FALSE(find_invalid_utf8("plain ascii"));
  CHECK_FALSE(find_invalid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  CHECK_FALSE(find_invalid_utf8("\xed\xa0\x80"));  // U+D800 via surrogatepass
  CHECK(find_invalid_utf8("ab\xff") == 2u);
  CHECK(find_invalid_utf8("\xc0\x80") == 0u);          // overlong
  CHECK(find_invalid_utf8("x\xe2\x82") == 1u);         // cut short
  CHECK(find_invalid_utf8("\xf4\x90\x80\x80") == 0u);  // beyond U+10FFFF
}

TEST_CASE("protocol 0 text decoders", "[text]") {
  CHECK(decode_raw_unicode_escape("\\u00e9\\U0001f600") == "\xc3\xa9\xf0\x9f\x98\x80");
  CHECK(decode_raw_unicode_escape("\xe9") == "\xc3\xa9");  // a raw byte is a latin-1 code point
  CHECK(decode_raw_unicode_escape("a\\\\u0041") == "a\\\\u0041");  // even run: no escape
  CHECK(decode_string_literal("'a\\nb\\x00\\''") == std::string("a\nb\0'", 5));
  CHECK(decode_string_literal("\"\\101\\q\"") == "A\\q");  // octal; unknown escapes kept
  CHECK_THROWS_AS(decode_string_literal("'unterminated"), depickle::Error);
  CHECK(encode_latin1("\xc3\xa9x") == "\xe9x");
  CHECK_THROWS_AS(encode_latin1("\xe2\x82\xac"), depickle::Error);
  CHECK(parse_float_text("nan") != parse_float_text("nan"));
  CHECK(parse_float_text("-inf") < -1e308);
  CHECK(parse_float_text("1e400") > 1e308);  // Python's float() overflows to inf
  CHECK_THROWS_AS(parse_float_text("1.5x"), depickle::Error);
}
