#pragma once
// Scanning: run the VM in scan mode and collect every global it meets.

#include "depickle.h"
#include "pickle/machine.h"

namespace depickle::pickle {

/// Collects globals into ScanFinding records.
class FindingCollector : public GlobalSink {
 public:
  void global(const Global& g, std::uint64_t offset, std::string_view opcode) override;
  void refused(std::string_view what, std::uint64_t offset, bool dangerous) override;
  std::vector<ScanFinding> findings;
};

ScanResult scan_file(const std::string& path, const Limits& limits);

}  // namespace depickle::pickle
