#pragma once
// depickle: read scikit-learn pickle and joblib files without executing them,
// and write them as JSON (and, as converters land, ONNX and HDF5).
//
// The one public header of the depickle library (CMake: depickle::depickle).
//
//   depickle::Model m = depickle::Model::load("model.pkl");   // never runs the pickle
//   std::cout << m.summary();
//   m.save("model.json");                                     // atomic: temp file + rename
//
// Every failure is a depickle::Error carrying a category (code()), the byte
// offset in the pickle stream and the object path.

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// Symbols of the shared library that form its API (everything else is hidden).
#if defined(__GNUC__)
#define DEPICKLE_API __attribute__((visibility("default")))
#else
#define DEPICKLE_API
#endif

namespace depickle {

/// The library version ("0.1.0").
DEPICKLE_API std::string_view version();

/// Error categories. Each maps to one CLI exit code (see exit_code()).
enum class ErrorCode : std::uint8_t {
  kRefused,      ///< a global or opcode outside the allow-list (exit 1)
  kUsage,        ///< bad command line or unusable input path (exit 2)
  kMalformed,    ///< malformed input (exit 3)
  kTruncated,    ///< input ends early (exit 3)
  kUnsupported,  ///< safe input, but no converter for it (exit 4)
  kLimit,        ///< a resource limit was exceeded (exit 5)
  kOutput,       ///< the output could not be written (exit 6)
  kInternal,     ///< a bug in depickle (exit 70)
};

/// The CLI exit code of a category: 1 refused, 2 usage, 3 malformed/truncated,
/// 4 unsupported, 5 limit exceeded, 6 output failure, 70 internal.
DEPICKLE_API int exit_code(ErrorCode code);
/// Short lowercase name used in messages ("refused", "malformed", ...).
DEPICKLE_API std::string_view category_name(ErrorCode code);

class DEPICKLE_API Error : public std::runtime_error {
 public:
  /// `subject` says what failed ("global 'posix.system'"); `detail` says why.
  Error(ErrorCode code, std::string subject, std::string detail = {},
        std::optional<std::uint64_t> offset = std::nullopt);

  [[nodiscard]] ErrorCode code() const { return code_; }
  [[nodiscard]] const std::string& subject() const { return subject_; }
  [[nodiscard]] const std::string& detail() const { return detail_; }
  [[nodiscard]] std::optional<std::uint64_t> offset() const { return offset_; }
  /// Object path such as `steps[1].coef_`; empty when not inside an object.
  [[nodiscard]] const std::string& path() const { return path_; }

  /// Attach an offset unless one is already known (the innermost wins).
  Error& at_offset(std::uint64_t offset);
  /// Set the subject if the thrower left it empty (low-level readers do; the
  /// VM then names the opcode).
  Error& with_subject(std::string_view subject);
  /// Prepend an enclosing path component (called while unwinding).
  Error& in_path(std::string_view outer);

  /// `<category>: <subject> at byte <offset> (in <path>): <detail>`
  [[nodiscard]] std::string message() const;
  [[nodiscard]] const char* what() const noexcept override { return what_.c_str(); }

 private:
  void refresh();

  ErrorCode code_;
  std::string subject_;
  std::string detail_;
  std::optional<std::uint64_t> offset_;
  std::string path_;
  std::string what_;
};

/// Every resource limit of depickle, in one place. The defaults let real
/// models through (a 500 MB random forest with ~6 M nodes, a 200 MB coef_) and
/// stop hostile inputs early; the CLI overrides any field with
/// `--limit name=value`. Exceeding one is ErrorCode::kLimit (exit 5).
struct Limits {
  /// Size of the input file (or stdin) in bytes.
  std::uint64_t max_input_bytes = std::uint64_t{64} << 30;
  /// Size of a decompressed joblib/gzip/... stream, enforced while inflating.
  std::uint64_t max_decompressed_bytes = std::uint64_t{2} << 30;
  /// Memory one decompressor may take for its dictionary/window (xz, lzma,
  /// zstd): a header can ask for gigabytes before any data is read.
  std::uint64_t max_decoder_bytes = std::uint64_t{256} << 20;
  /// Opcodes executed, summed over nested pickles.
  std::uint64_t max_opcodes = std::uint64_t{1} << 30;
  /// Depth of the pickle VM's value stack.
  std::uint64_t max_stack = std::uint64_t{1} << 22;
  /// Number of open MARKs.
  std::uint64_t max_marks = std::uint64_t{1} << 16;
  /// Highest memo index (ids above are an error, not a resize).
  std::uint64_t max_memo = std::uint64_t{1} << 24;
  /// One str/bytes/long value: compared with the bytes left *before* reading.
  std::uint64_t max_string_bytes = std::uint64_t{4} << 30;
  /// Bytes of one Python int (LONG1/LONG4/INT/LONG text).
  std::uint64_t max_int_bytes = 4096;
  /// Bytes of one ndarray's data.
  std::uint64_t max_array_bytes = std::uint64_t{4} << 30;
  /// Elements (or records) of one ndarray, and of one dimension product.
  std::uint64_t max_array_elements = std::uint64_t{1} << 32;
  /// Dimensions of one ndarray.
  std::uint64_t max_array_dims = 64;
  /// Memory the VM may allocate for its object graph and copied data.
  std::uint64_t max_alloc_bytes = std::uint64_t{3} << 30;
  /// Depth of nested containers/objects walked by readers and writers, and of
  /// nested pickles (joblib object arrays).
  std::uint64_t max_nesting = 1000;
  /// Tuple/frozenset elements visited while hashing and comparing dict keys
  /// and set members, summed over a load (keys made of shared tuples would
  /// otherwise take exponential time, in Python too).
  std::uint64_t max_key_work = std::uint64_t{1} << 26;
  /// Nodes of one decision tree.
  std::uint64_t max_tree_nodes = std::uint64_t{1} << 26;
};

/// A named field of Limits, for the CLI (`--limit max_memo=1000`) and docs.
struct LimitField {
  std::string_view name;
  std::uint64_t Limits::*member;
  std::string_view help;
};

/// All fields of Limits with their names and one-line descriptions.
DEPICKLE_API std::span<const LimitField> limit_fields();

/// Output formats.
enum class Format : std::uint8_t { kJson, kOnnx, kHdf5 };

/// "json", "onnx", "hdf5".
DEPICKLE_API std::string_view format_name(Format format);
/// Parses "json", "onnx", "hdf5"/"h5".
DEPICKLE_API std::optional<Format> parse_format(std::string_view name);
/// The format an output path asks for by its extension (.json, .onnx, .h5, .hdf5).
DEPICKLE_API std::optional<Format> format_for_path(std::string_view path);

/// How to read an input.
struct LoadOptions {
  Limits limits;
  /// If set (hex), an input whose SHA-256 differs is refused
  /// (ErrorCode::kRefused) before anything is parsed.
  std::string expect_sha256;
  /// Globals outside the allow-list to record anyway, as inert objects or
  /// calls (never executed, never converted to ONNX): exact "module.name" or
  /// "module.*". For files that wrap scikit-learn models in third-party classes.
  std::vector<std::string> allow_globals;
};

/// Options of the ONNX writer.
struct OnnxOptions {
  /// ai.onnx opset (13-17; ai.onnx.ml is always 3).
  std::int64_t opset = 15;
  /// Input X as float64 instead of float32 (exact linear models).
  bool double_input = false;
  /// Add skl2onnx's ZipMap: outputs output_label and output_probability
  /// (a sequence of maps, which some runtimes cannot read).
  bool zipmap = false;
};

/// Options of the HDF5 writer.
struct Hdf5Options {
  /// Deflate level 0-9 for datasets (0: none).
  unsigned compress = 0;
};

/// Options of all writers.
struct WriteOptions {
  OnnxOptions onnx;
  Hdf5Options hdf5;
};

namespace pickle {
class Document;
}

/// A pickle or joblib file, read by the restricted VM into an inert object
/// graph. Loading never executes anything from the file: globals outside the
/// allow-list are refused (ErrorCode::kRefused).
class DEPICKLE_API Model {
 public:
  /// Loads a file; "-" reads stdin. joblib < 0.10 sidecar arrays are read
  /// from the file's own directory.
  static Model load(const std::string& path, const LoadOptions& options = {});
  static Model load(const std::string& path, const Limits& limits);
  /// Loads from memory; `bytes` must stay valid while the Model is used.
  static Model load_bytes(std::string_view bytes, std::string name = "<memory>",
                          const LoadOptions& options = {});

  /// Input name, as given.
  [[nodiscard]] const std::string& name() const;
  /// "pickle", "joblib", "joblib-zlib", "pickle-gzip", ...
  [[nodiscard]] std::string container() const;
  [[nodiscard]] int protocol() const;
  /// `_sklearn_version` of the (first) estimator, if recorded.
  [[nodiscard]] std::optional<std::string> sklearn_version() const;
  /// SHA-256 (hex) of the input file's bytes.
  [[nodiscard]] const std::string& sha256() const;
  /// Size of the input file in bytes.
  [[nodiscard]] std::uint64_t input_bytes() const;
  /// Class of the root object ("sklearn.pipeline.Pipeline"), or its Python
  /// type ("tuple", "dict", ...).
  [[nodiscard]] std::string root_type() const;
  /// Human-readable summary: container, versions, the estimator tree with
  /// hyperparameters and array shapes (`depickle inspect`).
  [[nodiscard]] std::string summary() const;

  /// Why this model cannot become ONNX (the one-line error), or nullopt if it can.
  [[nodiscard]] std::optional<std::string> onnx_blocker() const;

  /// Writes the model in `format` to a stream.
  void write(Format format, std::ostream& out, const WriteOptions& options = {}) const;
  /// Writes the model to `path` atomically (a temporary file in the same
  /// directory, renamed when complete); the format comes from the extension
  /// unless given.
  void save(const std::string& path, std::optional<Format> format = std::nullopt,
            const WriteOptions& options = {}) const;

  [[nodiscard]] const pickle::Document& document() const { return *doc_; }

 private:
  Model(std::shared_ptr<pickle::Document> doc, Limits limits);
  std::shared_ptr<pickle::Document> doc_;
  Limits limits_;
};

/// A scikit-learn class with an ONNX converter.
struct ConverterInfo {
  std::string sklearn_class;  // canonical "module.Name"
  std::string family;         // linear, tree, preprocessing, composition
};
/// Every class `convert -o x.onnx` supports (older module spellings resolve to these).
DEPICKLE_API std::vector<ConverterInfo> onnx_converters();

/// One global, or refused construct, found by a scan.
struct ScanFinding {
  enum class Category : std::uint8_t {
    kAllowed,  // on the allow-list
    kUnsafe,   // known to run code when Python loads it (schemas/dangerous-globals.tsv)
    kUnknown,  // neither: a third-party or __main__ class, or a refused opcode
  };
  std::string what;  // "posix.system", or a refused construct ("persistent id")
  std::uint64_t offset = 0;
  std::string opcode;  // GLOBAL, STACK_GLOBAL, INST, ...; empty for refused constructs
  Category category = Category::kAllowed;
  bool is_global = true;
};

/// The verdict on one file.
struct ScanResult {
  enum class Verdict : std::uint8_t { kSafe, kUnsafe, kUnknown, kInvalid };
  std::string name;
  Verdict verdict = Verdict::kSafe;
  std::vector<ScanFinding> findings;  // every global and refused construct, in stream order
  std::string container;
  int protocol = 0;
  std::uint64_t pickles = 0;  // 1, or more for concatenated pickles
  std::string error;          // the one-line message when the file could not be read to its end
};

/// SHA-256 (hex) of a file's bytes.
DEPICKLE_API std::string file_sha256(const std::string& path);

DEPICKLE_API std::string_view verdict_name(ScanResult::Verdict verdict);
DEPICKLE_API std::string_view category_name(ScanFinding::Category category);

/// Reads every opcode of a file — past refused globals and opcodes, into every
/// joblib array, compression, nested and concatenated pickle — without
/// executing anything. Verdict: unsafe if any global is known to run code,
/// else unknown if anything is outside the allow-list, else invalid if the file
/// is malformed or exceeds a limit, else safe.
DEPICKLE_API ScanResult scan(const std::string& path, const Limits& limits = {});

/// pickletools-style listing of every opcode with its byte offset (joblib
/// inline array data and nested pickles are shown where they occur).
DEPICKLE_API std::string disassemble(const std::string& path, const Limits& limits = {});

}  // namespace depickle
