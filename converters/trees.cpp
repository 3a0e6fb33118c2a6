// Decision trees and forests (sklearn.tree._tree.Tree inside each estimator).
// Classifier leaves hold class counts (< 1.4) or fractions (>= 1.4); both are
// normalized per leaf as predict_proba does. Nodes are separate arrays before
// 0.15, 56-byte records until 1.2 and 64-byte ones with missing_go_to_left
// from 1.3; the routing the pickle carries is used.

#include <algorithm>
#include <cmath>

#include "converters/common.h"

namespace depickle::converters {

namespace {

struct TreeShape {
  std::int64_t n_features;
  std::int64_t n_outputs;
  std::int64_t width;  // max classes (1 for regression)
};

// scikit-learn < 0.15 stored the nodes as separate arrays (children_left,
// children_right, feature, threshold, a flat value array) and passed more
// constructor arguments; the first three mean the same.
void read_old_tree(const sklearn::ObjectView& tree, const TreeShape& shape, model::Tree& t) {
  auto n = t.nodes;
  auto column = [&](std::string_view name) {
    sklearn::ArrayView a = tree.array(name);
    a.expect_shape({n});
    std::vector<char> unused;
    return flat_column(a, unused);
  };
  t.left = column("children_left");
  t.right = column("children_right");
  t.feature = column("feature");
  t.threshold = column("threshold");
  sklearn::ArrayView values = tree.array("value");
  if (values.size() != static_cast<std::uint64_t>(n * shape.n_outputs * shape.width)) {
    values.fail(str_cat("expected ", n, " x ", shape.n_outputs, " x ", shape.width, " values"));
  }
  t.value = flat_column(values, t.storage);
}

// Reads a Tree object: args (n_features, n_classes, n_outputs), state
// {node_count, nodes, values} (>= 0.15), or the older layout above. The
// columns are views into the pickle's arrays.
model::Tree read_tree(const sklearn::ObjectView& tree, TreeShape& shape, const Limits& limits) {
  const pickle::Seq* args = tree.raw().args;
  if (args == nullptr || args->items.size() < 3) {
    tree.unsupported("", "expected Tree(n_features, n_classes, n_outputs, ...)");
  }
  shape.n_features = sklearn::value_integer(*args->items[0], tree.path_of("n_features"));
  shape.n_outputs = sklearn::value_integer(*args->items[2], tree.path_of("n_outputs"));
  std::int64_t n = tree.integer("node_count");
  if (n < 0 || static_cast<std::uint64_t>(n) > limits.max_tree_nodes) {
    throw Error(ErrorCode::kLimit, "max_tree_nodes", str_cat(tree.path(), " has ", n, " nodes"));
  }
  model::Tree t;
  t.nodes = n;
  if (tree.has("children_left")) {
    shape.width = 1;
    for (auto c : sklearn::value_array(*args->items[1], tree.path_of("n_classes")).ints()) {
      shape.width = std::max(shape.width, c);
    }
    read_old_tree(tree, shape, t);
  } else {
    sklearn::ArrayView nodes = tree.array("nodes");
    sklearn::ArrayView values = tree.array("values");
    if (nodes.ndim() != 1 || nodes.size() != static_cast<std::uint64_t>(n)) {
      nodes.fail(str_cat("holds ", nodes.size(), " nodes but node_count is ", n));
    }
    if (values.ndim() != 3 || values.dim(0) != static_cast<std::uint64_t>(n) ||
        static_cast<std::int64_t>(values.dim(1)) != shape.n_outputs) {
      values.fail("expected shape (node_count, n_outputs, max_n_classes)");
    }
    shape.width = static_cast<std::int64_t>(values.dim(2));
    t.left = field_column(nodes, "left_child");
    t.right = field_column(nodes, "right_child");
    t.feature = field_column(nodes, "feature");
    t.threshold = field_column(nodes, "threshold");
    if (nodes.has_field("missing_go_to_left"))
      t.missing_left = field_column(nodes, "missing_go_to_left");
    t.value = flat_column(values, t.storage);
  }
  t.value_cols = shape.n_outputs * shape.width;
  t.used_cols = t.value_cols;
  validate_tree(t, shape.n_features, tree.path(), tree.raw().offset);
  return t;
}

model::TreeSum tree_sum(const std::vector<sklearn::ObjectView>& estimators, bool classifier,
                        std::int64_t n_classes, Context& ctx, std::int64_t& n_features) {
  model::TreeSum sum;
  sum.average = true;
  for (const auto& est : estimators) {
    TreeShape shape{};
    model::Tree t = read_tree(est.object("tree_"), shape, ctx.limits());
    if (n_features < 0) n_features = shape.n_features;
    if (shape.n_features != n_features) {
      est.unsupported("tree_",
                      str_cat("has ", shape.n_features, " features, expected ", n_features));
    }
    if (classifier) {
      if (shape.n_outputs != 1) est.unsupported("n_outputs_", "multi-output classification trees");
      if (shape.width != n_classes) {
        est.unsupported("tree_", str_cat("has ", shape.width, " classes, expected ", n_classes));
      }
      t.used_cols = n_classes;  // leaf counts (or fractions) to probabilities
      t.normalize = true;
    } else if (shape.width != 1) {
      est.unsupported("tree_", "regression tree with class columns");
    }
    sum.n_targets = classifier ? n_classes : shape.n_outputs;
    sum.trees.push_back(std::move(t));
    sum.tree_target.push_back(-1);
  }
  sum.n_features = n_features;
  sum.base = model::Vector::Zero(sum.n_targets);
  return sum;
}

model::Estimator finish(model::TreeSum sum, const sklearn::ObjectView& obj, bool classifier) {
  std::int64_t n = sum.n_features;
  if (classifier) {
    model::TreeClassifier c;
    c.sum = std::move(sum);
    c.classes = read_classes(obj);
    return model::make_estimator(std::move(c), n);
  }
  model::TreeRegressor r;
  r.sum = std::move(sum);
  return model::make_estimator(std::move(r), n);
}

std::int64_t classes_of(const sklearn::ObjectView& obj) {
  auto classes = read_classes(obj);
  if (classes.size() < 2) obj.unsupported("classes_", "fewer than two classes");
  return static_cast<std::int64_t>(classes.size());
}

}  // namespace

model::Estimator convert_decision_tree(const sklearn::ObjectView& obj, Context& ctx) {
  bool classifier = obj.has("classes_");
  std::int64_t n_classes = classifier ? classes_of(obj) : 0;
  std::int64_t n_features = n_features_in(obj);
  auto sum = tree_sum({obj}, classifier, n_classes, ctx, n_features);
  sum.average = false;
  return finish(std::move(sum), obj, classifier);
}

model::Estimator convert_forest(const sklearn::ObjectView& obj, Context& ctx) {
  bool classifier = obj.has("classes_");
  std::int64_t n_classes = classifier ? classes_of(obj) : 0;
  std::vector<sklearn::ObjectView> trees;
  auto items = sklearn::value_items(obj.require("estimators_"), obj.path_of("estimators_"));
  if (items.empty()) obj.unsupported("estimators_", "the forest has no trees");
  for (std::size_t i = 0; i < items.size(); ++i) {
    trees.push_back(
        sklearn::value_object(*items[i], str_cat(obj.path_of("estimators_"), "[", i, "]")));
  }
  std::int64_t n_features = n_features_in(obj);
  return finish(tree_sum(trees, classifier, n_classes, ctx, n_features), obj, classifier);
}

model::Tree read_regression_tree(const sklearn::ObjectView& estimator, std::int64_t& n_features,
                                 const Limits& limits) {
  TreeShape shape{};
  model::Tree t = read_tree(estimator.object("tree_"), shape, limits);
  if (shape.n_outputs != 1 || shape.width != 1) {
    estimator.unsupported("tree_", "expected a single-output regression tree");
  }
  if (n_features < 0) n_features = shape.n_features;
  if (shape.n_features != n_features) {
    estimator.unsupported("tree_",
                          str_cat("has ", shape.n_features, " features, expected ", n_features));
  }
  return t;
}

}  // namespace depickle::converters
