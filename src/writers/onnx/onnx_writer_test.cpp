// The spliced writer (large tree attributes encoded by hand, large
// initializers borrowed from the input) must produce the same bytes as
// protobuf's own serialization of the fully built model.

#include "writers/onnx/onnx_writer.h"

#include "io/output.h"
#include "unit_support.h"

TEST_CASE("spliced ONNX is byte-identical to protobuf's serialization", "[onnx]") {
  for (const char* name :
       {"random_forest_classifier.pkl", "gradient_boosting_classifier_multi.pkl",
        "hist_gradient_boosting_nan.pkl", "decision_tree_regressor_multioutput.pkl",
        "pipeline_imputer_scaler_forest.pkl", "extra_trees_regressor.pkl",
        // coefficient matrices borrowed from the pickle (C, Fortran, big-endian)
        "logistic_multinomial.pkl", "fortran_logistic_pkl.pkl", "big_endian_linear.pkl",
        "pipeline_scaler_logistic.pkl"}) {
    INFO(name);
    std::string bytes = depickle::testing::fixture_bytes(name);
    depickle::pickle::LoadOptions options;
    auto doc = depickle::pickle::Document::load_bytes(bytes, name, options);
    depickle::io::StringOutput in_memory;
    depickle::writers::write_onnx(*doc, in_memory, depickle::OnnxOptions{}, depickle::Limits{});
    depickle::io::StringOutput spliced;
    depickle::writers::write_onnx(*doc, spliced, depickle::OnnxOptions{}, depickle::Limits{},
                                  /*check_in_memory_bytes=*/0);
    REQUIRE(in_memory.str().size() > 500);
    CHECK(spliced.str() == in_memory.str());
  }
}
