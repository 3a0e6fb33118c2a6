#include "writers/onnx/graph.h"

#include <cctype>

namespace depickle::writers {

namespace {
std::string str_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

::onnx::TensorProto_DataType onnx_type(Elem elem) {
  switch (elem) {
  case Elem::kFloat: return ::onnx::TensorProto_DataType_FLOAT;
  case Elem::kDouble: return ::onnx::TensorProto_DataType_DOUBLE;
  case Elem::kInt64: return ::onnx::TensorProto_DataType_INT64;
  case Elem::kString: return ::onnx::TensorProto_DataType_STRING;
  case Elem::kBool: return ::onnx::TensorProto_DataType_BOOL;
  }
  return ::onnx::TensorProto_DataType_UNDEFINED;
}

std::string GraphBuilder::fresh(std::string_view hint) {
  std::string base(hint);
  int& n = used_[base];
  std::string name = n == 0 ? base : base + "_" + std::to_string(n);
  ++n;
  return name;
}

namespace {
::onnx::TensorProto& new_initializer(::onnx::GraphProto& g, const std::string& name, Elem elem,
                                     const std::vector<std::int64_t>& dims) {
  ::onnx::TensorProto& t = *g.add_initializer();
  t.set_name(name);
  t.set_data_type(onnx_type(elem));
  for (auto d : dims) t.add_dims(d);
  return t;
}
}  // namespace

Tensor GraphBuilder::constant(std::string_view hint, const std::vector<double>& values,
                              const std::vector<std::int64_t>& dims, Elem elem) {
  std::string name = fresh(hint);
  ::onnx::TensorProto& t = new_initializer(graph_, name, elem, dims);
  if (elem == Elem::kDouble) {
    t.mutable_raw_data()->assign(reinterpret_cast<const char*>(values.data()),
                                 values.size() * sizeof(double));
  } else {
    std::vector<float> f(values.begin(), values.end());
    t.mutable_raw_data()->assign(reinterpret_cast<const char*>(f.data()), f.size() * sizeof(float));
  }
  return {name, elem, dims.size() == 2 ? dims[1] : -1};
}

Tensor GraphBuilder::constant_raw(std::string_view hint, Elem elem,
                                  const std::vector<std::int64_t>& dims, std::string_view raw) {
  std::string name = fresh(hint);
  ::onnx::TensorProto& t = new_initializer(graph_, name, elem, dims);
  if (raw.size() < defer_bytes_ || raw.empty()) {
    t.set_raw_data(std::string(raw));
  } else {
    // dims (1), data_type (2) and name (8) as protobuf writes them, then
    // raw_data (9), the last field set: byte for byte the full message.
    wire::Pieces bytes;
    bytes.add(t.SerializeAsString());
    bytes.add(wire::tag(9, wire::kLengthDelimited) + wire::varint(raw.size()));
    bytes.add_borrowed(raw);
    std::size_t element = raw.size();
    for (auto d : dims) element /= static_cast<std::size_t>(d > 0 ? d : 1);
    t.clear_dims();
    t.add_dims(1);
    t.set_raw_data(std::string(element, '\0'));
    Deferred d;
    d.initializer = graph_.initializer_size() - 1;
    d.bytes = std::move(bytes);
    deferred_.push_back(std::move(d));
  }
  return {name, elem, dims.size() == 2 ? dims[1] : -1};
}

Tensor GraphBuilder::scalar(std::string_view hint, double value, Elem elem) {
  return constant(hint, {value}, {}, elem);
}

Tensor GraphBuilder::constant_ints(std::string_view hint, const std::vector<std::int64_t>& values,
                                   const std::vector<std::int64_t>& dims) {
  std::string name = fresh(hint);
  ::onnx::TensorProto& t = new_initializer(graph_, name, Elem::kInt64, dims);
  t.mutable_raw_data()->assign(reinterpret_cast<const char*>(values.data()),
                               values.size() * sizeof(std::int64_t));
  return {name, Elem::kInt64, -1};
}

Tensor GraphBuilder::constant_strings(std::string_view hint,
                                      const std::vector<std::string>& values) {
  std::string name = fresh(hint);
  ::onnx::TensorProto& t =
      new_initializer(graph_, name, Elem::kString, {static_cast<std::int64_t>(values.size())});
  for (const auto& v : values) t.add_string_data(v);
  return {name, Elem::kString, -1};
}

Tensor GraphBuilder::op(std::string_view op_type, std::initializer_list<Tensor> inputs, Elem elem,
                        std::int64_t cols, std::string_view domain) {
  ::onnx::NodeProto& n = *graph_.add_node();
  std::string out = fresh(str_lower(op_type));
  n.set_op_type(std::string(op_type));
  n.set_name(out);
  if (!domain.empty()) n.set_domain(std::string(domain));
  for (const auto& in : inputs) n.add_input(in.name);
  n.add_output(out);
  return {out, elem, cols};
}

Tensor GraphBuilder::cast(const Tensor& t, Elem to) {
  if (t.elem == to) return t;
  Tensor out = op("Cast", {t}, to, t.cols);
  set_attr(last(), "to", static_cast<std::int64_t>(onnx_type(to)));
  return out;
}

Tensor GraphBuilder::identity(const Tensor& t, const std::string& name) {
  ::onnx::NodeProto& n = *graph_.add_node();
  n.set_op_type("Identity");
  n.set_name(fresh(name + "_identity"));
  n.add_input(t.name);
  n.add_output(name);
  return {name, t.elem, t.cols};
}

void GraphBuilder::defer_attribute(const std::string& name,
                                   ::onnx::AttributeProto_AttributeType type, wire::Pieces bytes) {
  ::onnx::NodeProto& n = last();
  // The placeholder describes a one-node tree (one entry of the same type),
  // so the checker validates the node's structure.
  auto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(type);
  if (type == ::onnx::AttributeProto_AttributeType_TENSOR) {
    a.mutable_t()->set_data_type(::onnx::TensorProto_DataType_DOUBLE);
    a.mutable_t()->add_dims(1);
    a.mutable_t()->add_double_data(0.0);
  } else if (type == ::onnx::AttributeProto_AttributeType_STRINGS) {
    a.add_strings("LEAF");
  } else {
    a.add_ints(0);
  }
  Deferred d;
  d.node = graph_.node_size() - 1;
  d.attribute = n.attribute_size() - 1;
  d.bytes = std::move(bytes);
  deferred_.push_back(std::move(d));
}

void set_attr(::onnx::NodeProto& node, const std::string& name, std::int64_t value) {
  auto& a = *node.add_attribute();
  a.set_name(name);
  a.set_type(::onnx::AttributeProto_AttributeType_INT);
  a.set_i(value);
}

void set_attr(::onnx::NodeProto& node, const std::string& name, const std::string& value) {
  auto& a = *node.add_attribute();
  a.set_name(name);
  a.set_type(::onnx::AttributeProto_AttributeType_STRING);
  a.set_s(value);
}

void set_attr(::onnx::NodeProto& node, const std::string& name,
              const std::vector<std::int64_t>& values) {
  auto& a = *node.add_attribute();
  a.set_name(name);
  a.set_type(::onnx::AttributeProto_AttributeType_INTS);
  a.mutable_ints()->Add(values.begin(), values.end());
}

void set_attr(::onnx::NodeProto& node, const std::string& name,
              const std::vector<std::string>& values) {
  auto& a = *node.add_attribute();
  a.set_name(name);
  a.set_type(::onnx::AttributeProto_AttributeType_STRINGS);
  for (const auto& v : values) a.add_strings(v);
}

void set_attr(::onnx::NodeProto& node, const std::string& name, const std::vector<float>& values) {
  auto& a = *node.add_attribute();
  a.set_name(name);
  a.set_type(::onnx::AttributeProto_AttributeType_FLOATS);
  a.mutable_floats()->Add(values.begin(), values.end());
}

void set_tensor_attr(::onnx::NodeProto& node, const std::string& name,
                     const std::vector<double>& values) {
  auto& a = *node.add_attribute();
  a.set_name(name);
  a.set_type(::onnx::AttributeProto_AttributeType_TENSOR);
  ::onnx::TensorProto& t = *a.mutable_t();
  t.set_data_type(::onnx::TensorProto_DataType_DOUBLE);
  t.add_dims(static_cast<std::int64_t>(values.size()));
  t.mutable_raw_data()->assign(reinterpret_cast<const char*>(values.data()),
                               values.size() * sizeof(double));
}

}  // namespace depickle::writers
