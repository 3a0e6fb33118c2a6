// Linear models: regressors predict X·coefᵀ + intercept; classifiers turn the
// same scores into labels and probabilities the way each class does.

#include "converters/common.h"

namespace depickle::converters {

namespace {

// LogisticRegression.predict_proba: one-vs-rest sigmoid for binary problems
// and liblinear or multi_class='ovr'; softmax otherwise. Older versions
// default to 'ovr' ('warn'); 1.5+ deprecate multi_class in favour of 'auto'.
model::ProbaKind logistic_proba(const sklearn::ObjectView& obj, std::size_t n_classes) {
  std::string multi = obj.str_or("multi_class", "auto");
  std::string solver = obj.str_or("solver", "lbfgs");
  bool ovr =
      multi == "ovr" || multi == "warn" ||
      ((multi == "auto" || multi == "deprecated") && (n_classes <= 2 || solver == "liblinear"));
  if (!ovr && multi != "multinomial" && multi != "auto" && multi != "deprecated") {
    obj.unsupported("multi_class", str_cat("unknown value '", multi, "'"));
  }
  if (n_classes <= 2) return ovr ? model::ProbaKind::kSigmoid : model::ProbaKind::kSoftmaxBinary;
  return ovr ? model::ProbaKind::kOvrNormalized : model::ProbaKind::kSoftmax;
}

model::Estimator classifier(const sklearn::ObjectView& obj, model::ProbaKind proba) {
  model::LinearClassifier c;
  c.linear = read_linear(obj);
  c.classes = read_classes(obj);
  auto rows = static_cast<std::size_t>(c.linear.rows);
  if (c.classes.size() < 2 || (c.classes.size() == 2 ? rows != 1 : rows != c.classes.size())) {
    obj.unsupported("coef_", str_cat("has ", rows, " rows for ", c.classes.size(), " classes"));
  }
  c.proba = proba;
  std::int64_t n = c.linear.cols;
  return model::make_estimator(std::move(c), n);
}

}  // namespace

model::Estimator convert_linear_regressor(const sklearn::ObjectView& obj, Context& /*ctx*/) {
  model::LinearRegressor r;
  r.linear = read_linear(obj);
  auto n = r.linear.cols;
  return model::make_estimator(std::move(r), n);
}

model::Estimator convert_logistic_regression(const sklearn::ObjectView& obj, Context& /*ctx*/) {
  auto classes = read_classes(obj);
  return classifier(obj, logistic_proba(obj, classes.size()));
}

model::Estimator convert_sgd_classifier(const sklearn::ObjectView& obj, Context& /*ctx*/) {
  std::string loss = obj.str_or("loss", "hinge");
  model::ProbaKind proba = model::ProbaKind::kScores;
  auto classes = read_classes(obj);
  if (loss == "log_loss" || loss == "log") {
    proba = classes.size() <= 2 ? model::ProbaKind::kSigmoid : model::ProbaKind::kOvrNormalized;
  } else if (loss == "modified_huber") {
    proba = model::ProbaKind::kModifiedHuber;
  }
  return classifier(obj, proba);
}

model::Estimator convert_decision_classifier(const sklearn::ObjectView& obj, Context& /*ctx*/) {
  return classifier(obj, model::ProbaKind::kScores);
}

}  // namespace depickle::converters
