#pragma once
// The inert object graph the restricted VM builds. Nothing in it can run:
// classes are names checked against the allow-list, objects are records of
// {class, args, state}. Values live in an Arena owned by the Document; bytes
// (str, bytes, array data) are views into the input where possible.

#include <cstdint>
#include <memory_resource>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace depickle::pickle {

struct AllowEntry;

enum class Kind : std::uint8_t {
  kNone,
  kBool,
  kInt,
  kBigInt,
  kFloat,
  kStr,
  kBytes,
  kTuple,
  kList,
  kSet,
  kFrozenSet,
  kDict,
  kGlobal,
  kObject,
  kDtype,
  kNdArray,
  kScalar,
};

/// Python-facing name of a kind ("int", "tuple", "ndarray", ...), for messages.
std::string_view kind_name(Kind kind);

struct Value {
  explicit Value(Kind k, std::uint64_t off = 0) : kind(k), offset(off) {}
  Kind kind;
  /// Byte offset of the opcode that created the value (for messages).
  std::uint64_t offset;
};

struct Bool : Value {
  Bool(bool v) : Value(Kind::kBool), value(v) {}
  bool value;
};

struct Int : Value {
  Int(std::int64_t v, std::uint64_t off) : Value(Kind::kInt, off), value(v) {}
  std::int64_t value;
};

/// An int outside int64, as a decimal string ("-123...").
struct BigInt : Value {
  BigInt(std::string_view d, std::uint64_t off) : Value(Kind::kBigInt, off), decimal(d) {}
  std::string_view decimal;
};

struct Float : Value {
  Float(double v, std::uint64_t off) : Value(Kind::kFloat, off), value(v) {}
  double value;
};

/// A str. `latin1` marks Python 2 8-bit strings (STRING/BINSTRING opcodes):
/// the bytes are latin-1 code units (what Python 3 sees with encoding='latin1').
/// Otherwise the bytes are UTF-8 (lone surrogates allowed, as pickle allows).
struct Str : Value {
  Str(std::string_view b, bool l1, std::uint64_t off)
      : Value(Kind::kStr, off), bytes(b), latin1(l1) {}
  std::string_view bytes;
  bool latin1;
};

struct Bytes : Value {
  Bytes(std::string_view d, bool ba, std::uint64_t off)
      : Value(Kind::kBytes, off), data(d), bytearray(ba) {}
  std::string_view data;
  bool bytearray;
};

using ValueVec = std::pmr::vector<Value*>;

class KeyIndex;  // hash index of a large dict or set (value.cpp)

/// tuple, list, set or frozenset.
struct Seq : Value {
  Seq(Kind k, std::pmr::memory_resource* mr, std::uint64_t off) : Value(k, off), items(mr) {}
  ValueVec items;
  KeyIndex* index = nullptr;  // sets only: built once the set grows past a few items
};

/// A dict (also OrderedDict): insertion-ordered, keys unique by Python equality.
struct Dict : Value {
  Dict(std::pmr::memory_resource* mr, std::uint64_t off) : Value(Kind::kDict, off), items(mr) {}
  std::pmr::vector<std::pair<Value*, Value*>> items;
  KeyIndex* index = nullptr;  // built once the dict grows past a few keys
};

/// A module-level name. `entry` is its allow-list entry; null only in scan mode
/// for names that are not allowed.
struct Global : Value {
  Global(std::string_view m, std::string_view n, const AllowEntry* e, std::uint64_t off)
      : Value(Kind::kGlobal, off), module(m), name(n), entry(e) {}
  std::string_view module;  // as written in the pickle
  std::string_view name;
  const AllowEntry* entry;
  [[nodiscard]] std::string qualified() const;
  [[nodiscard]] std::string canonical() const;  // after module renames
};

/// An instance of an allow-listed class, recorded, never constructed.
struct Object : Value {
  Object(Global* c, std::uint64_t off) : Value(Kind::kObject, off), cls(c) {}
  Global* cls;
  Seq* args = nullptr;        // constructor arguments (a tuple), or null
  Value* kwargs = nullptr;    // NEWOBJ_EX keyword arguments, or null
  Value* state = nullptr;     // BUILD state, or null
  Dict* dictitems = nullptr;  // SETITEM(S) on a dict subclass (defaultdict, Bunch)
  Seq* listitems = nullptr;   // APPEND(S) on a list subclass
  bool called = false;        // made by REDUCE of a --allow-global name: a recorded call
};

/// A numpy dtype. Simple dtypes have kind/itemsize/byteorder; structured ones
/// have fields; subarray dtypes have a base and a shape.
struct Dtype : Value {
  struct Field {
    std::string_view name;
    Dtype* type;
    std::uint64_t offset;
  };
  Dtype(std::pmr::memory_resource* mr, std::uint64_t off)
      : Value(Kind::kDtype, off), fields(mr), sub_shape(mr) {}
  char kind = 'V';       // numpy kind: b i u f c U S V O M m
  char byteorder = '|';  // '<', '>' or '|' (not applicable)
  std::uint64_t itemsize = 0;
  std::pmr::vector<Field> fields;             // structured dtypes, in offset order as given
  Dtype* sub_base = nullptr;                  // subarray dtypes: element type...
  std::pmr::vector<std::uint64_t> sub_shape;  // ...and shape
  std::string_view time_unit;                 // datetime64/timedelta64 unit ("ns", "D", ...)
  std::int64_t time_count = 1;
  bool built = false;   // BUILD (dtype __setstate__) applied
  bool frozen = false;  // used by an array, scalar or another dtype: no more BUILD

  [[nodiscard]] bool is_structured() const { return !fields.empty(); }
  [[nodiscard]] bool has_object() const;
  /// numpy's dtype.str for simple dtypes: "<f8", "|u1", "<U5", "<M8[ns]".
  [[nodiscard]] std::string str() const;
};

/// A numpy ndarray. `data` holds the element bytes in memory order (C, or
/// Fortran if `fortran`); object arrays hold `objects` instead.
struct NdArray : Value {
  NdArray(std::pmr::memory_resource* mr, std::uint64_t off)
      : Value(Kind::kNdArray, off), shape(mr), objects(mr) {}
  Global* subclass = nullptr;  // numpy.ndarray, numpy.matrix, ...
  Dtype* dtype = nullptr;
  std::pmr::vector<std::uint64_t> shape;
  bool fortran = false;
  bool built = false;
  std::string_view data;
  ValueVec objects;
  [[nodiscard]] std::uint64_t size() const;  // number of elements
};

/// A numpy scalar (np.float64(1.5)): the raw bytes of one element, or a
/// Python object for object dtype.
struct Scalar : Value {
  Scalar(Dtype* d, std::uint64_t off) : Value(Kind::kScalar, off), dtype(d) {}
  Dtype* dtype;
  std::string_view data;
  Value* object = nullptr;
};

// Checked downcasts: `as<Str>(v)` is null unless v is a str.
template <typename T>
struct KindOf;
template <>
struct KindOf<Bool> {
  static bool is(Kind k) { return k == Kind::kBool; }
};
template <>
struct KindOf<Int> {
  static bool is(Kind k) { return k == Kind::kInt; }
};
template <>
struct KindOf<BigInt> {
  static bool is(Kind k) { return k == Kind::kBigInt; }
};
template <>
struct KindOf<Float> {
  static bool is(Kind k) { return k == Kind::kFloat; }
};
template <>
struct KindOf<Str> {
  static bool is(Kind k) { return k == Kind::kStr; }
};
template <>
struct KindOf<Bytes> {
  static bool is(Kind k) { return k == Kind::kBytes; }
};
template <>
struct KindOf<Seq> {
  static bool is(Kind k) {
    return k == Kind::kTuple || k == Kind::kList || k == Kind::kSet || k == Kind::kFrozenSet;
  }
};
template <>
struct KindOf<Dict> {
  static bool is(Kind k) { return k == Kind::kDict; }
};
template <>
struct KindOf<Global> {
  static bool is(Kind k) { return k == Kind::kGlobal; }
};
template <>
struct KindOf<Object> {
  static bool is(Kind k) { return k == Kind::kObject; }
};
template <>
struct KindOf<Dtype> {
  static bool is(Kind k) { return k == Kind::kDtype; }
};
template <>
struct KindOf<NdArray> {
  static bool is(Kind k) { return k == Kind::kNdArray; }
};
template <>
struct KindOf<Scalar> {
  static bool is(Kind k) { return k == Kind::kScalar; }
};

template <typename T>
T* as(Value* v) {
  return v != nullptr && KindOf<T>::is(v->kind) ? static_cast<T*>(v) : nullptr;
}
template <typename T>
const T* as(const Value* v) {
  return v != nullptr && KindOf<T>::is(v->kind) ? static_cast<const T*>(v) : nullptr;
}
inline Seq* as_tuple(Value* v) {
  return v && v->kind == Kind::kTuple ? static_cast<Seq*>(v) : nullptr;
}

/// The singletons None, True and False (immutable, shared by all documents).
Value* none_value();
Value* bool_value(bool b);

/// The text of a str as UTF-8 (latin-1 strings are converted into `scratch`).
std::string_view str_utf8(const Str& s, std::string& scratch);

/// Bounds the work of hashing and comparing dict keys and set members: the
/// recursion depth into nested tuples, and the tuple/frozenset elements visited
/// over a whole load. A key built from shared tuples is a DAG that a naive walk
/// (and Python's own hash()) expands exponentially; the budget turns that into
/// Error kLimit instead of a hang.
struct KeyBudget {
  std::uint64_t max_depth;
  std::uint64_t max_work;
  std::uint64_t& work;  // elements visited so far (shared with nested pickles)
};

/// Python `d[key] = value`: an equal key keeps its position and takes the new
/// value; otherwise the pair is appended. Throws kMalformed for unhashable keys
/// (list, dict, set, ndarray, bytearray).
void dict_set(Dict& d, Value* key, Value* value, std::pmr::memory_resource* mr,
              const KeyBudget& budget);
/// Python `s.add(item)` for sets and frozensets under construction.
void set_add(Seq& s, Value* item, std::pmr::memory_resource* mr, const KeyBudget& budget);
/// The value of a str key, or null.
Value* dict_get(const Dict& d, std::string_view key);

/// Python hashability, hash and equality of keys, within `budget`.
bool py_hashable(const Value* v, const KeyBudget& budget);
std::size_t py_hash(const Value* v, const KeyBudget& budget);
bool py_equal(const Value* a, const Value* b, const KeyBudget& budget);

}  // namespace depickle::pickle
