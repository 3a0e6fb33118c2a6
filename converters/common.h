#pragma once
// Helpers shared by converters: reading shapes scikit-learn stores in several
// ways across versions.

#include "converters/registry.h"
#include "model/ir.h"
#include "sklearn/object_view.h"

namespace depickle::converters {

/// n_features_in_ when recorded, else -1.
std::int64_t n_features_in(const sklearn::ObjectView& obj);

/// coef_ as (targets × features) and intercept_ (array, scalar or 0.0).
model::Linear read_linear(const sklearn::ObjectView& obj);

/// classes_ of a classifier (or of its _label_binarizer, as RidgeClassifier keeps them).
sklearn::Labels read_classes(const sklearn::ObjectView& obj);

/// A vector attribute of `n` values (an array, or a number broadcast to n).
model::Vector read_vector(const sklearn::ObjectView& obj, std::string_view attr, std::int64_t n);

/// Checks a tree's structure: children after their parent and in range (so
/// no cycles), split features below n_features, leaves marked -1/-1.
void validate_tree(const model::Tree& tree, std::int64_t n_features, const std::string& path);

}  // namespace depickle::converters
