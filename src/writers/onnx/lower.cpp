#include "writers/onnx/lower.h"

#include <type_traits>

#include "core/error.h"

namespace depickle::writers {

Tensor label_from_index(const Tensor& index, const model::Labels& classes, Lowering& l) {
  Tensor table = classes.is_string()
                     ? l.g.constant_strings("classes", classes.strings)
                     : l.g.constant_ints("classes", classes.ints,
                                         {static_cast<std::int64_t>(classes.ints.size())});
  Tensor label = l.g.op("Gather", {table, index}, table.elem);
  set_attr(l.g.last(), "axis", std::int64_t{0});
  return label;
}

Tensor argmax_label(const Tensor& scores, const model::Labels& classes, Lowering& l) {
  Tensor index = l.g.op("ArgMax", {scores}, Elem::kInt64);
  set_attr(l.g.last(), "axis", std::int64_t{1});
  set_attr(l.g.last(), "keepdims", std::int64_t{0});
  return label_from_index(index, classes, l);
}

namespace {

Outputs lower_pipeline(const model::Pipeline& p, const Tensor& x, Lowering& l) {
  Tensor current = x;
  Outputs out;
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    out = lower(p.steps[i], current, l);
    if (i + 1 < p.steps.size()) {
      if (!out.variable) {
        throw Error(ErrorCode::kUnsupported, p.steps[i].sklearn_class,
                    "a classifier in the middle of a pipeline has no transform output");
      }
      current = *out.variable;
    }
  }
  return out;
}

}  // namespace

Outputs lower(const model::Estimator& e, const Tensor& x, Lowering& l) {
  return std::visit(
      [&](const auto& m) -> Outputs {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, model::Pipeline>) {
          return lower_pipeline(m, x, l);
        } else if constexpr (std::is_same_v<T, model::Passthrough>) {
          return {std::nullopt, std::nullopt, x};
        } else if constexpr (std::is_same_v<T, model::LinearRegressor> ||
                             std::is_same_v<T, model::LinearClassifier>) {
          return lower_linear(m, x, l);
        } else if constexpr (std::is_same_v<T, model::TreeRegressor> ||
                             std::is_same_v<T, model::TreeClassifier>) {
          return lower_trees(m, x, l);
        } else {
          return lower_preprocessing(m, x, l);
        }
      },
      e.kind);
}

}  // namespace depickle::writers
