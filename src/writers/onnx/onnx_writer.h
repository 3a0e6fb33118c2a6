#pragma once
// ONNX output: the typed model of a pickle lowered to ai.onnx + ai.onnx.ml
// operators with skl2onnx's interface (input X; label + probabilities, or
// variable), checked by onnx::checker before anything is written.

#include <cstdint>

#include "depickle.h"
#include "io/output.h"
#include "pickle/document.h"

namespace depickle::writers {

/// Pinned defaults: ai.onnx opset 15 and ai.onnx.ml opset 3, IR version 8 —
/// accepted by ONNX Runtime >= 1.11 and by onnx 1.12's checker.
inline constexpr std::int64_t kDefaultOpset = 15;
inline constexpr std::int64_t kMinOpset = 13;  // Softmax/ReduceSum semantics used here
inline constexpr std::int64_t kMaxOpset = 17;  // newest the bundled checker knows
inline constexpr std::int64_t kMlOpset = 3;
inline constexpr std::int64_t kIrVersion = 8;

void write_onnx(const pickle::Document& doc, io::Output& out, const OnnxOptions& options,
                const Limits& limits);

}  // namespace depickle::writers
