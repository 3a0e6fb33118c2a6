// GradientBoosting{Classifier,Regressor}: raw = init + learning_rate · Σ trees,
// then the loss's link. The init estimator's prediction is a constant, folded
// into base values at conversion time exactly as scikit-learn computes it.

#include <cmath>
#include <limits>

#include "converters/common.h"

namespace depickle::converters {

model::Tree read_regression_tree(const sklearn::ObjectView& estimator, std::int64_t& n_features,
                                 const Limits& limits);

namespace {

// scikit-learn clips prior probabilities to [eps, 1 - eps] with float32's eps.
constexpr double kEps = std::numeric_limits<float>::epsilon();

double clip(double p) {
  return std::min(std::max(p, kEps), 1 - kEps);
}

// Raw predictions of init_ (one per column), by init class and loss.
model::Vector init_raw(const sklearn::ObjectView& obj, std::int64_t k, const std::string& loss) {
  model::Vector raw = model::Vector::Zero(k);
  const pickle::Value& init = obj.require("init_");
  if (const auto* s = pickle::as<pickle::Str>(&init); s != nullptr && s->bytes == "zero")
    return raw;
  sklearn::ObjectView est = sklearn::value_object(init, obj.path_of("init_"));
  std::string name(est.short_name());
  if (name == "DummyClassifier") {
    if (est.str_or("strategy", "prior") != "prior") {
      est.unsupported("strategy", "only the 'prior' strategy is converted");
    }
    model::Vector prior = read_vector(est, "class_prior_", k == 1 ? 2 : k);
    if (k == 1) {
      double p = clip(prior[1]);
      raw[0] = std::log(p / (1 - p));
      if (loss == "exponential") raw[0] *= 0.5;
    } else {
      for (std::int64_t i = 0; i < k; ++i) raw[i] = std::log(clip(prior[i]));
    }
    return raw;
  }
  if (name == "DummyRegressor") {
    sklearn::ArrayView c = est.array("constant_");
    std::vector<double> v = c.doubles();
    if (static_cast<std::int64_t>(v.size()) != k) c.fail(str_cat("expected ", k, " values"));
    for (std::int64_t i = 0; i < k; ++i) raw[i] = v[static_cast<std::size_t>(i)];
    return raw;
  }
  // scikit-learn < 0.21 kept its own init estimators, whose predict() was the raw score.
  if (name == "LogOddsEstimator" || name == "ScaledLogOddsEstimator")
    return raw.setConstant(est.number("prior"));
  if (name == "PriorProbabilityEstimator") return read_vector(est, "priors", k);
  if (name == "MeanEstimator") return raw.setConstant(est.number("mean"));
  if (name == "QuantileEstimator") return raw.setConstant(est.number("quantile"));
  if (name == "ZeroEstimator") return raw;
  obj.unsupported("init_", str_cat("init estimator ", est.class_name(), " is not converted"));
}

}  // namespace

model::Estimator convert_gradient_boosting(const sklearn::ObjectView& obj, Context& ctx) {
  bool classifier = obj.has("classes_");
  sklearn::ArrayView stages = obj.array("estimators_");
  if (stages.ndim() != 2 || stages.kind() != 'O')
    stages.fail("expected a 2-d object array of trees");
  auto n_stages = static_cast<std::int64_t>(stages.dim(0));
  auto k = static_cast<std::int64_t>(stages.dim(1));
  std::string loss = obj.str_or("loss", classifier ? "log_loss" : "squared_error");
  double rate = obj.number("learning_rate");
  std::int64_t n_features = n_features_in(obj);
  model::TreeSum sum;
  sum.n_targets = k;
  const auto& objects = stages.raw().objects;
  for (std::int64_t i = 0; i < n_stages; ++i) {
    for (std::int64_t j = 0; j < k; ++j) {
      auto idx = static_cast<std::size_t>(i * k + j);
      auto est = sklearn::value_object(*objects[idx],
                                       str_cat(obj.path_of("estimators_"), "[", i, ", ", j, "]"));
      model::Tree t = read_regression_tree(est, n_features, ctx.limits());
      t.scale = rate;  // scikit-learn adds learning_rate * value
      sum.trees.push_back(std::move(t));
      sum.tree_target.push_back(j);
    }
  }
  sum.n_features = n_features;
  sum.base = init_raw(obj, k, loss);
  if (!classifier) {
    model::TreeRegressor r;
    r.sum = std::move(sum);
    return model::make_estimator(std::move(r), n_features);
  }
  model::TreeClassifier c;
  c.sum = std::move(sum);
  c.classes = read_classes(obj);
  if (loss == "exponential") {
    c.link = model::Link::kSigmoidTwice;
  } else if (loss == "log_loss" || loss == "deviance") {
    c.link = k == 1 ? model::Link::kSigmoid : model::Link::kSoftmax;
  } else {
    obj.unsupported("loss", str_cat("unknown classification loss '", loss, "'"));
  }
  if ((k == 1) != (c.classes.size() == 2))
    obj.unsupported("estimators_", "columns do not match classes_");
  return model::make_estimator(std::move(c), n_features);
}

}  // namespace depickle::converters
