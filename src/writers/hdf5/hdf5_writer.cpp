// The object graph as HDF5 (layout: schemas/hdf5-layout.md). Objects and
// containers become groups, ndarrays datasets of the same dtype (bit-exact,
// written straight from the input mapping), scalars attributes; a value
// reached twice is written once and hard-linked.

#include "writers/hdf5/hdf5_writer.h"

#include <H5Cpp.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
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

constexpr std::uint64_t kChunkBytes = std::uint64_t{1} << 20;
constexpr std::size_t kMaxAttributeItems = 64;

// ---------------------------------------------------------------------------
// Types

H5::StrType utf8_type() {
  H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
  t.setCset(H5T_CSET_UTF8);
  return t;
}

// h5py's boolean: an int8 enum FALSE/TRUE.
H5::EnumType bool_type() {
  H5::EnumType t(H5::PredType::NATIVE_INT8);
  std::int8_t no = 0;
  std::int8_t yes = 1;
  t.insert("FALSE", &no);
  t.insert("TRUE", &yes);
  return t;
}

H5::DataType int_type(char kind, std::uint64_t size, bool big) {
  using P = H5::PredType;
  if (kind == 'u') {
    switch (size) {
    case 1: return big ? P::STD_U8BE : P::STD_U8LE;
    case 2: return big ? P::STD_U16BE : P::STD_U16LE;
    case 4: return big ? P::STD_U32BE : P::STD_U32LE;
    default: return big ? P::STD_U64BE : P::STD_U64LE;
    }
  }
  switch (size) {
  case 1: return big ? P::STD_I8BE : P::STD_I8LE;
  case 2: return big ? P::STD_I16BE : P::STD_I16LE;
  case 4: return big ? P::STD_I32BE : P::STD_I32LE;
  default: return big ? P::STD_I64BE : P::STD_I64LE;
  }
}

H5::DataType float_type(std::uint64_t size, bool big) {
  using P = H5::PredType;
  if (size == 4) return big ? P::IEEE_F32BE : P::IEEE_F32LE;
  if (size == 8) return big ? P::IEEE_F64BE : P::IEEE_F64LE;
  if (size == 2) {  // IEEE half, as h5py defines it
    H5::FloatType t(big ? P::IEEE_F32BE : P::IEEE_F32LE);
    t.setFields(15, 10, 5, 0, 10);
    t.setSize(2);
    t.setEbias(15);
    return t;
  }
  return P::NATIVE_LDOUBLE;
}

// The HDF5 type with the same memory layout as one element of `d` (so data
// is written without conversion). Unicode arrays are converted to VL UTF-8
// by the caller.
H5::DataType h5_type(const pickle::Dtype& d) {
  bool big = d.byteorder == '>';
  if (d.sub_base != nullptr) {
    std::vector<hsize_t> dims(d.sub_shape.begin(), d.sub_shape.end());
    return H5::ArrayType(h5_type(*d.sub_base), static_cast<int>(dims.size()), dims.data());
  }
  if (d.is_structured()) {
    H5::CompType t(d.itemsize);
    for (const auto& f : d.fields) {
      if (f.type->kind == 'U') {
        throw Error(ErrorCode::kUnsupported, str_cat("structured array field ", f.name),
                    "unicode fields inside records have no HDF5 equivalent");
      }
      t.insertMember(std::string(f.name), f.offset, h5_type(*f.type));
    }
    return t;
  }
  switch (d.kind) {
  case 'b': return bool_type();
  case 'i':
  case 'u': return int_type(d.kind, d.itemsize, big);
  case 'M':
  case 'm': return int_type('i', 8, big);
  case 'f': return float_type(d.itemsize, big);
  case 'c': {  // h5py's complex: {r, i}
    H5::CompType t(d.itemsize);
    H5::DataType part = float_type(d.itemsize / 2, big);
    t.insertMember("r", 0, part);
    t.insertMember("i", d.itemsize / 2, part);
    return t;
  }
  case 'S': {
    H5::StrType t(H5::PredType::C_S1, d.itemsize == 0 ? 1 : d.itemsize);
    t.setStrpad(H5T_STR_NULLPAD);
    return t;
  }
  case 'U': return utf8_type();
  default: return H5::DataType(H5T_OPAQUE, d.itemsize == 0 ? 1 : d.itemsize);  // unstructured void
  }
}

// An HDF5 link or attribute name for a key: `%` -> %25, `/` -> %2F, NUL ->
// %00, a key "." -> %2E, the empty key -> "%". Names longer than kMaxName
// keep their start and a hash of the whole (HDF5 rejects huge names).
constexpr std::size_t kMaxName = 1024;

std::string escape_name(std::string_view key) {
  if (key.empty()) return "%";
  if (key == ".") return "%2E";
  std::string out;
  for (char c : key) {
    if (c == '%') {
      out += "%25";
    } else if (c == '/') {
      out += "%2F";
    } else if (c == '\0') {
      out += "%00";
    } else {
      out += c;
    }
  }
  if (out.size() > kMaxName) {
    std::size_t h = std::hash<std::string_view>{}(key);
    char suffix[24];
    std::snprintf(suffix, sizeof suffix, "~%016zx", h);
    out = out.substr(0, kMaxName - 20) + suffix;
  }
  return out;
}

bool is_attribute_value(const Value* v) {
  switch (v->kind) {
  case Kind::kNone:
  case Kind::kBool:
  case Kind::kInt:
  case Kind::kBigInt:
  case Kind::kFloat:
  case Kind::kStr:
  case Kind::kGlobal:
  case Kind::kDtype: return true;
  case Kind::kScalar: {
    const auto* s = static_cast<const pickle::Scalar*>(v);
    return s->object == nullptr || is_attribute_value(s->object);
  }
  default: return false;
  }
}

// A short list/tuple of numbers (or of strs), all of one kind: an attribute.
bool is_small_homogeneous(const pickle::Seq& s) {
  if (s.items.empty() || s.items.size() > kMaxAttributeItems) return false;
  auto numeric = [](Kind k) { return k == Kind::kInt || k == Kind::kFloat; };
  Kind first = s.items[0]->kind;
  for (const Value* item : s.items) {
    bool same = numeric(first) ? numeric(item->kind) : item->kind == first;
    if (!same || !(numeric(item->kind) || item->kind == Kind::kStr)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------

class Hdf5Writer {
 public:
  Hdf5Writer(H5::H5File& file, const Hdf5Options& options, const Limits& limits)
      : file_(file), options_(options), limits_(limits) {
    utf8_links_.setCharEncoding(H5T_CSET_UTF8);
    H5Pset_link_creation_order(groups_.getId(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    H5Pset_attr_creation_order(groups_.getId(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    H5Pset_obj_track_times(groups_.getId(), false);  // reproducible: no timestamps
    // Estimators have 10-40 hyperparameters and attributes: keep them (and
    // small groups' links) in the object header rather than in dense storage
    // with two B-trees each — several times faster on models of many trees.
    H5Pset_attr_phase_change(groups_.getId(), kCompactMax, kCompactMax - 16);
    H5Pset_link_phase_change(groups_.getId(), kCompactMax, kCompactMax - 16);
  }
  static constexpr unsigned kCompactMax = 64;

  void document(const pickle::Document& doc) {
    H5::Group root = file_.openGroup("/");
    const Value* v = doc.root();
    attr_string(root, "format", "depickle.hdf5");
    attr_int(root, "version", 1);
    if (v->kind != Kind::kObject)
      attr_string(root, "class", type_of(v));  // objects write their own
    attr_string(root, "sklearn_version", doc.sklearn_version().value_or("unknown"));
    attr_string(root, "source_sha256", doc.sha256());
    attr_string(root, "source_container", doc.container());
    attr_int(root, "source_protocol", doc.protocol());
    attr_string(root, "depickle_version", std::string(version()));
    written_[v] = "/";
    fill_group(root, "/", v, 0);
  }

 private:
  static std::string type_of(const Value* v) {
    if (const auto* o = pickle::as<pickle::Object>(v)) return o->cls->canonical();
    return std::string(pickle::kind_name(v->kind));
  }

  // -- attributes
  void attr_string(H5::H5Object& loc, const std::string& name, const std::string& value) {
    H5::Attribute a = loc.createAttribute(name, utf8_, scalar_);
    a.write(utf8_, value);
  }
  void attr_int(H5::H5Object& loc, const std::string& name, std::int64_t value) {
    H5::Attribute a = loc.createAttribute(name, H5::PredType::STD_I64LE, scalar_);
    a.write(H5::PredType::NATIVE_INT64, &value);
  }
  void attr_marked(H5::H5Object& loc, const std::string& name, const std::string& value,
                   const char* python_type) {
    attr_string(loc, name, value);
    attr_string(loc, name + ".python_type", python_type);
  }

  void attribute(H5::H5Object& loc, const std::string& name, const Value* v) {
    switch (v->kind) {
    case Kind::kNone: {
      loc.createAttribute(name, H5::PredType::STD_U8LE, null_);
      return;
    }
    case Kind::kBool: {
      std::int8_t b = static_cast<const pickle::Bool*>(v)->value ? 1 : 0;
      loc.createAttribute(name, bool_, scalar_).write(bool_, &b);
      return;
    }
    case Kind::kInt: return attr_int(loc, name, static_cast<const pickle::Int*>(v)->value);
    case Kind::kBigInt:
      return attr_marked(loc, name, std::string(static_cast<const pickle::BigInt*>(v)->decimal),
                         "int");
    case Kind::kFloat: {
      double d = static_cast<const pickle::Float*>(v)->value;
      loc.createAttribute(name, H5::PredType::IEEE_F64LE, scalar_)
          .write(H5::PredType::NATIVE_DOUBLE, &d);
      return;
    }
    case Kind::kStr: {
      std::string scratch;
      return attr_string(
          loc, name, std::string(pickle::str_utf8(*static_cast<const pickle::Str*>(v), scratch)));
    }
    case Kind::kGlobal:
      return attr_marked(loc, name, static_cast<const pickle::Global*>(v)->canonical(), "global");
    case Kind::kDtype:
      return attr_marked(loc, name, static_cast<const pickle::Dtype*>(v)->str(), "dtype");
    case Kind::kScalar: {
      const auto* s = static_cast<const pickle::Scalar*>(v);
      if (s->object != nullptr) return attribute(loc, name, s->object);
      if (s->dtype->kind == 'U') {
        std::string text;
        append_ucs4(text, s->data.data(), s->dtype->itemsize, s->dtype->byteorder == '>');
        return attr_string(loc, name, text);
      }
      H5::DataType t = h5_type(*s->dtype);
      loc.createAttribute(name, t, scalar_).write(t, s->data.data());
      return;
    }
    default: break;
    }
  }

  void small_list_attribute(H5::H5Object& loc, const std::string& name, const pickle::Seq& s) {
    hsize_t n = s.items.size();
    H5::DataSpace space(1, &n);
    if (s.items[0]->kind == Kind::kStr) {
      std::vector<std::string> texts;
      std::vector<const char*> ptrs;
      std::string scratch;
      for (const Value* item : s.items) {
        texts.emplace_back(pickle::str_utf8(*static_cast<const pickle::Str*>(item), scratch));
      }
      for (const auto& t : texts) ptrs.push_back(t.c_str());
      H5::StrType t = utf8_type();
      loc.createAttribute(name, t, space).write(t, ptrs.data());
      return;
    }
    bool all_int = true;
    for (const Value* item : s.items) all_int = all_int && item->kind == Kind::kInt;
    if (all_int) {
      std::vector<std::int64_t> ints;
      for (const Value* item : s.items)
        ints.push_back(static_cast<const pickle::Int*>(item)->value);
      loc.createAttribute(name, H5::PredType::STD_I64LE, space)
          .write(H5::PredType::NATIVE_INT64, ints.data());
    } else {
      std::vector<double> ds;
      for (const Value* item : s.items) {
        ds.push_back(item->kind == Kind::kInt
                         ? static_cast<double>(static_cast<const pickle::Int*>(item)->value)
                         : static_cast<const pickle::Float*>(item)->value);
      }
      loc.createAttribute(name, H5::PredType::IEEE_F64LE, space)
          .write(H5::PredType::NATIVE_DOUBLE, ds.data());
    }
    attr_string(loc, name + ".python_type", v_kind_name(s.kind));
  }

  static const char* v_kind_name(Kind k) {
    switch (k) {
    case Kind::kTuple: return "tuple";
    case Kind::kSet: return "set";
    case Kind::kFrozenSet: return "frozenset";
    default: return "list";
    }
  }

  static void append_ucs4(std::string& out, const char* p, std::uint64_t bytes, bool swap) {
    std::uint64_t n = bytes / 4;
    while (n > 0 && pickle::load_as<std::uint32_t>(p + 4 * (n - 1), swap) == 0) --n;
    for (std::uint64_t i = 0; i < n; ++i) {
      std::uint32_t cp = pickle::load_as<std::uint32_t>(p + 4 * i, swap);
      if (cp > 0x10FFFF)
        throw Error(ErrorCode::kMalformed, "unicode array element", "beyond U+10FFFF");
      pickle::append_utf8(out, cp);
    }
  }

  // -- children

  H5::Group new_group(H5::Group& parent, const std::string& name) {
    hid_t id =
        H5Gcreate2(parent.getId(), name.c_str(), utf8_links_.getId(), groups_.getId(), H5P_DEFAULT);
    if (id < 0) throw Error(ErrorCode::kOutput, "HDF5", str_cat("cannot create group ", name));
    H5::Group g(id);
    H5Gclose(id);  // H5::Group took its own reference
    return g;
  }

  void child(H5::Group& parent, const std::string& parent_path, const std::string& name,
             const Value* v, std::uint64_t depth) {
    try {
      write_child(parent, parent_path, name, v, depth);
    } catch (const H5::Exception& e) {
      throw Error(ErrorCode::kOutput, "HDF5",
                  str_cat("cannot write ", parent_path, parent_path == "/" ? "" : "/", name, ": ",
                          e.getFuncName(), " failed"));
    }
  }

  void write_child(H5::Group& parent, const std::string& parent_path, const std::string& name,
                   const Value* v, std::uint64_t depth) {
    if (depth > limits_.max_nesting) {
      throw Error(ErrorCode::kLimit, "max_nesting",
                  str_cat("values nested more than ", limits_.max_nesting, " deep"), v->offset);
    }
    if (is_attribute_value(v)) return attribute(parent, name, v);
    if (const auto* s = pickle::as<pickle::Seq>(v); s != nullptr && is_small_homogeneous(*s)) {
      return small_list_attribute(parent, name, *s);
    }
    std::string path = parent_path == "/" ? "/" + name : parent_path + "/" + name;
    if (auto it = written_.find(v); it != written_.end()) {
      // Written already: a hard link keeps the sharing (and ends cycles).
      if (H5Lcreate_hard(file_.getId(), it->second.c_str(), parent.getId(), name.c_str(),
                         H5P_DEFAULT, H5P_DEFAULT) < 0) {
        throw Error(ErrorCode::kOutput, "HDF5", str_cat("cannot link ", path, " to ", it->second));
      }
      return;
    }
    written_[v] = path;
    if (const auto* a = pickle::as<pickle::NdArray>(v); a != nullptr && !object_like(*a)) {
      return dataset(parent, name, *a);
    }
    if (const auto* b = pickle::as<pickle::Bytes>(v)) return bytes_dataset(parent, name, *b);
    H5::Group g = new_group(parent, name);
    fill_group(g, path, v, depth + 1);
  }

  // Object arrays that are not all strings are written as groups.
  static bool object_like(const pickle::NdArray& a) {
    if (a.dtype->kind != 'O') return false;
    for (const Value* item : a.objects) {
      if (item->kind != Kind::kStr) return true;
    }
    return a.objects.empty();
  }

  void fill_group(H5::Group& g, const std::string& path, const Value* v, std::uint64_t depth) {
    switch (v->kind) {
    case Kind::kObject: {
      const auto* o = static_cast<const pickle::Object*>(v);
      attr_string(g, o->called ? "call" : "class", o->cls->canonical());
      if (std::string written = o->cls->qualified(); written != o->cls->canonical()) {
        attr_string(g, "pickled_as", written);
      }
      if (o->args != nullptr && !o->args->items.empty())
        sequence_group(g, path, "$args", *o->args, depth);
      if (o->kwargs != nullptr) child(g, path, "$kwargs", o->kwargs, depth);
      if (o->dictitems != nullptr) child(g, path, "$dictitems", o->dictitems, depth);
      if (o->listitems != nullptr) child(g, path, "$listitems", o->listitems, depth);
      const Value* state = o->state;
      const pickle::Dict* attrs = pickle::as<pickle::Dict>(state);
      if (attrs != nullptr) {
        dict_children(g, path, *attrs, depth);
      } else if (state != nullptr && state->kind != Kind::kNone) {
        child(g, path, "$state", state, depth);
      }
      return;
    }
    case Kind::kDict:
      attr_string(g, "python_type", "dict");
      dict_children(g, path, *static_cast<const pickle::Dict*>(v), depth);
      return;
    case Kind::kTuple:
    case Kind::kList:
    case Kind::kSet:
    case Kind::kFrozenSet: {
      attr_string(g, "python_type", v_kind_name(v->kind));
      const auto& items = static_cast<const pickle::Seq*>(v)->items;
      for (std::size_t i = 0; i < items.size(); ++i)
        child(g, path, std::to_string(i), items[i], depth);
      return;
    }
    case Kind::kNdArray: {  // object array
      const auto* a = static_cast<const pickle::NdArray*>(v);
      attr_string(g, "python_type", "ndarray");
      std::vector<std::int64_t> shape(a->shape.begin(), a->shape.end());
      hsize_t rank = shape.size();
      H5::DataSpace space(1, &rank);
      g.createAttribute("shape", H5::PredType::STD_I64LE, space)
          .write(H5::PredType::NATIVE_INT64, shape.data());
      for (std::size_t i = 0; i < a->objects.size(); ++i)
        child(g, path, std::to_string(i), a->objects[i], depth);
      return;
    }
    default:
      // Attribute values at the root (a pickle of a bare int, say).
      attribute(g, "value", v);
      return;
    }
  }

  void sequence_group(H5::Group& g, const std::string& path, const std::string& name,
                      const pickle::Seq& s, std::uint64_t depth) {
    std::string sub_path = path == "/" ? "/" + name : path + "/" + name;
    H5::Group sub = new_group(g, name);
    attr_string(sub, "python_type", v_kind_name(s.kind));
    for (std::size_t i = 0; i < s.items.size(); ++i)
      child(sub, sub_path, std::to_string(i), s.items[i], depth + 1);
  }

  void dict_children(H5::Group& g, const std::string& path, const pickle::Dict& d,
                     std::uint64_t depth) {
    bool non_str = false;
    std::string scratch;
    for (const auto& [k, v] : d.items) {
      std::string key;
      if (const auto* s = pickle::as<pickle::Str>(k)) {
        key = std::string(pickle::str_utf8(*s, scratch));
      } else {
        non_str = true;
        key = key_repr(k);
      }
      std::string name = escape_name(key);
      // Different keys can share a repr (1 and '1', or 1 and 1.0 — never
      // equal in the dict); later ones get a suffix.
      for (int n = 2; H5Lexists(g.getId(), name.c_str(), H5P_DEFAULT) > 0 || g.attrExists(name);
           ++n) {
        name = str_cat(escape_name(key), "~", n);
      }
      child(g, path, name, v, depth);
    }
    if (non_str) {
      std::int8_t yes = 1;
      H5::EnumType t = bool_type();
      g.createAttribute("non_str_keys", t, H5::DataSpace(H5S_SCALAR)).write(t, &yes);
    }
  }

  static std::string key_repr(const Value* k) {
    switch (k->kind) {
    case Kind::kInt: return std::to_string(static_cast<const pickle::Int*>(k)->value);
    case Kind::kBigInt: return std::string(static_cast<const pickle::BigInt*>(k)->decimal);
    case Kind::kFloat: return str_cat(static_cast<const pickle::Float*>(k)->value);
    case Kind::kBool: return static_cast<const pickle::Bool*>(k)->value ? "True" : "False";
    case Kind::kNone: return "None";
    case Kind::kTuple: {
      const auto& items = static_cast<const pickle::Seq*>(k)->items;
      std::string out = "(";
      for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + key_repr(items[i]);
      return out + (items.size() == 1 ? ",)" : ")");
    }
    case Kind::kStr: {
      std::string scratch;
      return str_cat("'", pickle::str_utf8(*static_cast<const pickle::Str*>(k), scratch), "'");
    }
    case Kind::kScalar: {  // np.int64(3) -> 3
      const auto* s = static_cast<const pickle::Scalar*>(k);
      char kind = s->dtype->kind;
      if (s->object != nullptr) return key_repr(s->object);
      if (kind == 'i' || kind == 'u' || kind == 'b')
        return std::to_string(pickle::element_as_int(*s->dtype, s->data.data()));
      if (kind == 'f' && s->dtype->itemsize <= 8)
        return str_cat(pickle::element_as_double(*s->dtype, s->data.data()));
      return str_cat("<", s->dtype->str(), " scalar>");
    }
    case Kind::kGlobal: return static_cast<const pickle::Global*>(k)->canonical();
    default: return str_cat("<", pickle::kind_name(k->kind), ">");
    }
  }

  // -- datasets

  H5::DSetCreatPropList creation(const std::vector<hsize_t>& dims, std::uint64_t row_bytes,
                                 std::uint64_t total) {
    H5::DSetCreatPropList p;
    H5Pset_obj_track_times(p.getId(), false);  // reproducible: no timestamps
    H5Pset_attr_phase_change(p.getId(), kCompactMax, kCompactMax - 16);
    bool empty = total == 0 || dims.empty();
    for (auto d : dims) empty = empty || d == 0;
    if (empty || (total <= kChunkBytes && options_.compress == 0)) return p;
    std::vector<hsize_t> chunk = dims;
    chunk[0] = std::max<hsize_t>(
        1, std::min<hsize_t>(dims[0], kChunkBytes / std::max<std::uint64_t>(row_bytes, 1)));
    p.setChunk(static_cast<int>(chunk.size()), chunk.data());
    if (options_.compress > 0) p.setDeflate(static_cast<int>(options_.compress));
    return p;
  }

  void dataset(H5::Group& parent, const std::string& name, const pickle::NdArray& a) {
    const pickle::Dtype& d = *a.dtype;
    std::vector<hsize_t> dims(a.shape.begin(), a.shape.end());
    H5::DataSpace space = dims.empty() ? H5::DataSpace(H5S_SCALAR)
                                       : H5::DataSpace(static_cast<int>(dims.size()), dims.data());
    std::uint64_t count = a.size();
    std::uint64_t row = count == 0 || dims.empty() ? d.itemsize : d.itemsize * (count / dims[0]);
    const H5::LinkCreatPropList& lcpl = utf8_links_;
    if (d.kind == 'U' || d.kind == 'O') {  // strings as variable-length UTF-8
      std::vector<std::string> texts;
      texts.reserve(count);
      if (d.kind == 'O') {
        std::string scratch;
        for (const Value* item : a.objects) {
          texts.emplace_back(pickle::str_utf8(*static_cast<const pickle::Str*>(item), scratch));
        }
      } else {
        pickle::for_each_element(a, [&](const char* p) {
          texts.emplace_back();
          append_ucs4(texts.back(), p, d.itemsize, d.byteorder == '>');
        });
      }
      std::vector<const char*> ptrs;
      for (const auto& t : texts) ptrs.push_back(t.c_str());
      H5::StrType t = utf8_type();
      std::uint64_t per_row = dims.empty() || dims[0] == 0 ? 1 : count / dims[0];
      H5::DataSet ds = parent.createDataSet(name, t, space, creation(dims, 8 * per_row, 8 * count),
                                            H5::DSetAccPropList(), lcpl);
      if (count > 0) ds.write(ptrs.data(), t);
      return;
    }
    H5::DataType t = h5_type(d);
    H5::DataSet ds = parent.createDataSet(name, t, space, creation(dims, row, count * d.itemsize),
                                          H5::DSetAccPropList(), lcpl);
    if (d.kind == 'M' || d.kind == 'm') attr_string(ds, "numpy_dtype", d.str());
    if (count == 0) return;
    if (!a.fortran || a.shape.size() < 2) {
      ds.write(a.data.data(), t);  // straight from the input: same layout, no conversion
      return;
    }
    std::string c_order;  // Fortran data: HDF5 stores C order
    c_order.reserve(count * d.itemsize);
    pickle::for_each_element(a, [&](const char* p) { c_order.append(p, d.itemsize); });
    ds.write(c_order.data(), t);
  }

  void bytes_dataset(H5::Group& parent, const std::string& name, const pickle::Bytes& b) {
    hsize_t n = b.data.size();
    H5::DataSpace space(1, &n);
    H5::DataSet ds = parent.createDataSet(name, H5::PredType::STD_U8LE, space, creation({n}, 1, n));
    if (n > 0) ds.write(b.data.data(), H5::PredType::NATIVE_UINT8);
    attr_string(ds, "python_type", b.bytearray ? "bytearray" : "bytes");
  }

  H5::H5File& file_;
  const Hdf5Options& options_;
  const Limits& limits_;
  // Shared by every attribute and object (a model can have 10^5 of them).
  H5::StrType utf8_ = utf8_type();
  H5::EnumType bool_ = bool_type();
  H5::DataSpace scalar_{H5S_SCALAR};
  H5::DataSpace null_{H5S_NULL};
  H5::LinkCreatPropList utf8_links_;
  H5::PropList groups_{H5P_GROUP_CREATE};
  std::unordered_map<const Value*, std::string> written_;
};

}  // namespace

void write_hdf5(const pickle::Document& doc, const std::string& path, const Hdf5Options& options,
                const Limits& limits, bool in_memory) {
  if (options.compress > 9) {
    throw Error(ErrorCode::kUsage, str_cat("--compress ", options.compress),
                "deflate levels are 0 to 9");
  }
  H5::Exception::dontPrint();
  try {
    H5::FileAccPropList fapl;
    fapl.setLibverBounds(H5F_LIBVER_V18, H5F_LIBVER_LATEST);  // creation order, dense attributes
    if (in_memory) fapl.setCore(1 << 20, false);
    H5::FileCreatPropList fcpl;
    H5Pset_link_creation_order(fcpl.getId(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    H5Pset_attr_creation_order(fcpl.getId(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    H5Pset_obj_track_times(fcpl.getId(), false);  // the same model gives the same bytes
    H5Pset_attr_phase_change(fcpl.getId(), 64, 48);
    H5Pset_link_phase_change(fcpl.getId(), 64, 48);
    H5::H5File file(path, H5F_ACC_TRUNC, fcpl, fapl);
    Hdf5Writer(file, options, limits).document(doc);
    file.close();
  } catch (const H5::Exception& e) {
    throw Error(ErrorCode::kOutput, "HDF5", str_cat(e.getFuncName(), ": ", e.getDetailMsg()));
  }
}

}  // namespace depickle::writers
