#include "pickle/allowlist.h"

#include <algorithm>
#include <array>

#include "core/error.h"

namespace depickle::pickle {

// Generated at build time from schemas/allowlist/*.tsv (cmake/embed.cmake).
extern const std::string_view kAllowlistEntriesTsv;
extern const std::string_view kAllowlistRenamesTsv;

namespace {

constexpr std::array<std::pair<std::string_view, GlobalKind>, 22> kKindNames = {{
    {"class", GlobalKind::kClass},
    {"function", GlobalKind::kFunction},
    {"ndarray_reconstruct", GlobalKind::kNdarrayReconstruct},
    {"ndarray", GlobalKind::kNdarray},
    {"dtype", GlobalKind::kDtype},
    {"scalar", GlobalKind::kScalar},
    {"frombuffer", GlobalKind::kFromBuffer},
    {"codecs_encode", GlobalKind::kCodecsEncode},
    {"copyreg_reconstructor", GlobalKind::kCopyregReconstructor},
    {"set", GlobalKind::kSet},
    {"frozenset", GlobalKind::kFrozenSet},
    {"bytes", GlobalKind::kBytes},
    {"bytearray", GlobalKind::kBytearray},
    {"ordered_dict", GlobalKind::kOrderedDict},
    {"dict_subclass", GlobalKind::kDictSubclass},
    {"list_subclass", GlobalKind::kListSubclass},
    {"joblib_array", GlobalKind::kJoblibArray},
    {"joblib_legacy_array", GlobalKind::kJoblibLegacyArray},
    {"ufunc_reconstruct", GlobalKind::kUfuncReconstruct},
    {"new_object", GlobalKind::kNewObject},
    {"pyx_unpickle", GlobalKind::kPyxUnpickle},
    {"user_allowed", GlobalKind::kUserAllowed},
}};

std::string key_of(std::string_view module, std::string_view name) {
  std::string key;
  key.reserve(module.size() + name.size() + 1);
  key.append(module);
  key.push_back('\0');
  key.append(name);
  return key;
}

// Calls fn(fields) for each non-empty, non-comment line of a TSV text.
template <typename Fn>
void for_each_row(std::string_view text, std::string_view what, Fn fn) {
  std::size_t line_no = 0;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    std::array<std::string_view, 3> fields{};
    std::size_t n = 0;
    while (n < fields.size()) {
      std::size_t tab = line.find('\t');
      fields[n++] = line.substr(0, tab);
      if (tab == std::string_view::npos) break;
      line.remove_prefix(tab + 1);
    }
    fn(fields, n, line_no, what);
  }
}

[[noreturn]] void bad_row(std::string_view what, std::size_t line_no, std::string_view why) {
  throw Error(ErrorCode::kInternal, str_cat("allow-list ", what, " line ", line_no),
              std::string(why));
}

}  // namespace

std::string_view global_kind_name(GlobalKind kind) {
  for (const auto& [name, k] : kKindNames) {
    if (k == kind) return name;
  }
  return "?";
}

std::optional<GlobalKind> parse_global_kind(std::string_view name) {
  for (const auto& [n, k] : kKindNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

const Allowlist& Allowlist::builtin() {
  static const Allowlist kBuiltin(kAllowlistEntriesTsv, kAllowlistRenamesTsv);
  return kBuiltin;
}

Allowlist::Allowlist(std::string_view entries_tsv, std::string_view renames_tsv) {
  for_each_row(renames_tsv, "renames", [&](auto& f, std::size_t n, std::size_t line, auto what) {
    if (n != 2 || f[0] == f[1]) bad_row(what, line, "expected old<TAB>canonical");
    renames_.emplace(std::string(f[0]), std::string(f[1]));
  });
  for_each_row(entries_tsv, "entries", [&](auto& f, std::size_t n, std::size_t line, auto what) {
    if (n != 3) bad_row(what, line, "expected module<TAB>name<TAB>kind");
    auto kind = parse_global_kind(f[2]);
    if (!kind) bad_row(what, line, str_cat("unknown kind ", quoted(f[2])));
    if (renames_.count(std::string(f[0])) != 0) {
      bad_row(what, line,
              str_cat(f[0], " is an old spelling (renames.tsv); list the canonical one"));
    }
    auto entry =
        std::make_unique<AllowEntry>(AllowEntry{std::string(f[0]), std::string(f[1]), *kind});
    // A name listed twice keeps its first kind (generated lists come after
    // the hand-written core list).
    if (by_name_.emplace(key_of(f[0], f[1]), entry.get()).second) {
      entries_.push_back(std::move(entry));
    }
  });
}

std::string_view Allowlist::canonical_module(std::string_view module) const {
  auto it = renames_.find(std::string(module));
  return it == renames_.end() ? module : std::string_view(it->second);
}

const AllowEntry* Allowlist::find(std::string_view module, std::string_view name) const {
  auto it = by_name_.find(key_of(canonical_module(module), name));
  return it == by_name_.end() ? nullptr : it->second;
}

UserAllowlist::UserAllowlist(const std::vector<std::string>& patterns) {
  for (const auto& p : patterns) {
    if (p.size() > 2 && p.compare(p.size() - 2, 2, ".*") == 0) {
      modules_.push_back(p.substr(0, p.size() - 2));
    } else {
      exact_.push_back(p);
    }
  }
}

const AllowEntry* UserAllowlist::find(std::string_view module, std::string_view name) {
  std::string qualified = str_cat(module, ".", name);
  bool match = std::find(exact_.begin(), exact_.end(), qualified) != exact_.end() ||
               std::find(modules_.begin(), modules_.end(), module) != modules_.end();
  if (!match) return nullptr;
  for (const auto& e : entries_) {
    if (e->module == module && e->name == name) return e.get();
  }
  entries_.push_back(std::make_unique<AllowEntry>(
      AllowEntry{std::string(module), std::string(name), GlobalKind::kUserAllowed}));
  return entries_.back().get();
}

}  // namespace depickle::pickle
