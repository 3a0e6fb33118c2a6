// Tree sums as one ai.onnx.ml TreeEnsembleRegressor on double input, with
// double thresholds and leaf values (the *_as_tensor attributes): x <= t is
// then decided exactly as scikit-learn decides it (float32 features compared
// with float64 thresholds), and NaN follows the learned routing.
//
// The per-node attributes of a forest hold millions of entries. They are
// encoded in one pass over the trees' own arrays, straight into protobuf wire
// bytes that the writer splices into the file (GraphBuilder::defer_attribute).

#include "writers/onnx/lower.h"

namespace depickle::writers {

namespace {

using wire::Bytes;

constexpr std::uint8_t kIntsTag = 0x40;     // AttributeProto.ints (8), varint
constexpr std::uint8_t kStringsTag = 0x4A;  // AttributeProto.strings (9), bytes

struct IntsColumn {
  std::shared_ptr<Bytes> bytes;
  char* p = nullptr;
  IntsColumn(std::size_t entries, std::uint64_t max_value)
      : bytes(std::make_shared<Bytes>(entries * (1 + wire::varint_size(max_value)))),
        p(bytes->end()) {}
  void add(std::uint64_t v) {
    *p++ = static_cast<char>(kIntsTag);
    p = wire::put_varint(p, v);
  }
  std::shared_ptr<Bytes> done() {
    bytes->advance(p);
    return bytes;
  }
};

struct DoublesColumn {
  std::shared_ptr<Bytes> bytes;
  char* p = nullptr;
  std::size_t count = 0;
  explicit DoublesColumn(std::size_t entries)
      : bytes(std::make_shared<Bytes>(entries * sizeof(double))), p(bytes->end()) {}
  void add(double v) {
    std::memcpy(p, &v, sizeof v);
    p += sizeof v;
    ++count;
  }
  std::shared_ptr<Bytes> done() {
    bytes->advance(p);
    return bytes;
  }
};

std::string attribute_head(const std::string& name) {
  return wire::length_prefixed(1, name);
}
std::string attribute_type(::onnx::AttributeProto_AttributeType type) {
  return wire::tag(20, wire::kVarint) + wire::varint(static_cast<std::uint64_t>(type));
}

wire::Pieces repeated_attribute(const std::string& name, std::shared_ptr<Bytes> payload,
                                ::onnx::AttributeProto_AttributeType type) {
  wire::Pieces p;
  p.add(attribute_head(name));
  p.add(std::move(payload));
  p.add(attribute_type(type));
  return p;
}

// A TENSOR attribute: TensorProto{dims: [count], data_type: DOUBLE, raw_data}.
wire::Pieces tensor_attribute(const std::string& name, std::shared_ptr<Bytes> raw,
                              std::size_t count) {
  std::string dims = wire::tag(1, wire::kVarint) + wire::varint(count);
  std::string type =
      wire::tag(2, wire::kVarint) + wire::varint(::onnx::TensorProto_DataType_DOUBLE);
  std::string raw_head = wire::tag(9, wire::kLengthDelimited) + wire::varint(raw->size());
  std::size_t tensor_size = dims.size() + type.size() + raw_head.size() + raw->size();
  wire::Pieces p;
  p.add(attribute_head(name) + wire::tag(5, wire::kLengthDelimited) + wire::varint(tensor_size) +
        dims + type + raw_head);
  p.add(std::move(raw));
  p.add(attribute_type(::onnx::AttributeProto_AttributeType_TENSOR));
  return p;
}

Tensor tree_ensemble(const model::TreeSum& s, const Tensor& x, Lowering& l) {
  std::size_t nodes = 0;
  std::int64_t max_nodes = 1;
  std::size_t value_entries = 0;
  for (const auto& t : s.trees) {
    nodes += static_cast<std::size_t>(t.nodes);
    max_nodes = std::max(max_nodes, t.nodes);
    value_entries += static_cast<std::size_t>(t.nodes * t.used_cols);
  }
  auto tree_count = static_cast<std::uint64_t>(s.trees.size());
  IntsColumn tree_ids(nodes, tree_count), node_ids(nodes, static_cast<std::uint64_t>(max_nodes));
  IntsColumn feature_ids(nodes,
                         static_cast<std::uint64_t>(std::max<std::int64_t>(s.n_features, 1)));
  IntsColumn true_ids(nodes, static_cast<std::uint64_t>(max_nodes));
  IntsColumn false_ids(nodes, static_cast<std::uint64_t>(max_nodes));
  IntsColumn missing(nodes, 1);
  auto modes = std::make_shared<Bytes>(nodes * 12);
  char* mode_p = modes->end();
  DoublesColumn thresholds(nodes);
  IntsColumn t_tree(value_entries, tree_count),
      t_node(value_entries, static_cast<std::uint64_t>(max_nodes));
  IntsColumn t_id(value_entries, static_cast<std::uint64_t>(s.n_targets));
  DoublesColumn t_weight(value_entries);
  bool any_missing = false;
  std::vector<double> values;

  for (std::size_t ti = 0; ti < s.trees.size(); ++ti) {
    const model::Tree& t = s.trees[ti];
    values.resize(static_cast<std::size_t>(t.used_cols));
    std::int64_t target = s.tree_target[ti];
    for (std::int64_t i = 0; i < t.nodes; ++i) {
      auto idx = static_cast<std::size_t>(i);
      bool leaf = t.leaf(i);
      tree_ids.add(ti);
      node_ids.add(static_cast<std::uint64_t>(i));
      feature_ids.add(leaf ? 0 : static_cast<std::uint64_t>(t.feature.i64(idx)));
      true_ids.add(leaf ? 0 : static_cast<std::uint64_t>(t.left.i64(idx)));
      false_ids.add(leaf ? 0 : static_cast<std::uint64_t>(t.right.i64(idx)));
      bool missing_left = !leaf && !t.missing_left.empty() && t.missing_left.i64(idx) != 0;
      missing.add(missing_left ? 1 : 0);
      any_missing = any_missing || missing_left;
      thresholds.add(leaf ? 0.0 : t.threshold.f64(idx));
      if (!leaf) {
        std::memcpy(mode_p,
                    "\x4a\x0a"
                    "BRANCH_LEQ",
                    12);
        mode_p += 12;
        continue;
      }
      std::memcpy(mode_p,
                  "\x4a\x04"
                  "LEAF",
                  6);
      mode_p += 6;
      t.leaf_values(i, values.data());
      for (std::int64_t k = 0; k < t.used_cols; ++k) {
        double w = values[static_cast<std::size_t>(k)];
        if (w == 0.0) continue;  // absent entries add nothing
        t_tree.add(ti);
        t_node.add(static_cast<std::uint64_t>(i));
        t_id.add(static_cast<std::uint64_t>(target >= 0 ? target : k));
        t_weight.add(w);
      }
    }
  }
  modes->advance(mode_p);
  (void)kStringsTag;

  using A = ::onnx::AttributeProto_AttributeType;
  Tensor out =
      l.g.op("TreeEnsembleRegressor", {l.to_double(x)}, Elem::kFloat, s.n_targets, "ai.onnx.ml");
  ::onnx::NodeProto& n = l.g.last();
  set_attr(n, "n_targets", s.n_targets);
  set_attr(n, "aggregate_function", std::string(s.average ? "AVERAGE" : "SUM"));
  set_attr(n, "post_transform", std::string("NONE"));
  // Each attribute is deferred under its name with a placeholder of its type.
  auto ints = [&](const char* name, auto&& bytes) {
    l.g.defer_attribute(name, A::AttributeProto_AttributeType_INTS,
                        repeated_attribute(name, bytes, A::AttributeProto_AttributeType_INTS));
  };
  auto tensor = [&](const char* name, auto&& bytes, std::size_t count) {
    l.g.defer_attribute(name, A::AttributeProto_AttributeType_TENSOR,
                        tensor_attribute(name, bytes, count));
  };
  ints("nodes_treeids", tree_ids.done());
  ints("nodes_nodeids", node_ids.done());
  ints("nodes_featureids", feature_ids.done());
  l.g.defer_attribute(
      "nodes_modes", A::AttributeProto_AttributeType_STRINGS,
      repeated_attribute("nodes_modes", modes, A::AttributeProto_AttributeType_STRINGS));
  std::size_t node_count = thresholds.count;
  tensor("nodes_values_as_tensor", thresholds.done(), node_count);
  ints("nodes_truenodeids", true_ids.done());
  ints("nodes_falsenodeids", false_ids.done());
  if (any_missing) ints("nodes_missing_value_tracks_true", missing.done());
  std::size_t target_count = t_weight.count;
  ints("target_treeids", t_tree.done());
  ints("target_nodeids", t_node.done());
  ints("target_ids", t_id.done());
  tensor("target_weights_as_tensor", t_weight.done(), target_count);
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
