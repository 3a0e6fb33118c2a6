// Fuzz target: the container layer (magic detection and every decompressor)
// with a small output cap.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_limits.h"
#include "io/input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    depickle::io::Stream s = depickle::io::open_stream(bytes, depickle::fuzz::limits());
    (void)s.data.size();
  } catch (const depickle::Error&) {
  }
  return 0;
}
