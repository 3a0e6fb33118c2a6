#pragma once
// Lowering the typed model (src/model/ir.h) to ONNX nodes: one function per
// model kind, dispatched by std::visit (a new kind does not compile until
// every writer handles it).

#include <optional>

#include "model/ir.h"
#include "writers/onnx/graph.h"

namespace depickle::writers {

/// What a lowered estimator produces.
struct Outputs {
  std::optional<Tensor> label;          // classifiers: int64 or string [N]
  std::optional<Tensor> probabilities;  // classifiers: [N, C]
  std::optional<Tensor> variable;       // regressors and transformers: [N, k]
};

struct Lowering {
  GraphBuilder& g;
  /// The graph's input precision: kFloat (the default, skl2onnx's interface)
  /// or kDouble (--double). Intermediate math that scikit-learn does in
  /// float64 is done in double either way.
  Elem io = Elem::kFloat;

  Tensor to_double(const Tensor& t) { return g.cast(t, Elem::kDouble); }
  Tensor to_io(const Tensor& t) { return g.cast(t, io); }
};

Outputs lower(const model::Estimator& e, const Tensor& x, Lowering& l);

Outputs lower_linear(const model::LinearRegressor& m, const Tensor& x, Lowering& l);
Outputs lower_linear(const model::LinearClassifier& m, const Tensor& x, Lowering& l);
Outputs lower_trees(const model::TreeRegressor& m, const Tensor& x, Lowering& l);
Outputs lower_trees(const model::TreeClassifier& m, const Tensor& x, Lowering& l);
Outputs lower_preprocessing(const model::Elementwise& m, const Tensor& x, Lowering& l);
Outputs lower_preprocessing(const model::Normalizer& m, const Tensor& x, Lowering& l);
Outputs lower_preprocessing(const model::Imputer& m, const Tensor& x, Lowering& l);
Outputs lower_preprocessing(const model::Binarizer& m, const Tensor& x, Lowering& l);

/// Shared by classifiers: label = classes[argmax(scores)] (first maximum, as numpy).
Tensor label_from_index(const Tensor& index, const model::Labels& classes, Lowering& l);
Tensor argmax_label(const Tensor& scores, const model::Labels& classes, Lowering& l);

}  // namespace depickle::writers
