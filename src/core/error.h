#pragma once
// Raising depickle::Error (defined in the public header depickle.h): fail()
// and DEPICKLE_CHECK.

#include "core/str_cat.h"
#include "depickle.h"

namespace depickle {

/// Throws Error(code, str_cat(subject...)) — for the common case with no detail.
template <typename... Args>
[[noreturn]] void fail(ErrorCode code, const Args&... subject) {
  throw Error(code, str_cat(subject...));
}

}  // namespace depickle

/// Checks `cond`; on failure throws depickle::Error(code, str_cat(subject...)).
/// The message is built only on failure.
#define DEPICKLE_CHECK(cond, code, ...)      \
  do {                                       \
    if (!(cond)) [[unlikely]] {              \
      ::depickle::fail((code), __VA_ARGS__); \
    }                                        \
  } while (false)
