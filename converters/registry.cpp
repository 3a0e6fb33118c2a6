#include "converters/registry.h"

#include <algorithm>
#include <array>

#include "core/error.h"

namespace depickle::converters {

// Declarations of every converter function.
#define DEPICKLE_CONVERTER(module, name, fn, family) \
  model::Estimator fn(const sklearn::ObjectView& obj, Context& ctx);
#include "converters/converters.def"
#undef DEPICKLE_CONVERTER

namespace {

constexpr auto kTable = [] {
  std::array entries = {
#define DEPICKLE_CONVERTER(module, name, fn, family) ConverterEntry{module, name, &fn, family},
#include "converters/converters.def"
#undef DEPICKLE_CONVERTER
  };
  std::sort(entries.begin(), entries.end(), [](const ConverterEntry& a, const ConverterEntry& b) {
    return a.module != b.module ? a.module < b.module : a.name < b.name;
  });
  return entries;
}();

}  // namespace

std::span<const ConverterEntry> converter_table() {
  return kTable;
}

const ConverterEntry* find_converter(std::string_view qualified) {
  auto dot = qualified.rfind('.');
  if (dot == std::string_view::npos) return nullptr;
  std::string_view module = qualified.substr(0, dot);
  std::string_view name = qualified.substr(dot + 1);
  auto it = std::lower_bound(
      kTable.begin(), kTable.end(), std::pair{module, name},
      [](const ConverterEntry& e, const std::pair<std::string_view, std::string_view>& k) {
        return e.module != k.first ? e.module < k.first : e.name < k.second;
      });
  return it != kTable.end() && it->module == module && it->name == name ? &*it : nullptr;
}

model::Estimator Context::convert(const sklearn::ObjectView& obj) {
  if (depth_ >= limits_.max_nesting) {
    throw Error(ErrorCode::kLimit, "max_nesting",
                str_cat("estimators nested more than ", limits_.max_nesting, " deep"),
                obj.raw().offset);
  }
  const ConverterEntry* entry = find_converter(obj.class_name());
  if (entry == nullptr) {
    obj.unsupported("", "no ONNX converter for this class (docs/onnx.md lists the supported ones)");
  }
  ++depth_;
  model::Estimator e = entry->fn(obj, *this);
  --depth_;
  e.sklearn_class = obj.class_name();
  e.pickled_as = obj.raw().cls->qualified();
  return e;
}

model::Estimator convert_root(const pickle::Value& root, const Limits& limits) {
  const auto* object = pickle::as<pickle::Object>(&root);
  if (object == nullptr) {
    throw Error(ErrorCode::kUnsupported, str_cat("a ", pickle::kind_name(root.kind)),
                "ONNX output needs an estimator at the root of the pickle", root.offset);
  }
  Context ctx(limits);
  return ctx.convert(sklearn::ObjectView(*object, ""));
}

std::optional<std::string> onnx_blocker(const pickle::Value& root, const Limits& limits) {
  try {
    (void)convert_root(root, limits);
    return std::nullopt;
  } catch (const Error& e) {
    return e.message();
  }
}

}  // namespace depickle::converters
