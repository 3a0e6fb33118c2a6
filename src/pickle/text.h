#pragma once
// Decoders for the textual and integer encodings inside pickle opcodes.
// All are pure functions over bytes; failures throw Error(kMalformed).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace depickle::pickle {

/// Appends code point `cp` (at most U+10FFFF) to `out` as UTF-8.
void append_utf8(std::string& out, std::uint32_t cp);

/// Index of the first byte that is not valid UTF-8, or nullopt. Surrogate
/// code points (ED A0..BF xx) are accepted: pickle writes str with
/// 'surrogatepass'.
std::optional<std::size_t> find_invalid_utf8(std::string_view s);

/// UNICODE opcode argument: Python's 'raw-unicode-escape' (\uXXXX, \UXXXXXXXX,
/// other bytes are latin-1 code points) to UTF-8.
std::string decode_raw_unicode_escape(std::string_view s);

/// STRING opcode argument: a quoted Python 2 str literal ('...' or "...") with
/// escapes, to its raw bytes (codecs.escape_decode).
std::string decode_string_literal(std::string_view s);

/// Encodes UTF-8 text to latin-1 bytes (_codecs.encode(s, 'latin1')); every
/// code point must be below 256.
std::string encode_latin1(std::string_view utf8);

/// A Python int: int64 when it fits, else its decimal digits with sign.
using PyInt = std::variant<std::int64_t, std::string>;

/// Decimal text as written by INT/LONG/GET/PUT ("-12", "12L", "01").
PyInt parse_decimal(std::string_view text);

/// Little-endian two's complement bytes as written by LONG1/LONG4.
PyInt int_from_le_bytes(std::string_view bytes);

/// FLOAT opcode text: repr of a float ("1.5", "nan", "-inf", "1e+300").
double parse_float_text(std::string_view text);

}  // namespace depickle::pickle
