#pragma once
// Typed, checked reading of scikit-learn objects from the inert object graph.
// Every accessor names what it expected and where (the object path, e.g.
// `steps[1].coef_`) when the pickle does not hold it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "pickle/value.h"

namespace depickle::sklearn {

/// Class labels of a classifier: integers or strings (classes_).
struct Labels {
  std::vector<std::int64_t> ints;
  std::vector<std::string> strings;
  [[nodiscard]] bool is_string() const { return !strings.empty(); }
  [[nodiscard]] std::size_t size() const { return is_string() ? strings.size() : ints.size(); }
};

/// A numeric ndarray read from the graph, with its path for messages.
class ArrayView {
 public:
  ArrayView(const pickle::NdArray& array, std::string path)
      : array_(&array), path_(std::move(path)) {}

  [[nodiscard]] const pickle::NdArray& raw() const { return *array_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::size_t ndim() const { return array_->shape.size(); }
  [[nodiscard]] std::uint64_t dim(std::size_t i) const { return array_->shape.at(i); }
  [[nodiscard]] std::uint64_t size() const { return array_->size(); }
  [[nodiscard]] char kind() const { return array_->dtype->kind; }

  /// Elements as double in C order (bool/int/uint/float dtypes).
  [[nodiscard]] std::vector<double> doubles() const;
  /// Elements as int64 in C order (bool/int/uint dtypes, or integral floats).
  [[nodiscard]] std::vector<std::int64_t> ints() const;
  /// Class labels: integer dtypes, integral floats, unicode/bytes strings, or
  /// object arrays of str/int.
  [[nodiscard]] Labels labels() const;

  /// Structured arrays (tree nodes): does a field exist, and its values.
  [[nodiscard]] bool has_field(std::string_view name) const;
  [[nodiscard]] std::vector<double> field_doubles(std::string_view name) const;
  [[nodiscard]] std::vector<std::int64_t> field_ints(std::string_view name) const;
  /// A numeric field of the records (error naming the path if absent or not numeric).
  [[nodiscard]] const pickle::Dtype::Field& numeric_field(std::string_view name) const;

  /// Checks the number of dimensions and, where not -1, each dimension.
  const ArrayView& expect_shape(std::initializer_list<std::int64_t> shape) const;
  [[noreturn]] void fail(std::string_view detail) const;

 private:
  const pickle::NdArray* array_;
  std::string path_;
};

class ObjectView {
 public:
  ObjectView(const pickle::Object& object, std::string path);

  /// The canonical class name ("sklearn.linear_model._logistic.LogisticRegression").
  [[nodiscard]] std::string class_name() const { return object_->cls->canonical(); }
  [[nodiscard]] std::string_view short_name() const { return object_->cls->name; }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const pickle::Object& raw() const { return *object_; }
  [[nodiscard]] std::string path_of(std::string_view attr) const;

  /// The attribute, or null when the state does not hold it.
  [[nodiscard]] const pickle::Value* get(std::string_view attr) const;
  [[nodiscard]] bool has(std::string_view attr) const { return get(attr) != nullptr; }
  /// True when the attribute is absent or None.
  [[nodiscard]] bool is_none(std::string_view attr) const;

  [[nodiscard]] const pickle::Value& require(std::string_view attr) const;
  [[nodiscard]] double number(std::string_view attr) const;
  [[nodiscard]] std::int64_t integer(std::string_view attr) const;
  [[nodiscard]] bool boolean(std::string_view attr) const;
  [[nodiscard]] std::string str(std::string_view attr) const;
  /// A str attribute, or `fallback` when absent or None.
  [[nodiscard]] std::string str_or(std::string_view attr, std::string_view fallback) const;
  [[nodiscard]] ArrayView array(std::string_view attr) const;
  [[nodiscard]] ObjectView object(std::string_view attr) const;

  /// Throws Error(kUnsupported) naming this object and `attr`.
  [[noreturn]] void unsupported(std::string_view attr, std::string_view detail) const;
  /// Throws Error(kMalformed) naming this object and `attr`.
  [[noreturn]] void malformed(std::string_view attr, std::string_view detail) const;

 private:
  const pickle::Object* object_;
  const pickle::Dict* state_ = nullptr;
  std::string path_;
};

/// Typed reads of plain values (list items, tuple members).
double value_number(const pickle::Value& v, const std::string& path);
std::int64_t value_integer(const pickle::Value& v, const std::string& path);
std::string value_str(const pickle::Value& v, const std::string& path);
ObjectView value_object(const pickle::Value& v, const std::string& path);
ArrayView value_array(const pickle::Value& v, const std::string& path);
/// Items of a list or tuple (or of an object ndarray, in C order).
std::vector<const pickle::Value*> value_items(const pickle::Value& v, const std::string& path);

}  // namespace depickle::sklearn
