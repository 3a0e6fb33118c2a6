#pragma once
// `depickle batch SRC -o OUT --to FORMAT`: convert a folder of pickles.

#include <string>
#include <vector>

#include "depickle.h"

namespace depickle::cli {

struct BatchArgs {
  std::string source;
  std::string output;
  Format format = Format::kOnnx;
  unsigned jobs = 0;  // 0: all cores
  bool overwrite = false;
  bool skip_existing = false;
  std::string report;                        // JSON report path
  std::vector<std::string> allow_globals;    // passed to each conversion
  std::vector<std::string> convert_options;  // --double, --opset N, --compress N, ...
};

/// Returns 0 if every file converted (or was skipped), else the exit code of
/// the most severe failure: internal > refused > limit > malformed > output > unsupported.
int batch(const BatchArgs& args, const Limits& limits);

}  // namespace depickle::cli
