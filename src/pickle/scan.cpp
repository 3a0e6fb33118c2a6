#include "pickle/scan.h"

#include "core/error.h"
#include "pickle/danger.h"
#include "pickle/document.h"

namespace depickle::pickle {

void FindingCollector::global(const Global& g, std::uint64_t offset, std::string_view opcode) {
  ScanFinding::Category category = ScanFinding::Category::kAllowed;
  if (g.entry == nullptr) {
    category = known_dangerous(g.module, g.name) ? ScanFinding::Category::kUnsafe
                                                 : ScanFinding::Category::kUnknown;
  }
  findings.push_back({g.qualified(), offset, std::string(opcode), category, true});
}

void FindingCollector::refused(std::string_view what, std::uint64_t offset, bool dangerous) {
  findings.push_back({std::string(what), offset, "",
                      dangerous ? ScanFinding::Category::kUnsafe : ScanFinding::Category::kUnknown,
                      false});
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
  bool invalid = false;
  try {
    auto doc = Document::load_file(path, options);
    result.container = doc->container();
    result.protocol = doc->protocol();
    result.pickles = 1 + doc->extra_roots().size();
  } catch (const Error& e) {
    invalid = true;
    result.error = e.message();
  }
  result.findings = std::move(collector.findings);
  bool unsafe = false;
  bool unknown = false;
  for (const auto& f : result.findings) {
    unsafe = unsafe || f.category == ScanFinding::Category::kUnsafe;
    unknown = unknown || f.category == ScanFinding::Category::kUnknown;
  }
  result.verdict = unsafe    ? ScanResult::Verdict::kUnsafe
                   : unknown ? ScanResult::Verdict::kUnknown
                   : invalid ? ScanResult::Verdict::kInvalid
                             : ScanResult::Verdict::kSafe;
  return result;
}

}  // namespace depickle::pickle
