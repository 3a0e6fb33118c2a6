#include "writers/json/json_writer.h"

#include <openssl/evp.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "pickle/allowlist.h"
#include "pickle/elements.h"
#include "pickle/text.h"

namespace depickle::writers {

using pickle::Kind;
using pickle::Value;

namespace {

constexpr std::int64_t kMaxExactInt = std::int64_t{1} << 53;

bool is_shareable(Kind k) {
  switch (k) {
  case Kind::kTuple:
  case Kind::kList:
  case Kind::kSet:
  case Kind::kFrozenSet:
  case Kind::kDict:
  case Kind::kObject:
  case Kind::kNdArray:
  case Kind::kBytes: return true;
  default: return false;
  }
}

// Counts how often each shareable value is reached, so that values reached
// more than once get an "$id" on first output and "$ref"s later. Iterative:
// the graph may be deep or cyclic.
std::unordered_map<const Value*, std::uint32_t> count_references(const Value* root) {
  std::unordered_map<const Value*, std::uint32_t> counts;
  std::vector<const Value*> todo{root};
  auto children = [&](const Value* v) {
    auto push = [&](const Value* c) {
      if (c != nullptr) todo.push_back(c);
    };
    switch (v->kind) {
    case Kind::kTuple:
    case Kind::kList:
    case Kind::kSet:
    case Kind::kFrozenSet:
      for (const Value* c : static_cast<const pickle::Seq*>(v)->items) push(c);
      break;
    case Kind::kDict:
      for (const auto& [k, val] : static_cast<const pickle::Dict*>(v)->items) {
        push(k);
        push(val);
      }
      break;
    case Kind::kObject: {
      const auto* o = static_cast<const pickle::Object*>(v);
      push(o->args);
      push(o->kwargs);
      push(o->state);
      push(o->dictitems);
      push(o->listitems);
      break;
    }
    case Kind::kNdArray:
      for (const Value* c : static_cast<const pickle::NdArray*>(v)->objects) push(c);
      break;
    case Kind::kScalar: push(static_cast<const pickle::Scalar*>(v)->object); break;
    default: break;
    }
  };
  while (!todo.empty()) {
    const Value* v = todo.back();
    todo.pop_back();
    if (!is_shareable(v->kind)) {
      children(v);  // scalars holding objects
      continue;
    }
    if (++counts[v] == 1) children(v);
  }
  return counts;
}

class JsonWriter {
 public:
  JsonWriter(io::Output& out, std::uint64_t max_nesting) : out_(out), max_nesting_(max_nesting) {}

  void document(const pickle::Document& doc) {
    counts_ = count_references(doc.root());
    out_.write(R"({"format":"depickle.json","version":1,"source":{"sha256":")");
    out_.write(doc.sha256());
    out_.write(R"(","bytes":)");
    integer(static_cast<std::int64_t>(doc.input().size()));
    out_.write(R"(,"container":)");
    string(doc.container());
    out_.write(R"(,"protocol":)");
    integer(doc.protocol());
    out_.write(R"(},"sklearn_version":)");
    if (doc.sklearn_version()) {
      string(*doc.sklearn_version());
    } else {
      out_.write("null");
    }
    out_.write(R"(,"root":)");
    value(doc.root(), 0);
    out_.write("}\n");
  }

 private:
  // -- primitives
  void integer(std::int64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.write({buf, static_cast<std::size_t>(r.ptr - buf)});
  }
  void python_int(std::int64_t v) {
    if (v > kMaxExactInt || v < -kMaxExactInt) {
      out_.write(R"({"$int":")");
      integer(v);
      out_.write("\"}");
    } else {
      integer(v);
    }
  }
  void unsigned_int(std::uint64_t v) {
    if (v > static_cast<std::uint64_t>(kMaxExactInt)) {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, v);
      out_.write(R"({"$int":")");
      out_.write({buf, static_cast<std::size_t>(r.ptr - buf)});
      out_.write("\"}");
    } else {
      integer(static_cast<std::int64_t>(v));
    }
  }
  template <typename F>
  void floating(F v) {
    if (std::isnan(v)) return out_.write(R"({"$float":"nan"})");
    if (std::isinf(v)) return out_.write(v > 0 ? R"({"$float":"inf"})" : R"({"$float":"-inf"})");
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
    std::string_view s(buf, static_cast<std::size_t>(r.ptr - buf));
    out_.write(s);
    // Keep floats distinguishable from ints: 1.0, not 1.
    if (s.find_first_of(".e") == std::string_view::npos) out_.write(".0");
  }
  void string(std::string_view utf8) {
    static constexpr char kHex[] = "0123456789abcdef";
    out_.put('"');
    std::size_t run = 0;  // start of bytes that need no escaping
    auto flush_run = [&](std::size_t i) {
      out_.write(utf8.substr(run, i - run));
      run = i + 1;
    };
    for (std::size_t i = 0; i < utf8.size(); ++i) {
      auto c = static_cast<unsigned char>(utf8[i]);
      if (c >= 0x20 && c != '"' && c != '\\' && c != 0xED) continue;
      if (c == 0xED && i + 2 < utf8.size() && static_cast<unsigned char>(utf8[i + 1]) >= 0xA0) {
        // A surrogate code point (pickle allows them): not valid UTF-8 in
        // JSON text, so write it as a \u escape.
        auto b1 = static_cast<std::uint32_t>(static_cast<unsigned char>(utf8[i + 1]));
        auto b2 = static_cast<std::uint32_t>(static_cast<unsigned char>(utf8[i + 2]));
        std::uint32_t cp = 0xD000u | (b1 & 0x3Fu) << 6 | (b2 & 0x3Fu);
        flush_run(i);
        out_.write("\\u");
        for (int shift = 12; shift >= 0; shift -= 4) out_.put(kHex[(cp >> shift) & 15]);
        i += 2;
        run = i + 1;
        continue;
      }
      if (c == 0xED) continue;
      flush_run(i);
      switch (c) {
      case '"': out_.write("\\\""); break;
      case '\\': out_.write("\\\\"); break;
      case '\n': out_.write("\\n"); break;
      case '\t': out_.write("\\t"); break;
      case '\r': out_.write("\\r"); break;
      default:
        out_.write("\\u00");
        out_.put(kHex[c >> 4]);
        out_.put(kHex[c & 15]);
      }
    }
    out_.write(utf8.substr(run));
    out_.put('"');
  }
  void str(const pickle::Str& s) { string(pickle::str_utf8(s, scratch_)); }
  // {"$bytes": "<base64>"}
  void bytes_value(std::string_view bytes) {
    out_.write(R"({"$bytes":)");
    base64(bytes);
    out_.put('}');
  }
  void base64(std::string_view bytes) {
    out_.put('"');
    std::vector<unsigned char> buf(4 * ((std::min<std::size_t>(bytes.size(), 3 << 16) + 2) / 3) +
                                   1);
    for (std::size_t pos = 0; pos < bytes.size(); pos += 3 << 16) {  // chunks of whole triples
      std::size_t n = std::min<std::size_t>(bytes.size() - pos, 3 << 16);
      int len =
          EVP_EncodeBlock(buf.data(), reinterpret_cast<const unsigned char*>(bytes.data() + pos),
                          static_cast<int>(n));
      out_.write({reinterpret_cast<const char*>(buf.data()), static_cast<std::size_t>(len)});
    }
    out_.put('"');
  }

  // -- values
  void value(const Value* v, std::uint64_t depth) {
    if (depth > max_nesting_) {
      throw Error(ErrorCode::kLimit, "max_nesting",
                  str_cat("values nested more than ", max_nesting_, " deep"), v->offset);
    }
    std::int64_t id = -1;
    if (is_shareable(v->kind) && counts_[v] > 1) {
      auto [it, first] = ids_.try_emplace(v, static_cast<std::int64_t>(ids_.size()));
      if (!first) {
        out_.write(R"({"$ref":)");
        integer(it->second);
        out_.put('}');
        return;
      }
      id = it->second;
    }
    switch (v->kind) {
    case Kind::kNone: out_.write("null"); return;
    case Kind::kBool:
      out_.write(static_cast<const pickle::Bool*>(v)->value ? "true" : "false");
      return;
    case Kind::kInt: python_int(static_cast<const pickle::Int*>(v)->value); return;
    case Kind::kBigInt:
      out_.write(R"({"$int":")");
      out_.write(static_cast<const pickle::BigInt*>(v)->decimal);
      out_.write("\"}");
      return;
    case Kind::kFloat: floating(static_cast<const pickle::Float*>(v)->value); return;
    case Kind::kStr: str(*static_cast<const pickle::Str*>(v)); return;
    case Kind::kBytes: {
      const auto* b = static_cast<const pickle::Bytes*>(v);
      out_.put('{');
      id_key(id);
      out_.write(R"("$bytes":)");
      base64(b->data);
      if (b->bytearray) out_.write(R"(,"$bytearray":true)");
      out_.put('}');
      return;
    }
    case Kind::kList: {
      const auto& items = static_cast<const pickle::Seq*>(v)->items;
      if (id >= 0) {
        out_.put('{');
        id_key(id);
        out_.write(R"("$list":)");
      }
      array(items, depth);
      if (id >= 0) out_.put('}');
      return;
    }
    case Kind::kTuple:
    case Kind::kSet:
    case Kind::kFrozenSet: {
      out_.put('{');
      id_key(id);
      out_.write(v->kind == Kind::kTuple ? R"("$tuple":)" : R"("$set":)");
      array(static_cast<const pickle::Seq*>(v)->items, depth);
      if (v->kind == Kind::kFrozenSet) out_.write(R"(,"$frozen":true)");
      out_.put('}');
      return;
    }
    case Kind::kDict: dict(*static_cast<const pickle::Dict*>(v), id, depth); return;
    case Kind::kGlobal: {
      const auto* g = static_cast<const pickle::Global*>(v);
      out_.write(R"({"$global":)");
      global_name(*g);
      out_.put('}');
      return;
    }
    case Kind::kObject: object(*static_cast<const pickle::Object*>(v), id, depth); return;
    case Kind::kDtype:
      out_.write(R"({"$dtype":)");
      dtype(*static_cast<const pickle::Dtype*>(v), 0);
      out_.put('}');
      return;
    case Kind::kNdArray: ndarray(*static_cast<const pickle::NdArray*>(v), id, depth); return;
    case Kind::kScalar: {
      const auto* s = static_cast<const pickle::Scalar*>(v);
      out_.write(R"({"$scalar":{"dtype":)");
      dtype(*s->dtype, 0);
      out_.write(R"(,"value":)");
      if (s->object != nullptr) {
        value(s->object, depth + 1);
      } else {
        element(*s->dtype, s->data.data(), 0);
      }
      out_.write("}}");
      return;
    }
    }
  }

  void id_key(std::int64_t id) {
    if (id < 0) return;
    out_.write(R"("$id":)");
    integer(id);
    out_.put(',');
  }

  void array(const pickle::ValueVec& items, std::uint64_t depth) {
    out_.put('[');
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i != 0) out_.put(',');
      value(items[i], depth + 1);
    }
    out_.put(']');
  }

  // The canonical name, plus the spelling in the file when it differs (old
  // module paths, numpy 2 spellings).
  void global_name(const pickle::Global& g) {
    std::string canonical = g.canonical();
    string(canonical);
    if (std::string written = g.qualified(); written != canonical) {
      out_.write(R"(,"$pickled_as":)");
      string(written);
    }
  }

  void dict(const pickle::Dict& d, std::int64_t id, std::uint64_t depth) {
    bool plain = true;
    for (const auto& [k, v] : d.items) {
      const auto* s = pickle::as<pickle::Str>(k);
      if (s == nullptr || (!s->bytes.empty() && s->bytes.front() == '$')) {
        plain = false;
        break;
      }
    }
    out_.put('{');
    id_key(id);
    if (plain) {
      bool first = true;
      for (const auto& [k, v] : d.items) {
        if (!first) out_.put(',');
        first = false;
        str(*static_cast<const pickle::Str*>(k));
        out_.put(':');
        value(v, depth + 1);
      }
    } else {
      out_.write(R"("$dict":[)");
      bool first = true;
      for (const auto& [k, v] : d.items) {
        if (!first) out_.put(',');
        first = false;
        out_.put('[');
        value(k, depth + 1);
        out_.put(',');
        value(v, depth + 1);
        out_.put(']');
      }
      out_.put(']');
    }
    out_.put('}');
  }

  void object(const pickle::Object& o, std::int64_t id, std::uint64_t depth) {
    out_.put('{');
    id_key(id);
    out_.write(o.called ? R"("$call":)" : R"("$class":)");
    global_name(*o.cls);
    out_.write(R"(,"$args":)");
    if (o.args != nullptr) {
      array(o.args->items, depth);
    } else {
      out_.write("[]");
    }
    out_.write(R"(,"$state":)");
    if (o.state != nullptr) {
      value(o.state, depth + 1);
    } else {
      out_.write("null");
    }
    if (o.kwargs != nullptr) {
      out_.write(R"(,"$kwargs":)");
      value(o.kwargs, depth + 1);
    }
    if (o.dictitems != nullptr) {
      out_.write(R"(,"$dictitems":)");
      value(o.dictitems, depth + 1);
    }
    if (o.listitems != nullptr) {
      out_.write(R"(,"$listitems":)");
      array(o.listitems->items, depth);
    }
    out_.put('}');
  }

  // numpy's dtype.str, or its descr list for structured dtypes (padding as
  // unnamed "|V<n>" fields), or a names/formats/offsets dict when fields
  // overlap or are out of order.
  void dtype(const pickle::Dtype& d, int depth) {
    if (!d.is_structured()) return string(d.str());
    bool ordered = true;
    std::uint64_t at = 0;
    for (const auto& f : d.fields) {
      if (f.offset < at) ordered = false;
      at = f.offset + f.type->itemsize;
    }
    if (!ordered) {
      out_.write(R"({"names":[)");
      for (std::size_t i = 0; i < d.fields.size(); ++i) {
        if (i != 0) out_.put(',');
        string(d.fields[i].name);
      }
      out_.write(R"(],"formats":[)");
      for (std::size_t i = 0; i < d.fields.size(); ++i) {
        if (i != 0) out_.put(',');
        dtype(*d.fields[i].type, depth + 1);
      }
      out_.write(R"(],"offsets":[)");
      for (std::size_t i = 0; i < d.fields.size(); ++i) {
        if (i != 0) out_.put(',');
        integer(static_cast<std::int64_t>(d.fields[i].offset));
      }
      out_.write(R"(],"itemsize":)");
      integer(static_cast<std::int64_t>(d.itemsize));
      out_.put('}');
      return;
    }
    out_.put('[');
    at = 0;
    bool first = true;
    auto padding = [&](std::uint64_t n) {
      if (!first) out_.put(',');
      first = false;
      out_.write(R"(["","|V)");
      integer(static_cast<std::int64_t>(n));
      out_.write("\"]");
    };
    for (const auto& f : d.fields) {
      if (f.offset > at) padding(f.offset - at);
      if (!first) out_.put(',');
      first = false;
      out_.put('[');
      string(f.name);
      out_.put(',');
      const pickle::Dtype& t = f.type->sub_base != nullptr ? *f.type->sub_base : *f.type;
      dtype(t, depth + 1);
      if (f.type->sub_base != nullptr) {
        out_.write(",[");
        for (std::size_t i = 0; i < f.type->sub_shape.size(); ++i) {
          if (i != 0) out_.put(',');
          integer(static_cast<std::int64_t>(f.type->sub_shape[i]));
        }
        out_.put(']');
      }
      out_.put(']');
      at = f.offset + f.type->itemsize;
    }
    if (d.itemsize > at) padding(d.itemsize - at);
    out_.put(']');
  }

  void ndarray(const pickle::NdArray& a, std::int64_t id, std::uint64_t depth) {
    out_.put('{');
    id_key(id);
    out_.write(R"("$ndarray":{"dtype":)");
    dtype(*a.dtype, 0);
    out_.write(R"(,"shape":[)");
    for (std::size_t i = 0; i < a.shape.size(); ++i) {
      if (i != 0) out_.put(',');
      integer(static_cast<std::int64_t>(a.shape[i]));
    }
    out_.write(R"(],"data":[)");
    if (a.dtype->kind == 'O') {
      // Object arrays keep their elements in C order already (numpy pickles
      // them as a list in C order regardless of the array's own order).
      for (std::size_t i = 0; i < a.objects.size(); ++i) {
        if (i != 0) out_.put(',');
        value(a.objects[i], depth + 1);
      }
    } else {
      bool first = true;
      pickle::for_each_element(a, [&](const char* p) {
        if (!first) out_.put(',');
        first = false;
        element(*a.dtype, p, 0);
      });
    }
    out_.put(']');
    if (a.subclass != nullptr && a.subclass->canonical() != "numpy.ndarray") {
      out_.write(R"(,"class":)");
      string(a.subclass->canonical());
    }
    out_.write("}}");
  }

  void element(const pickle::Dtype& d, const char* p, int depth) {
    using pickle::load_as;
    bool swap = d.byteorder == '>';
    if (d.sub_base != nullptr) {  // a subarray: nested lists in C order
      sub_elements(*d.sub_base, d.sub_shape, 0, p, depth);
      return;
    }
    if (d.is_structured()) {
      out_.put('[');
      for (std::size_t i = 0; i < d.fields.size(); ++i) {
        if (i != 0) out_.put(',');
        element(*d.fields[i].type, p + d.fields[i].offset, depth + 1);
      }
      out_.put(']');
      return;
    }
    switch (d.kind) {
    case 'b': out_.write(p[0] != 0 ? "true" : "false"); return;
    case 'i':
    case 'M':
    case 'm': python_int(pickle::element_as_int(d, p)); return;
    case 'u':
      if (d.itemsize == 8) return unsigned_int(load_as<std::uint64_t>(p, swap));
      return python_int(pickle::element_as_int(d, p));
    case 'f':
      switch (d.itemsize) {
      case 2: return floating(pickle::half_to_float(load_as<std::uint16_t>(p, swap)));
      case 4: return floating(load_as<float>(p, swap));
      case 8: return floating(load_as<double>(p, swap));
      default: return floating(load_as<long double>(p, false));
      }
    case 'c': {
      pickle::Dtype half = d;
      half.kind = 'f';
      half.itemsize = d.itemsize / 2;
      out_.put('[');
      element(half, p, depth);
      out_.put(',');
      element(half, p + half.itemsize, depth);
      out_.put(']');
      return;
    }
    case 'U': {
      std::string text;
      std::uint64_t n = d.itemsize / 4;
      while (n > 0 && load_as<std::uint32_t>(p + 4 * (n - 1), swap) == 0) --n;  // numpy strips NULs
      for (std::uint64_t i = 0; i < n; ++i) {
        std::uint32_t cp = load_as<std::uint32_t>(p + 4 * i, swap);
        if (cp > 0x10FFFF) {
          throw Error(ErrorCode::kMalformed, "unicode array element",
                      str_cat("code point ", cp, " is beyond U+10FFFF"));
        }
        pickle::append_utf8(text, cp);
      }
      string(text);
      return;
    }
    case 'S': {
      std::uint64_t n = d.itemsize;
      while (n > 0 && p[n - 1] == '\0') --n;
      return bytes_value({p, n});
    }
    default: return bytes_value({p, d.itemsize});  // unstructured void
    }
  }

  void sub_elements(const pickle::Dtype& base, const std::pmr::vector<std::uint64_t>& shape,
                    std::size_t dim, const char*& p, int depth) {
    out_.put('[');
    for (std::uint64_t i = 0; i < shape[dim]; ++i) {
      if (i != 0) out_.put(',');
      if (dim + 1 == shape.size()) {
        element(base, p, depth + 1);
        p += base.itemsize;
      } else {
        sub_elements(base, shape, dim + 1, p, depth);
      }
    }
    out_.put(']');
  }
  io::Output& out_;
  std::uint64_t max_nesting_;
  std::unordered_map<const Value*, std::uint32_t> counts_;
  std::unordered_map<const Value*, std::int64_t> ids_;
  std::string scratch_;
};

}  // namespace

void write_json(const pickle::Document& doc, io::Output& out, std::uint64_t max_nesting) {
  JsonWriter(out, max_nesting).document(doc);
}

}  // namespace depickle::writers
