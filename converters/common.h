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

/// A vector attribute of `n` values: an array of exactly n values, or, when
/// `broadcast` (an intercept of a single-target model), a number.
model::Vector read_vector(const sklearn::ObjectView& obj, std::string_view attr, std::int64_t n,
                          bool broadcast = false);

/// A numeric field of a record array (tree nodes), read in place.
model::Column field_column(const sklearn::ArrayView& records, std::string_view field);
/// The elements of a numeric array in C order, in place (or copied into
/// `storage` for Fortran-ordered arrays).
model::Column flat_column(const sklearn::ArrayView& array, std::vector<char>& storage);

/// Checks a tree's structure: children after their parent and in range (so
/// no cycles), split features below n_features, leaves marked -1/-1.
void validate_tree(const model::Tree& tree, std::int64_t n_features, const std::string& path,
                   std::uint64_t offset);

}  // namespace depickle::converters
