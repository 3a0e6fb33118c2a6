// The library facade: depickle.h on top of the internal modules.

#include "depickle.h"

#include <cstdlib>
#include <ostream>

#include "converters/registry.h"
#include "core/error.h"
#include "core/sha256.h"
#include "io/output.h"
#include "pickle/disasm.h"
#include "pickle/document.h"
#include "pickle/scan.h"
#include "pickle/summary.h"
#include "writers/hdf5/hdf5_writer.h"
#include "writers/json/json_writer.h"
#include "writers/onnx/onnx_writer.h"

namespace depickle {

std::string_view format_name(Format format) {
  switch (format) {
  case Format::kJson: return "json";
  case Format::kOnnx: return "onnx";
  case Format::kHdf5: return "hdf5";
  }
  return "?";
}

std::optional<Format> parse_format(std::string_view name) {
  if (name == "json") return Format::kJson;
  if (name == "onnx") return Format::kOnnx;
  if (name == "hdf5" || name == "h5") return Format::kHdf5;
  return std::nullopt;
}

std::optional<Format> format_for_path(std::string_view path) {
  auto dot = path.rfind('.');
  auto slash = path.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return std::nullopt;
  }
  std::string ext(path.substr(dot + 1));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return parse_format(ext);
}

namespace {

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Adapts a std::ostream to the writers' buffered Output.
class StreamOutput : public io::Output {
 public:
  explicit StreamOutput(std::ostream& os) : os_(os) {}
  ~StreamOutput() override = default;

 protected:
  void sink(std::string_view bytes) override {
    os_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!os_) throw Error(ErrorCode::kOutput, "output stream", "write failed");
  }

 private:
  std::ostream& os_;
};

void write_format(const pickle::Document& doc, Format format, io::Output& out, const Limits& limits,
                  const WriteOptions& options) {
  switch (format) {
  case Format::kJson: writers::write_json(doc, out, limits.max_nesting); return;
  case Format::kOnnx: writers::write_onnx(doc, out, options.onnx, limits); return;
  case Format::kHdf5: {
    // HDF5 writes a file: write a temporary one, then copy it to the stream.
    std::string dir = std::getenv("TMPDIR") != nullptr ? std::getenv("TMPDIR") : "/tmp";
    io::AtomicFile temp(dir + "/depickle-stream.h5");
    writers::write_hdf5(doc, temp.temp_path(), options.hdf5, limits);
    io::RawInput bytes = io::read_input(temp.temp_path(), Limits{});
    out.write(bytes.bytes.view());
    return;  // `temp` is never committed: its file is removed
  }
  }
}

}  // namespace

Model::Model(std::shared_ptr<pickle::Document> doc, Limits limits)
    : doc_(std::move(doc)), limits_(limits) {}

namespace {
pickle::LoadOptions internal_options(const LoadOptions& o) {
  pickle::LoadOptions options;
  options.limits = o.limits;
  options.expect_sha256 = o.expect_sha256;
  options.allow_globals = o.allow_globals;
  return options;
}
}  // namespace

Model Model::load(const std::string& path, const LoadOptions& o) {
  pickle::LoadOptions options = internal_options(o);
  if (path != "-") options.sidecar_dir = dir_of(path);
  return Model(pickle::Document::load_file(path, options), o.limits);
}

Model Model::load(const std::string& path, const Limits& limits) {
  LoadOptions o;
  o.limits = limits;
  return load(path, o);
}

Model Model::load_bytes(std::string_view bytes, std::string name, const LoadOptions& o) {
  return Model(pickle::Document::load_bytes(bytes, std::move(name), internal_options(o)), o.limits);
}

const std::string& Model::name() const {
  return doc_->name();
}
std::string Model::container() const {
  return doc_->container();
}
int Model::protocol() const {
  return doc_->protocol();
}
std::optional<std::string> Model::sklearn_version() const {
  return doc_->sklearn_version();
}
const std::string& Model::sha256() const {
  return doc_->sha256();
}
std::uint64_t Model::input_bytes() const {
  return doc_->input().size();
}

std::string Model::root_type() const {
  const pickle::Value* root = doc_->root();
  if (const auto* o = pickle::as<pickle::Object>(root)) return o->cls->canonical();
  return std::string(pickle::kind_name(root->kind));
}

std::string Model::summary() const {
  std::string out;
  out += str_cat("file       ", doc_->name(), " (", doc_->input().size(), " bytes)\n");
  out += str_cat("sha256     ", doc_->sha256(), "\n");
  out += str_cat("container  ", doc_->container(), ", pickle protocol ", doc_->protocol());
  if (doc_->compression() != io::Compression::kNone) {
    out += str_cat(" (", doc_->stream().size(), " bytes decompressed)");
  }
  out += "\n";
  out += str_cat("sklearn    ", doc_->sklearn_version().value_or("unknown (not recorded)"), "\n");
  out += str_cat("root       ", root_type(), "\n");
  auto blocker = onnx_blocker();
  out += str_cat("onnx       ",
                 blocker ? "not convertible: " + *blocker : std::string("convertible"), "\n\n");
  out += pickle::summarize(doc_->root());
  return out;
}

std::optional<std::string> Model::onnx_blocker() const {
  return converters::onnx_blocker(*doc_->root(), limits_);
}

void Model::write(Format format, std::ostream& os, const WriteOptions& options) const {
  StreamOutput out(os);
  write_format(*doc_, format, out, limits_, options);
  out.flush();
}

void Model::save(const std::string& path, std::optional<Format> format,
                 const WriteOptions& options) const {
  if (!format) format = format_for_path(path);
  if (!format) {
    throw Error(ErrorCode::kUsage, str_cat("output ", path),
                "cannot tell the format from the extension (use .json, .onnx, .h5 or .hdf5)");
  }
  if (doc_->name() != "<stdin>" && io::same_file(doc_->name(), path)) {
    throw Error(ErrorCode::kUsage, str_cat("output ", path), "is the input file");
  }
  io::AtomicFile file(path);
  if (*format == Format::kHdf5) {
    writers::write_hdf5(*doc_, file.temp_path(), options.hdf5, limits_);
  } else {
    write_format(*doc_, *format, file.out(), limits_, options);
  }
  file.commit();
}

std::vector<ConverterInfo> onnx_converters() {
  std::vector<ConverterInfo> out;
  for (const auto& e : converters::converter_table()) {
    out.push_back({str_cat(e.module, ".", e.name), std::string(e.family)});
  }
  return out;
}

std::string_view verdict_name(ScanResult::Verdict verdict) {
  switch (verdict) {
  case ScanResult::Verdict::kSafe: return "safe";
  case ScanResult::Verdict::kUnsafe: return "unsafe";
  case ScanResult::Verdict::kUnknown: return "unknown";
  case ScanResult::Verdict::kInvalid: return "invalid";
  }
  return "?";
}

std::string_view category_name(ScanFinding::Category category) {
  switch (category) {
  case ScanFinding::Category::kAllowed: return "allowed";
  case ScanFinding::Category::kUnsafe: return "unsafe";
  case ScanFinding::Category::kUnknown: return "unknown";
  }
  return "?";
}

std::string file_sha256(const std::string& path) {
  io::RawInput raw = io::read_input(path, Limits{});
  return sha256_hex(raw.bytes.view());
}

ScanResult scan(const std::string& path, const Limits& limits) {
  return pickle::scan_file(path, limits);
}

std::string disassemble(const std::string& path, const Limits& limits) {
  pickle::Disassembler dis;
  pickle::LoadOptions options;
  options.limits = limits;
  options.scan = true;
  options.tracer = &dis;
  if (path != "-") options.sidecar_dir = dir_of(path);
  try {
    auto doc = pickle::Document::load_file(path, options);
    dis.text() += str_cat("# ", doc->container(), ", protocol ", doc->protocol(),
                          doc->compression() != io::Compression::kNone
                              ? "; offsets are in the decompressed stream"
                              : "",
                          "\n");
  } catch (const Error& e) {
    dis.text() += str_cat("# stopped: ", e.message(), "\n");
  }
  return std::move(dis.text());
}

}  // namespace depickle
