#pragma once
// Native interpretations of numpy's pickle reconstructors: dtype, ndarray
// (_reconstruct + __setstate__, protocol 5 _frombuffer) and scalars. They read
// the pickled arguments as data and build Dtype/NdArray/Scalar values; array
// bytes stay views into the input whenever the pickle stores them raw.

#include <cstdint>
#include <string_view>

#include "depickle.h"
#include "pickle/arena.h"
#include "pickle/value.h"

namespace depickle::pickle::numpy {

/// numpy.dtype(spec, align, copy): the dtype before its BUILD state.
Dtype* make_dtype(Arena& arena, const Seq& args, std::uint64_t offset);

/// dtype.__setstate__(state): byte order, fields, subarray, sizes, datetime unit.
void dtype_setstate(Arena& arena, Dtype& dtype, Value* state);

/// numpy.core.multiarray._reconstruct(subtype, shape, typecode).
NdArray* reconstruct(Arena& arena, const Seq& args, std::uint64_t offset);

/// ndarray.__setstate__((version, shape, dtype, is_fortran, data)).
void ndarray_setstate(Arena& arena, const Limits& limits, NdArray& array, Value* state);

/// numpy.core.numeric._frombuffer(buffer, dtype, shape, order[, axis_order]).
NdArray* frombuffer(Arena& arena, const Limits& limits, const Seq& args, std::uint64_t offset);

/// numpy.core.multiarray.scalar(dtype, data).
Scalar* make_scalar(Arena& arena, const Seq& args, std::uint64_t offset);

/// Checks a shape tuple and returns the element count; errors name `what`.
std::uint64_t checked_shape(const Limits& limits, const Value* shape,
                            std::pmr::vector<std::uint64_t>& out, std::string_view what);

/// Bytes of `count` elements of `dtype`, checked against the limits.
std::uint64_t checked_bytes(const Limits& limits, std::uint64_t count, const Dtype& dtype);

/// Raw bytes of array data given as bytes, a latin-1 str or a UTF-8 str
/// (Python 2 pickles and protocol 2 via _codecs.encode).
std::string_view raw_bytes(Arena& arena, Value* data, std::string_view what);

/// A parsed .npy file (joblib < 0.10 sidecars): the array, or for object
/// arrays the offset where the pickle of the array starts.
struct NpyFile {
  NdArray* array = nullptr;
  std::size_t pickle_offset = 0;
};
NpyFile parse_npy(Arena& arena, const Limits& limits, std::string_view bytes,
                  std::string_view name);

/// A dtype from numpy's array-interface description: "<f8", "|S3", "<M8[ns]",
/// or a list of (name, type[, shape]) tuples, as .npy headers write them.
Dtype* dtype_from_descr(Arena& arena, const Value* descr, int depth = 0);

}  // namespace depickle::pickle::numpy
