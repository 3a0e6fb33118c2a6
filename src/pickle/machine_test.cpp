// The VM against pickles written by Python's own pickle module (and hand-made
// streams for opcodes Python 3 no longer writes): tests/data/opcode_cases.json,
// made by tests/data/generate_opcode_cases.py. Each case gives the bytes and
// either the JSON value Python's unpickler produced or the error (category and
// byte offset) depickle must report.

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "depickle.h"

namespace {

using nlohmann::json;

std::string from_hex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

// nlohmann::json rejects lone surrogate escapes, which pickle strings may
// hold; both sides spell them the same way, so make them plain text.
json parse_json(const std::string& text) {
  auto surrogate_at = [&](std::size_t i, const char* range) {
    return i + 5 < text.size() && text[i] == '\\' && text[i + 1] == 'u' &&
           (text[i + 2] == 'd' || text[i + 2] == 'D') &&
           std::string(range).find(text[i + 3]) != std::string::npos;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
    } else if (surrogate_at(i, "89abAB") && surrogate_at(i + 6, "cdefCDEF")) {
      out += text.substr(i, 12);  // a valid pair
      i += 11;
    } else if (surrogate_at(i, "89abcdefABCDEF")) {
      out += "<U+" + text.substr(i + 2, 4) + ">";
      i += 5;
    } else {
      out += text.substr(i, 2);  // any other escape, kept as is
      ++i;
    }
  }
  return json::parse(out);
}

// Compares JSON values; arrays under "$set" compare as multisets when the
// case says its sets are unordered.
bool same(const json& a, const json& b, bool unordered_sets) {
  if (a.type() != b.type()) {
    if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
    return false;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (!b.contains(it.key())) return false;
      const json& bv = b.at(it.key());
      if (it.key() == "$set" && unordered_sets) {
        if (it.value().size() != bv.size()) return false;
        std::vector<bool> used(bv.size(), false);
        for (const auto& x : it.value()) {
          bool found = false;
          for (std::size_t i = 0; i < bv.size() && !found; ++i) {
            if (!used[i] && same(x, bv[i], unordered_sets)) used[i] = found = true;
          }
          if (!found) return false;
        }
      } else if (!same(it.value(), bv, unordered_sets)) {
        return false;
      }
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!same(a[i], b[i], unordered_sets)) return false;
    }
    return true;
  }
  if (a.is_number()) return a.get<double>() == b.get<double>();
  return a == b;
}

}  // namespace

TEST_CASE("every opcode case from Python's pickle", "[vm]") {
  std::ifstream in(DEPICKLE_SOURCE_DIR "/tests/data/opcode_cases.json");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  json table = parse_json(text.str());
  REQUIRE(table["cases"].size() > 100);
  for (const auto& c : table["cases"]) {
    std::string name = c["name"];
    DYNAMIC_SECTION(name) {
      std::string bytes = from_hex(c["pickle_hex"]);
      INFO(c["about"].get<std::string>());
      if (c.contains("error")) {
        std::string category = c["error"]["category"];
        std::uint64_t offset = c["error"]["offset"];
        try {
          (void)depickle::Model::load_bytes(bytes, name);
          FAIL("expected an error: " << category << " at byte " << offset);
        } catch (const depickle::Error& e) {
          INFO(e.message());
          CHECK(depickle::category_name(e.code()) ==
                (category == "limit" ? std::string("limit exceeded") : category));
          REQUIRE(e.offset().has_value());
          CHECK(*e.offset() == offset);
        }
      } else {
        std::ostringstream out;
        depickle::Model::load_bytes(bytes, name).write(depickle::Format::kJson, out);
        json doc = parse_json(out.str());
        const json& expect = c["expect"];
        INFO("got      " << doc["root"].dump());
        INFO("expected " << expect.dump());
        CHECK(same(doc["root"], expect, c.value("unordered", false)));
      }
    }
  }
}
