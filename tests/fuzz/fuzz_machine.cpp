// Fuzz target: bytes straight into the restricted VM (no container), in
// convert mode and in scan mode. Only depickle::Error may come out.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_limits.h"
#include "pickle/document.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (bool scan : {false, true}) {
    depickle::pickle::LoadOptions options;
    options.limits = depickle::fuzz::limits();
    options.scan = scan;
    try {
      auto doc = depickle::pickle::Document::load_bytes(bytes, "fuzz", options);
      (void)doc->sklearn_version();
    } catch (const depickle::Error&) {
    }
  }
  return 0;
}
