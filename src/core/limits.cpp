#include <array>

#include "depickle.h"

namespace depickle {

std::span<const LimitField> limit_fields() {
  static constexpr std::array<LimitField, 16> kFields = {{
      {"max_input_bytes", &Limits::max_input_bytes, "size of the input file or stdin"},
      {"max_decompressed_bytes", &Limits::max_decompressed_bytes,
       "size of a decompressed joblib/gzip/xz/... stream"},
      {"max_decoder_bytes", &Limits::max_decoder_bytes,
       "memory of one decompressor's dictionary or window"},
      {"max_opcodes", &Limits::max_opcodes, "pickle opcodes executed"},
      {"max_stack", &Limits::max_stack, "depth of the pickle value stack"},
      {"max_marks", &Limits::max_marks, "open MARKs"},
      {"max_memo", &Limits::max_memo, "highest memo index"},
      {"max_string_bytes", &Limits::max_string_bytes, "bytes of one str/bytes value"},
      {"max_int_bytes", &Limits::max_int_bytes, "bytes of one Python int"},
      {"max_array_bytes", &Limits::max_array_bytes, "bytes of one ndarray"},
      {"max_array_elements", &Limits::max_array_elements, "elements of one ndarray"},
      {"max_array_dims", &Limits::max_array_dims, "dimensions of one ndarray"},
      {"max_alloc_bytes", &Limits::max_alloc_bytes, "memory for the object graph and copies"},
      {"max_nesting", &Limits::max_nesting, "depth of nested values and nested pickles"},
      {"max_key_work", &Limits::max_key_work,
       "tuple elements visited hashing dict keys and set members"},
      {"max_tree_nodes", &Limits::max_tree_nodes, "nodes of one decision tree"},
  }};
  return kFields;
}

}  // namespace depickle
