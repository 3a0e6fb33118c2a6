#pragma once
// Minimal string concatenation for messages (no iostreams, no format library).

#include <charconv>
#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>

namespace depickle {

namespace detail {
inline void append(std::string& out, std::string_view s) {
  out.append(s);
}
inline void append(std::string& out, const char* s) {
  out.append(s);
}
inline void append(std::string& out, const std::string& s) {
  out.append(s);
}
inline void append(std::string& out, char c) {
  out.push_back(c);
}
template <typename T>
requires(std::is_arithmetic_v<T> && !std::same_as<T, char> &&
         !std::same_as<T, bool>) void append(std::string& out, T v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}
inline void append(std::string& out, bool b) {
  out.append(b ? "true" : "false");
}
}  // namespace detail

template <typename... Args>
std::string str_cat(const Args&... args) {
  std::string out;
  (detail::append(out, args), ...);
  return out;
}

/// `text` with control characters (and DEL) written as \xNN and cut at
/// `max_len` bytes with an ellipsis, for one-line messages. UTF-8 passes.
std::string printable(std::string_view text, std::size_t max_len);

/// Renders bytes as a Python-like quoted literal for messages: 'abc\x00'.
/// Long strings are cut at `max_len` bytes with an ellipsis.
std::string quoted(std::string_view bytes, std::size_t max_len = 80);

}  // namespace depickle
