#pragma once
// The one table of estimator converters (converters.def): scikit-learn class
// -> function reading it into the typed model (src/model/ir.h).

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "depickle.h"
#include "model/ir.h"
#include "sklearn/object_view.h"

namespace depickle::converters {

class Context;
using ConvertFn = model::Estimator (*)(const sklearn::ObjectView& obj, Context& ctx);

struct ConverterEntry {
  std::string_view module;  // canonical module (after renames)
  std::string_view name;
  ConvertFn fn;
  std::string_view family;  // for docs and `list-converters`
};

/// All converters, sorted by (module, name).
std::span<const ConverterEntry> converter_table();
const ConverterEntry* find_converter(std::string_view qualified_class);

/// State shared while converting one model: limits and the recursion into
/// nested estimators (Pipeline steps).
class Context {
 public:
  explicit Context(const Limits& limits) : limits_(limits) {}
  [[nodiscard]] const Limits& limits() const { return limits_; }
  /// Converts a nested estimator (a Pipeline step); depth-limited.
  model::Estimator convert(const sklearn::ObjectView& obj);

 private:
  const Limits& limits_;
  std::uint64_t depth_ = 0;
};

/// Converts the root of a loaded pickle; throws Error(kUnsupported) naming the
/// first class that has no converter.
model::Estimator convert_root(const pickle::Value& root, const Limits& limits);

/// The first class in the graph under `root` that blocks an ONNX conversion,
/// or nullopt if it converts (for `depickle inspect`).
std::optional<std::string> onnx_blocker(const pickle::Value& root, const Limits& limits);

}  // namespace depickle::converters
