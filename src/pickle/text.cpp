#include "pickle/text.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/error.h"

namespace depickle::pickle {

namespace {

[[noreturn]] void bad(std::string detail) {
  throw Error(ErrorCode::kMalformed, "", std::move(detail));
}

}  // namespace

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decimal digits of an unsigned magnitude held as little-endian 32-bit limbs.
std::string limbs_to_decimal(std::vector<std::uint32_t> limbs, bool negative) {
  std::string digits;
  while (!limbs.empty()) {
    std::uint64_t rem = 0;
    for (std::size_t i = limbs.size(); i-- > 0;) {
      std::uint64_t cur = (rem << 32) | limbs[i];
      limbs[i] = static_cast<std::uint32_t>(cur / 1000000000);
      rem = cur % 1000000000;
    }
    while (!limbs.empty() && limbs.back() == 0) limbs.pop_back();
    for (int k = 0; k < 9; ++k) {
      digits += static_cast<char>('0' + rem % 10);
      rem /= 10;
      if (limbs.empty() && rem == 0) break;
    }
  }
  if (digits.empty()) digits = "0";
  if (negative) digits += '-';
  return {digits.rbegin(), digits.rend()};
}

}  // namespace

std::optional<std::size_t> find_invalid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    // ASCII fast path, 8 bytes at a time.
    while (i + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      if ((w & 0x8080808080808080ULL) != 0) break;
      i += 8;
    }
    if (i >= n) break;
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return i;
    i += len;
  }
  return std::nullopt;
}

std::string decode_raw_unicode_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    // Only \u and \U escapes exist, and only after an odd run of backslashes.
    if (c == '\\' && i + 1 < s.size() && (s[i + 1] == 'u' || s[i + 1] == 'U')) {
      std::size_t digits = s[i + 1] == 'u' ? 4 : 8;
      if (i + 2 + digits > s.size()) bad("truncated \\u escape in UNICODE argument");
      std::uint32_t cp = 0;
      for (std::size_t k = 0; k < digits; ++k) {
        int h = hex_value(s[i + 2 + k]);
        if (h < 0) bad("bad \\u escape in UNICODE argument");
        cp = (cp << 4) | static_cast<std::uint32_t>(h);
      }
      if (cp > 0x10FFFF) bad("\\U escape beyond U+10FFFF in UNICODE argument");
      append_utf8(out, cp);
      i += 1 + digits;
    } else if (c == '\\') {
      // A backslash not starting an escape; a run of them is copied as is,
      // and "\\\\u" (even run) is not an escape.
      std::size_t j = i;
      while (j < s.size() && s[j] == '\\') ++j;
      std::size_t run = j - i;
      bool escape_follows = j < s.size() && (s[j] == 'u' || s[j] == 'U') && run % 2 == 1;
      std::size_t copy = escape_follows ? run - 1 : run;
      out.append(copy, '\\');
      i += copy - 1;
    } else {
      append_utf8(out, c);
    }
  }
  return out;
}

std::string decode_string_literal(std::string_view s) {
  if (s.size() < 2 || (s.front() != '\'' && s.front() != '"') || s.back() != s.front()) {
    bad("STRING argument is not a quoted literal");
  }
  s = s.substr(1, s.size() - 2);
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i == s.size()) bad("STRING argument ends with a backslash");
    char e = s[i];
    switch (e) {
    case '\n': break;
    case '\\': out += '\\'; break;
    case '\'': out += '\''; break;
    case '"': out += '"'; break;
    case 'a': out += '\a'; break;
    case 'b': out += '\b'; break;
    case 'f': out += '\f'; break;
    case 'n': out += '\n'; break;
    case 'r': out += '\r'; break;
    case 't': out += '\t'; break;
    case 'v': out += '\v'; break;
    case 'x': {
      int hi = i + 1 < s.size() ? hex_value(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) bad("bad \\x escape in STRING argument");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
      break;
    }
    default:
      if (e >= '0' && e <= '7') {
        int v = e - '0';
        for (int k = 0; k < 2 && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7'; ++k) {
          v = v * 8 + (s[++i] - '0');
        }
        out += static_cast<char>(v & 0xFF);
      } else {
        out += '\\';  // unknown escapes stay as written
        out += e;
      }
    }
  }
  return out;
}

std::string encode_latin1(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if ((c == 0xC2 || c == 0xC3) && i + 1 < utf8.size()) {
      out += static_cast<char>(((c & 0x1F) << 6) | (static_cast<unsigned char>(utf8[++i]) & 0x3F));
    } else {
      throw Error(ErrorCode::kMalformed, "_codecs.encode",
                  str_cat("character at position ", i, " is not latin-1"));
    }
  }
  return out;
}

PyInt parse_decimal(std::string_view text) {
  std::string_view t = text;
  if (!t.empty() && t.back() == 'L') t.remove_suffix(1);  // Python 2 long
  bool negative = false;
  std::string_view digits = t;
  if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) bad(str_cat("not a decimal integer: ", quoted(text)));
  for (char c : digits) {
    if (c < '0' || c > '9') bad(str_cat("not a decimal integer: ", quoted(text)));
  }
  std::int64_t v = 0;
  auto res = std::from_chars(t.data() + (t.front() == '+' ? 1 : 0), t.data() + t.size(), v);
  if (res.ec == std::errc() && res.ptr == t.data() + t.size()) return v;
  // Beyond int64: keep normalized decimal digits.
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  return str_cat(negative ? "-" : "", digits);
}

PyInt int_from_le_bytes(std::string_view bytes) {
  std::size_t n = bytes.size();
  if (n == 0) return std::int64_t{0};
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  bool negative = (p[n - 1] & 0x80) != 0;
  if (n <= 8) {
    std::uint64_t u = negative ? ~std::uint64_t{0} : 0;
    for (std::size_t i = 0; i < n; ++i) {
      u &= ~(std::uint64_t{0xFF} << (8 * i));
      u |= std::uint64_t{p[i]} << (8 * i);
    }
    return static_cast<std::int64_t>(u);
  }
  // Magnitude of the two's complement value, as 32-bit limbs.
  std::vector<std::uint32_t> limbs((n + 3) / 4, 0);
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char b = negative ? static_cast<unsigned char>(~p[i]) : p[i];
    limbs[i / 4] |= std::uint32_t{b} << (8 * (i % 4));
  }
  if (negative) {  // -(~x + 1) == magnitude ~x + 1
    for (auto& limb : limbs) {
      if (++limb != 0) break;
    }
  }
  while (!limbs.empty() && limbs.back() == 0) limbs.pop_back();
  // Fits int64 after all (non-minimal encodings)?
  if (limbs.size() <= 2) {
    std::uint64_t mag = limbs.empty() ? 0 : limbs[0];
    if (limbs.size() == 2) mag |= std::uint64_t{limbs[1]} << 32;
    if (!negative && mag <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return static_cast<std::int64_t>(mag);
    }
    if (negative && mag <= (std::uint64_t{1} << 63)) {
      return static_cast<std::int64_t>(0 - mag);
    }
  }
  return limbs_to_decimal(std::move(limbs), negative);
}

double parse_float_text(std::string_view text) {
  std::string_view t = text;
  while (!t.empty() && (t.back() == ' ' || t.back() == '\r')) t.remove_suffix(1);
  double v = 0;
  const char* begin = t.data();
  if (!t.empty() && t.front() == '+') ++begin;
  auto res = std::from_chars(begin, t.data() + t.size(), v);
  if (res.ec == std::errc::result_out_of_range) {
    // Python's float() rounds to +-inf or 0 rather than failing.
    bool neg = !t.empty() && t.front() == '-';
    bool big = t.find_first_of("eE") != std::string_view::npos &&
               t.find("e-") == std::string_view::npos && t.find("E-") == std::string_view::npos;
    return big ? (neg ? -HUGE_VAL : HUGE_VAL) : (neg ? -0.0 : 0.0);
  }
  if (res.ec != std::errc() || res.ptr != t.data() + t.size()) {
    bad(str_cat("not a float: ", quoted(text)));
  }
  return v;
}

}  // namespace depickle::pickle
