#include "model/tree.h"

#include <cstring>

#include "pickle/elements.h"

namespace depickle::model {

Column::Column(const char* base, std::size_t stride, const pickle::Dtype& type)
    : base_(base), stride_(stride), type_(&type) {
  bool native = type.byteorder != '>';
  if (native && type.kind == 'i' && type.itemsize == 8) layout_ = Layout::kInt64;
  if (native && type.kind == 'u' && type.itemsize == 4) layout_ = Layout::kUint32;
  if ((type.kind == 'u' || type.kind == 'b') && type.itemsize == 1) layout_ = Layout::kUint8;
  if (native && type.kind == 'f' && type.itemsize == 8) layout_ = Layout::kFloat64;
}

std::int64_t Column::any_int(const char* p) const {
  return pickle::element_as_int(*type_, p);
}
double Column::any_double(const char* p) const {
  return pickle::element_as_double(*type_, p);
}

void Tree::leaf_values(std::int64_t i, double* out) const {
  auto row = static_cast<std::size_t>(i * value_cols);
  double sum = 0;
  for (std::int64_t k = 0; k < used_cols; ++k) {
    out[k] = value.f64(row + static_cast<std::size_t>(k));
    sum += out[k];
  }
  // As scikit-learn computes them: proba /= proba.sum(axis=1) (an all-zero
  // row is left as is), and learning_rate * value for boosting.
  for (std::int64_t k = 0; k < used_cols; ++k) {
    if (normalize && sum != 0.0) out[k] /= sum;
    out[k] *= scale;
  }
}

}  // namespace depickle::model
