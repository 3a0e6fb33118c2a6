#include "converters/common.h"

#include <cmath>

#include "pickle/elements.h"

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
  model::Linear out;
  out.rows = rows;
  out.cols = cols;
  const pickle::NdArray& a = coef.raw();
  bool in_place = a.dtype->kind == 'f' && a.dtype->itemsize == 8 && a.dtype->byteorder != '>' &&
                  (!a.fortran || rows == 1) &&
                  a.data.size() == static_cast<std::size_t>(rows * cols) * sizeof(double);
  if (in_place && rows * cols > 0) {
    out.borrowed = a.data;
  } else {
    out.owned = coef.doubles();
  }
  // A scalar intercept (fit_intercept=False gives 0.0) belongs to a
  // single-row coef_; rows comes from the array, not from the file's word.
  out.intercept = read_vector(obj, "intercept_", rows, /*broadcast=*/true);
  std::int64_t n = n_features_in(obj);
  if (n >= 0 && n != cols) coef.fail(str_cat("has ", cols, " columns but n_features_in_ is ", n));
  return out;
}

model::Vector read_vector(const sklearn::ObjectView& obj, std::string_view attr, std::int64_t n,
                          bool broadcast) {
  const pickle::Value& v = obj.require(attr);
  if (const auto* a = pickle::as<pickle::NdArray>(&v)) {
    model::Vector out(static_cast<Eigen::Index>(a->size()));
    sklearn::ArrayView view(*a, obj.path_of(attr));
    std::vector<double> d = view.doubles();
    if (static_cast<std::int64_t>(d.size()) != n) {
      view.fail(str_cat("expected ", n, " values, found ", d.size()));
    }
    for (std::int64_t i = 0; i < n; ++i) out[i] = d[static_cast<std::size_t>(i)];
    return out;
  }
  if (!broadcast) {
    obj.unsupported(attr, str_cat("expected an array of ", n, " values, found a single number"));
  }
  model::Vector out(n);
  out.setConstant(sklearn::value_number(v, obj.path_of(attr)));
  return out;
}

sklearn::Labels read_classes(const sklearn::ObjectView& obj) {
  if (obj.has("classes_")) return obj.array("classes_").labels();
  if (obj.has("_label_binarizer")) return obj.object("_label_binarizer").array("classes_").labels();
  obj.unsupported("classes_", "the classifier records no classes_");
}

model::Column field_column(const sklearn::ArrayView& records, std::string_view field) {
  const auto& f = records.numeric_field(field);
  const pickle::NdArray& a = records.raw();
  if (a.fortran && a.shape.size() > 1) records.fail("record arrays in Fortran order are not read");
  return {a.data.data() + f.offset, a.dtype->itemsize, *f.type};
}

model::Column flat_column(const sklearn::ArrayView& array, std::vector<char>& storage) {
  const pickle::NdArray& a = array.raw();
  const pickle::Dtype& d = *a.dtype;
  if (d.is_structured() || !(d.kind == 'b' || d.kind == 'i' || d.kind == 'u' || d.kind == 'f') ||
      d.itemsize > 8) {
    array.fail(str_cat("expected a numeric array, found dtype ", d.str()));
  }
  if (!a.fortran || a.shape.size() < 2) return {a.data.data(), d.itemsize, d};
  storage.clear();
  storage.reserve(a.data.size());
  pickle::for_each_element(
      a, [&](const char* p) { storage.insert(storage.end(), p, p + d.itemsize); });
  return {storage.data(), d.itemsize, d};
}

void validate_tree(const model::Tree& t, std::int64_t n_features, const std::string& path,
                   std::uint64_t offset) {
  auto bad = [&](std::int64_t node, std::string_view what) {
    throw Error(ErrorCode::kMalformed, str_cat("tree ", path), str_cat("node ", node, ": ", what),
                offset);
  };
  std::int64_t n = t.nodes;
  if (n == 0) bad(0, "the tree has no nodes");
  for (std::int64_t i = 0; i < n; ++i) {
    if (t.leaf(i)) continue;
    auto idx = static_cast<std::size_t>(i);
    std::int64_t l = t.left.i64(idx);
    std::int64_t r = t.right.i64(idx);
    // Children come after their parent: this rules out cycles and self-loops.
    if (l <= i || r <= i || l >= n || r >= n) {
      bad(i, str_cat("children ", l, " and ", r, " are not nodes after it (", n, " nodes)"));
    }
    std::int64_t f = t.feature.i64(idx);
    if (f < 0 || (n_features >= 0 && f >= n_features)) {
      bad(i, str_cat("splits on feature ", f, " of ", n_features));
    }
    if (std::isnan(t.threshold.f64(idx))) bad(i, "threshold is NaN");
  }
}

}  // namespace depickle::converters
