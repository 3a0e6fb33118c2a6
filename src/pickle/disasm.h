#pragma once
// A pickletools-style listing of the opcodes the VM runs (inspect --opcodes).

#include <string>

#include "pickle/machine.h"

namespace depickle::pickle {

class Disassembler : public Tracer {
 public:
  void opcode(std::uint64_t offset, Op op, std::string_view arg, std::size_t depth) override;
  void raw_data(std::uint64_t offset, std::uint64_t length, std::string_view what) override;
  void nested(bool begin, std::uint64_t offset) override;
  [[nodiscard]] std::string& text() { return text_; }

 private:
  std::string text_;
  int nesting_ = 0;
};

/// The argument of an opcode, rendered like pickletools does.
std::string render_argument(ArgKind kind, std::string_view arg);

}  // namespace depickle::pickle
