#include "converters/registry.h"

#include <catch2/catch.hpp>

#include "pickle/allowlist.h"

using depickle::converters::converter_table;
using depickle::converters::find_converter;

TEST_CASE("the converter table is sorted, unique and allow-listed", "[converters]") {
  auto table = converter_table();
  REQUIRE(table.size() > 40);
  for (std::size_t i = 1; i < table.size(); ++i) {
    bool ordered = table[i - 1].module < table[i].module ||
                   (table[i - 1].module == table[i].module && table[i - 1].name < table[i].name);
    INFO(table[i].module << "." << table[i].name);
    CHECK(ordered);
  }
  const auto& allow = depickle::pickle::Allowlist::builtin();
  for (const auto& e : table) {
    INFO(e.module << "." << e.name);
    const auto* entry = allow.find(e.module, e.name);
    REQUIRE(entry != nullptr);
    CHECK(entry->module == e.module);  // listed under its canonical module
  }
}

TEST_CASE("converters are found by canonical class name", "[converters]") {
  CHECK(find_converter("sklearn.linear_model._logistic.LogisticRegression") != nullptr);
  CHECK(find_converter("sklearn.pipeline.Pipeline") != nullptr);
  CHECK(find_converter("sklearn.svm._classes.SVC") == nullptr);
  CHECK(find_converter("Pipeline") == nullptr);
}
