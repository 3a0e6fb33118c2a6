#pragma once
// The typed estimator layer: what a supported scikit-learn object computes,
// read and validated from the pickle by a converter (converters/), lowered to
// ONNX by writers/onnx. Numbers are kept in double, as scikit-learn holds them.

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model/tree.h"
#include "sklearn/object_view.h"

namespace depickle::model {

using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXd;
using sklearn::Labels;

/// scores = X · coefᵀ + intercept; coef is (targets × features), row-major
/// float64. A coef_ already stored that way (C order, little-endian float64:
/// what scikit-learn writes) is used in place: a 160 MB matrix goes from the
/// input straight to the output, never copied.
struct Linear {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::string_view borrowed;  // the pickle's bytes of coef_, when usable in place
  std::vector<double> owned;  // otherwise coef_ converted to row-major float64
  Vector intercept;

  /// rows × cols little-endian doubles, row-major.
  [[nodiscard]] std::string_view coef_bytes() const {
    if (!owned.empty() || borrowed.empty()) {
      return {reinterpret_cast<const char*>(owned.data()), owned.size() * sizeof(double)};
    }
    return borrowed;
  }
};

/// How a classifier turns its scores into `probabilities`.
enum class ProbaKind : std::uint8_t {
  kScores,         // no predict_proba: the decision scores ([-d, d] when binary)
  kSigmoid,        // binary: [1 - s(d), s(d)]
  kSoftmax,        // multiclass softmax of the scores
  kSoftmaxBinary,  // binary multinomial: softmax([-d, d])
  kOvrNormalized,  // one-vs-rest: sigmoid of each score, rows normalized to sum 1
  kModifiedHuber,  // SGD modified_huber: (clip(d, -1, 1) + 1) / 2, normalized
};

struct LinearClassifier {
  Linear linear;
  Labels classes;
  ProbaKind proba = ProbaKind::kScores;
};

struct LinearRegressor {
  Linear linear;
  bool column = true;  // 1-d targets give [N, 1], like skl2onnx
};

/// Sum (or mean) of trees' leaf values per target, plus base values.
struct TreeSum {
  std::vector<Tree> trees;
  std::vector<std::int64_t> tree_target;  // per tree: the target it adds to, or -1 for all
  std::int64_t n_targets = 1;
  std::int64_t n_features = 0;
  Vector base;           // added to the sum (size n_targets)
  bool average = false;  // divide the sum by the number of trees
};

/// How raw tree sums become outputs.
enum class Link : std::uint8_t {
  kIdentity,      // regression / averaged class fractions
  kExp,           // poisson/gamma regression
  kSigmoid,       // binary classification: [1 - s(r), s(r)]
  kSigmoidTwice,  // exponential loss: s(2r)
  kSoftmax,       // multiclass
};

struct TreeClassifier {
  TreeSum sum;
  Labels classes;
  Link link = Link::kIdentity;
};

struct TreeRegressor {
  TreeSum sum;
  Link link = Link::kIdentity;
  bool column = true;
};

/// Elementwise steps replayed with scikit-learn's rounding: for float32 input
/// each step is computed in double and rounded to float32, as numpy does for
/// `X -= mean_` on a float32 array.
struct Elementwise {
  enum class Op : std::uint8_t { kSub, kDiv, kMul, kAdd, kClip };
  struct Step {
    Op op;
    Vector values;  // per feature (kClip: two values, min and max)
  };
  std::vector<Step> steps;
};

struct Normalizer {
  enum class Norm : std::uint8_t { kL1, kL2, kMax };
  Norm norm = Norm::kL2;
};

struct Imputer {
  double missing = 0;  // value treated as missing (NaN when missing_is_nan)
  bool missing_is_nan = true;
  Vector fill;                     // per input feature
  std::vector<std::int64_t> keep;  // output columns (features whose statistic exists)
  std::int64_t n_features = 0;
};

struct Binarizer {
  double threshold = 0;
};

struct Passthrough {};

struct Estimator;
struct Pipeline {
  std::vector<Estimator> steps;
};

using EstimatorKind =
    std::variant<LinearClassifier, LinearRegressor, TreeClassifier, TreeRegressor, Elementwise,
                 Normalizer, Imputer, Binarizer, Pipeline, Passthrough>;

struct Estimator {
  EstimatorKind kind;
  std::string sklearn_class;     // canonical class name, for metadata and messages
  std::int64_t n_features = -1;  // input width when known
  std::string pickled_as;        // the class as the pickle spells it (old module paths)
};

/// An Estimator of `kind` taking `n_features` inputs (the registry fills in
/// the class names).
template <typename Kind>
Estimator make_estimator(Kind kind, std::int64_t n_features) {
  Estimator e;
  e.kind = std::move(kind);
  e.n_features = n_features;
  return e;
}

/// True if the estimator outputs label + probabilities.
bool is_classifier(const Estimator& e);

}  // namespace depickle::model
