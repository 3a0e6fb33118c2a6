#include "cli/commands.h"

#include <sys/stat.h>

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/json_text.h"
#include "cli/model_files.h"
#include "core/error.h"

namespace depickle::cli {

namespace {
bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {};
  struct stat sb {};
  return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}
}  // namespace

namespace {

// A provenance record for build pipelines: what went in, what came out, with
// which version and options. Written atomically like every output.
void write_manifest(const ConvertArgs& args, const Model& model, const Limits& limits) {
  Format format =
      args.format.value_or(args.output == "-" ? Format::kJson : *format_for_path(args.output));
  std::string out = "{\n";
  out += str_cat("  \"depickle_version\": ", json_string(version()), ",\n");
  out +=
      str_cat("  \"input\": {\"path\": ", json_string(args.input),
              ", \"sha256\": ", json_string(model.sha256()), ", \"bytes\": ", model.input_bytes(),
              ", \"container\": ", json_string(model.container()),
              ", \"protocol\": ", model.protocol(), ", \"sklearn_version\": ",
              model.sklearn_version() ? json_string(*model.sklearn_version()) : "null",
              ", \"class\": ", json_string(model.root_type()), "},\n");
  if (args.output == "-") {
    out += str_cat("  \"output\": {\"path\": \"-\", \"format\": ", json_string(format_name(format)),
                   "},\n");
  } else {
    struct stat st {};
    stat(args.output.c_str(), &st);
    out += str_cat("  \"output\": {\"path\": ", json_string(args.output),
                   ", \"format\": ", json_string(format_name(format)),
                   ", \"sha256\": ", json_string(file_sha256(args.output)),
                   ", \"bytes\": ", st.st_size, "},\n");
  }
  const auto& o = args.options;
  out += str_cat("  \"options\": {\"opset\": ", o.onnx.opset, ", \"double\": ", o.onnx.double_input,
                 ", \"zipmap\": ", o.onnx.zipmap, ", \"compress\": ", o.hdf5.compress,
                 ", \"limits\": {");
  Limits defaults;
  bool first = true;
  for (const auto& f : limit_fields()) {
    if (limits.*f.member == defaults.*f.member) continue;  // only the overridden ones
    out += str_cat(first ? "" : ", ", json_string(f.name), ": ", limits.*f.member);
    first = false;
  }
  out += "}}\n}\n";
  write_atomically(args.manifest, out);
}

}  // namespace

int convert(const ConvertArgs& args, const Limits& limits) {
  // Checked before reading anything: the input is never overwritten.
  if (args.output != "-" && args.input != "-" && same_file(args.input, args.output)) {
    throw Error(ErrorCode::kUsage, str_cat("output ", args.output), "is the input file");
  }
  LoadOptions load;
  load.limits = limits;
  load.expect_sha256 = args.expect_sha256;
  load.allow_globals = args.allow_globals;
  Model model = Model::load(args.input, load);
  if (args.output == "-") {
    model.write(args.format.value_or(Format::kJson), std::cout, args.options);
    std::cout.flush();
    if (!std::cout) throw Error(ErrorCode::kOutput, "stdout", "write failed");
  } else {
    model.save(args.output, args.format, args.options);
  }
  if (!args.manifest.empty()) write_manifest(args, model, limits);
  return 0;
}

int inspect(const InspectArgs& args, const Limits& limits) {
  if (args.opcodes) {
    std::cout << disassemble(args.input, limits);
  } else {
    std::cout << Model::load(args.input, limits).summary();
  }
  std::cout.flush();
  return 0;
}

namespace {

std::string scan_json(const ScanResult& r) {
  std::string out = str_cat(
      "{\"file\": ", json_string(r.name), ", \"verdict\": ", json_string(verdict_name(r.verdict)),
      ", \"container\": ", r.container.empty() ? "null" : json_string(r.container),
      ", \"protocol\": ", r.protocol, ", \"pickles\": ", r.pickles, ", \"findings\": [");
  bool first = true;
  for (const auto& f : r.findings) {
    if (f.category == ScanFinding::Category::kAllowed) continue;  // only what is not allowed
    out += str_cat(first ? "" : ", ", "{\"", f.is_global ? "global" : "what",
                   "\": ", json_string(f.what), ", \"offset\": ", f.offset,
                   ", \"opcode\": ", f.opcode.empty() ? "null" : json_string(f.opcode),
                   ", \"category\": ", json_string(category_name(f.category)), "}");
    first = false;
  }
  std::size_t allowed = 0;
  for (const auto& f : r.findings) allowed += f.category == ScanFinding::Category::kAllowed;
  out += str_cat("], \"allowed_globals\": ", allowed,
                 ", \"error\": ", r.error.empty() ? "null" : json_string(r.error), "}");
  return out;
}

void scan_text(const ScanResult& r) {
  std::size_t allowed = 0;
  for (const auto& f : r.findings) allowed += f.category == ScanFinding::Category::kAllowed;
  std::cout << printable(r.name, 400) << ": " << verdict_name(r.verdict);
  if (r.verdict == ScanResult::Verdict::kSafe) {
    std::cout << " (" << r.container << ", protocol " << r.protocol << ", " << allowed
              << " globals, all allow-listed"
              << (r.pickles > 1 ? str_cat(", ", r.pickles, " pickles") : std::string()) << ")";
  }
  if (r.verdict == ScanResult::Verdict::kInvalid)
    std::cout << ": " << r.error;  // already printable
  std::cout << "\n";
  for (const auto& f : r.findings) {
    if (f.category == ScanFinding::Category::kAllowed) continue;
    std::string what = printable(f.what, 200);
    std::cout << "  " << (f.is_global ? "global '" + what + "'" : what) << " at byte " << f.offset
              << (f.opcode.empty() ? "" : " (" + f.opcode + ")") << ": "
              << (f.category == ScanFinding::Category::kUnsafe ? "known to run code"
                                                               : "not on the allow-list")
              << "\n";
  }
  if (r.verdict != ScanResult::Verdict::kInvalid && !r.error.empty()) {
    std::cout << "  then stopped: " << r.error << "\n";
  }
}

}  // namespace

int scan(const ScanArgs& args, const Limits& limits) {
  // picklescan-compatible: 0 all safe, 1 any unsafe or unknown, 2 unreadable files.
  bool flagged = false;
  bool invalid = false;
  // Folders are walked for model files (cli/model_files.h), reported by path.
  std::vector<std::string> inputs;
  for (const auto& input : args.inputs) {
    std::error_code ec;
    if (input == "-" || !std::filesystem::is_directory(input, ec)) {
      inputs.push_back(input);
      continue;
    }
    std::filesystem::path root = std::filesystem::canonical(input, ec);
    for (const auto& p : model_files(root)) {
      inputs.push_back((std::filesystem::path(input) / p.lexically_relative(root)).string());
    }
  }
  for (const auto& input : inputs) {
    ScanResult r = depickle::scan(input, limits);
    flagged = flagged || r.verdict == ScanResult::Verdict::kUnsafe ||
              r.verdict == ScanResult::Verdict::kUnknown;
    invalid = invalid || r.verdict == ScanResult::Verdict::kInvalid;
    if (args.json) {
      std::cout << scan_json(r) << "\n";
    } else {
      scan_text(r);
    }
  }
  std::cout.flush();
  return flagged ? 1 : invalid ? 2 : 0;
}

void set_limit(Limits& limits, const std::string& assignment) {
  auto eq = assignment.find('=');
  std::string name = assignment.substr(0, eq);
  for (const auto& field : limit_fields()) {
    if (field.name != name) continue;
    std::uint64_t value = 0;
    std::string_view text =
        eq == std::string::npos ? std::string_view() : std::string_view(assignment).substr(eq + 1);
    auto res = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || res.ec != std::errc() || res.ptr != text.data() + text.size()) {
      throw Error(ErrorCode::kUsage, str_cat("--limit ", assignment),
                  "expected name=<non-negative integer>");
    }
    limits.*field.member = value;
    return;
  }
  std::string names;
  for (const auto& field : limit_fields()) names += str_cat(names.empty() ? "" : ", ", field.name);
  throw Error(ErrorCode::kUsage, str_cat("--limit ", assignment), str_cat("known limits: ", names));
}

std::string exit_code_help() {
  return "Exit codes:\n"
         "  0   ok\n"
         "  1   refused: a global or opcode outside the allow-list (nothing was executed)\n"
         "  2   usage error\n"
         "  3   malformed or truncated input\n"
         "  4   unsupported: a safe model with no converter for the requested format\n"
         "  5   a resource limit was exceeded (see --limit)\n"
         "  6   the output could not be written\n"
         "  70  internal error\n"
         "scan: 0 every file safe, 1 any file unsafe or unknown, 2 a file could not be read\n"
         "      (picklescan's convention).\n";
}

}  // namespace depickle::cli
