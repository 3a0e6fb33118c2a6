#include "converters/common.h"

#include <cmath>

namespace depickle::converters {

std::int64_t n_features_in(const sklearn::ObjectView& obj) {
  // scikit-learn < 1.0 named it n_features_ on trees, forests and boosting.
  if (!obj.is_none("n_features_in_")) return obj.integer("n_features_in_");
  if (!obj.is_none("n_features_")) return obj.integer("n_features_");
  return -1;
}

model::Linear read_linear(const sklearn::ObjectView& obj) {
  sklearn::ArrayView coef = obj.array("coef_");
  if (coef.ndim() != 1 && coef.ndim() != 2) coef.fail("expected 1 or 2 dimensions");
  auto rows = static_cast<Eigen::Index>(coef.ndim() == 1 ? 1 : coef.dim(0));
  auto cols = static_cast<Eigen::Index>(coef.ndim() == 1 ? coef.dim(0) : coef.dim(1));
  std::vector<double> c = coef.doubles();
  model::Linear out;
  out.coef = Eigen::Map<const model::Matrix>(c.data(), rows, cols);
  out.intercept = read_vector(obj, "intercept_", rows);
  std::int64_t n = n_features_in(obj);
  if (n >= 0 && n != cols) coef.fail(str_cat("has ", cols, " columns but n_features_in_ is ", n));
  return out;
}

model::Vector read_vector(const sklearn::ObjectView& obj, std::string_view attr, std::int64_t n) {
  const pickle::Value& v = obj.require(attr);
  model::Vector out(n);
  if (const auto* a = pickle::as<pickle::NdArray>(&v)) {
    sklearn::ArrayView view(*a, obj.path_of(attr));
    std::vector<double> d = view.doubles();
    if (static_cast<std::int64_t>(d.size()) != n) {
      view.fail(str_cat("expected ", n, " values, found ", d.size()));
    }
    for (std::int64_t i = 0; i < n; ++i) out[i] = d[static_cast<std::size_t>(i)];
    return out;
  }
  out.setConstant(sklearn::value_number(v, obj.path_of(attr)));
  return out;
}

sklearn::Labels read_classes(const sklearn::ObjectView& obj) {
  if (obj.has("classes_")) return obj.array("classes_").labels();
  if (obj.has("_label_binarizer")) return obj.object("_label_binarizer").array("classes_").labels();
  obj.unsupported("classes_", "the classifier records no classes_");
}

void validate_tree(const model::Tree& t, std::int64_t n_features, const std::string& path) {
  auto n = static_cast<std::int64_t>(t.left.size());
  auto bad = [&](std::int64_t node, std::string_view what) {
    throw Error(ErrorCode::kMalformed, str_cat("tree ", path), str_cat("node ", node, ": ", what));
  };
  if (n == 0) bad(0, "the tree has no nodes");
  for (std::int64_t i = 0; i < n; ++i) {
    auto l = t.left[static_cast<std::size_t>(i)];
    auto r = t.right[static_cast<std::size_t>(i)];
    if (l == -1 && r == -1) continue;
    // Children come after their parent: this rules out cycles and self-loops.
    if (l <= i || r <= i || l >= n || r >= n) {
      bad(i, str_cat("children ", l, " and ", r, " are not nodes after it (", n, " nodes)"));
    }
    auto f = t.feature[static_cast<std::size_t>(i)];
    if (f < 0 || (n_features >= 0 && f >= n_features)) {
      bad(i, str_cat("splits on feature ", f, " of ", n_features));
    }
    if (std::isnan(t.threshold[static_cast<std::size_t>(i)])) bad(i, "threshold is NaN");
  }
}

}  // namespace depickle::converters
