// Fuzz target: the whole pipeline — container, VM, then every writer (JSON and
// ONNX to memory, HDF5 to an in-memory file), the summary and the disassembly.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_limits.h"
#include "io/output.h"
#include "pickle/disasm.h"
#include "pickle/document.h"
#include "pickle/summary.h"
#include "writers/hdf5/hdf5_writer.h"
#include "writers/json/json_writer.h"
#include "writers/onnx/onnx_writer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const depickle::Limits& limits = depickle::fuzz::limits();
  depickle::pickle::LoadOptions options;
  options.limits = limits;
  try {
    auto doc = depickle::pickle::Document::load_bytes(bytes, "fuzz", options);
    (void)depickle::pickle::summarize(doc->root());
    for (int format = 0; format < 3; ++format) {
      try {
        depickle::io::StringOutput out;
        if (format == 0) depickle::writers::write_json(*doc, out, limits.max_nesting);
        if (format == 1) depickle::writers::write_onnx(*doc, out, depickle::OnnxOptions{}, limits);
        if (format == 2) {
          depickle::writers::write_hdf5(*doc, "fuzz.h5", depickle::Hdf5Options{}, limits,
                                        /*in_memory=*/true);
        }
      } catch (const depickle::Error&) {
      }
    }
  } catch (const depickle::Error&) {
  }
  depickle::pickle::Disassembler dis;
  options.scan = true;
  options.tracer = &dis;
  try {
    (void)depickle::pickle::Document::load_bytes(bytes, "fuzz", options);
  } catch (const depickle::Error&) {
  }
  return 0;
}
