// Every resource limit at its boundary: the input that needs exactly N passes
// with the limit at N and fails with Error(kLimit) naming the limit at N - 1.

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "io/input.h"
#include "io/output.h"
#include "pickle/document.h"
#include "unit_support.h"
#include "writers/json/json_writer.h"
#include "writers/onnx/onnx_writer.h"

using depickle::Error;
using depickle::ErrorCode;
using depickle::Limits;
using depickle::pickle::Document;
using depickle::pickle::LoadOptions;

namespace {

using depickle::testing::fixture_bytes;

std::unique_ptr<Document> load(const std::string& bytes, const Limits& limits) {
  LoadOptions o;
  o.limits = limits;
  return Document::load_bytes(bytes, "test", o);
}

// Runs `fn(limit)` at the boundary: passes at `n`, fails naming `name` at n - 1.
template <typename Fn>
void boundary(const char* name, std::uint64_t Limits::*field, std::uint64_t n, Fn fn) {
  INFO(name << " at " << n);
  Limits at;
  at.*field = n;
  CHECK_NOTHROW(fn(at));
  Limits below;
  below.*field = n - 1;
  depickle::testing::require_error([&] { fn(below); }, ErrorCode::kLimit, name,
                                   "no error below the limit");
}

std::string nested_lists(int depth) {
  std::string p = "\x80\x04";
  for (int i = 0; i < depth; ++i) p += "]";  // EMPTY_LIST
  for (int i = 1; i < depth; ++i) p += "a";  // APPEND: each into the one below
  return p + ".";
}

}  // namespace

TEST_CASE("limits of the input and its container", "[limits]") {
  std::string plain = fixture_bytes("joblib_forest.joblib");
  std::string zlib = fixture_bytes("joblib_forest_zlib.joblib.z");
  boundary("max_input_bytes", &Limits::max_input_bytes, plain.size(),
           [&](const Limits& l) { load(plain, l); });
  boundary("max_decompressed_bytes", &Limits::max_decompressed_bytes, plain.size(),
           [&](const Limits& l) { load(zlib, l); });
}

TEST_CASE("limits of the VM", "[limits]") {
  std::string pickle = fixture_bytes("logistic_binary.pkl");
  auto doc = load(pickle, Limits{});
  boundary("max_opcodes", &Limits::max_opcodes, doc->stats().opcodes,
           [&](const Limits& l) { load(pickle, l); });
  boundary("max_alloc_bytes", &Limits::max_alloc_bytes, doc->arena().used(),
           [&](const Limits& l) { load(pickle, l); });
  // 100 values on the stack, 100 open marks, memo index 99.
  std::string stack = std::string(100, 'N') + ".";
  boundary("max_stack", &Limits::max_stack, 100, [&](const Limits& l) { load(stack, l); });
  std::string marks = std::string(100, '(') + "N.";
  boundary("max_marks", &Limits::max_marks, 100, [&](const Limits& l) { load(marks, l); });
  std::string memo = "Nqc.";  // BINPUT 99 ('c')
  boundary("max_memo", &Limits::max_memo, 100, [&](const Limits& l) { load(memo, l); });
  std::string bytes =
      std::string("B\x2c\x01\x00\x00", 5) + std::string(300, 'x') + ".";  // 300 bytes
  boundary("max_string_bytes", &Limits::max_string_bytes, 300,
           [&](const Limits& l) { load(bytes, l); });
  std::string big =
      std::string("\x8a\x10", 2) + std::string(15, '\x11') + "\x01.";  // LONG1, 16 bytes
  boundary("max_int_bytes", &Limits::max_int_bytes, 16, [&](const Limits& l) { load(big, l); });
  // {k1: None, k2: None}, each key ((None, None), (None, None)) built from one
  // shared pair: 6 tuple elements to check each key's hashability, 6 more to
  // compare the second key with the first.
  std::string key =
      "N2\x86"
      "2\x86";  // NONE, (DUP, TUPLE2) twice
  std::string keys = "}(" + key + "N" + key + "Nu.";
  boundary("max_key_work", &Limits::max_key_work, 18, [&](const Limits& l) { load(keys, l); });
}

TEST_CASE("limits of arrays", "[limits]") {
  // linear_regression.pkl's largest array is coef_: 5 float64 values, 1 dimension.
  std::string pickle = fixture_bytes("linear_regression.pkl");
  boundary("max_array_bytes", &Limits::max_array_bytes, 40,
           [&](const Limits& l) { load(pickle, l); });
  boundary("max_array_elements", &Limits::max_array_elements, 5,
           [&](const Limits& l) { load(pickle, l); });
  std::string matrix = fixture_bytes("logistic_multinomial.pkl");  // coef_ is 2-d
  boundary("max_array_dims", &Limits::max_array_dims, 2, [&](const Limits& l) { load(matrix, l); });
}

TEST_CASE("limits of nesting and trees", "[limits]") {
  std::string deep = nested_lists(50);
  boundary("max_nesting", &Limits::max_nesting, 49, [&](const Limits& l) {
    auto doc = load(deep, l);
    depickle::io::StringOutput out;
    depickle::writers::write_json(*doc, out, l.max_nesting);
  });
  std::string tree = fixture_bytes("decision_tree_classifier.pkl");
  auto doc = load(tree, Limits{});
  boundary("max_tree_nodes", &Limits::max_tree_nodes, 15, [&](const Limits& l) {
    depickle::io::StringOutput out;
    depickle::writers::write_onnx(*doc, out, depickle::OnnxOptions{}, l);
  });
}
