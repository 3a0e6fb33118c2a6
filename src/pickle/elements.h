#pragma once
// Reading ndarray elements from their raw bytes: C-order traversal of C- or
// Fortran-ordered data, byte swapping, and conversion to double/int64. The
// data may be unaligned (pickle strings start anywhere), so every read is a
// memcpy.

#include <bit>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/bits.h"
#include "pickle/value.h"

namespace depickle::pickle {

/// Calls fn(const char* element) for every element in C (row-major) order.
template <typename Fn>
void for_each_element(const NdArray& a, Fn fn) {
  std::uint64_t n = a.size();
  std::uint64_t item = a.dtype->itemsize;
  const char* base = a.data.data();
  if (!a.fortran || a.shape.size() < 2) {
    for (std::uint64_t i = 0; i < n; ++i) fn(base + i * item);
    return;
  }
  std::size_t nd = a.shape.size();
  std::vector<std::uint64_t> stride(nd);  // Fortran strides in bytes
  std::uint64_t s = item;
  for (std::size_t d = 0; d < nd; ++d) {
    stride[d] = s;
    s *= a.shape[d];
  }
  std::vector<std::uint64_t> idx(nd, 0);
  std::uint64_t off = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    fn(base + off);
    for (std::size_t d = nd; d-- > 0;) {  // odometer, last index fastest
      if (++idx[d] < a.shape[d]) {
        off += stride[d];
        break;
      }
      off -= stride[d] * (a.shape[d] - 1);
      idx[d] = 0;
    }
  }
}

template <typename T>
T load_as(const char* p, bool swap) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  if (swap) {
    if constexpr (sizeof(T) == 1 || sizeof(T) > 8) {
      return v;  // no byte order / extended precision read natively
    } else {
      using U =
          std::conditional_t<sizeof(T) == 2, std::uint16_t,
                             std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>;
      U u = depickle::byteswap(std::bit_cast<U>(v));
      v = std::bit_cast<T>(u);
    }
  }
  return v;
}

/// IEEE half to float (exact).
float half_to_float(std::uint16_t h);

/// Element value of a numeric (b/i/u/f) dtype as double; nullopt-free: the
/// caller checks the kind first.
double element_as_double(const Dtype& d, const char* p);
/// Element value of an integer or bool dtype as int64 (uint64 beyond int64
/// range wraps; callers that care check the kind).
std::int64_t element_as_int(const Dtype& d, const char* p);

}  // namespace depickle::pickle
