#include "pickle/opcodes.h"

namespace depickle::pickle {

namespace {

struct Table {
  std::array<std::optional<OpInfo>, 256> by_byte{};
  std::size_t count = 0;
  constexpr Table() {
#define DEPICKLE_OPCODE(name, byte, arg, proto)                                  \
  by_byte[static_cast<std::uint8_t>(byte)] = OpInfo{#name, ArgKind::arg, proto}; \
  ++count;
#include "pickle/opcodes.def"
#undef DEPICKLE_OPCODE
  }
};

constexpr Table kTable;

}  // namespace

std::optional<OpInfo> op_info(std::uint8_t byte) {
  return kTable.by_byte[byte];
}

std::size_t opcode_count() {
  return kTable.count;
}

}  // namespace depickle::pickle
