#include "pickle/document.h"

#include <cctype>
#include <deque>
#include <unordered_set>

#include "core/error.h"
#include "core/sha256.h"
#include "pickle/sidecar.h"

namespace depickle::pickle {

Document::Document(const LoadOptions& options) : arena_(options.limits.max_alloc_bytes) {}

std::unique_ptr<Document> Document::load_file(const std::string& path, const LoadOptions& options) {
  std::unique_ptr<Document> doc(new Document(options));
  doc->raw_ = io::read_input(path, options.limits);
  doc->name_ = doc->raw_.name;
  doc->input_ = doc->raw_.bytes.view();
  doc->parse(options);
  return doc;
}

std::unique_ptr<Document> Document::load_bytes(std::string_view bytes, std::string name,
                                               const LoadOptions& options) {
  std::unique_ptr<Document> doc(new Document(options));
  if (bytes.size() > options.limits.max_input_bytes) {
    throw Error(ErrorCode::kLimit, "max_input_bytes",
                str_cat("the input is larger than ", options.limits.max_input_bytes, " bytes"));
  }
  doc->name_ = std::move(name);
  doc->input_ = bytes;
  doc->parse(options);
  return doc;
}

void Document::parse(const LoadOptions& options) {
  if (!options.expect_sha256.empty()) {
    std::string want = options.expect_sha256;
    for (char& c : want) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (sha256() != want) {
      throw Error(ErrorCode::kRefused, str_cat("input ", name_),
                  str_cat("its SHA-256 is ", sha256(), ", not the expected ", want,
                          " (nothing was parsed)"));
    }
  }
  if (input_.empty()) throw Error(ErrorCode::kMalformed, "empty input", "no pickle data", 0);
  // Every output records the input's SHA-256; for large inputs it is computed
  // on another core while this one parses and converts.
  if (!options.scan && sha256_.empty() && input_.size() >= (std::size_t{1} << 20)) {
    sha256_future_ = std::async(std::launch::async, [view = input_] { return sha256_hex(view); });
  }
  stream_ = io::open_stream(input_, options.limits);
  if (stream_.data.empty()) {
    throw Error(
        ErrorCode::kMalformed, "empty input",
        str_cat("the ", io::compression_name(stream_.compression), " stream holds no pickle data"),
        0);
  }
  if (!options.sidecar_dir.empty()) {
    sidecars_ = make_sidecar_loader(options.sidecar_dir, options.limits);
  }
  if (!options.allow_globals.empty() && !options.scan) {
    user_allowed_ = std::make_unique<UserAllowlist>(options.allow_globals);
  }
  VmOptions vm;
  vm.limits = &options.limits;
  vm.user_allowed = user_allowed_.get();
  vm.allowlist = &Allowlist::builtin();
  vm.scan = options.scan;
  vm.sink = options.sink;
  vm.tracer = options.tracer;
  vm.sidecars = sidecars_.get();
  Cursor cursor(stream_.data);
  root_ = Machine(arena_, cursor, vm, stats_).run();
  // Bytes after STOP: Python's pickle.load would ignore them, which is how
  // payloads hide from scanners. A converter refuses them; a scan reads them
  // as further pickles.
  while (!cursor.at_end()) {
    if (!options.scan) {
      throw Error(ErrorCode::kMalformed, "trailing data",
                  str_cat(cursor.remaining(), " bytes follow the pickle's STOP opcode"),
                  cursor.pos());
    }
    extra_roots_.push_back(Machine(arena_, cursor, vm, stats_).run());
  }
  sklearn_version_ = find_sklearn_version(root_, options.limits.max_opcodes);
}

std::string Document::container() const {
  std::string kind = stats_.joblib_arrays > 0 ? "joblib" : "pickle";
  if (stream_.compression == io::Compression::kNone) return kind;
  // Compressed files are joblib's containers, except gzip'd plain pickles.
  if (stream_.compression == io::Compression::kGzip) return kind + "-gzip";
  if (stream_.compression == io::Compression::kZFile) return "joblib-zfile";
  return str_cat("joblib-", io::compression_name(stream_.compression));
}

const std::string& Document::sha256() const {
  if (sha256_.empty()) sha256_ = sha256_future_.valid() ? sha256_future_.get() : sha256_hex(input_);
  return sha256_;
}

std::optional<std::string> find_sklearn_version(Value* root, std::uint64_t max_values) {
  std::deque<Value*> queue{root};
  std::unordered_set<Value*> seen{root};
  auto visit = [&](Value* v) {
    if (v != nullptr && seen.insert(v).second) queue.push_back(v);
  };
  std::string scratch;
  for (std::uint64_t n = 0; !queue.empty() && n < max_values; ++n) {
    Value* v = queue.front();
    queue.pop_front();
    switch (v->kind) {
    case Kind::kObject: {
      auto* o = static_cast<Object*>(v);
      Value* state = o->state;
      if (auto* t = as_tuple(state); t != nullptr && t->items.size() == 2) state = t->items[0];
      if (auto* d = as<Dict>(state)) {
        if (auto* ver = as<Str>(dict_get(*d, "_sklearn_version"))) {
          return std::string(str_utf8(*ver, scratch));
        }
      }
      visit(o->state);
      if (o->args != nullptr) visit(o->args);
      if (o->dictitems != nullptr) visit(o->dictitems);
      if (o->listitems != nullptr) visit(o->listitems);
      break;
    }
    case Kind::kTuple:
    case Kind::kList:
    case Kind::kSet:
    case Kind::kFrozenSet:
      for (Value* item : static_cast<Seq*>(v)->items) visit(item);
      break;
    case Kind::kDict:
      for (auto& [k, val] : static_cast<Dict*>(v)->items) visit(val);
      break;
    case Kind::kNdArray:
      for (Value* item : static_cast<NdArray*>(v)->objects) visit(item);
      break;
    default: break;
    }
  }
  return std::nullopt;
}

}  // namespace depickle::pickle
