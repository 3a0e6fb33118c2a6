#include "pickle/danger.h"

#include <string>
#include <unordered_map>
#include <unordered_set>

namespace depickle::pickle {

// Generated at build time from schemas/dangerous-globals.tsv.
extern const std::string_view kDangerousGlobalsTsv;

namespace {

struct DangerTable {
  std::unordered_set<std::string> whole_modules;  // "os"
  std::unordered_set<std::string> names;          // "builtins\0eval"
  DangerTable() {
    std::string_view text = kDangerousGlobalsTsv;
    while (!text.empty()) {
      std::size_t nl = text.find('\n');
      std::string_view line = text.substr(0, nl);
      text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
      if (line.empty() || line.front() == '#') continue;
      std::size_t tab = line.find('\t');
      if (tab == std::string_view::npos) continue;
      std::string module(line.substr(0, tab));
      std::string_view name = line.substr(tab + 1);
      if (name == "*") {
        whole_modules.insert(module);
      } else {
        names.insert(module + '\0' + std::string(name));
      }
    }
  }
};

const DangerTable& table() {
  static const DangerTable kTable;
  return kTable;
}

}  // namespace

static bool is_dunder(std::string_view part) {
  return part.size() > 4 && part.starts_with("__") && part.ends_with("__");
}

bool known_dangerous(std::string_view module, std::string_view name) {
  // Dunder attributes (__builtins__, __globals__, __dict__, __import__, ...)
  // reach interpreter internals from any module.
  for (std::string_view rest = name; !rest.empty();) {
    std::size_t dot = rest.find('.');
    if (is_dunder(rest.substr(0, dot))) return true;
    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
  }
  const DangerTable& t = table();
  // The module itself or any parent package: "os.path" is covered by "os".
  std::string_view m = module;
  for (;;) {
    if (t.whole_modules.count(std::string(m)) != 0) return true;
    if (t.names.count(std::string(m) + '\0' + std::string(name)) != 0) return true;
    std::size_t dot = m.rfind('.');
    if (dot == std::string_view::npos) break;
    m = m.substr(0, dot);
  }
  // A dotted name walks attributes from the module: "sys.modules" via "numpy.core".
  std::size_t dot = name.find('.');
  if (dot != std::string_view::npos) {
    std::string walked = std::string(module) + "." + std::string(name.substr(0, dot));
    return known_dangerous(walked, name.substr(dot + 1));
  }
  return false;
}

}  // namespace depickle::pickle
