#pragma once
// The human summary behind `depickle inspect`: the estimator tree with its
// hyperparameters and array shapes.

#include <string>

#include "pickle/value.h"

namespace depickle::pickle {

std::string summarize(const Value* root);

}  // namespace depickle::pickle
