#pragma once
// Shared by the unit tests (*_test.cpp beside the sources): the fixtures, and
// the check that an action fails with a given depickle::Error.

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "core/error.h"

namespace depickle::testing {

/// Path of fixtures/models/NAME.
inline std::string fixture_path(const std::string& name) {
  return DEPICKLE_SOURCE_DIR "/fixtures/models/" + name;
}

/// Bytes of fixtures/models/NAME.
inline std::string fixture_bytes(const std::string& name) {
  std::ifstream in(fixture_path(name), std::ios::binary);
  REQUIRE(in.good());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// `action` must throw depickle::Error with this code and subject.
template <typename Action>
void require_error(Action action, ErrorCode code, std::string_view subject,
                   const char* if_no_error) {
  try {
    action();
    FAIL(if_no_error);
  } catch (const Error& e) {
    CHECK(e.code() == code);
    CHECK(e.subject() == subject);
  }
}

}  // namespace depickle::testing
