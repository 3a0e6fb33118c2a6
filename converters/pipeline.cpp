// Composition: Pipeline steps in order ('passthrough' and None steps are
// skipped); hyperparameter searches convert their refitted best estimator.

#include "converters/common.h"

namespace depickle::converters {

model::Estimator convert_pipeline(const sklearn::ObjectView& obj, Context& ctx) {
  auto steps = sklearn::value_items(obj.require("steps"), obj.path_of("steps"));
  if (steps.empty()) obj.unsupported("steps", "an empty pipeline");
  model::Pipeline p;
  std::int64_t n_features = -1;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    std::string path = str_cat(obj.path_of("steps"), "[", i, "]");
    auto pair = sklearn::value_items(*steps[i], path);
    if (pair.size() != 2)
      obj.unsupported("steps", str_cat("step ", i, " is not a (name, estimator) pair"));
    const pickle::Value& est = *pair[1];
    bool skip = est.kind == pickle::Kind::kNone;
    if (const auto* s = pickle::as<pickle::Str>(&est)) {
      if (s->bytes != "passthrough") obj.unsupported("steps", str_cat("step ", i, " is a string"));
      skip = true;
    }
    if (skip) continue;
    model::Estimator e = ctx.convert(sklearn::value_object(est, str_cat(path, "[1]")));
    if (p.steps.empty()) n_features = e.n_features;
    p.steps.push_back(std::move(e));
  }
  if (p.steps.empty()) p.steps.push_back(model::make_estimator(model::Passthrough{}, n_features));
  if (n_features < 0) n_features = n_features_in(obj);
  return model::make_estimator(std::move(p), n_features);
}

// GridSearchCV / RandomizedSearchCV / HalvingGridSearchCV predict with the
// refitted best estimator.
model::Estimator convert_search_cv(const sklearn::ObjectView& obj, Context& ctx) {
  if (obj.is_none("best_estimator_")) {
    obj.unsupported("best_estimator_",
                    "the search was not refitted (refit=False): nothing predicts");
  }
  return ctx.convert(obj.object("best_estimator_"));
}

}  // namespace depickle::converters
