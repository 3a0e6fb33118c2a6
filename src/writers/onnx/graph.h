#pragma once
// A small builder over onnx::GraphProto: deterministic names, typed
// initializers and nodes. Namespace note: ours is depickle::writers; `onnx`
// below is always protobuf's ::onnx.

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "writers/onnx/wire.h"

namespace depickle::writers {

enum class Elem : std::uint8_t { kFloat, kDouble, kInt64, kString, kBool };

::onnx::TensorProto_DataType onnx_type(Elem elem);

/// A value in the graph: its name, element type and number of columns
/// (-1 when not known or not a matrix).
struct Tensor {
  std::string name;
  Elem elem = Elem::kFloat;
  std::int64_t cols = -1;
};

class GraphBuilder {
 public:
  /// Initializers of `defer_bytes` or more are deferred (see constant_raw).
  explicit GraphBuilder(::onnx::GraphProto& graph, std::size_t defer_bytes = kDeferBytes)
      : graph_(graph), defer_bytes_(defer_bytes) {}
  static constexpr std::size_t kDeferBytes = std::size_t{64} << 10;

  /// A fresh name: `hint`, then `hint_1`, `hint_2`, ... (deterministic).
  std::string fresh(std::string_view hint);

  // Initializers.
  Tensor constant(std::string_view hint, const std::vector<double>& values,
                  const std::vector<std::int64_t>& dims, Elem elem = Elem::kDouble);
  Tensor scalar(std::string_view hint, double value, Elem elem);
  Tensor constant_ints(std::string_view hint, const std::vector<std::int64_t>& values,
                       const std::vector<std::int64_t>& dims);
  Tensor constant_strings(std::string_view hint, const std::vector<std::string>& values);
  /// An initializer whose raw data (little-endian, C order) is `raw`, which
  /// must outlive the write. Large ones are not copied: the tensor gets a
  /// one-element placeholder and the writer splices `raw` into the output.
  Tensor constant_raw(std::string_view hint, Elem elem, const std::vector<std::int64_t>& dims,
                      std::string_view raw);

  /// Adds a node with one new output of type `elem`.
  Tensor op(std::string_view op_type, std::initializer_list<Tensor> inputs, Elem elem,
            std::int64_t cols = -1, std::string_view domain = "");
  /// The node just added by op(), to set attributes.
  ::onnx::NodeProto& last() { return *graph_.mutable_node(graph_.node_size() - 1); }

  // Common shapes of use.
  Tensor cast(const Tensor& t, Elem to);
  Tensor identity(const Tensor& t, const std::string& name);

  [[nodiscard]] ::onnx::GraphProto& graph() { return graph_; }

  /// A large attribute of the last node, already encoded (a complete
  /// AttributeProto). The node gets a placeholder of the same name and type;
  /// the writer splices the bytes in (see onnx_writer.cpp).
  struct Deferred {
    int node = -1;  // an attribute of a node...
    int attribute = -1;
    int initializer = -1;  // ...or an initializer (a complete TensorProto)
    wire::Pieces bytes;
  };
  void defer_attribute(const std::string& name, ::onnx::AttributeProto_AttributeType type,
                       wire::Pieces bytes);
  [[nodiscard]] std::vector<Deferred>& deferred() { return deferred_; }

 private:
  ::onnx::GraphProto& graph_;
  std::size_t defer_bytes_;
  std::vector<Deferred> deferred_;
  std::unordered_map<std::string, int> used_;
};

// Attribute setters.
void set_attr(::onnx::NodeProto& node, const std::string& name, std::int64_t value);
void set_attr(::onnx::NodeProto& node, const std::string& name, const std::string& value);
void set_attr(::onnx::NodeProto& node, const std::string& name,
              const std::vector<std::int64_t>& values);
void set_attr(::onnx::NodeProto& node, const std::string& name,
              const std::vector<std::string>& values);
void set_attr(::onnx::NodeProto& node, const std::string& name, const std::vector<float>& values);
/// A double tensor attribute (the ai.onnx.ml *_as_tensor attributes).
void set_tensor_attr(::onnx::NodeProto& node, const std::string& name,
                     const std::vector<double>& values);

}  // namespace depickle::writers
