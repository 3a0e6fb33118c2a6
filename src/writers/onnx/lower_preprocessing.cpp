// Scalers, Normalizer, SimpleImputer, Binarizer. With float32 input each
// elementwise step is computed in double and rounded back to float32, which
// is what numpy does for scikit-learn's in-place `X -= mean_; X /= scale_` on
// a float32 array (and what a following tree's thresholds depend on).

#include "writers/onnx/lower.h"

namespace depickle::writers {

namespace {

std::vector<double> values(const model::Vector& v) {
  return {v.data(), v.data() + v.size()};
}

Tensor row(const model::Vector& v, std::string_view hint, Lowering& l) {
  return l.g.constant(hint, values(v), {1, v.size()});
}

}  // namespace

Outputs lower_preprocessing(const model::Elementwise& m, const Tensor& x, Lowering& l) {
  using Op = model::Elementwise::Op;
  Tensor cur = x;
  for (const auto& step : m.steps) {
    if (step.op == Op::kClip) {
      // np.clip(X, lo, hi, out=X) compares in X's own precision.
      Tensor lo = l.g.scalar("clip_min", step.values[0], cur.elem);
      Tensor hi = l.g.scalar("clip_max", step.values[1], cur.elem);
      cur = l.g.op("Clip", {cur, lo, hi}, cur.elem, cur.cols);
      continue;
    }
    const char* op = step.op == Op::kSub   ? "Sub"
                     : step.op == Op::kDiv ? "Div"
                     : step.op == Op::kMul ? "Mul"
                                           : "Add";
    const char* hint = step.op == Op::kSub   ? "offset"
                       : step.op == Op::kDiv ? "scale"
                       : step.op == Op::kMul ? "factor"
                                             : "shift";
    Tensor y = l.g.op(op, {l.to_double(cur), row(step.values, hint, l)}, Elem::kDouble, cur.cols);
    cur = l.to_io(y);
  }
  return {std::nullopt, std::nullopt, cur};
}

Outputs lower_preprocessing(const model::Normalizer& m, const Tensor& x, Lowering& l) {
  Tensor axes = l.g.constant_ints("axis1", {1}, {1});
  Tensor norms;
  switch (m.norm) {
  case model::Normalizer::Norm::kL1:
    norms = l.g.op("ReduceSum", {l.g.op("Abs", {x}, x.elem, x.cols), axes}, x.elem, 1);
    set_attr(l.g.last(), "keepdims", std::int64_t{1});
    break;
  case model::Normalizer::Norm::kL2:
    norms = l.g.op("ReduceSum", {l.g.op("Mul", {x, x}, x.elem, x.cols), axes}, x.elem, 1);
    set_attr(l.g.last(), "keepdims", std::int64_t{1});
    norms = l.g.op("Sqrt", {norms}, x.elem, 1);
    break;
  case model::Normalizer::Norm::kMax:
    norms = l.g.op("ReduceMax", {l.g.op("Abs", {x}, x.elem, x.cols)}, x.elem, 1);
    set_attr(l.g.last(), "axes", std::vector<std::int64_t>{1});
    set_attr(l.g.last(), "keepdims", std::int64_t{1});
    break;
  }
  // Rows of zeros keep a norm of 1 (scikit-learn's _handle_zeros_in_scale).
  Tensor zero = l.g.scalar("zero", 0.0, x.elem);
  Tensor is_zero = l.g.op("Equal", {norms, zero}, Elem::kBool, 1);
  Tensor safe = l.g.op("Where", {is_zero, l.g.scalar("one", 1.0, x.elem), norms}, x.elem, 1);
  return {std::nullopt, std::nullopt, l.g.op("Div", {x, safe}, x.elem, x.cols)};
}

Outputs lower_preprocessing(const model::Imputer& m, const Tensor& x, Lowering& l) {
  Tensor mask = m.missing_is_nan ? l.g.op("IsNaN", {x}, Elem::kBool, x.cols)
                                 : l.g.op("Equal", {x, l.g.scalar("missing", m.missing, x.elem)},
                                          Elem::kBool, x.cols);
  // X[mask] = statistics_ casts the statistic to X's dtype.
  Tensor fill = l.g.constant("statistics", values(m.fill), {1, m.fill.size()}, x.elem);
  Tensor y = l.g.op("Where", {mask, fill, x}, x.elem, x.cols);
  if (static_cast<std::int64_t>(m.keep.size()) != m.n_features) {
    Tensor keep =
        l.g.constant_ints("kept_features", m.keep, {static_cast<std::int64_t>(m.keep.size())});
    y = l.g.op("Gather", {y, keep}, x.elem, static_cast<std::int64_t>(m.keep.size()));
    set_attr(l.g.last(), "axis", std::int64_t{1});
  }
  return {std::nullopt, std::nullopt, y};
}

Outputs lower_preprocessing(const model::Binarizer& m, const Tensor& x, Lowering& l) {
  Tensor above =
      l.g.op("Greater", {x, l.g.scalar("threshold", m.threshold, x.elem)}, Elem::kBool, x.cols);
  return {std::nullopt, std::nullopt, l.g.cast(above, x.elem)};
}

}  // namespace depickle::writers
