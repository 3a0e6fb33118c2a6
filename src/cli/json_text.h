#pragma once
// Small helpers for the JSON the CLI writes (manifests, scan --json, batch
// reports): string quoting and atomic file replacement.

#include <string>
#include <string_view>

namespace depickle::cli {

/// A JSON string literal for `s` (UTF-8 passes through; control characters escaped).
std::string json_string(std::string_view s);

/// Writes `text` to `path` through a temporary file and a rename; throws
/// Error(kOutput) on failure and leaves no temporary file.
void write_atomically(const std::string& path, const std::string& text);

}  // namespace depickle::cli
