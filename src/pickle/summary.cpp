#include "pickle/summary.h"

#include <cmath>
#include <unordered_map>

#include "core/str_cat.h"
#include "pickle/allowlist.h"
#include "pickle/elements.h"

namespace depickle::pickle {

namespace {

constexpr std::size_t kMaxItemsShown = 12;
constexpr int kMaxDepth = 24;

std::string short_name(const Global& g) {
  std::string name(g.name);
  return name;
}

std::string shape_of(const NdArray& a) {
  std::string s = "[";
  for (std::size_t i = 0; i < a.shape.size(); ++i) s += str_cat(i ? ", " : "", a.shape[i]);
  return s + "]";
}

std::string dtype_name(const Dtype& d) {
  if (d.is_structured()) return str_cat("record", d.itemsize, "(", d.fields.size(), " fields)");
  switch (d.kind) {
  case 'b': return "bool";
  case 'i': return str_cat("int", d.itemsize * 8);
  case 'u': return str_cat("uint", d.itemsize * 8);
  case 'f': return str_cat("float", d.itemsize * 8);
  case 'c': return str_cat("complex", d.itemsize * 8);
  case 'O': return "object";
  default: return d.str();
  }
}

class Summarizer {
 public:
  explicit Summarizer(std::string& out) : out_(out) {}

  void root(const Value* v) { block(v, 0); }

 private:
  // A one-line rendering for scalars and short values; empty if `v` needs a block.
  std::string inline_text(const Value* v) {
    switch (v->kind) {
    case Kind::kNone: return "None";
    case Kind::kBool: return static_cast<const Bool*>(v)->value ? "True" : "False";
    case Kind::kInt: return str_cat(static_cast<const Int*>(v)->value);
    case Kind::kBigInt: return std::string(static_cast<const BigInt*>(v)->decimal);
    case Kind::kFloat: {
      std::string text = str_cat(static_cast<const Float*>(v)->value);
      if (text.find_first_of(".eni") == std::string::npos) text += ".0";  // as Python prints floats
      return text;
    }
    case Kind::kStr: {
      std::string scratch;
      return quoted(str_utf8(*static_cast<const Str*>(v), scratch), 60);
    }
    case Kind::kBytes: return str_cat("bytes[", static_cast<const Bytes*>(v)->data.size(), "]");
    case Kind::kGlobal: return static_cast<const Global*>(v)->canonical();
    case Kind::kDtype: return str_cat("dtype(", dtype_name(*static_cast<const Dtype*>(v)), ")");
    case Kind::kScalar: {
      const auto* s = static_cast<const Scalar*>(v);
      if (s->object != nullptr) return inline_text(s->object);
      const Dtype& d = *s->dtype;
      if (d.kind == 'f' || d.kind == 'i' || d.kind == 'u' || d.kind == 'b') {
        return str_cat(dtype_name(d), " ", element_as_double(d, s->data.data()));
      }
      return str_cat(dtype_name(d), " scalar");
    }
    case Kind::kNdArray: {
      const auto* a = static_cast<const NdArray*>(v);
      return str_cat(dtype_name(*a->dtype), shape_of(*a));
    }
    case Kind::kTuple:
    case Kind::kList:
    case Kind::kSet:
    case Kind::kFrozenSet: {
      const auto& items = static_cast<const Seq*>(v)->items;
      bool simple = items.size() <= 8;
      for (const Value* i : items) simple = simple && is_scalar(i);
      if (!simple) return {};
      const char* open = v->kind == Kind::kTuple ? "(" : v->kind == Kind::kList ? "[" : "{";
      const char* close = v->kind == Kind::kTuple ? ")" : v->kind == Kind::kList ? "]" : "}";
      std::string s = open;
      for (std::size_t i = 0; i < items.size(); ++i)
        s += str_cat(i ? ", " : "", inline_text(items[i]));
      if (v->kind == Kind::kTuple && items.size() == 1) s += ",";
      return s + close;
    }
    case Kind::kDict: return static_cast<const Dict*>(v)->items.empty() ? "{}" : std::string();
    case Kind::kObject: return {};
    }
    return {};
  }

  static bool is_scalar(const Value* v) {
    switch (v->kind) {
    case Kind::kNone:
    case Kind::kBool:
    case Kind::kInt:
    case Kind::kBigInt:
    case Kind::kFloat:
    case Kind::kStr:
    case Kind::kGlobal:
    case Kind::kScalar:
    case Kind::kDtype: return true;
    default: return false;
    }
  }

  void line(int depth, const std::string& text) {
    out_.append(static_cast<std::size_t>(depth) * 2, ' ');
    out_ += text;
    out_ += '\n';
  }

  // Writes `label` followed by `v`, inline when short, as a block otherwise.
  void entry(int depth, const std::string& label, const Value* v) {
    std::string text = inline_text(v);
    if (!text.empty()) return line(depth, str_cat(label, " = ", text));
    if (auto it = seen_.find(v); it != seen_.end()) {
      return line(depth, str_cat(label, " = (the ", it->second, " shown above)"));
    }
    line(depth, str_cat(label, " ="));
    block(v, depth + 1);
  }

  void block(const Value* v, int depth) {
    if (depth > kMaxDepth) return line(depth, "...");
    std::string text = inline_text(v);
    if (!text.empty()) return line(depth, text);
    switch (v->kind) {
    case Kind::kObject: return object(*static_cast<const Object*>(v), depth);
    case Kind::kDict: {
      const auto* d = static_cast<const Dict*>(v);
      seen_.emplace(v, "dict");
      line(depth, str_cat("dict with ", d->items.size(), " items"));
      std::size_t n = 0;
      for (const auto& [k, val] : d->items) {
        if (n++ == kMaxItemsShown)
          return line(depth + 1, str_cat("... ", d->items.size() - kMaxItemsShown, " more"));
        std::string key = inline_text(k);
        entry(depth + 1, key.empty() ? "<key>" : key, val);
      }
      return;
    }
    case Kind::kTuple:
    case Kind::kList:
    case Kind::kSet:
    case Kind::kFrozenSet: {
      const auto& items = static_cast<const Seq*>(v)->items;
      seen_.emplace(v, std::string(kind_name(v->kind)));
      line(depth, str_cat(kind_name(v->kind), " of ", items.size()));
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i == kMaxItemsShown)
          return line(depth + 1, str_cat("... ", items.size() - kMaxItemsShown, " more"));
        // (name, estimator) pairs, as in Pipeline.steps, read as "[0] 'scaler' = ...".
        const auto* pair =
            items[i]->kind == Kind::kTuple ? static_cast<const Seq*>(items[i]) : nullptr;
        if (pair != nullptr && pair->items.size() == 2 && pair->items[0]->kind == Kind::kStr &&
            !is_scalar(pair->items[1])) {
          entry(depth + 1, str_cat("[", i, "] ", inline_text(pair->items[0])), pair->items[1]);
        } else {
          entry(depth + 1, str_cat("[", i, "]"), items[i]);
        }
      }
      return;
    }
    case Kind::kNdArray: {  // object arrays
      const auto* a = static_cast<const NdArray*>(v);
      seen_.emplace(v, "array");
      line(depth, str_cat("object", shape_of(*a)));
      for (std::size_t i = 0; i < a->objects.size(); ++i) {
        if (i == kMaxItemsShown)
          return line(depth + 1, str_cat("... ", a->objects.size() - kMaxItemsShown, " more"));
        entry(depth + 1, str_cat("[", i, "]"), a->objects[i]);
      }
      return;
    }
    default: return line(depth, std::string(kind_name(v->kind)));
    }
  }

  // An attribute name without its quotes; other keys (hostile files have
  // any) as their inline text or their kind.
  std::string key_text(const Value* k) {
    std::string text = inline_text(k);
    if (k->kind == Kind::kStr && text.size() >= 2) return text.substr(1, text.size() - 2);
    return text.empty() ? str_cat("<", kind_name(k->kind), ">") : text;
  }

  void object(const Object& o, int depth) {
    seen_.emplace(&o, short_name(*o.cls));
    line(depth, str_cat(short_name(*o.cls), "  (", o.cls->canonical(), ")"));
    if (o.args != nullptr && !o.args->items.empty()) entry(depth + 1, "args", o.args);
    const Value* state = o.state;
    if (const auto* t = as_tuple(const_cast<Value*>(state)); t != nullptr && t->items.size() == 2) {
      state = t->items[0];
    }
    if (const auto* d = as<Dict>(state)) {
      // Hyperparameters and scalars first on packed lines, then arrays, then nested values.
      std::string params;
      for (const auto& [k, v] : d->items) {
        std::string key = key_text(k);
        if (key == "_sklearn_version") continue;
        if (is_scalar(v)) {
          std::string item = str_cat(key, "=", inline_text(v));
          if (!params.empty() && params.size() + item.size() > 88) {
            line(depth + 1, params);
            params.clear();
          }
          params += params.empty() ? item : " " + item;
        }
      }
      if (!params.empty()) line(depth + 1, params);
      for (const auto& [k, v] : d->items) {
        if (v->kind == Kind::kNdArray && static_cast<const NdArray*>(v)->dtype->kind != 'O') {
          line(depth + 1, str_cat(key_text(k), ": ", inline_text(v)));
        }
      }
      for (const auto& [k, v] : d->items) {
        if (is_scalar(v)) continue;
        if (v->kind == Kind::kNdArray && static_cast<const NdArray*>(v)->dtype->kind != 'O')
          continue;
        entry(depth + 1, key_text(k), v);
      }
    } else if (state != nullptr) {
      entry(depth + 1, "state", state);
    }
    if (o.dictitems != nullptr) entry(depth + 1, "items", o.dictitems);
    if (o.listitems != nullptr) entry(depth + 1, "items", o.listitems);
  }

  std::string& out_;
  std::unordered_map<const Value*, std::string> seen_;
};

}  // namespace

std::string summarize(const Value* root) {
  std::string out;
  Summarizer(out).root(root);
  return out;
}

}  // namespace depickle::pickle
