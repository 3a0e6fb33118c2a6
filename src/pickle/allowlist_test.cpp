#include "pickle/allowlist.h"

#include <catch2/catch.hpp>

using depickle::pickle::Allowlist;
using depickle::pickle::GlobalKind;

TEST_CASE("the allow-list matches exact (module, name) pairs only", "[allowlist]") {
  const Allowlist& a = Allowlist::builtin();
  CHECK(a.size() > 1000);
  CHECK(a.find("sklearn.linear_model._logistic", "LogisticRegression") != nullptr);
  CHECK(a.find("sklearn.linear_model.logistic", "LogisticRegression") !=
        nullptr);  // < 0.22 spelling
  CHECK(a.find("numpy._core.multiarray", "_reconstruct")->kind == GlobalKind::kNdarrayReconstruct);
  CHECK(a.find("copy_reg", "_reconstructor")->kind == GlobalKind::kCopyregReconstructor);
  CHECK(a.find("__builtin__", "set")->kind == GlobalKind::kSet);
  // No prefixes, no dotted names, no attribute walks.
  CHECK(a.find("sklearn.linear_model", "_logistic.LogisticRegression") == nullptr);
  CHECK(a.find("numpy", "core.multiarray._reconstruct") == nullptr);
  CHECK(a.find("sklearn", "linear_model") == nullptr);
  CHECK(a.find("sklearn.linear_model._logistic.", "LogisticRegression") == nullptr);
}

TEST_CASE("nothing that runs code is on the allow-list", "[allowlist]") {
  const Allowlist& a = Allowlist::builtin();
  const std::pair<const char*, const char*> dangerous[] = {
      {"os", "system"},
      {"posix", "system"},
      {"nt", "system"},
      {"builtins", "eval"},
      {"builtins", "exec"},
      {"builtins", "getattr"},
      {"builtins", "__import__"},
      {"builtins", "open"},
      {"builtins", "compile"},
      {"builtins", "type"},
      {"__builtin__", "eval"},
      {"subprocess", "Popen"},
      {"pickle", "loads"},
      {"marshal", "loads"},
      {"functools", "partial"},
      {"operator", "attrgetter"},
      {"importlib", "import_module"},
      {"pkgutil", "resolve_name"},
      {"runpy", "run_path"},
      {"numpy", "load"},
      {"numpy.lib.npyio", "load"},
      {"joblib", "load"},
      {"sklearn.externals.joblib", "load"},
      {"numpy.f2py", "compile"},
      {"numpy.testing._private.utils", "runstring"},
      {"timeit", "timeit"},
      {"ctypes", "CDLL"},
  };
  for (const auto& [module, name] : dangerous) {
    INFO(module << "." << name);
    CHECK(a.find(module, name) == nullptr);
  }
  // Only classes, reconstructors and value-only functions; every function
  // entry is a scikit-learn score/metric or a numpy ufunc.
  for (const auto& e : a.entries()) {
    if (e->kind == GlobalKind::kFunction) {
      bool known = e->module.rfind("sklearn.", 0) == 0 || e->module.rfind("numpy", 0) == 0;
      INFO(e->module << "." << e->name);
      CHECK(known);
    }
  }
}
