#pragma once
// Lossless JSON of a loaded pickle (the depickle.json format, documented in
// docs/json-format.md and schemas/depickle.schema.json). Streaming: the
// document is never built in memory.

#include "io/output.h"
#include "pickle/document.h"

namespace depickle::writers {

/// Writes `doc` as one line of JSON. Values nested deeper than `max_nesting`
/// stop the writer with Error(kLimit).
void write_json(const pickle::Document& doc, io::Output& out, std::uint64_t max_nesting);

}  // namespace depickle::writers
