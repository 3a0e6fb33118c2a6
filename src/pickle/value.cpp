#include "pickle/value.h"

#include <bit>
#include <cmath>
#include <functional>
#include <unordered_map>

#include "core/error.h"
#include "pickle/allowlist.h"

namespace depickle::pickle {

namespace {
Value gNone{Kind::kNone};
Bool gTrue{true};
Bool gFalse{false};
}  // namespace

Value* none_value() {
  return &gNone;
}
Value* bool_value(bool b) {
  return b ? &gTrue : &gFalse;
}

std::string_view kind_name(Kind kind) {
  switch (kind) {
  case Kind::kNone: return "None";
  case Kind::kBool: return "bool";
  case Kind::kInt:
  case Kind::kBigInt: return "int";
  case Kind::kFloat: return "float";
  case Kind::kStr: return "str";
  case Kind::kBytes: return "bytes";
  case Kind::kTuple: return "tuple";
  case Kind::kList: return "list";
  case Kind::kSet: return "set";
  case Kind::kFrozenSet: return "frozenset";
  case Kind::kDict: return "dict";
  case Kind::kGlobal: return "global";
  case Kind::kObject: return "object";
  case Kind::kDtype: return "dtype";
  case Kind::kNdArray: return "ndarray";
  case Kind::kScalar: return "numpy scalar";
  }
  return "?";
}

std::string Global::qualified() const {
  return str_cat(module, ".", name);
}

std::string Global::canonical() const {
  return entry != nullptr ? str_cat(entry->module, ".", entry->name) : qualified();
}

bool Dtype::has_object() const {
  if (kind == 'O') return true;
  if (sub_base != nullptr && sub_base->has_object()) return true;
  for (const auto& f : fields) {
    if (f.type->has_object()) return true;
  }
  return false;
}

std::string Dtype::str() const {
  if (sub_base != nullptr) return sub_base->str();
  std::string out;
  out += byteorder;
  out += kind;
  if (kind == 'O') return out;  // numpy writes "|O" whatever the pointer size
  if (kind == 'M' || kind == 'm') {
    out += '8';
    if (!time_unit.empty()) {
      out += '[';
      if (time_count != 1) out += str_cat(time_count);
      out += time_unit;
      out += ']';
    }
    return out;
  }
  out += str_cat(kind == 'U' ? itemsize / 4 : itemsize);
  return out;
}

std::uint64_t NdArray::size() const {
  std::uint64_t n = 1;
  for (auto d : shape) n *= d;  // the VM checked the product for overflow
  return n;
}

std::string_view str_utf8(const Str& s, std::string& scratch) {
  if (!s.latin1) return s.bytes;
  scratch.clear();
  for (char ch : s.bytes) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      scratch += ch;
    } else {
      scratch += static_cast<char>(0xC0 | (c >> 6));
      scratch += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return scratch;
}

namespace {

bool is_number(const Value* v) {
  return v->kind == Kind::kBool || v->kind == Kind::kInt || v->kind == Kind::kFloat;
}

// Numbers compare by value across bool/int/float, as in Python (1 == 1.0 == True).
double number_value(const Value* v) {
  switch (v->kind) {
  case Kind::kBool: return static_cast<const Bool*>(v)->value ? 1.0 : 0.0;
  case Kind::kInt: return static_cast<double>(static_cast<const Int*>(v)->value);
  default: return static_cast<const Float*>(v)->value;
  }
}

bool numbers_equal(const Value* a, const Value* b) {
  if (a->kind != Kind::kFloat && b->kind != Kind::kFloat) {
    auto iv = [](const Value* v) -> std::int64_t {
      return v->kind == Kind::kBool ? static_cast<const Bool*>(v)->value
                                    : static_cast<const Int*>(v)->value;
    };
    return iv(a) == iv(b);
  }
  return number_value(a) == number_value(b);
}

bool strs_equal(const Str& a, const Str& b) {
  if (a.latin1 == b.latin1) return a.bytes == b.bytes;
  std::string sa, sb;
  return str_utf8(a, sa) == str_utf8(b, sb);
}

std::size_t hash_bytes(std::string_view s) {
  return std::hash<std::string_view>{}(s);
}

}  // namespace

namespace {
// Frozensets larger than this compare by identity, so adversarial keys cannot
// make equality quadratic. Real pickles never use large frozensets as keys.
constexpr std::size_t kMaxFrozensetCompare = 64;

// One step into the elements of a tuple or frozenset key.
void descend(const KeyBudget& budget, std::uint64_t depth, std::size_t elements, const Value* v) {
  if (depth >= budget.max_depth) {
    throw Error(ErrorCode::kLimit, "max_nesting", "dict key or set member nested too deeply",
                v->offset);
  }
  budget.work += elements;
  if (budget.work > budget.max_work) {
    throw Error(ErrorCode::kLimit, "max_key_work",
                str_cat("hashing and comparing dict keys and set members visited more than ",
                        budget.max_work, " tuple elements (keys built from shared tuples)"),
                v->offset);
  }
}

const auto& items_of(const Value* v) {
  return static_cast<const Seq*>(v)->items;
}

bool hashable(const Value* v, const KeyBudget& budget, std::uint64_t depth) {
  switch (v->kind) {
  case Kind::kList:
  case Kind::kSet:
  case Kind::kDict:
  case Kind::kNdArray: return false;
  case Kind::kBytes: return !static_cast<const Bytes*>(v)->bytearray;
  case Kind::kTuple:
    descend(budget, depth, items_of(v).size(), v);
    for (const Value* item : items_of(v)) {
      if (!hashable(item, budget, depth + 1)) return false;
    }
    return true;
  default: return true;
  }
}

std::size_t hash(const Value* v, const KeyBudget& budget, std::uint64_t depth) {
  switch (v->kind) {
  case Kind::kNone: return 0x9e3779b9;
  case Kind::kBool:
  case Kind::kInt:
  case Kind::kFloat: {
    double d = number_value(v);
    if (v->kind == Kind::kInt) return std::hash<std::int64_t>{}(static_cast<const Int*>(v)->value);
    if (std::trunc(d) == d && std::fabs(d) < 9.2e18) {
      return std::hash<std::int64_t>{}(static_cast<std::int64_t>(d));
    }
    return std::hash<std::uint64_t>{}(std::bit_cast<std::uint64_t>(d));
  }
  case Kind::kBigInt: return hash_bytes(static_cast<const BigInt*>(v)->decimal);
  case Kind::kStr: {
    const auto* s = static_cast<const Str*>(v);
    std::string scratch;
    return hash_bytes(str_utf8(*s, scratch));
  }
  case Kind::kBytes: return hash_bytes(static_cast<const Bytes*>(v)->data) ^ 0x5bd1e995;
  case Kind::kTuple:
  case Kind::kFrozenSet: {
    const auto& items = items_of(v);
    if (v->kind == Kind::kFrozenSet && items.size() > kMaxFrozensetCompare) {
      return std::hash<const void*>{}(v);
    }
    descend(budget, depth, items.size(), v);
    std::size_t h = v->kind == Kind::kTuple ? 0x345678 : 0x1f2e3d;
    for (const Value* item : items) {
      std::size_t ih = hash(item, budget, depth + 1);
      // frozenset equality ignores order, so combine commutatively.
      h = v->kind == Kind::kTuple ? (h ^ ih) * 1000003 : h + ih * 0x9e3779b97f4a7c15ULL;
    }
    return h;
  }
  case Kind::kGlobal: {
    const auto* g = static_cast<const Global*>(v);
    return hash_bytes(g->module) * 31 + hash_bytes(g->name);
  }
  default: return std::hash<const void*>{}(v);  // identity, like object.__hash__
  }
}

bool equal(const Value* a, const Value* b, const KeyBudget& budget, std::uint64_t depth) {
  if (a == b) return true;
  if (is_number(a) && is_number(b)) return numbers_equal(a, b);
  if (a->kind != b->kind) return false;
  switch (a->kind) {
  case Kind::kNone: return true;
  case Kind::kBigInt:
    return static_cast<const BigInt*>(a)->decimal == static_cast<const BigInt*>(b)->decimal;
  case Kind::kStr: return strs_equal(*static_cast<const Str*>(a), *static_cast<const Str*>(b));
  case Kind::kBytes:
    return static_cast<const Bytes*>(a)->data == static_cast<const Bytes*>(b)->data;
  case Kind::kTuple: {
    const auto& x = items_of(a);
    const auto& y = items_of(b);
    if (x.size() != y.size()) return false;
    descend(budget, depth, x.size(), a);
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!equal(x[i], y[i], budget, depth + 1)) return false;
    }
    return true;
  }
  case Kind::kFrozenSet: {
    const auto& x = items_of(a);
    const auto& y = items_of(b);
    if (x.size() != y.size() || x.size() > kMaxFrozensetCompare) return false;
    descend(budget, depth, x.size() * y.size(), a);
    for (const Value* xi : x) {
      bool found = false;
      for (const Value* yi : y) {
        if (equal(xi, yi, budget, depth + 1)) {
          found = true;
          break;
        }
      }
      if (!found) return false;
    }
    return true;
  }
  case Kind::kGlobal: {
    const auto* ga = static_cast<const Global*>(a);
    const auto* gb = static_cast<const Global*>(b);
    return ga->canonical() == gb->canonical();
  }
  default: return false;  // identity only
  }
}

// Dicts and sets switch from a linear scan to a hash index past this size.
constexpr std::size_t kIndexThreshold = 12;
}  // namespace

bool py_hashable(const Value* v, const KeyBudget& budget) {
  return hashable(v, budget, 0);
}
std::size_t py_hash(const Value* v, const KeyBudget& budget) {
  return hash(v, budget, 0);
}
bool py_equal(const Value* a, const Value* b, const KeyBudget& budget) {
  return equal(a, b, budget, 0);
}

// The index outlives any one budget (it stays in its Dict), so each lookup
// lends it the caller's.
class KeyIndex {
 public:
  explicit KeyIndex(std::pmr::memory_resource* mr)
      : map_(16, Hasher{&budget_}, Equal{&budget_}, mr) {}
  /// Position of an equal key, or inserts `key` at `pos` and returns npos.
  std::size_t find_or_insert(Value* key, std::size_t pos, const KeyBudget& budget) {
    budget_ = &budget;
    auto [it, inserted] = map_.try_emplace(key, pos);
    budget_ = nullptr;
    return inserted ? std::string_view::npos : it->second;
  }

 private:
  struct Hasher {
    const KeyBudget* const* budget;
    std::size_t operator()(const Value* v) const { return py_hash(v, **budget); }
  };
  struct Equal {
    const KeyBudget* const* budget;
    bool operator()(const Value* a, const Value* b) const { return py_equal(a, b, **budget); }
  };
  const KeyBudget* budget_ = nullptr;
  std::pmr::unordered_map<Value*, std::size_t, Hasher, Equal> map_;
};

namespace {

void require_hashable(Value* key, const KeyBudget& budget, std::string_view where) {
  if (!py_hashable(key, budget)) {
    throw Error(ErrorCode::kMalformed, str_cat("unhashable ", kind_name(key->kind)),
                str_cat("cannot be ", where));
  }
}

// Finds the position of an equal key among `n` keys read by `key_at`, using
// (and maintaining) the index once the container is large.
template <typename KeyAt>
std::size_t find_key(KeyIndex*& index, std::size_t n, KeyAt key_at, Value* key,
                     std::pmr::memory_resource* mr, const KeyBudget& budget) {
  if (index == nullptr && n < kIndexThreshold) {
    for (std::size_t i = 0; i < n; ++i) {
      if (py_equal(key_at(i), key, budget)) return i;
    }
    return std::string_view::npos;
  }
  if (index == nullptr) {
    void* p = mr->allocate(sizeof(KeyIndex), alignof(KeyIndex));
    index = ::new (p) KeyIndex(mr);
    for (std::size_t i = 0; i < n; ++i) index->find_or_insert(key_at(i), i, budget);
  }
  return index->find_or_insert(key, n, budget);
}

}  // namespace

void dict_set(Dict& d, Value* key, Value* value, std::pmr::memory_resource* mr,
              const KeyBudget& budget) {
  require_hashable(key, budget, "a dict key");
  std::size_t pos = find_key(
      d.index, d.items.size(), [&](std::size_t i) { return d.items[i].first; }, key, mr, budget);
  if (pos == std::string_view::npos) {
    d.items.emplace_back(key, value);
  } else {
    d.items[pos].second = value;
  }
}

void set_add(Seq& s, Value* item, std::pmr::memory_resource* mr, const KeyBudget& budget) {
  require_hashable(item, budget, "a set member");
  std::size_t pos = find_key(
      s.index, s.items.size(), [&](std::size_t i) { return s.items[i]; }, item, mr, budget);
  if (pos == std::string_view::npos) s.items.push_back(item);
}

Value* dict_get(const Dict& d, std::string_view key) {
  std::string scratch;
  for (const auto& [k, v] : d.items) {
    if (const Str* s = as<Str>(k); s != nullptr && str_utf8(*s, scratch) == key) return v;
  }
  return nullptr;
}

}  // namespace depickle::pickle
