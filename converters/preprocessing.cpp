// Scalers, Normalizer, Binarizer and SimpleImputer. Their arithmetic is
// recorded step by step so the lowering can reproduce scikit-learn's float32
// rounding after each in-place numpy operation.

#include <cmath>

#include "converters/common.h"

namespace depickle::converters {

namespace {

using Op = model::Elementwise::Op;

std::int64_t width(const sklearn::ObjectView& obj, std::string_view attr) {
  std::int64_t n = n_features_in(obj);
  if (n >= 0) return n;
  if (obj.is_none(attr)) obj.unsupported("n_features_in_", "cannot tell the number of features");
  return static_cast<std::int64_t>(obj.array(attr).size());
}

void step(model::Elementwise& e, Op op, const sklearn::ObjectView& obj, std::string_view attr,
          std::int64_t n) {
  e.steps.push_back({op, read_vector(obj, attr, n)});
}

}  // namespace

model::Estimator convert_standard_scaler(const sklearn::ObjectView& obj, Context& /*ctx*/) {
  // transform(): `if with_mean: X -= mean_`, then `if with_std: X /= scale_`.
  bool with_mean = !obj.has("with_mean") || obj.boolean("with_mean");
  bool with_std = !obj.has("with_std") || obj.boolean("with_std");
  std::int64_t n = width(obj, obj.is_none("mean_") ? "scale_" : "mean_");
  model::Elementwise e;
  if (with_mean) step(e, Op::kSub, obj, "mean_", n);
  if (with_std) step(e, Op::kDiv, obj, "scale_", n);
  return model::make_estimator(std::move(e), n);
}

model::Estimator convert_minmax_scaler(const sklearn::ObjectView& obj, Context& /*ctx*/) {
  std::int64_t n = width(obj, "scale_");
  model::Elementwise e;
  step(e, Op::kMul, obj, "scale_", n);
  step(e, Op::kAdd, obj, "min_", n);
  if (obj.has("clip") && obj.boolean("clip")) {
    auto range = sklearn::value_items(obj.require("feature_range"), obj.path_of("feature_range"));
    if (range.size() != 2) obj.unsupported("feature_range", "expected (min, max)");
    model::Vector bounds(2);
    bounds << sklearn::value_number(*range[0], obj.path_of("feature_range")),
        sklearn::value_number(*range[1], obj.path_of("feature_range"));
    e.steps.push_back({Op::kClip, bounds});
  }
  return model::make_estimator(std::move(e), n);
}

model::Estimator convert_maxabs_scaler(const sklearn::ObjectView& obj, Context& /*ctx*/) {
  std::int64_t n = width(obj, "scale_");
  model::Elementwise e;
  step(e, Op::kDiv, obj, "scale_", n);
  return model::make_estimator(std::move(e), n);
}

model::Estimator convert_robust_scaler(const sklearn::ObjectView& obj, Context& /*ctx*/) {
  std::int64_t n = width(obj, obj.is_none("center_") ? "scale_" : "center_");
  model::Elementwise e;
  if (!obj.is_none("center_") && (!obj.has("with_centering") || obj.boolean("with_centering"))) {
    step(e, Op::kSub, obj, "center_", n);
  }
  if (!obj.is_none("scale_") && (!obj.has("with_scaling") || obj.boolean("with_scaling"))) {
    step(e, Op::kDiv, obj, "scale_", n);
  }
  return model::make_estimator(std::move(e), n);
}

model::Estimator convert_normalizer(const sklearn::ObjectView& obj, Context& /*ctx*/) {
  model::Normalizer nz;
  std::string norm = obj.str_or("norm", "l2");
  if (norm == "l1") {
    nz.norm = model::Normalizer::Norm::kL1;
  } else if (norm == "l2") {
    nz.norm = model::Normalizer::Norm::kL2;
  } else if (norm == "max") {
    nz.norm = model::Normalizer::Norm::kMax;
  } else {
    obj.unsupported("norm", str_cat("unknown norm '", norm, "'"));
  }
  return model::make_estimator(nz, n_features_in(obj));
}

model::Estimator convert_binarizer(const sklearn::ObjectView& obj, Context& /*ctx*/) {
  model::Binarizer b;
  b.threshold = obj.has("threshold") ? obj.number("threshold") : 0.0;
  return model::make_estimator(b, n_features_in(obj));
}

model::Estimator convert_simple_imputer(const sklearn::ObjectView& obj, Context& /*ctx*/) {
  if (obj.has("add_indicator") && obj.boolean("add_indicator")) {
    obj.unsupported("add_indicator", "the missing-value indicator columns are not converted");
  }
  sklearn::ArrayView stats = obj.array("statistics_");
  if (stats.kind() == 'O' || stats.kind() == 'U' || stats.kind() == 'S') {
    stats.fail("non-numeric statistics (string columns) are not converted");
  }
  std::vector<double> s = stats.doubles();
  model::Imputer imp;
  imp.n_features = static_cast<std::int64_t>(s.size());
  imp.fill = Eigen::Map<const model::Vector>(s.data(), static_cast<Eigen::Index>(s.size()));
  imp.missing = obj.number("missing_values");  // NaN, or a number such as 0 or -1
  imp.missing_is_nan = std::isnan(imp.missing);
  // Features without a statistic (all missing at fit) are dropped, unless
  // keep_empty_features (1.2+) kept them.
  bool keep_empty = obj.has("keep_empty_features") && obj.boolean("keep_empty_features");
  for (std::int64_t i = 0; i < imp.n_features; ++i) {
    if (keep_empty || !std::isnan(s[static_cast<std::size_t>(i)])) imp.keep.push_back(i);
  }
  std::int64_t n = n_features_in(obj);
  if (n >= 0 && n != imp.n_features)
    stats.fail(str_cat("has ", s.size(), " values for ", n, " features"));
  std::int64_t width = imp.n_features;
  return model::make_estimator(std::move(imp), width);
}

}  // namespace depickle::converters
