#pragma once
// Finding the model files in a folder, for `batch` and `scan DIR`.

#include <filesystem>
#include <vector>

namespace depickle::cli {

/// Whether `p`'s first bytes look like a pickle or a compressed stream:
/// PROTO 2-5, a compression magic, or a protocol 0/1 opening.
bool looks_like_pickle(const std::filesystem::path& p);

/// Whether `p` resolves (through symlinks) to a path inside `root` (canonical).
bool resolves_inside(const std::filesystem::path& p, const std::filesystem::path& root);

/// Model files under the canonical folder `root`, recursively, sorted: regular
/// files that look like pickles, and files named like models (.pkl, .joblib,
/// .sav, ...) whatever their first bytes — a corrupt or oddly opening model is
/// reported, not skipped. Symlinks count only when they resolve inside `root`.
std::vector<std::filesystem::path> model_files(const std::filesystem::path& root);

}  // namespace depickle::cli
