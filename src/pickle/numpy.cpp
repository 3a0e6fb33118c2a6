#include "pickle/numpy.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "pickle/allowlist.h"
#include "pickle/text.h"

namespace depickle::pickle::numpy {

namespace {

// Structured dtypes may nest; real ones nest once or twice.
constexpr int kMaxDtypeDepth = 32;

[[noreturn]] void bad(std::string subject, std::string detail) {
  throw Error(ErrorCode::kMalformed, std::move(subject), std::move(detail));
}

std::string_view text_of(const Value* v, std::string& scratch) {
  if (const auto* s = as<Str>(v)) return str_utf8(*s, scratch);
  if (const auto* b = as<Bytes>(v)) return b->data;
  return {};
}

bool is_text(const Value* v) {
  return as<Str>(v) != nullptr || as<Bytes>(v) != nullptr;
}

std::int64_t int_of(const Value* v, std::string_view what) {
  if (const auto* i = as<Int>(v)) return i->value;
  if (const auto* b = as<Bool>(v)) return b->value ? 1 : 0;
  bad(std::string(what), str_cat("expected an int, found ", kind_name(v->kind)));
}

bool truthy(const Value* v) {
  if (v->kind == Kind::kNone) return false;
  if (const auto* b = as<Bool>(v)) return b->value;
  if (const auto* i = as<Int>(v)) return i->value != 0;
  return true;
}

const Seq& tuple_arg(const Value* v, std::string_view what) {
  if (v == nullptr || v->kind != Kind::kTuple) {
    bad(std::string(what),
        str_cat("expected a tuple, found ", v == nullptr ? "nothing" : kind_name(v->kind)));
  }
  return *static_cast<const Seq*>(v);
}

int dtype_depth(const Dtype& d) {
  int depth = 0;
  if (d.sub_base != nullptr) depth = dtype_depth(*d.sub_base);  // bounded at build time
  for (const auto& f : d.fields) depth = std::max(depth, dtype_depth(*f.type));
  return depth + 1;
}

// The unit as a view of static storage, or empty if numpy has no such unit.
std::string_view canonical_time_unit(std::string_view u) {
  static constexpr std::array<std::string_view, 14> kUnits = {
      "Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as", "generic"};
  for (auto k : kUnits) {
    if (u == k) return k;
  }
  return {};
}

// Byte order as numpy reports it: '|' where it does not apply.
char normalized_order(char kind, std::uint64_t itemsize, char order) {
  if (order == '=') order = '<';
  if (kind == 'S' || kind == 'V' || kind == 'O' || kind == 'b' || itemsize == 1) return '|';
  return order;
}

}  // namespace

Dtype* make_dtype(Arena& arena, const Seq& args, std::uint64_t offset) {
  if (args.items.empty() || !is_text(args.items[0])) {
    bad("numpy.dtype", "expected a type string such as 'f8' as first argument");
  }
  std::string scratch;
  std::string_view spec = text_of(args.items[0], scratch);
  auto* d = arena.make<Dtype>(arena.resource(), offset);
  if (spec.empty()) bad("numpy.dtype", "empty type string");
  char kind = spec.front();
  std::string_view digits = spec.substr(1);
  std::uint64_t size = 0;
  if (!digits.empty()) {
    auto res = std::from_chars(digits.data(), digits.data() + digits.size(), size);
    if (res.ec != std::errc() || res.ptr != digits.data() + digits.size() || size > (1u << 30)) {
      bad("numpy.dtype", str_cat("unsupported type string ", quoted(spec)));
    }
  }
  switch (kind) {
  case 'b':
  case 'i':
  case 'u':
  case 'f':
  case 'c':
    if (size == 0 || (size & (size - 1)) != 0 || size > 32 || (kind == 'b' && size != 1) ||
        (kind == 'c' && size < 8)) {
      bad("numpy.dtype", str_cat("unsupported type string ", quoted(spec)));
    }
    d->itemsize = size;
    break;
  case '?':
    kind = 'b';
    d->itemsize = 1;
    break;
  case 'a':
  case 'S':
    kind = 'S';
    d->itemsize = size;
    break;
  case 'U': d->itemsize = size * 4; break;
  case 'V': d->itemsize = size; break;
  case 'O': d->itemsize = 8; break;  // object pointers; the data are pickled objects
  case 'M':
  case 'm': d->itemsize = 8; break;
  default: bad("numpy.dtype", str_cat("unsupported type string ", quoted(spec)));
  }
  d->kind = kind;
  d->byteorder = normalized_order(kind, d->itemsize, '<');
  return d;
}

void dtype_setstate(Arena& arena, Dtype& d, Value* state_value) {
  if (d.built) bad("dtype state", "BUILD applied twice to one dtype");
  if (d.frozen) bad("dtype state", "dtype changed after another dtype used it as a field");
  const Seq& st = tuple_arg(state_value, "dtype state");
  const auto& s = st.items;
  // numpy's arraydescr_setstate: (version, endian, subarray, names, fields,
  // elsize, alignment, flags[, metadata]); older 7- and 6-tuples lack items.
  Value* endian = nullptr;
  Value* subarray = nullptr;
  Value* names = nullptr;
  Value* fields = nullptr;
  Value* elsize = nullptr;
  Value* metadata = nullptr;
  switch (s.size()) {
  case 9: metadata = s[8]; [[fallthrough]];
  case 8:
  case 7:
    endian = s[1];
    subarray = s[2];
    names = s[3];
    fields = s[4];
    elsize = s[5];
    break;
  case 6:
    endian = s[1];
    subarray = s[2];
    fields = s[3];
    elsize = s[4];
    if (fields->kind != Kind::kNone) bad("dtype state", "old 6-item state with fields");
    break;
  default: bad("dtype state", str_cat("expected 6 to 9 items, found ", s.size()));
  }
  std::string scratch;
  std::string_view order = text_of(endian, scratch);
  if (order.size() != 1 || order.find_first_of("<>|=") != 0) {
    bad("dtype state", str_cat("bad byte order ", quoted(order)));
  }
  std::int64_t size = int_of(elsize, "dtype elsize");
  if (size >= 0 && (d.kind == 'U' || d.kind == 'S' || d.kind == 'V')) {
    if (d.kind == 'U' && size % 4 != 0) bad("dtype state", "unicode size not a multiple of 4");
    d.itemsize = static_cast<std::uint64_t>(size);
  }
  if (subarray->kind != Kind::kNone) {
    const Seq& sub = tuple_arg(subarray, "dtype subarray");
    auto* base = sub.items.size() == 2 ? as<Dtype>(sub.items[0]) : nullptr;
    if (base == nullptr || base == &d) bad("dtype state", "subarray is not (dtype, shape)");
    std::uint64_t count = 1;
    auto add_dim = [&](const Value* v) {
      std::int64_t dim = int_of(v, "dtype subarray shape");
      if (dim < 0 || dim > (1 << 24)) bad("dtype state", "bad subarray dimension");
      d.sub_shape.push_back(static_cast<std::uint64_t>(dim));
      count *= static_cast<std::uint64_t>(dim);
      if (count > (1u << 24)) bad("dtype state", "subarray too large");
    };
    if (sub.items[1]->kind == Kind::kTuple) {
      for (const Value* dim : static_cast<const Seq*>(sub.items[1])->items) add_dim(dim);
    } else {
      add_dim(sub.items[1]);
    }
    base->frozen = true;
    d.sub_base = base;
    if (d.itemsize != base->itemsize * count && !(d.kind == 'V' && size < 0)) {
      bad("dtype state", "subarray size does not match the dtype size");
    }
    d.itemsize = base->itemsize * count;
    d.kind = 'V';
  }
  if (names != nullptr && names->kind != Kind::kNone) {  // 6-item states have none
    const Seq& name_tuple = tuple_arg(names, "dtype names");
    const auto* field_dict = as<Dict>(fields);
    if (field_dict == nullptr) bad("dtype state", "names without a fields dict");
    if (name_tuple.items.size() > 4096) bad("dtype state", "more than 4096 fields");
    for (Value* name : name_tuple.items) {
      const auto* name_str = as<Str>(name);
      if (name_str == nullptr) bad("dtype state", "field name is not a str");
      Value* spec = nullptr;
      std::uint64_t work = 0;
      const KeyBudget budget{4, 64, work};  // `name` is a str: no tuple is walked
      for (const auto& [k, v] : field_dict->items) {
        if (py_equal(k, name, budget)) spec = v;
      }
      if (spec == nullptr) bad("dtype state", "field listed in names is missing from fields");
      const Seq& ft = tuple_arg(spec, "dtype field");
      auto* type = ft.items.size() >= 2 ? as<Dtype>(ft.items[0]) : nullptr;
      if (type == nullptr || type == &d) bad("dtype state", "field is not (dtype, offset)");
      std::int64_t off = int_of(ft.items[1], "dtype field offset");
      if (off < 0 || static_cast<std::uint64_t>(off) > d.itemsize ||
          type->itemsize > d.itemsize - static_cast<std::uint64_t>(off)) {
        bad("dtype state",
            str_cat("field at offset ", off, " does not fit in ", d.itemsize, " bytes"));
      }
      type->frozen = true;
      std::string name_scratch;
      std::string_view field_name = str_utf8(*name_str, name_scratch);
      if (name_str->latin1) field_name = arena.copy(field_name);
      d.fields.push_back({field_name, type, static_cast<std::uint64_t>(off)});
    }
  }
  if (dtype_depth(d) > kMaxDtypeDepth) bad("dtype state", "structured dtype nested too deeply");
  if (metadata != nullptr && (d.kind == 'M' || d.kind == 'm')) {
    // (unit, num, den, events), possibly wrapped as (user_metadata, (unit, ...)).
    const auto* meta = as_tuple(metadata);
    if (meta != nullptr && meta->items.size() == 2 && as_tuple(meta->items[1]) != nullptr) {
      meta = as_tuple(meta->items[1]);
    }
    if (meta == nullptr || meta->items.size() < 2) bad("dtype state", "bad datetime metadata");
    std::string unit_scratch;
    std::string_view unit = text_of(meta->items[0], unit_scratch);
    d.time_unit = canonical_time_unit(unit);
    if (d.time_unit.empty()) bad("dtype state", str_cat("bad datetime unit ", quoted(unit)));
    d.time_count = int_of(meta->items[1], "datetime unit count");
    if (d.time_count < 1) bad("dtype state", "bad datetime unit count");
  }
  d.byteorder = normalized_order(d.kind, d.itemsize, order.front());
  if (d.is_structured() || d.sub_base != nullptr) d.byteorder = '|';
  d.built = true;
}

NdArray* reconstruct(Arena& arena, const Seq& args, std::uint64_t offset) {
  const auto* subtype = args.items.size() == 3 ? as<Global>(args.items[0]) : nullptr;
  if (subtype == nullptr || subtype->entry == nullptr ||
      subtype->entry->kind != GlobalKind::kNdarray) {
    bad("numpy.core.multiarray._reconstruct", "expected (ndarray subclass, shape, typecode)");
  }
  auto* array = arena.make<NdArray>(arena.resource(), offset);
  array->subclass = const_cast<Global*>(subtype);
  // Until BUILD gives it a state, the array is what numpy's _reconstruct
  // makes: empty, of dtype int8. A pickle that never BUILDs it still yields
  // a well-formed array rather than one without a dtype.
  auto* typecode = arena.make<Str>(std::string_view("i1"), false, offset);
  Seq dtype_args(Kind::kTuple, arena.resource(), offset);
  dtype_args.items.push_back(typecode);
  array->dtype = make_dtype(arena, dtype_args, offset);
  array->dtype->built = true;
  array->shape.assign(1, 0);
  return array;
}

std::uint64_t checked_shape(const Limits& limits, const Value* shape,
                            std::pmr::vector<std::uint64_t>& out, std::string_view what) {
  out.clear();
  std::uint64_t count = 1;
  auto add = [&](const Value* dim_value) {
    std::int64_t dim = int_of(dim_value, what);
    if (dim < 0) bad(std::string(what), str_cat("negative dimension ", dim));
    auto udim = static_cast<std::uint64_t>(dim);
    if (udim != 0 && count > limits.max_array_elements / udim) {
      throw Error(ErrorCode::kLimit, "max_array_elements",
                  str_cat("array shape has more than ", limits.max_array_elements, " elements"));
    }
    count *= udim;
    out.push_back(udim);
  };
  if (shape->kind == Kind::kInt) {
    add(shape);
  } else {
    const Seq* seq = as<Seq>(const_cast<Value*>(shape));
    if (seq == nullptr || (seq->kind != Kind::kTuple && seq->kind != Kind::kList)) {
      bad(std::string(what), str_cat("shape is a ", kind_name(shape->kind), ", not a tuple"));
    }
    if (seq->items.size() > limits.max_array_dims) {
      throw Error(ErrorCode::kLimit, "max_array_dims",
                  str_cat("array has ", seq->items.size(), " dimensions"));
    }
    for (const Value* dim : seq->items) add(dim);
  }
  // A zero dimension makes the product 0 even if others overflowed; those
  // were rejected above because the running product is checked before it.
  return count;
}

std::uint64_t checked_bytes(const Limits& limits, std::uint64_t count, const Dtype& dtype) {
  if (dtype.itemsize != 0 && count > limits.max_array_bytes / dtype.itemsize) {
    throw Error(ErrorCode::kLimit, "max_array_bytes",
                str_cat("array of ", count, " x ", dtype.itemsize, " bytes exceeds ",
                        limits.max_array_bytes, " bytes"));
  }
  return count * dtype.itemsize;
}

std::string_view raw_bytes(Arena& arena, Value* data, std::string_view what) {
  if (auto* b = as<Bytes>(data)) return b->data;
  if (auto* s = as<Str>(data)) {
    // Python 2 str (latin-1 code units) is already the raw bytes; a Python 3
    // str here is what encoding='latin1' decoding produced: encode it back.
    if (s->latin1) return s->bytes;
    bool ascii = true;
    for (char c : s->bytes) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    return ascii ? s->bytes : arena.copy(encode_latin1(s->bytes));
  }
  bad(std::string(what), str_cat("array data is a ", kind_name(data->kind), ", not bytes"));
}

void ndarray_setstate(Arena& arena, const Limits& limits, NdArray& array, Value* state_value) {
  if (array.built) bad("ndarray state", "BUILD applied twice to one array");
  const Seq& st = tuple_arg(state_value, "ndarray state");
  const auto& s = st.items;
  std::size_t base = 0;
  if (s.size() == 5) {
    base = 1;  // version
  } else if (s.size() != 4) {
    bad("ndarray state", str_cat("expected 4 or 5 items, found ", s.size()));
  }
  auto* dtype = as<Dtype>(s[base + 1]);
  if (dtype == nullptr) bad("ndarray state", "item 2 is not a dtype");
  std::uint64_t count = checked_shape(limits, s[base], array.shape, "ndarray shape");
  array.dtype = dtype;
  dtype->frozen = true;
  array.fortran = truthy(s[base + 2]);
  Value* data = s[base + 3];
  if (dtype->has_object()) {
    const auto* list = as<Seq>(data);
    if (dtype->kind != 'O') {
      throw Error(ErrorCode::kUnsupported, "ndarray state",
                  "structured arrays with object fields are not supported");
    }
    if (list == nullptr || list->kind != Kind::kList || list->items.size() != count) {
      bad("ndarray state", str_cat("object array of ", count, " elements needs a list of as many"));
    }
    array.objects.assign(list->items.begin(), list->items.end());
  } else {
    std::uint64_t nbytes = checked_bytes(limits, count, *dtype);
    std::string_view raw = raw_bytes(arena, data, "ndarray state");
    if (raw.size() != nbytes) {
      bad("ndarray state",
          str_cat("data has ", raw.size(), " bytes, shape and dtype need ", nbytes));
    }
    array.data = raw;
  }
  array.built = true;
}

NdArray* frombuffer(Arena& arena, const Limits& limits, const Seq& args, std::uint64_t offset) {
  const auto& a = args.items;
  if (a.size() != 4 && a.size() != 5) {
    bad("numpy _frombuffer", "expected (buffer, dtype, shape, order[, axis_order])");
  }
  const auto* buf = as<Bytes>(a[0]);
  auto* dtype = as<Dtype>(a[1]);
  if (buf == nullptr || dtype == nullptr) bad("numpy _frombuffer", "expected (bytes, dtype, ...)");
  if (dtype->has_object()) bad("numpy _frombuffer", "object dtype cannot come from a buffer");
  auto* array = arena.make<NdArray>(arena.resource(), offset);
  std::uint64_t count = checked_shape(limits, a[2], array->shape, "_frombuffer shape");
  std::uint64_t nbytes = checked_bytes(limits, count, *dtype);
  if (buf->data.size() != nbytes) {
    bad("numpy _frombuffer",
        str_cat("buffer has ", buf->data.size(), " bytes, shape and dtype need ", nbytes));
  }
  std::string scratch;
  std::string_view order = text_of(a[3], scratch);
  array->dtype = dtype;
  dtype->frozen = true;
  array->data = buf->data;
  array->built = true;
  if (order == "C") return array;
  if (order == "F") {
    array->fortran = true;
    return array;
  }
  if (order != "K" || a.size() != 5) bad("numpy _frombuffer", str_cat("bad order ", quoted(order)));
  // numpy 2: data is C-ordered for `shape`, then transposed by axis_order.
  const auto* axes = as<Seq>(a[4]);
  std::size_t n = array->shape.size();
  if (axes == nullptr || axes->items.size() != n) bad("numpy _frombuffer", "bad axis_order");
  bool identity = true;
  bool reversed = true;
  std::vector<std::uint64_t> perm(n);
  std::vector<bool> seen(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    std::int64_t ax = int_of(axes->items[i], "axis_order");
    if (ax < 0 || static_cast<std::size_t>(ax) >= n || seen[static_cast<std::size_t>(ax)]) {
      bad("numpy _frombuffer", "axis_order is not a permutation");
    }
    seen[static_cast<std::size_t>(ax)] = true;
    perm[i] = static_cast<std::uint64_t>(ax);
    identity = identity && perm[i] == i;
    reversed = reversed && perm[i] == n - 1 - i;
  }
  if (identity) return array;
  if (reversed) {  // the transpose of a C array is an F array of the reversed shape
    std::reverse(array->shape.begin(), array->shape.end());
    array->fortran = true;
    return array;
  }
  // Any other permutation: copy into C order.
  std::vector<std::uint64_t> src_shape(array->shape.begin(), array->shape.end());
  std::vector<std::uint64_t> dst_shape(n);
  for (std::size_t i = 0; i < n; ++i) dst_shape[i] = src_shape[perm[i]];
  std::vector<std::uint64_t> src_strides(n, dtype->itemsize);
  for (std::size_t i = n - 1; i-- > 0;) src_strides[i] = src_strides[i + 1] * src_shape[i + 1];
  char* out = arena.alloc_bytes(nbytes);
  std::vector<std::uint64_t> idx(n, 0);
  for (std::uint64_t e = 0; e < count; ++e) {
    std::uint64_t src = 0;
    for (std::size_t i = 0; i < n; ++i) src += idx[i] * src_strides[perm[i]];
    std::memcpy(out + e * dtype->itemsize, buf->data.data() + src, dtype->itemsize);
    for (std::size_t i = n; i-- > 0;) {
      if (++idx[i] < dst_shape[i]) break;
      idx[i] = 0;
    }
  }
  array->shape.assign(dst_shape.begin(), dst_shape.end());
  array->data = {out, nbytes};
  return array;
}

Scalar* make_scalar(Arena& arena, const Seq& args, std::uint64_t offset) {
  const auto& a = args.items;
  auto* dtype = a.empty() ? nullptr : as<Dtype>(a[0]);
  if (dtype == nullptr || a.size() > 2) bad("numpy scalar", "expected (dtype, data)");
  dtype->frozen = true;
  auto* scalar = arena.make<Scalar>(dtype, offset);
  if (dtype->kind == 'O') {
    if (a.size() != 2) bad("numpy scalar", "object scalar without its object");
    scalar->object = a[1];
    return scalar;
  }
  if (dtype->has_object()) {
    throw Error(ErrorCode::kUnsupported, "numpy scalar", "structured scalars with objects");
  }
  if (a.size() == 1) {  // numpy pickles zero-filled scalars without data
    char* zeros = arena.alloc_bytes(dtype->itemsize);
    std::memset(zeros, 0, dtype->itemsize);
    scalar->data = {zeros, dtype->itemsize};
    return scalar;
  }
  std::string_view raw = raw_bytes(arena, a[1], "numpy scalar");
  if (raw.size() != dtype->itemsize) {
    bad("numpy scalar", str_cat("data has ", raw.size(), " bytes, dtype needs ", dtype->itemsize));
  }
  scalar->data = raw;
  return scalar;
}

}  // namespace depickle::pickle::numpy

namespace depickle::pickle::numpy {

namespace {

// A parser for the Python literals in .npy headers: dicts, tuples, lists,
// quoted strings, ints, True/False/None. Nothing is evaluated.
class LiteralParser {
 public:
  LiteralParser(Arena& arena, std::string_view text) : arena_(arena), text_(text) {}

  Value* parse() {
    Value* v = value(0);
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the header dict");
    return v;
  }

 private:
  [[noreturn]] void fail(std::string_view why) const {
    throw Error(ErrorCode::kMalformed, ".npy header", str_cat(why, " at character ", pos_));
  }
  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\t'))
      ++pos_;
  }
  bool eat(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  Value* value(int depth) {
    if (depth > 16) fail("nested too deeply");
    skip_space();
    if (pos_ >= text_.size()) fail("header ends early");
    char c = text_[pos_];
    if (c == '{') return dict(depth);
    if (c == '(' || c == '[') return seq(depth, c == '(' ? ')' : ']');
    if (c == '\'' || c == '"') return string();
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    for (auto [word, v] : {std::pair<std::string_view, Value*>{"True", bool_value(true)},
                           {"False", bool_value(false)},
                           {"None", none_value()}}) {
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return v;
      }
    }
    fail("unexpected character");
  }
  Value* dict(int depth) {
    ++pos_;
    auto* d = arena_.make<Dict>(arena_.resource(), 0u);
    while (!eat('}')) {
      Value* k = value(depth + 1);
      if (!eat(':')) fail("expected ':'");
      Value* v = value(depth + 1);
      dict_set(*d, k, v, arena_.resource(), key_budget_);
      if (!eat(',')) {
        if (!eat('}')) fail("expected ',' or '}'");
        break;
      }
    }
    return d;
  }
  Value* seq(int depth, char close) {
    ++pos_;
    auto* s = arena_.make<Seq>(close == ')' ? Kind::kTuple : Kind::kList, arena_.resource(), 0u);
    while (!eat(close)) {
      s->items.push_back(value(depth + 1));
      if (!eat(',')) {
        if (!eat(close)) fail("expected ','");
        break;
      }
    }
    return s;
  }
  Value* string() {
    char quote = text_[pos_++];
    std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\') fail("escapes are not expected in .npy headers");
      ++pos_;
    }
    if (pos_ >= text_.size()) fail("unterminated string");
    std::string_view s = text_.substr(start, pos_ - start);
    ++pos_;
    return arena_.make<Str>(s, false, 0u);
  }
  Value* number() {
    std::size_t start = pos_;
    if (text_[pos_] == '-') ++pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;  // Python 2 long
    PyInt v = parse_decimal(text_.substr(start, pos_ - start));
    if (!std::holds_alternative<std::int64_t>(v)) fail("integer out of range");
    return arena_.make<Int>(std::get<std::int64_t>(v), 0u);
  }

  Arena& arena_;
  std::string_view text_;
  std::size_t pos_ = 0;
  std::uint64_t key_work_ = 0;
  const KeyBudget key_budget_{16, 1 << 16, key_work_};  // a header is at most 64 KiB
};

Dtype* dtype_from_str(Arena& arena, std::string_view s) {
  // "<f8", "|u1", "<U5", "<M8[ns]", "|O"
  if (s.size() < 2 || std::string_view("<>|=").find(s.front()) == std::string_view::npos) {
    bad(".npy header", str_cat("unsupported descr ", quoted(s)));
  }
  char order = s.front();
  std::string_view spec = s.substr(1);
  std::string_view unit;
  if (auto bracket = spec.find('['); bracket != std::string_view::npos) {
    if (spec.back() != ']') bad(".npy header", str_cat("unsupported descr ", quoted(s)));
    unit = spec.substr(bracket + 1, spec.size() - bracket - 2);
    spec = spec.substr(0, bracket);
  }
  auto* spec_str = arena.make<Str>(spec, false, 0u);
  Seq args(Kind::kTuple, arena.resource(), 0);
  args.items.push_back(spec_str);
  Dtype* d = make_dtype(arena, args, 0);
  if (!unit.empty()) {
    if (d->kind != 'M' && d->kind != 'm') bad(".npy header", "unit on a non-datetime type");
    std::size_t digits = 0;
    while (digits < unit.size() && unit[digits] >= '0' && unit[digits] <= '9') ++digits;
    if (digits > 0) {
      std::from_chars(unit.data(), unit.data() + digits, d->time_count);
      if (d->time_count < 1) bad(".npy header", "bad datetime unit count");
    }
    d->time_unit = canonical_time_unit(unit.substr(digits));
    if (d->time_unit.empty()) bad(".npy header", str_cat("bad datetime unit ", quoted(unit)));
  }
  d->byteorder = normalized_order(d->kind, d->itemsize, order);
  d->built = true;
  return d;
}

}  // namespace

Dtype* dtype_from_descr(Arena& arena, const Value* descr, int depth) {
  if (depth > kMaxDtypeDepth) bad(".npy header", "descr nested too deeply");
  if (const auto* s = as<Str>(descr)) return dtype_from_str(arena, s->bytes);
  const auto* list = as<Seq>(descr);
  if (list == nullptr || list->kind != Kind::kList || list->items.empty()) {
    bad(".npy header", "descr is neither a type string nor a list of fields");
  }
  auto* d = arena.make<Dtype>(arena.resource(), 0u);
  d->kind = 'V';
  std::uint64_t offset = 0;
  for (const Value* item : list->items) {
    const auto* field = as<Seq>(item);
    if (field == nullptr || field->items.size() < 2 || field->items.size() > 3 ||
        as<Str>(field->items[0]) == nullptr) {
      bad(".npy header", "descr field is not (name, type[, shape])");
    }
    Dtype* type = dtype_from_descr(arena, field->items[1], depth + 1);
    if (field->items.size() == 3) {
      auto* sub = arena.make<Dtype>(arena.resource(), 0u);
      Limits shape_limits;
      shape_limits.max_array_elements = 1 << 24;
      std::uint64_t count =
          checked_shape(shape_limits, field->items[2], sub->sub_shape, ".npy field shape");
      sub->sub_base = type;
      sub->itemsize = type->itemsize * count;
      sub->built = true;
      type = sub;
    }
    std::string_view name = as<Str>(field->items[0])->bytes;
    if (!name.empty()) d->fields.push_back({name, type, offset});  // "" names padding
    offset += type->itemsize;
    if (offset > (1u << 30)) bad(".npy header", "record too large");
  }
  d->itemsize = offset;
  d->built = true;
  return d;
}

NpyFile parse_npy(Arena& arena, const Limits& limits, std::string_view bytes,
                  std::string_view name) {
  auto fail = [&](std::string_view why) -> NpyFile {
    throw Error(ErrorCode::kMalformed, str_cat(".npy file ", quoted(name)), std::string(why));
  };
  if (bytes.size() < 10 || bytes.substr(0, 6) != "\x93NUMPY") return fail("no .npy magic");
  auto major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len = 0;
  std::size_t header_start = 0;
  if (major == 1) {
    header_len = std::size_t{static_cast<unsigned char>(bytes[8])} |
                 std::size_t{static_cast<unsigned char>(bytes[9])} << 8;
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return fail("header is cut short");
    for (std::size_t i = 4; i-- > 0;)
      header_len = (header_len << 8) | static_cast<unsigned char>(bytes[8 + i]);
    header_start = 12;
  } else {
    return fail(str_cat("unsupported .npy version ", major));
  }
  if (header_len > bytes.size() - header_start) return fail("header is cut short");
  std::string_view header = bytes.substr(header_start, header_len);
  while (!header.empty() && (header.back() == '\n' || header.back() == ' '))
    header.remove_suffix(1);
  auto* dict = as<Dict>(LiteralParser(arena, header).parse());
  if (dict == nullptr) return fail("header is not a dict");
  Value* descr = dict_get(*dict, "descr");
  Value* fortran = dict_get(*dict, "fortran_order");
  Value* shape = dict_get(*dict, "shape");
  if (descr == nullptr || fortran == nullptr || shape == nullptr) {
    return fail("header lacks descr, fortran_order or shape");
  }
  NpyFile out;
  std::size_t data_start = header_start + header_len;
  Dtype* dtype = dtype_from_descr(arena, descr);
  if (dtype->has_object()) {
    out.pickle_offset = data_start;
    return out;
  }
  auto* array = arena.make<NdArray>(arena.resource(), 0u);
  std::uint64_t count = checked_shape(limits, shape, array->shape, ".npy shape");
  std::uint64_t nbytes = checked_bytes(limits, count, *dtype);
  if (nbytes != bytes.size() - data_start) {
    return fail(str_cat("holds ", bytes.size() - data_start, " data bytes, header needs ", nbytes));
  }
  array->dtype = dtype;
  dtype->frozen = true;
  array->fortran = truthy(fortran);
  array->data = bytes.substr(data_start);
  array->built = true;
  out.array = array;
  return out;
}

}  // namespace depickle::pickle::numpy
