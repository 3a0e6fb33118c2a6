// Micro-benchmarks (Google Benchmark) of the two hot paths of
// `depickle convert`, on one pickle held in memory:
//
//   BM_VmLoad        Document::load_bytes: the restricted VM's opcode loop and
//                    the object graph it builds (Document teardown included).
//                    Counters: opcodes/s, and bytes/s of pickle input.
//   BM_OnnxLower     write_onnx of an already loaded Document into memory:
//                    the typed model, tree lowering, proto build, checker and
//                    serialisation. Counter: output bytes/s.
//   BM_LoadAndOnnx   both, as `depickle convert -o x.onnx` does minus file I/O.
//
// The pickle is DEPICKLE_BENCH_PICKLE if set, else
// fixtures/models/gradient_boosting_classifier_multi.pkl of the source tree.
// Build target depickle_micro_bench (bench/CMakeLists.txt); not run by ctest.
//
//   build/bench/depickle_micro_bench --benchmark_min_time=2
//   DEPICKLE_BENCH_PICKLE=/tmp/depickle-bench/gb_many.pkl build/bench/depickle_micro_bench

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "depickle.h"
#include "io/output.h"
#include "pickle/document.h"
#include "writers/onnx/onnx_writer.h"

#ifndef DEPICKLE_SOURCE_DIR
#error "DEPICKLE_SOURCE_DIR must be defined (bench/CMakeLists.txt)"
#endif

namespace {

struct Input {
  std::string path;
  std::string bytes;
};

// Read once, before any benchmark runs (a failure exits with a message).
const Input& input() {
  static const Input in = [] {
    Input i;
    const char* env = std::getenv("DEPICKLE_BENCH_PICKLE");
    i.path = env != nullptr && *env != '\0'
                 ? std::string(env)
                 : std::string(DEPICKLE_SOURCE_DIR) +
                       "/fixtures/models/gradient_boosting_classifier_multi.pkl";
    std::ifstream f(i.path, std::ios::binary);
    if (!f) {
      std::fprintf(stderr, "depickle_micro_bench: cannot read %s\n", i.path.c_str());
      std::exit(2);
    }
    i.bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    return i;
  }();
  return in;
}

std::unique_ptr<depickle::pickle::Document> load(const Input& in) {
  depickle::pickle::LoadOptions options;
  return depickle::pickle::Document::load_bytes(in.bytes, "bench", options);
}

void BM_VmLoad(benchmark::State& state) {
  const Input& in = input();
  std::uint64_t opcodes = 0;
  try {
    for (auto _ : state) {
      auto doc = load(in);
      opcodes += doc->stats().opcodes;
      benchmark::DoNotOptimize(doc->root());
    }
  } catch (const depickle::Error& e) {
    state.SkipWithError(e.what());
    return;
  }
  const auto iterations = static_cast<double>(state.iterations());
  state.counters["opcodes/s"] =
      benchmark::Counter(static_cast<double>(opcodes), benchmark::Counter::kIsRate);
  state.counters["opcodes"] = static_cast<double>(opcodes) / iterations;
  state.SetBytesProcessed(static_cast<std::int64_t>(in.bytes.size()) * state.iterations());
  state.SetLabel(in.path);
}

void BM_OnnxLower(benchmark::State& state) {
  const Input& in = input();
  std::uint64_t out_bytes = 0;
  try {
    auto doc = load(in);
    const depickle::Limits limits;
    for (auto _ : state) {
      depickle::io::StringOutput out;
      depickle::writers::write_onnx(*doc, out, depickle::OnnxOptions{}, limits);
      out_bytes = out.bytes_written();
      benchmark::DoNotOptimize(out.str().data());
    }
  } catch (const depickle::Error& e) {
    state.SkipWithError(e.what());  // e.g. no ONNX converter for this pickle
    return;
  }
  state.counters["onnx_bytes"] = static_cast<double>(out_bytes);
  state.SetBytesProcessed(static_cast<std::int64_t>(out_bytes) * state.iterations());
  state.SetLabel(in.path);
}

void BM_LoadAndOnnx(benchmark::State& state) {
  const Input& in = input();
  std::uint64_t opcodes = 0;
  try {
    const depickle::Limits limits;
    for (auto _ : state) {
      auto doc = load(in);
      opcodes += doc->stats().opcodes;
      depickle::io::StringOutput out;
      depickle::writers::write_onnx(*doc, out, depickle::OnnxOptions{}, limits);
      benchmark::DoNotOptimize(out.str().data());
    }
  } catch (const depickle::Error& e) {
    state.SkipWithError(e.what());
    return;
  }
  state.counters["opcodes/s"] =
      benchmark::Counter(static_cast<double>(opcodes), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<std::int64_t>(in.bytes.size()) * state.iterations());
  state.SetLabel(in.path);
}

BENCHMARK(BM_VmLoad)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_OnnxLower)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LoadAndOnnx)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
