// HistGradientBoosting{Classifier,Regressor}: raw = baseline + Σ predictor
// leaves; TreePredictor nodes carry learned NaN routing (missing_go_to_left).
// Categorical splits (bitsets) are refused rather than converted wrongly.

#include "converters/common.h"

namespace depickle::converters {

namespace {

model::Tree read_predictor(const sklearn::ObjectView& predictor, std::int64_t n_features,
                           const Limits& limits) {
  sklearn::ArrayView nodes = predictor.array("nodes");
  if (nodes.size() > limits.max_tree_nodes) {
    throw Error(ErrorCode::kLimit, "max_tree_nodes",
                str_cat(predictor.path(), " has ", nodes.size(), " nodes"));
  }
  if (nodes.has_field("is_categorical")) {
    for (auto c : nodes.field_ints("is_categorical")) {
      if (c != 0) {
        predictor.unsupported("nodes",
                              "categorical splits are not converted (they would need the "
                              "category bitsets, which ONNX tree ensembles cannot express)");
      }
    }
  }
  model::Tree t;
  t.nodes = static_cast<std::int64_t>(nodes.size());
  t.is_leaf = field_column(nodes, "is_leaf");
  t.left = field_column(nodes, "left");
  t.right = field_column(nodes, "right");
  t.feature = field_column(nodes, "feature_idx");
  // scikit-learn < 1.0 named the threshold `threshold`.
  t.threshold =
      field_column(nodes, nodes.has_field("num_threshold") ? "num_threshold" : "threshold");
  if (nodes.has_field("missing_go_to_left"))
    t.missing_left = field_column(nodes, "missing_go_to_left");
  t.value = field_column(nodes, "value");  // leaves' raw predictions; one per node
  validate_tree(t, n_features, predictor.path(), predictor.raw().offset);
  return t;
}

}  // namespace

model::Estimator convert_hist_gradient_boosting(const sklearn::ObjectView& obj, Context& ctx) {
  bool classifier = obj.has("classes_");
  std::int64_t n_features = n_features_in(obj);
  if (n_features < 0 && obj.has("_n_features")) n_features = obj.integer("_n_features");
  auto iterations = sklearn::value_items(obj.require("_predictors"), obj.path_of("_predictors"));
  std::int64_t k = obj.has("n_trees_per_iteration_") ? obj.integer("n_trees_per_iteration_") : 1;
  model::TreeSum sum;
  sum.n_targets = k;
  sum.n_features = n_features;
  for (std::size_t i = 0; i < iterations.size(); ++i) {
    std::string ipath = str_cat(obj.path_of("_predictors"), "[", i, "]");
    auto per_class = sklearn::value_items(*iterations[i], ipath);
    if (static_cast<std::int64_t>(per_class.size()) != k) {
      obj.unsupported("_predictors",
                      str_cat("iteration ", i, " has ", per_class.size(), " trees, expected ", k));
    }
    for (std::int64_t j = 0; j < k; ++j) {
      auto predictor = sklearn::value_object(*per_class[static_cast<std::size_t>(j)],
                                             str_cat(ipath, "[", j, "]"));
      sum.trees.push_back(read_predictor(predictor, n_features, ctx.limits()));
      sum.tree_target.push_back(j);
    }
  }
  sklearn::ArrayView baseline = obj.array("_baseline_prediction");
  std::vector<double> base = baseline.doubles();
  if (base.size() != static_cast<std::size_t>(k) && base.size() != 1)
    baseline.fail(str_cat("expected ", k, " values"));
  sum.base = model::Vector(k);
  for (std::int64_t j = 0; j < k; ++j)
    sum.base[j] = base.size() == 1 ? base[0] : base[static_cast<std::size_t>(j)];
  std::string loss = obj.str_or("loss", classifier ? "log_loss" : "squared_error");
  if (!classifier) {
    model::TreeRegressor r;
    r.sum = std::move(sum);
    if (loss == "poisson" || loss == "gamma") {
      r.link = model::Link::kExp;
    } else if (loss != "squared_error" && loss != "least_squares" && loss != "absolute_error" &&
               loss != "least_absolute_deviation" && loss != "quantile") {
      obj.unsupported("loss", str_cat("unknown regression loss '", loss, "'"));
    }
    return model::make_estimator(std::move(r), n_features);
  }
  model::TreeClassifier c;
  c.sum = std::move(sum);
  c.classes = read_classes(obj);
  c.link = k == 1 ? model::Link::kSigmoid : model::Link::kSoftmax;
  if ((k == 1) != (c.classes.size() == 2))
    obj.unsupported("n_trees_per_iteration_", "does not match classes_");
  return model::make_estimator(std::move(c), n_features);
}

}  // namespace depickle::converters
