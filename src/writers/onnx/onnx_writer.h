#pragma once
// ONNX output: the typed model of a pickle lowered to ai.onnx + ai.onnx.ml
// operators with skl2onnx's interface (input X; label + probabilities, or
// variable), checked by onnx::checker before anything is written.

#include <cstdint>

#include "depickle.h"
#include "io/output.h"
#include "pickle/document.h"
#include "writers/onnx/graph.h"

namespace depickle::writers {

/// Pinned defaults: ai.onnx opset 15 and ai.onnx.ml opset 3, IR version 8 —
/// accepted by ONNX Runtime >= 1.11 and by onnx 1.12's checker.
inline constexpr std::int64_t kDefaultOpset = 15;
inline constexpr std::int64_t kMinOpset = 13;  // Softmax/ReduceSum semantics used here
inline constexpr std::int64_t kMaxOpset = 17;  // newest the bundled checker knows
inline constexpr std::int64_t kMlOpset = 3;
inline constexpr std::int64_t kIrVersion = 8;

/// Models whose large tree attributes take up to this many bytes are checked
/// as written; larger ones are checked with placeholders for those attributes
/// and written by splicing their encoded bytes (no second copy in memory).
/// Parsing the bytes back costs more than lowering the trees did (a 40 MB
/// forest: +150 ms) and tells the checker nothing new: it checks attribute
/// names and types, which the placeholders have, and the encoder is tested
/// to match protobuf's serialization byte for byte.
inline constexpr std::size_t kCheckInMemoryBytes = std::size_t{1} << 20;

void write_onnx(const pickle::Document& doc, io::Output& out, const OnnxOptions& options,
                const Limits& limits, std::size_t check_in_memory_bytes = kCheckInMemoryBytes);

/// Serializes `m`, splicing in the encoded `deferred` attributes (byte for
/// byte what protobuf would write had they been set normally).
void write_spliced(::onnx::ModelProto& m, const std::vector<GraphBuilder::Deferred>& deferred,
                   io::Output& out);

}  // namespace depickle::writers
