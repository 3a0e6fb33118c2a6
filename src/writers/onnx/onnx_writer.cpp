#include "writers/onnx/onnx_writer.h"

#include <onnx/checker.h>

#include <algorithm>

#include "converters/registry.h"
#include "core/error.h"
#include "writers/onnx/lower.h"
#include "writers/onnx/wire.h"

namespace depickle::writers {

namespace {

void set_type(::onnx::ValueInfoProto& v, const std::string& name, Elem elem,
              std::initializer_list<std::int64_t> dims) {
  v.set_name(name);
  auto* tensor = v.mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx_type(elem));
  auto* shape = tensor->mutable_shape();
  for (auto d : dims) {
    auto* dim = shape->add_dim();
    if (d < 0) {
      dim->set_dim_param("N");
    } else {
      dim->set_dim_value(d);
    }
  }
}

void add_output(::onnx::GraphProto& g, GraphBuilder& b, const Tensor& t, const std::string& name,
                bool matrix) {
  b.identity(t, name);
  if (matrix) {
    set_type(*g.add_output(), name, t.elem, {-1, t.cols < 0 ? 1 : t.cols});
  } else {
    set_type(*g.add_output(), name, t.elem, {-1});
  }
}

// Class names of the estimators inside, for the doc string.
void describe(const model::Estimator& e, std::string& out) {
  if (const auto* p = std::get_if<model::Pipeline>(&e.kind)) {
    out += "Pipeline(";
    for (std::size_t i = 0; i < p->steps.size(); ++i) {
      if (i != 0) out += ", ";
      describe(p->steps[i], out);
    }
    out += ")";
    return;
  }
  auto dot = e.sklearn_class.rfind('.');
  out += dot == std::string::npos ? e.sklearn_class : e.sklearn_class.substr(dot + 1);
}

void add_meta(::onnx::ModelProto& m, const std::string& key, const std::string& value) {
  auto* p = m.add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

const model::Labels* classes_of(const model::Estimator& e) {
  if (const auto* p = std::get_if<model::Pipeline>(&e.kind)) return classes_of(p->steps.back());
  if (const auto* c = std::get_if<model::LinearClassifier>(&e.kind)) return &c->classes;
  if (const auto* c = std::get_if<model::TreeClassifier>(&e.kind)) return &c->classes;
  return nullptr;
}

// protobuf cannot parse a message over 2 GiB; ONNX Runtime neither.
constexpr std::size_t kMaxProtobufBytes = (std::size_t{1} << 31) - 1;

[[noreturn]] void too_large(std::size_t bytes) {
  throw Error(ErrorCode::kLimit, "ONNX file size",
              str_cat("the model would take ", bytes,
                      " bytes; protobuf (and so ONNX) is limited to 2 GiB"));
}

}  // namespace

void write_onnx(const pickle::Document& doc, io::Output& out, const OnnxOptions& options,
                const Limits& limits, std::size_t check_in_memory_bytes) {
  const std::size_t in_memory_limit = check_in_memory_bytes;
  if (options.opset < kMinOpset || options.opset > kMaxOpset) {
    throw Error(ErrorCode::kUsage, str_cat("--opset ", options.opset),
                str_cat("supported: ", kMinOpset, " to ", kMaxOpset));
  }
  model::Estimator estimator = converters::convert_root(*doc.root(), limits);
  if (estimator.n_features < 0) {
    throw Error(ErrorCode::kUnsupported, estimator.sklearn_class,
                "the pickle does not say how many features the model takes");
  }
  ::onnx::ModelProto m;
  m.set_ir_version(kIrVersion);
  m.set_producer_name("depickle");
  m.set_producer_version(std::string(version()));
  auto* core = m.add_opset_import();
  core->set_domain("");
  core->set_version(options.opset);
  auto* ml = m.add_opset_import();
  ml->set_domain("ai.onnx.ml");
  ml->set_version(kMlOpset);

  ::onnx::GraphProto& g = *m.mutable_graph();
  std::string summary;
  describe(estimator, summary);
  g.set_name(summary.substr(0, summary.find('(')));
  GraphBuilder builder(g, std::min(GraphBuilder::kDeferBytes, in_memory_limit));
  Elem io = options.double_input ? Elem::kDouble : Elem::kFloat;
  set_type(*g.add_input(), "X", io, {-1, estimator.n_features});
  Lowering lowering{builder, io};
  Outputs outputs = lower(estimator, Tensor{"X", io, estimator.n_features}, lowering);
  if (outputs.label) {
    if (options.zipmap) {
      const model::Labels* classes = classes_of(estimator);
      add_output(g, builder, *outputs.label, "output_label", false);
      Tensor probs = builder.cast(*outputs.probabilities, Elem::kFloat);
      ::onnx::NodeProto& z = *g.add_node();
      z.set_op_type("ZipMap");
      z.set_domain("ai.onnx.ml");
      z.set_name("zipmap");
      z.add_input(probs.name);
      z.add_output("output_probability");
      if (classes->is_string()) {
        set_attr(z, "classlabels_strings", classes->strings);
      } else {
        set_attr(z, "classlabels_int64s", classes->ints);
      }
      auto& o = *g.add_output();
      o.set_name("output_probability");
      auto* map =
          o.mutable_type()->mutable_sequence_type()->mutable_elem_type()->mutable_map_type();
      map->set_key_type(classes->is_string() ? ::onnx::TensorProto_DataType_STRING
                                             : ::onnx::TensorProto_DataType_INT64);
      map->mutable_value_type()->mutable_tensor_type()->set_elem_type(
          ::onnx::TensorProto_DataType_FLOAT);
    } else {
      add_output(g, builder, *outputs.label, "label", false);
      add_output(g, builder, *outputs.probabilities, "probabilities", true);
    }
  } else {
    add_output(g, builder, *outputs.variable, "variable", true);
  }

  std::string origin =
      doc.name() == "<stdin>" ? "stdin" : doc.name().substr(doc.name().rfind('/') + 1);
  m.set_doc_string(str_cat("Converted by depickle ", version(), " from ", origin, " (",
                           doc.container(), ", sha256 ", doc.sha256(), ", scikit-learn ",
                           doc.sklearn_version().value_or("unknown"), "): ", summary));
  g.set_doc_string(summary);
  add_meta(m, "source_sha256", doc.sha256());
  add_meta(m, "source_container", doc.container());
  add_meta(m, "sklearn_version", doc.sklearn_version().value_or("unknown"));
  add_meta(m, "estimator_class", estimator.sklearn_class);
  if (estimator.pickled_as != estimator.sklearn_class) {
    add_meta(m, "estimator_pickled_as", estimator.pickled_as);  // the spelling in the file
  }
  add_meta(m, "depickle_version", std::string(version()));

  // Large tree attributes were encoded straight to wire bytes. Small models
  // get them parsed back in, so the checker sees exactly what is written;
  // for large ones the checker validates the model with empty placeholders
  // of the same names and types (the encoder is tested to match protobuf's
  // own serialization byte for byte).
  auto& deferred = builder.deferred();
  std::size_t deferred_bytes = 0;
  for (const auto& d : deferred) deferred_bytes += d.bytes.size();
  bool in_memory = deferred_bytes <= in_memory_limit;
  if (in_memory) {
    for (const auto& d : deferred) {
      if (d.initializer >= 0) {
        g.mutable_initializer(d.initializer)->ParseFromString(d.bytes.joined());
      } else {
        g.mutable_node(d.node)->mutable_attribute(d.attribute)->ParseFromString(d.bytes.joined());
      }
    }
  }
  try {
    ::onnx::checker::check_model(m);
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kInternal, "ONNX checker", e.what());
  }
  if (in_memory) {
    if (m.ByteSizeLong() > kMaxProtobufBytes) too_large(m.ByteSizeLong());
    std::string bytes;
    if (!m.SerializeToString(&bytes))
      throw Error(ErrorCode::kInternal, "ONNX", "serialization failed");
    out.write(bytes);
  } else {
    write_spliced(m, deferred, out);
  }
}

void write_spliced(::onnx::ModelProto& m, const std::vector<GraphBuilder::Deferred>& deferred,
                   io::Output& out) {
  using wire::tag;
  using wire::varint;
  auto put_message = [&](std::uint32_t field, std::size_t size) {
    out.write(tag(field, wire::kLengthDelimited));
    out.write(varint(size));
  };
  ::onnx::GraphProto& g = *m.mutable_graph();
  // Sizes of the nodes, the spliced ones from their parts.
  std::vector<std::string> node_bytes(static_cast<std::size_t>(g.node_size()));
  std::vector<std::size_t> node_sizes(node_bytes.size());
  std::vector<std::vector<const GraphBuilder::Deferred*>> by_node(node_bytes.size());
  std::vector<const wire::Pieces*> by_initializer(static_cast<std::size_t>(g.initializer_size()));
  for (const auto& d : deferred) {
    if (d.initializer >= 0) {
      by_initializer[static_cast<std::size_t>(d.initializer)] = &d.bytes;
    } else {
      by_node[static_cast<std::size_t>(d.node)].push_back(&d);
    }
  }
  auto attribute_bytes = [&](std::size_t node, int j, std::string& scratch) -> const wire::Pieces* {
    for (const auto* d : by_node[node]) {
      if (d->attribute == j) return &d->bytes;
    }
    scratch = g.node(static_cast<int>(node)).attribute(j).SerializeAsString();
    return nullptr;
  };
  std::size_t graph_size = 0;
  for (std::size_t i = 0; i < node_bytes.size(); ++i) {
    const ::onnx::NodeProto& n = g.node(static_cast<int>(i));
    if (by_node[i].empty()) {
      node_bytes[i] = n.SerializeAsString();
      node_sizes[i] = node_bytes[i].size();
    } else {
      ::onnx::NodeProto parts = n;  // small: big attributes are placeholders
      parts.clear_attribute();
      std::size_t size = parts.ByteSizeLong();
      for (int j = 0; j < n.attribute_size(); ++j) {
        std::string scratch;
        const wire::Pieces* p = attribute_bytes(i, j, scratch);
        std::size_t len = p != nullptr ? p->size() : scratch.size();
        size += 1 + wire::varint_size(len) + len;
      }
      node_sizes[i] = size;
    }
    graph_size += 1 + wire::varint_size(node_sizes[i]) + node_sizes[i];
  }
  // After the nodes (1): name (2), initializers (5), then the rest (10-15).
  ::onnx::GraphProto name_only;
  if (g.has_name()) name_only.set_name(g.name());
  std::string graph_name = name_only.SerializeAsString();
  std::vector<std::string> initializer_bytes(by_initializer.size());
  std::vector<std::size_t> initializer_sizes(by_initializer.size());
  for (std::size_t i = 0; i < by_initializer.size(); ++i) {
    if (by_initializer[i] == nullptr) {
      initializer_bytes[i] = g.initializer(static_cast<int>(i)).SerializeAsString();
      initializer_sizes[i] = initializer_bytes[i].size();
    } else {
      initializer_sizes[i] = by_initializer[i]->size();
    }
  }
  ::google::protobuf::RepeatedPtrField<::onnx::NodeProto> nodes;
  ::google::protobuf::RepeatedPtrField<::onnx::TensorProto> initializers;
  nodes.Swap(g.mutable_node());
  initializers.Swap(g.mutable_initializer());
  std::string saved_name = g.name();
  bool had_name = g.has_name();
  g.clear_name();
  std::string graph_rest = g.SerializeAsString();
  if (had_name) g.set_name(saved_name);
  nodes.Swap(g.mutable_node());
  initializers.Swap(g.mutable_initializer());
  graph_size += graph_name.size() + graph_rest.size();
  for (std::size_t size : initializer_sizes) graph_size += 1 + wire::varint_size(size) + size;
  if (graph_size > kMaxProtobufBytes) too_large(graph_size);

  // ModelProto fields before graph (7), the graph, then the fields after it.
  std::unique_ptr<::onnx::GraphProto> graph(m.release_graph());
  ::onnx::ModelProto tail;
  tail.mutable_opset_import()->Swap(m.mutable_opset_import());
  tail.mutable_metadata_props()->Swap(m.mutable_metadata_props());
  out.write(m.SerializeAsString());
  put_message(7, graph_size);
  for (std::size_t i = 0; i < node_bytes.size(); ++i) {
    put_message(1, node_sizes[i]);
    if (by_node[i].empty()) {
      out.write(node_bytes[i]);
      continue;
    }
    const ::onnx::NodeProto& n = graph->node(static_cast<int>(i));
    ::onnx::NodeProto head =
        n;  // NodeProto: input..op_type (1-4), attribute (5), doc_string, domain
    head.clear_attribute();
    head.clear_doc_string();
    head.clear_domain();
    out.write(head.SerializeAsString());
    for (int j = 0; j < n.attribute_size(); ++j) {
      std::string scratch;
      const wire::Pieces* p = nullptr;
      for (const auto* d : by_node[i]) {
        if (d->attribute == j) p = &d->bytes;
      }
      if (p == nullptr) scratch = n.attribute(j).SerializeAsString();
      put_message(5, p != nullptr ? p->size() : scratch.size());
      if (p != nullptr) {
        p->for_each([&](std::string_view piece) { out.write(piece); });
      } else {
        out.write(scratch);
      }
    }
    ::onnx::NodeProto rest;
    if (n.has_doc_string()) rest.set_doc_string(n.doc_string());
    if (n.has_domain()) rest.set_domain(n.domain());
    out.write(rest.SerializeAsString());
  }
  out.write(graph_name);
  for (std::size_t i = 0; i < by_initializer.size(); ++i) {
    put_message(5, initializer_sizes[i]);
    if (by_initializer[i] == nullptr) {
      out.write(initializer_bytes[i]);
    } else {
      by_initializer[i]->for_each([&](std::string_view piece) { out.write(piece); });
    }
  }
  out.write(graph_rest);
  out.write(tail.SerializeAsString());
  // Put the model back together (the caller may still use it).
  m.mutable_opset_import()->Swap(tail.mutable_opset_import());
  m.mutable_metadata_props()->Swap(tail.mutable_metadata_props());
  m.set_allocated_graph(graph.release());
}

}  // namespace depickle::writers
