#pragma once
// The CLI's subcommands, independent of argument parsing (main.cpp).

#include <optional>
#include <string>
#include <vector>

#include "depickle.h"

namespace depickle::cli {

struct ConvertArgs {
  std::string input;
  std::string output;
  std::optional<Format> format;
  WriteOptions options;
  std::string expect_sha256;               // refuse an input with another hash
  std::vector<std::string> allow_globals;  // --allow-global
  std::string manifest;                    // write a provenance record here
};

struct InspectArgs {
  std::string input;
  bool opcodes = false;
};

struct ScanArgs {
  std::vector<std::string> inputs;
  bool json = false;  // one JSON object per file per line
};

int convert(const ConvertArgs& args, const Limits& limits);
int inspect(const InspectArgs& args, const Limits& limits);
int scan(const ScanArgs& args, const Limits& limits);

/// Parses "name=value" into the Limits field `name`; throws Error(kUsage).
void set_limit(Limits& limits, const std::string& assignment);

/// The exit-code table printed by --help.
std::string exit_code_help();

}  // namespace depickle::cli
