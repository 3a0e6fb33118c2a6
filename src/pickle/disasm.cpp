#include "pickle/disasm.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "core/bits.h"
#include "core/str_cat.h"
#include "pickle/text.h"

namespace depickle::pickle {

namespace {

constexpr std::size_t kMaxShown = 120;  // longer strings are cut in the listing

template <typename T>
T le(std::string_view s) {
  T v{};
  std::memcpy(&v, s.data(), std::min(sizeof(T), s.size()));
  return v;
}

std::string rendered_int(const PyInt& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return str_cat(*i);
  return std::get<std::string>(v);
}

std::string sized(std::string_view payload, std::size_t header) {
  std::string out = quoted(payload.substr(header), kMaxShown);
  if (payload.size() - header > kMaxShown) out += str_cat(" (", payload.size() - header, " bytes)");
  return out;
}

// "     123: ", like pickletools.
std::string offset_column(std::uint64_t offset) {
  std::string n = str_cat(offset);
  return str_cat(std::string(n.size() < 8 ? 8 - n.size() : 0, ' '), n, ": ");
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

}  // namespace

std::string render_argument(ArgKind kind, std::string_view arg) {
  switch (kind) {
  case ArgKind::kNoArg: return {};
  case ArgKind::kUint1: return str_cat(static_cast<unsigned>(le<std::uint8_t>(arg)));
  case ArgKind::kUint2: return str_cat(le<std::uint16_t>(arg));
  case ArgKind::kInt4: return str_cat(le<std::int32_t>(arg));
  case ArgKind::kUint4: return str_cat(le<std::uint32_t>(arg));
  case ArgKind::kUint8: return str_cat(le<std::uint64_t>(arg));
  case ArgKind::kFloat8: {
    auto bits = depickle::byteswap(le<std::uint64_t>(arg));
    return str_cat(std::bit_cast<double>(bits));
  }
  case ArgKind::kLong1: return rendered_int(int_from_le_bytes(arg.substr(1)));
  case ArgKind::kLong4: return rendered_int(int_from_le_bytes(arg.substr(4)));
  case ArgKind::kString1:
  case ArgKind::kBytes1:
  case ArgKind::kUnicode1: return sized(arg, 1);
  case ArgKind::kString4:
  case ArgKind::kBytes4:
  case ArgKind::kUnicode4: return sized(arg, 4);
  case ArgKind::kBytes8:
  case ArgKind::kUnicode8: return sized(arg, 8);
  case ArgKind::kDecimalNLShort:
  case ArgKind::kDecimalNLLong:
  case ArgKind::kFloatNL:
  case ArgKind::kStringNL:
  case ArgKind::kUnicodeNL:
  case ArgKind::kStringNLNoescape: {
    std::string_view line = arg.substr(0, arg.find('\n'));
    return kind == ArgKind::kStringNL ? std::string(line.substr(0, kMaxShown))
                                      : quoted(line, kMaxShown);
  }
  case ArgKind::kStringNLNoescapePair: {
    std::size_t nl = arg.find('\n');
    std::string_view module = arg.substr(0, nl);
    std::string_view name = nl == std::string_view::npos ? std::string_view() : arg.substr(nl + 1);
    if (!name.empty() && name.back() == '\n') name.remove_suffix(1);
    return quoted(str_cat(module, " ", name), kMaxShown);
  }
  }
  return {};
}

void Disassembler::opcode(std::uint64_t offset, Op op, std::string_view arg, std::size_t depth) {
  auto byte = static_cast<std::uint8_t>(op);
  auto info = op_info(byte);
  std::string code = byte >= 0x20 && byte < 0x7f ? std::string(1, static_cast<char>(byte))
                                                 : str_cat("\\x", "0123456789abcdef"[byte >> 4],
                                                           "0123456789abcdef"[byte & 15]);
  std::string line = offset_column(offset);
  line += std::string(static_cast<std::size_t>(nesting_) * 2, ' ');
  line += pad(code, 5);
  line += std::string(std::min<std::size_t>(depth, 40) * 4, ' ');
  std::string rendered = info ? render_argument(info->arg, arg) : std::string();
  std::string_view name = info ? info->name : std::string_view("?");
  line += rendered.empty() ? std::string(name) : str_cat(pad(std::string(name), 10), " ", rendered);
  text_ += line;
  text_ += '\n';
}

void Disassembler::raw_data(std::uint64_t offset, std::uint64_t length, std::string_view what) {
  text_ += str_cat(offset_column(offset), "[", what, "; ", length,
                   " bytes outside the opcode stream, read by joblib]\n");
}

void Disassembler::nested(bool begin, std::uint64_t offset) {
  if (begin) {
    text_ += str_cat(offset_column(offset), "[a nested pickle begins (joblib object array)]\n");
    ++nesting_;
  } else {
    --nesting_;
    text_ += str_cat(offset_column(offset), "[the nested pickle ends]\n");
  }
}

}  // namespace depickle::pickle
