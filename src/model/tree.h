#pragma once
// Decision trees as views into the pickle's own arrays. A large forest holds
// millions of nodes; reading them in place (no copies, one pass when writing)
// keeps conversion close to the cost of reading the file.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "pickle/value.h"

namespace depickle::model {

/// A numeric column read in place: element i lives at base + i * stride and
/// has numpy dtype `type` (any integer/float/bool dtype and byte order).
class Column {
 public:
  Column() = default;
  Column(const char* base, std::size_t stride, const pickle::Dtype& type);

  [[nodiscard]] bool empty() const { return base_ == nullptr; }
  // Inline fast paths for the layouts scikit-learn writes (native int64 and
  // float64, uint32/uint8 in HistGradientBoosting records).
  [[nodiscard]] std::int64_t i64(std::size_t i) const {
    const char* p = base_ + i * stride_;
    switch (layout_) {
    case Layout::kInt64: {
      std::int64_t v;
      std::memcpy(&v, p, 8);
      return v;
    }
    case Layout::kUint32: {
      std::uint32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
    case Layout::kUint8: return static_cast<unsigned char>(*p);
    default: return any_int(p);
    }
  }
  [[nodiscard]] double f64(std::size_t i) const {
    const char* p = base_ + i * stride_;
    if (layout_ == Layout::kFloat64) {
      double v;
      std::memcpy(&v, p, 8);
      return v;
    }
    return any_double(p);
  }

 private:
  enum class Layout : std::uint8_t { kOther, kInt64, kUint32, kUint8, kFloat64 };
  [[nodiscard]] std::int64_t any_int(const char* p) const;
  [[nodiscard]] double any_double(const char* p) const;

  const char* base_ = nullptr;
  std::size_t stride_ = 0;
  const pickle::Dtype* type_ = nullptr;
  Layout layout_ = Layout::kOther;
};

/// One decision tree: node i splits on feature(i) (x <= threshold(i) goes to
/// left(i), else right(i)) unless it is a leaf. Leaf values are rows of
/// `value` (value_cols per node, the first `used_cols` taken), multiplied by
/// `scale`, and divided by their sum when `normalize` (class counts or
/// fractions to probabilities).
struct Tree {
  std::int64_t nodes = 0;
  Column left, right, feature, threshold;
  Column missing_left;  // NaN goes left where non-zero; empty: NaN goes right
  Column is_leaf;       // leaves flagged (HistGradientBoosting); empty: left == -1 marks them
  Column value;         // node-major leaf values
  std::int64_t value_cols = 1;
  std::int64_t used_cols = 1;
  double scale = 1.0;
  bool normalize = false;
  std::vector<char> storage;  // owned bytes for columns that could not be viewed in place

  [[nodiscard]] bool leaf(std::int64_t i) const {
    return is_leaf.empty() ? left.i64(static_cast<std::size_t>(i)) == -1
                           : is_leaf.i64(static_cast<std::size_t>(i)) != 0;
  }
  /// The leaf values of node i for targets 0..used_cols-1, into `out`.
  void leaf_values(std::int64_t i, double* out) const;
};

}  // namespace depickle::model
