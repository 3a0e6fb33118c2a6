#pragma once
// Tight limits for fuzzing: small enough that no input can make a target use
// much memory or time, large enough to reach every code path.
#include "depickle.h"

namespace depickle::fuzz {

inline const Limits& limits() {
  static const Limits kLimits = [] {
    Limits l;
    l.max_decompressed_bytes = 8 << 20;
    l.max_decoder_bytes = 16 << 20;
    l.max_opcodes = 1 << 20;
    l.max_stack = 1 << 16;
    l.max_marks = 1 << 12;
    l.max_memo = 1 << 16;
    l.max_string_bytes = 8 << 20;
    l.max_int_bytes = 256;
    l.max_array_bytes = 8 << 20;
    l.max_array_elements = 1 << 20;
    l.max_alloc_bytes = 64 << 20;
    l.max_nesting = 200;
    l.max_tree_nodes = 1 << 16;
    l.max_key_work = 1 << 20;
    return l;
  }();
  return kLimits;
}

}  // namespace depickle::fuzz
