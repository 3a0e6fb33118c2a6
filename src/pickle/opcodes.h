#pragma once
// Pickle opcodes (from opcodes.def): enum, names, argument kinds.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace depickle::pickle {

enum class ArgKind : std::uint8_t {
  kNoArg,
  kUint1,
  kUint2,
  kInt4,
  kUint4,
  kUint8,
  kFloat8,
  kLong1,
  kLong4,
  kString1,
  kString4,
  kBytes1,
  kBytes4,
  kBytes8,
  kUnicode1,
  kUnicode4,
  kUnicode8,
  kDecimalNLShort,
  kDecimalNLLong,
  kFloatNL,
  kStringNL,
  kUnicodeNL,
  kStringNLNoescape,
  kStringNLNoescapePair,
};

// NOLINTBEGIN(readability-identifier-naming): opcodes keep the pickletools spelling.
enum class Op : std::uint8_t {
#define DEPICKLE_OPCODE(name, byte, arg, proto) name = static_cast<std::uint8_t>(byte),
#include "pickle/opcodes.def"
#undef DEPICKLE_OPCODE
};
// NOLINTEND(readability-identifier-naming)

struct OpInfo {
  std::string_view name;
  ArgKind arg;
  std::uint8_t proto;
};

/// Information about an opcode byte, or nullopt if the byte is no opcode.
std::optional<OpInfo> op_info(std::uint8_t byte);

/// Number of opcodes known (for tests: every byte maps to one or none).
std::size_t opcode_count();

}  // namespace depickle::pickle
