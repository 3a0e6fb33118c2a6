#include "writers/onnx/onnx_writer.h"

#include <onnx/checker.h>

#include "converters/registry.h"
#include "core/error.h"
#include "writers/onnx/lower.h"

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

}  // namespace

void write_onnx(const pickle::Document& doc, io::Output& out, const OnnxOptions& options,
                const Limits& limits) {
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
  GraphBuilder builder(g);
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

  try {
    ::onnx::checker::check_model(m);
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kInternal, "ONNX checker", e.what());
  }
  std::string bytes;
  if (!m.SerializeToString(&bytes))
    throw Error(ErrorCode::kInternal, "ONNX", "serialization failed");
  out.write(bytes);
}

}  // namespace depickle::writers
