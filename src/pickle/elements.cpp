#include "pickle/elements.h"

namespace depickle::pickle {

float half_to_float(std::uint16_t h) {
  std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000) << 16;
  std::uint32_t exp = (h >> 10) & 0x1F;
  std::uint32_t mant = h & 0x3FF;
  std::uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalize
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400) == 0);
      bits = sign | static_cast<std::uint32_t>(127 - 15 - e) << 23 | (mant & 0x3FF) << 13;
    }
  } else if (exp == 31) {
    bits = sign | 0x7F800000 | mant << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | mant << 13;
  }
  return std::bit_cast<float>(bits);
}

double element_as_double(const Dtype& d, const char* p) {
  bool swap = d.byteorder == '>';
  switch (d.kind) {
  case 'b': return p[0] != 0 ? 1.0 : 0.0;
  case 'f':
    switch (d.itemsize) {
    case 2: return half_to_float(load_as<std::uint16_t>(p, swap));
    case 4: return load_as<float>(p, swap);
    case 8: return load_as<double>(p, swap);
    default: return static_cast<double>(load_as<long double>(p, false));
    }
  case 'u':
    switch (d.itemsize) {
    case 1: return static_cast<double>(load_as<std::uint8_t>(p, swap));
    case 2: return static_cast<double>(load_as<std::uint16_t>(p, swap));
    case 4: return static_cast<double>(load_as<std::uint32_t>(p, swap));
    default: return static_cast<double>(load_as<std::uint64_t>(p, swap));
    }
  default: return static_cast<double>(element_as_int(d, p));
  }
}

std::int64_t element_as_int(const Dtype& d, const char* p) {
  bool swap = d.byteorder == '>';
  if (d.kind == 'b') return p[0] != 0 ? 1 : 0;
  if (d.kind == 'u') {
    switch (d.itemsize) {
    case 1: return load_as<std::uint8_t>(p, swap);
    case 2: return load_as<std::uint16_t>(p, swap);
    case 4: return load_as<std::uint32_t>(p, swap);
    default: return static_cast<std::int64_t>(load_as<std::uint64_t>(p, swap));
    }
  }
  switch (d.itemsize) {
  case 1: return load_as<std::int8_t>(p, swap);
  case 2: return load_as<std::int16_t>(p, swap);
  case 4: return load_as<std::int32_t>(p, swap);
  default: return load_as<std::int64_t>(p, swap);
  }
}

}  // namespace depickle::pickle
