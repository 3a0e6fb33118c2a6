// Linear models in double precision (Gemm, as scikit-learn computes
// X·coefᵀ + intercept in float64), then each class's probability function.

#include "writers/onnx/lower.h"

namespace depickle::writers {

namespace {

Tensor scores(const model::Linear& m, const Tensor& x, Lowering& l) {
  // Gemm(X, coef, intercept, transB=1): coef_ stays as scikit-learn stores
  // it (targets × features), so a large one is spliced from the input as is.
  Tensor w = l.g.constant_raw("coef", Elem::kDouble, {m.rows, m.cols}, m.coef_bytes());
  Tensor b =
      l.g.constant("intercept", {m.intercept.data(), m.intercept.data() + m.intercept.size()},
                   {m.intercept.size()});
  Tensor out = l.g.op("Gemm", {l.to_double(x), w, b}, Elem::kDouble, m.rows);
  set_attr(l.g.last(), "transB", std::int64_t{1});
  return out;
}

Tensor concat(std::initializer_list<Tensor> parts, std::int64_t cols, Lowering& l) {
  Tensor out = l.g.op("Concat", parts, parts.begin()->elem, cols);
  set_attr(l.g.last(), "axis", std::int64_t{1});
  return out;
}

Tensor reduce_sum_rows(const Tensor& t, Lowering& l) {
  Tensor axes = l.g.constant_ints("axis1", {1}, {1});
  Tensor out = l.g.op("ReduceSum", {t, axes}, t.elem, 1);
  set_attr(l.g.last(), "keepdims", std::int64_t{1});
  return out;
}

// (clip(d, -1, 1) + 1) / 2, SGDClassifier(loss='modified_huber').predict_proba
Tensor modified_huber(const Tensor& d, Lowering& l) {
  Tensor lo = l.g.scalar("minus_one", -1.0, Elem::kDouble);
  Tensor hi = l.g.scalar("one", 1.0, Elem::kDouble);
  Tensor clipped = l.g.op("Clip", {d, lo, hi}, Elem::kDouble, d.cols);
  Tensor plus = l.g.op("Add", {clipped, hi}, Elem::kDouble, d.cols);
  return l.g.op("Div", {plus, l.g.scalar("two", 2.0, Elem::kDouble)}, Elem::kDouble, d.cols);
}

}  // namespace

Outputs lower_linear(const model::LinearRegressor& m, const Tensor& x, Lowering& l) {
  return {std::nullopt, std::nullopt, l.to_io(scores(m.linear, x, l))};
}

Outputs lower_linear(const model::LinearClassifier& m, const Tensor& x, Lowering& l) {
  using model::ProbaKind;
  Tensor d = scores(m.linear, x, l);
  auto n_classes = static_cast<std::int64_t>(m.classes.size());
  Outputs out;
  Tensor proba;
  if (n_classes == 2) {
    // predict(): classes_[decision > 0]
    Tensor positive =
        l.g.op("Greater", {d, l.g.scalar("zero", 0.0, Elem::kDouble)}, Elem::kBool, 1);
    Tensor index = l.g.cast(positive, Elem::kInt64);
    Tensor flat = l.g.op("Reshape", {index, l.g.constant_ints("flat", {-1}, {1})}, Elem::kInt64);
    out.label = label_from_index(flat, m.classes, l);
    Tensor neg = l.g.op("Neg", {d}, Elem::kDouble, 1);
    switch (m.proba) {
    case ProbaKind::kScores: proba = concat({neg, d}, 2, l); break;
    case ProbaKind::kSoftmaxBinary:
      proba = l.g.op("Softmax", {concat({neg, d}, 2, l)}, Elem::kDouble, 2);
      set_attr(l.g.last(), "axis", std::int64_t{1});
      break;
    case ProbaKind::kSigmoid:
    case ProbaKind::kOvrNormalized:
    case ProbaKind::kModifiedHuber:
    case ProbaKind::kSoftmax: {
      Tensor p = m.proba == ProbaKind::kModifiedHuber ? modified_huber(d, l)
                                                      : l.g.op("Sigmoid", {d}, Elem::kDouble, 1);
      Tensor one = l.g.scalar("one", 1.0, Elem::kDouble);
      proba = concat({l.g.op("Sub", {one, p}, Elem::kDouble, 1), p}, 2, l);
      break;
    }
    }
  } else {
    out.label = argmax_label(d, m.classes, l);
    switch (m.proba) {
    case ProbaKind::kScores: proba = d; break;
    case ProbaKind::kSoftmax:
    case ProbaKind::kSoftmaxBinary:
      proba = l.g.op("Softmax", {d}, Elem::kDouble, n_classes);
      set_attr(l.g.last(), "axis", std::int64_t{1});
      break;
    case ProbaKind::kSigmoid:
    case ProbaKind::kOvrNormalized: {
      Tensor p = l.g.op("Sigmoid", {d}, Elem::kDouble, n_classes);
      proba = l.g.op("Div", {p, reduce_sum_rows(p, l)}, Elem::kDouble, n_classes);
      break;
    }
    case ProbaKind::kModifiedHuber: {
      // Rows whose clipped scores sum to 0 become uniform, as in scikit-learn.
      Tensor p = modified_huber(d, l);
      Tensor norm = reduce_sum_rows(p, l);
      Tensor zero_row =
          l.g.op("Equal", {norm, l.g.scalar("zero", 0.0, Elem::kDouble)}, Elem::kBool, 1);
      Tensor scaled = l.g.op("Div", {p, norm}, Elem::kDouble, n_classes);
      Tensor uniform = l.g.scalar("uniform", 1.0 / static_cast<double>(n_classes), Elem::kDouble);
      proba = l.g.op("Where", {zero_row, uniform, scaled}, Elem::kDouble, n_classes);
      break;
    }
    }
  }
  out.probabilities = l.to_io(proba);
  return out;
}

}  // namespace depickle::writers
