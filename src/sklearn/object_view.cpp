#include "sklearn/object_view.h"

#include <cmath>

#include "pickle/allowlist.h"
#include "pickle/elements.h"
#include "pickle/text.h"

namespace depickle::sklearn {

using pickle::Kind;

namespace {

std::string describe(const pickle::Value& v) {
  if (const auto* o = pickle::as<pickle::Object>(&v)) return o->cls->canonical();
  if (const auto* a = pickle::as<pickle::NdArray>(&v)) return str_cat(a->dtype->str(), " array");
  return std::string(pickle::kind_name(v.kind));
}

[[noreturn]] void wrong_type(const pickle::Value& v, const std::string& path,
                             std::string_view want) {
  Error e(ErrorCode::kUnsupported, str_cat("attribute ", path),
          str_cat("expected ", want, ", found ", describe(v)), v.offset);
  throw e;
}

}  // namespace

// ---------------------------------------------------------------------------

std::vector<double> ArrayView::doubles() const {
  const pickle::Dtype& d = *array_->dtype;
  if (d.is_structured() || !(d.kind == 'b' || d.kind == 'i' || d.kind == 'u' || d.kind == 'f') ||
      (d.kind == 'f' && d.itemsize > 8)) {
    fail(str_cat("expected a numeric array, found dtype ", d.str()));
  }
  std::vector<double> out;
  out.reserve(array_->size());
  pickle::for_each_element(*array_,
                           [&](const char* p) { out.push_back(pickle::element_as_double(d, p)); });
  return out;
}

std::vector<std::int64_t> ArrayView::ints() const {
  const pickle::Dtype& d = *array_->dtype;
  std::vector<std::int64_t> out;
  out.reserve(array_->size());
  if (d.kind == 'f') {
    for (double v : doubles()) {
      if (!(std::trunc(v) == v && std::fabs(v) < 9.2e18)) fail("expected integral values");
      out.push_back(static_cast<std::int64_t>(v));
    }
    return out;
  }
  if (d.is_structured() || !(d.kind == 'b' || d.kind == 'i' || d.kind == 'u')) {
    fail(str_cat("expected an integer array, found dtype ", d.str()));
  }
  pickle::for_each_element(*array_,
                           [&](const char* p) { out.push_back(pickle::element_as_int(d, p)); });
  return out;
}

Labels ArrayView::labels() const {
  Labels out;
  const pickle::Dtype& d = *array_->dtype;
  if (ndim() != 1) fail("expected a 1-d array of class labels");
  if (d.kind == 'U' || d.kind == 'S') {
    std::size_t unit = d.kind == 'U' ? 4 : 1;
    pickle::for_each_element(*array_, [&](const char* p) {
      std::string s;
      std::uint64_t n = d.itemsize / unit;
      bool swap = d.byteorder == '>';
      for (std::uint64_t i = 0; i < n; ++i) {
        std::uint32_t cp = unit == 4 ? pickle::load_as<std::uint32_t>(p + 4 * i, swap)
                                     : static_cast<unsigned char>(p[i]);
        if (cp == 0) break;  // numpy pads with NULs
        pickle::append_utf8(s, cp);
      }
      out.strings.push_back(std::move(s));
    });
    return out;
  }
  if (d.kind == 'O') {
    bool strings = !array_->objects.empty() && array_->objects[0]->kind == Kind::kStr;
    for (std::size_t i = 0; i < array_->objects.size(); ++i) {
      std::string item_path = str_cat(path_, "[", i, "]");
      if (strings) {
        out.strings.push_back(value_str(*array_->objects[i], item_path));
      } else {
        out.ints.push_back(value_integer(*array_->objects[i], item_path));
      }
    }
    return out;
  }
  out.ints = ints();
  return out;
}

bool ArrayView::has_field(std::string_view name) const {
  for (const auto& f : array_->dtype->fields) {
    if (f.name == name) return true;
  }
  return false;
}

const pickle::Dtype::Field& ArrayView::numeric_field(std::string_view name) const {
  for (const auto& f : array_->dtype->fields) {
    if (f.name == name) {
      char k = f.type->kind;
      if (f.type->sub_base != nullptr || f.type->is_structured() ||
          !(k == 'b' || k == 'i' || k == 'u' || k == 'f') || f.type->itemsize > 8) {
        fail(str_cat("field ", name, " has dtype ", f.type->str(), ", not a number"));
      }
      return f;
    }
  }
  fail(str_cat("the records have no field ", name));
}

std::vector<double> ArrayView::field_doubles(std::string_view name) const {
  const auto& f = numeric_field(name);
  std::vector<double> out;
  out.reserve(array_->size());
  pickle::for_each_element(*array_, [&](const char* p) {
    out.push_back(pickle::element_as_double(*f.type, p + f.offset));
  });
  return out;
}

std::vector<std::int64_t> ArrayView::field_ints(std::string_view name) const {
  const auto& f = numeric_field(name);
  if (f.type->kind == 'f') fail(str_cat("field ", name, " is not an integer"));
  std::vector<std::int64_t> out;
  out.reserve(array_->size());
  pickle::for_each_element(*array_, [&](const char* p) {
    out.push_back(pickle::element_as_int(*f.type, p + f.offset));
  });
  return out;
}

const ArrayView& ArrayView::expect_shape(std::initializer_list<std::int64_t> shape) const {
  bool ok = shape.size() == ndim();
  std::size_t i = 0;
  for (std::int64_t want : shape) {
    if (ok && want >= 0 && static_cast<std::uint64_t>(want) != dim(i)) ok = false;
    ++i;
  }
  if (!ok) {
    std::string want_text;
    for (std::int64_t w : shape)
      want_text += str_cat(want_text.empty() ? "" : ", ", w < 0 ? "*" : str_cat(w));
    std::string have;
    for (auto s : array_->shape) have += str_cat(have.empty() ? "" : ", ", s);
    fail(str_cat("expected shape (", want_text, "), found (", have, ")"));
  }
  return *this;
}

void ArrayView::fail(std::string_view detail) const {
  throw Error(ErrorCode::kUnsupported, str_cat("attribute ", path_), std::string(detail),
              array_->offset);
}

// ---------------------------------------------------------------------------

ObjectView::ObjectView(const pickle::Object& object, std::string path)
    : object_(&object), path_(std::move(path)) {
  const pickle::Value* state = object.state;
  // A (dict, slots) pair: attributes are in the dict.
  if (const auto* t = pickle::as_tuple(const_cast<pickle::Value*>(state));
      t && t->items.size() == 2) {
    state = t->items[0];
  }
  state_ = pickle::as<pickle::Dict>(state);
}

std::string ObjectView::path_of(std::string_view attr) const {
  return path_.empty() ? std::string(attr) : str_cat(path_, ".", attr);
}

const pickle::Value* ObjectView::get(std::string_view attr) const {
  return state_ == nullptr ? nullptr : pickle::dict_get(*state_, attr);
}

bool ObjectView::is_none(std::string_view attr) const {
  const pickle::Value* v = get(attr);
  return v == nullptr || v->kind == Kind::kNone;
}

const pickle::Value& ObjectView::require(std::string_view attr) const {
  const pickle::Value* v = get(attr);
  if (v == nullptr) {
    throw Error(ErrorCode::kUnsupported, str_cat("attribute ", path_of(attr)),
                str_cat(class_name(), " has no ", attr,
                        " (not fitted, or a layout this converter does not know)"),
                object_->offset);
  }
  return *v;
}

double ObjectView::number(std::string_view attr) const {
  return value_number(require(attr), path_of(attr));
}
std::int64_t ObjectView::integer(std::string_view attr) const {
  return value_integer(require(attr), path_of(attr));
}
bool ObjectView::boolean(std::string_view attr) const {
  const pickle::Value& v = require(attr);
  if (const auto* b = pickle::as<pickle::Bool>(&v)) return b->value;
  if (const auto* i = pickle::as<pickle::Int>(&v)) return i->value != 0;
  wrong_type(v, path_of(attr), "a bool");
}
std::string ObjectView::str(std::string_view attr) const {
  return value_str(require(attr), path_of(attr));
}
std::string ObjectView::str_or(std::string_view attr, std::string_view fallback) const {
  return is_none(attr) ? std::string(fallback) : str(attr);
}
ArrayView ObjectView::array(std::string_view attr) const {
  return value_array(require(attr), path_of(attr));
}
ObjectView ObjectView::object(std::string_view attr) const {
  return value_object(require(attr), path_of(attr));
}

void ObjectView::unsupported(std::string_view attr, std::string_view detail) const {
  throw Error(ErrorCode::kUnsupported,
              attr.empty() ? class_name() : str_cat("attribute ", path_of(attr)),
              std::string(detail), object_->offset);
}

void ObjectView::malformed(std::string_view attr, std::string_view detail) const {
  throw Error(ErrorCode::kMalformed,
              attr.empty() ? class_name() : str_cat("attribute ", path_of(attr)),
              std::string(detail), object_->offset);
}

// ---------------------------------------------------------------------------

double value_number(const pickle::Value& v, const std::string& path) {
  switch (v.kind) {
  case Kind::kFloat: return static_cast<const pickle::Float&>(v).value;
  case Kind::kInt: return static_cast<double>(static_cast<const pickle::Int&>(v).value);
  case Kind::kBool: return static_cast<const pickle::Bool&>(v).value ? 1.0 : 0.0;
  case Kind::kScalar: {
    const auto& s = static_cast<const pickle::Scalar&>(v);
    char k = s.dtype->kind;
    if (s.object == nullptr && (k == 'f' || k == 'i' || k == 'u' || k == 'b') &&
        s.dtype->itemsize <= 8) {
      return pickle::element_as_double(*s.dtype, s.data.data());
    }
    break;
  }
  default: break;
  }
  wrong_type(v, path, "a number");
}

std::int64_t value_integer(const pickle::Value& v, const std::string& path) {
  switch (v.kind) {
  case Kind::kInt: return static_cast<const pickle::Int&>(v).value;
  case Kind::kBool: return static_cast<const pickle::Bool&>(v).value ? 1 : 0;
  case Kind::kScalar: {
    const auto& s = static_cast<const pickle::Scalar&>(v);
    char k = s.dtype->kind;
    if (s.object == nullptr && (k == 'i' || k == 'u' || k == 'b')) {
      return pickle::element_as_int(*s.dtype, s.data.data());
    }
    break;
  }
  default: break;
  }
  wrong_type(v, path, "an int");
}

std::string value_str(const pickle::Value& v, const std::string& path) {
  if (const auto* s = pickle::as<pickle::Str>(&v)) {
    std::string scratch;
    return std::string(pickle::str_utf8(*s, scratch));
  }
  wrong_type(v, path, "a str");
}

ObjectView value_object(const pickle::Value& v, const std::string& path) {
  if (const auto* o = pickle::as<pickle::Object>(&v)) return ObjectView(*o, path);
  wrong_type(v, path, "an estimator object");
}

ArrayView value_array(const pickle::Value& v, const std::string& path) {
  if (const auto* a = pickle::as<pickle::NdArray>(&v)) return ArrayView(*a, path);
  wrong_type(v, path, "an ndarray");
}

std::vector<const pickle::Value*> value_items(const pickle::Value& v, const std::string& path) {
  if (v.kind == Kind::kList || v.kind == Kind::kTuple) {
    const auto& items = static_cast<const pickle::Seq&>(v).items;
    return {items.begin(), items.end()};
  }
  if (const auto* a = pickle::as<pickle::NdArray>(&v); a != nullptr && a->dtype->kind == 'O') {
    return {a->objects.begin(), a->objects.end()};
  }
  wrong_type(v, path, "a list or tuple");
}

}  // namespace depickle::sklearn
