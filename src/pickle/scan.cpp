#include "pickle/scan.h"

#include "core/error.h"
#include "pickle/document.h"

namespace depickle::pickle {

void FindingCollector::global(const Global& g, std::uint64_t offset, std::string_view opcode) {
  findings.push_back({g.qualified(), offset, std::string(opcode), g.entry != nullptr});
}

void FindingCollector::refused(std::string_view what, std::uint64_t offset) {
  findings.push_back({std::string(what), offset, "", false});
}

ScanResult scan_file(const std::string& path, const Limits& limits) {
  ScanResult result;
  result.name = path == "-" ? "<stdin>" : path;
  FindingCollector collector;
  LoadOptions options;
  options.limits = limits;
  options.scan = true;
  options.sink = &collector;
  if (path != "-") {
    auto slash = path.rfind('/');
    options.sidecar_dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  }
  try {
    auto doc = Document::load_file(path, options);
    result.container = doc->container();
    result.protocol = doc->protocol();
    result.pickles = 1 + doc->extra_roots().size();
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kRefused) {
      result.verdict = ScanResult::Verdict::kRefused;
    } else {
      result.verdict = ScanResult::Verdict::kInvalid;
    }
    result.error = e.message();
  }
  result.findings = std::move(collector.findings);
  if (result.verdict == ScanResult::Verdict::kSafe) {
    for (const auto& f : result.findings) {
      if (!f.allowed) result.verdict = ScanResult::Verdict::kRefused;
    }
  }
  return result;
}

}  // namespace depickle::pickle
