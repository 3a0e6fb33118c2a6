// Tree sums as one ai.onnx.ml TreeEnsembleRegressor on double input, with
// double thresholds and leaf values (the *_as_tensor attributes): x <= t is
// then decided exactly as scikit-learn decides it (float32 features compared
// with float64 thresholds), and NaN follows the learned routing.

#include "writers/onnx/lower.h"

namespace depickle::writers {

namespace {

Tensor tree_ensemble(const model::TreeSum& s, const Tensor& x, Lowering& l) {
  std::vector<std::int64_t> tree_ids, node_ids, feature_ids, true_ids, false_ids, missing_true;
  std::vector<std::string> modes;
  std::vector<double> thresholds;
  std::vector<std::int64_t> t_tree, t_node, t_target;
  std::vector<double> t_weight;
  bool any_missing = false;
  for (std::size_t ti = 0; ti < s.trees.size(); ++ti) {
    const model::Tree& t = s.trees[ti];
    auto tree_id = static_cast<std::int64_t>(ti);
    for (std::size_t i = 0; i < t.left.size(); ++i) {
      auto node = static_cast<std::int64_t>(i);
      bool leaf = t.left[i] == -1;
      tree_ids.push_back(tree_id);
      node_ids.push_back(node);
      feature_ids.push_back(leaf ? 0 : t.feature[i]);
      modes.emplace_back(leaf ? "LEAF" : "BRANCH_LEQ");
      thresholds.push_back(leaf ? 0.0 : t.threshold[i]);
      true_ids.push_back(leaf ? 0 : t.left[i]);
      false_ids.push_back(leaf ? 0 : t.right[i]);
      bool missing_left = !leaf && !t.missing_left.empty() && t.missing_left[i] != 0;
      missing_true.push_back(missing_left ? 1 : 0);
      any_missing = any_missing || missing_left;
      if (!leaf) continue;
      std::int64_t target = s.tree_target[ti];
      for (std::int64_t k = 0; k < t.leaf.cols(); ++k) {
        double w = t.leaf(node, k);
        if (w == 0.0) continue;  // absent entries add nothing
        t_tree.push_back(tree_id);
        t_node.push_back(node);
        t_target.push_back(target >= 0 ? target : k);
        t_weight.push_back(w);
      }
    }
  }
  Tensor out =
      l.g.op("TreeEnsembleRegressor", {l.to_double(x)}, Elem::kFloat, s.n_targets, "ai.onnx.ml");
  ::onnx::NodeProto& n = l.g.last();
  set_attr(n, "n_targets", s.n_targets);
  set_attr(n, "aggregate_function", std::string(s.average ? "AVERAGE" : "SUM"));
  set_attr(n, "post_transform", std::string("NONE"));
  set_attr(n, "nodes_treeids", tree_ids);
  set_attr(n, "nodes_nodeids", node_ids);
  set_attr(n, "nodes_featureids", feature_ids);
  set_attr(n, "nodes_modes", modes);
  set_tensor_attr(n, "nodes_values_as_tensor", thresholds);
  set_attr(n, "nodes_truenodeids", true_ids);
  set_attr(n, "nodes_falsenodeids", false_ids);
  if (any_missing) set_attr(n, "nodes_missing_value_tracks_true", missing_true);
  set_attr(n, "target_treeids", t_tree);
  set_attr(n, "target_nodeids", t_node);
  set_attr(n, "target_ids", t_target);
  set_tensor_attr(n, "target_weights_as_tensor", t_weight);
  if (!s.base.isZero()) {
    set_tensor_attr(n, "base_values_as_tensor", {s.base.data(), s.base.data() + s.base.size()});
  }
  return out;
}

}  // namespace

Outputs lower_trees(const model::TreeRegressor& m, const Tensor& x, Lowering& l) {
  Tensor raw = tree_ensemble(m.sum, x, l);
  if (m.link == model::Link::kExp) raw = l.g.op("Exp", {l.to_double(raw)}, Elem::kDouble, raw.cols);
  return {std::nullopt, std::nullopt, l.to_io(raw)};
}

Outputs lower_trees(const model::TreeClassifier& m, const Tensor& x, Lowering& l) {
  Tensor raw = tree_ensemble(m.sum, x, l);
  auto n_classes = static_cast<std::int64_t>(m.classes.size());
  Tensor proba;
  switch (m.link) {
  case model::Link::kIdentity:
  case model::Link::kExp: proba = raw; break;  // averaged leaf fractions
  case model::Link::kSigmoid:
  case model::Link::kSigmoidTwice: {
    Tensor r = l.to_double(raw);
    if (m.link == model::Link::kSigmoidTwice)
      r = l.g.op("Mul", {r, l.g.scalar("two", 2.0, Elem::kDouble)}, Elem::kDouble, 1);
    Tensor p = l.g.op("Sigmoid", {r}, Elem::kDouble, 1);
    Tensor q = l.g.op("Sub", {l.g.scalar("one", 1.0, Elem::kDouble), p}, Elem::kDouble, 1);
    proba = l.g.op("Concat", {q, p}, Elem::kDouble, 2);
    set_attr(l.g.last(), "axis", std::int64_t{1});
    break;
  }
  case model::Link::kSoftmax:
    proba = l.g.op("Softmax", {l.to_double(raw)}, Elem::kDouble, n_classes);
    set_attr(l.g.last(), "axis", std::int64_t{1});
    break;
  }
  Outputs out;
  out.label = argmax_label(proba, m.classes, l);
  out.probabilities = l.to_io(proba);
  return out;
}

}  // namespace depickle::writers
