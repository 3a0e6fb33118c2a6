#pragma once
// A loaded pickle file: its bytes (mapped or decompressed), the object graph
// the restricted VM built from them, and facts about the container.

#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "depickle.h"
#include "io/input.h"
#include "pickle/arena.h"
#include "pickle/machine.h"
#include "pickle/value.h"

namespace depickle::pickle {

struct LoadOptions {
  Limits limits;
  /// Scan mode: record every global (allowed or not) in `sink` and keep going
  /// past refused ones and past the first STOP (concatenated pickles).
  bool scan = false;
  GlobalSink* sink = nullptr;
  Tracer* tracer = nullptr;
  /// Directory of the input file, for joblib < 0.10 sidecar arrays; empty
  /// when the input is not a file.
  std::string sidecar_dir;
  /// If set (hex), the input's SHA-256 must match before anything is parsed.
  std::string expect_sha256;
  /// Globals to record although not allow-listed ("module.name", "module.*").
  std::vector<std::string> allow_globals;
};

class Document {
 public:
  /// Loads a file ("-" = stdin).
  static std::unique_ptr<Document> load_file(const std::string& path, const LoadOptions& options);
  /// Loads bytes the caller keeps alive for the Document's lifetime.
  static std::unique_ptr<Document> load_bytes(std::string_view bytes, std::string name,
                                              const LoadOptions& options);

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] Value* root() const { return root_; }
  /// The raw input (before decompression) and the pickle stream.
  [[nodiscard]] std::string_view input() const { return input_; }
  [[nodiscard]] std::string_view stream() const { return stream_.data; }
  [[nodiscard]] io::Compression compression() const { return stream_.compression; }
  /// "pickle" or "joblib", with "-<compression>" when compressed: "joblib-zlib".
  [[nodiscard]] std::string container() const;
  /// The PROTO opcode's protocol, or for protocol 0/1 pickles (which have
  /// none) the highest protocol of the opcodes used.
  [[nodiscard]] int protocol() const {
    return stats_.protocol < 0 ? stats_.opcode_protocol : stats_.protocol;
  }
  [[nodiscard]] const VmStats& stats() const { return stats_; }
  /// `_sklearn_version` of the first estimator that has one, if any.
  [[nodiscard]] const std::optional<std::string>& sklearn_version() const {
    return sklearn_version_;
  }
  /// SHA-256 of the input file's bytes (computed on first use).
  [[nodiscard]] const std::string& sha256() const;
  /// Results of further pickles after the first STOP (scan mode only).
  [[nodiscard]] const std::vector<Value*>& extra_roots() const { return extra_roots_; }
  [[nodiscard]] Arena& arena() { return arena_; }

 private:
  explicit Document(const LoadOptions& options);
  void parse(const LoadOptions& options);

  std::string name_;
  io::RawInput raw_;
  std::string_view input_;
  io::Stream stream_;
  Arena arena_;
  Value* root_ = nullptr;
  std::vector<Value*> extra_roots_;
  VmStats stats_;
  std::optional<std::string> sklearn_version_;
  mutable std::string sha256_;
  mutable std::future<std::string> sha256_future_;  // hashing on another core while parsing
  std::unique_ptr<SidecarLoader> sidecars_;         // owns sidecar file bytes
  std::unique_ptr<UserAllowlist> user_allowed_;     // owns entries of --allow-global globals
};

/// Finds `_sklearn_version` in the state of the first estimator reached
/// breadth-first from `root`.
std::optional<std::string> find_sklearn_version(Value* root, std::uint64_t max_values);

}  // namespace depickle::pickle
