#include "model/ir.h"

namespace depickle::model {

bool is_classifier(const Estimator& e) {
  if (const auto* p = std::get_if<Pipeline>(&e.kind))
    return !p->steps.empty() && is_classifier(p->steps.back());
  return std::holds_alternative<LinearClassifier>(e.kind) ||
         std::holds_alternative<TreeClassifier>(e.kind);
}

}  // namespace depickle::model
