#include "pickle/machine.h"

#include <algorithm>
#include <limits>

#include "core/error.h"
#include "pickle/danger.h"
#include "pickle/numpy.h"
#include "pickle/text.h"

namespace depickle::pickle {

namespace {

std::string_view op_name(std::uint8_t byte) {
  auto info = op_info(byte);
  return info ? info->name : std::string_view("?");
}

bool is_ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace

Machine::Machine(Arena& arena, Cursor& cursor, const VmOptions& options, VmStats& stats)
    : arena_(arena),
      mr_(arena.resource()),
      cursor_(cursor),
      options_(options),
      limits_(*options.limits),
      stats_(stats),
      key_budget_{limits_.max_nesting, limits_.max_key_work, stats.key_work} {}

// ---------------------------------------------------------------------------
// Stack and memo. Python's unpickler keeps the items since the last MARK as
// "the stack" and older ones in a metastack; an opcode can never reach below
// the last MARK. Indexing one vector by the mark positions mirrors that.

void Machine::push(Value* v) {
  if (stack_.size() >= limits_.max_stack) [[unlikely]] {
    throw Error(ErrorCode::kLimit, "max_stack",
                str_cat("more than ", limits_.max_stack, " values on the stack"));
  }
  stack_.push_back(v);
}

Value* Machine::pop() {
  std::size_t floor = marks_.empty() ? 0 : marks_.back();
  if (stack_.size() <= floor) [[unlikely]] {
    throw Error(ErrorCode::kMalformed, "", "stack underflow (no value since the last MARK)");
  }
  Value* v = stack_.back();
  stack_.pop_back();
  return v;
}

Value* Machine::top() {
  std::size_t floor = marks_.empty() ? 0 : marks_.back();
  if (stack_.size() <= floor) [[unlikely]] {
    throw Error(ErrorCode::kMalformed, "", "stack underflow (no value since the last MARK)");
  }
  return stack_.back();
}

std::size_t Machine::pop_mark() {
  if (marks_.empty()) [[unlikely]] {
    throw Error(ErrorCode::kMalformed, "", "no MARK to pop");
  }
  std::size_t begin = marks_.back();
  marks_.pop_back();
  return begin;
}

void Machine::memo_put(std::uint64_t index, Value* v) {
  if (index >= limits_.max_memo) [[unlikely]] {
    throw Error(ErrorCode::kLimit, "max_memo",
                str_cat("memo index ", index, " is beyond the limit of ", limits_.max_memo));
  }
  if (index >= memo_.size()) memo_.resize(static_cast<std::size_t>(index) + 1, nullptr);
  if (memo_[index] == nullptr) ++memo_count_;
  memo_[index] = v;
}

Value* Machine::memo_get(std::uint64_t index) {
  if (index >= memo_.size() || memo_[index] == nullptr) [[unlikely]] {
    throw Error(ErrorCode::kMalformed, "", str_cat("memo slot ", index, " is empty"));
  }
  return memo_[index];
}

Value* Machine::below(std::size_t begin) {
  std::size_t floor = marks_.empty() ? 0 : marks_.back();
  if (begin <= floor) [[unlikely]] {
    throw Error(ErrorCode::kMalformed, "", "no target below the MARK");
  }
  return stack_[begin - 1];
}

Seq* Machine::tuple_from(std::size_t begin) {
  auto* t = arena_.make<Seq>(Kind::kTuple, mr_, op_offset_);
  t->items.assign(stack_.begin() + static_cast<std::ptrdiff_t>(begin), stack_.end());
  stack_.resize(begin);
  return t;
}

// ---------------------------------------------------------------------------
// Scalars and strings.

void Machine::push_int(std::int64_t v) {
  push(arena_.make<Int>(v, op_offset_));
}

std::uint64_t Machine::checked_length(std::uint64_t n) {
  if (n > cursor_.remaining()) {
    throw Error(
        ErrorCode::kTruncated, "",
        str_cat("declares ", n, " bytes, only ", cursor_.remaining(), " left in the input"));
  }
  if (n > limits_.max_string_bytes) {
    throw Error(
        ErrorCode::kLimit, "max_string_bytes",
        str_cat("a value of ", n, " bytes exceeds the limit of ", limits_.max_string_bytes));
  }
  return n;
}

void Machine::push_py_int(std::string_view text, bool little_endian) {
  if (text.size() > limits_.max_int_bytes) {
    throw Error(
        ErrorCode::kLimit, "max_int_bytes",
        str_cat("an int of ", text.size(), " bytes exceeds the limit of ", limits_.max_int_bytes));
  }
  PyInt v = little_endian ? int_from_le_bytes(text) : parse_decimal(text);
  if (const auto* small = std::get_if<std::int64_t>(&v)) {
    push_int(*small);
  } else {
    push(arena_.make<BigInt>(arena_.copy(std::get<std::string>(v)), op_offset_));
  }
}

void Machine::push_str(std::string_view bytes, bool latin1) {
  // ASCII is the same in latin-1 and UTF-8; only non-ASCII keeps the flag.
  push(arena_.make<Str>(bytes, latin1 && !is_ascii(bytes), op_offset_));
}

void Machine::push_unicode(std::string_view utf8) {
  if (auto bad = find_invalid_utf8(utf8)) {
    throw Error(ErrorCode::kMalformed, "",
                str_cat("invalid UTF-8 at byte ", *bad, " of the string"));
  }
  push(arena_.make<Str>(utf8, false, op_offset_));
}

void Machine::push_bytes(std::string_view data, bool bytearray) {
  push(arena_.make<Bytes>(data, bytearray, op_offset_));
}

// ---------------------------------------------------------------------------
// Globals. Exact (module, name) pairs only: a dotted or dunder name is looked
// up verbatim and therefore never matches (no attribute walking).

Global* Machine::resolve(std::string_view module, std::string_view name, std::string_view opcode) {
  const AllowEntry* entry = options_.allowlist->find(module, name);
  if (entry == nullptr && options_.user_allowed != nullptr) {
    entry = options_.user_allowed->find(module, name);
  }
  auto* g = arena_.make<Global>(module, name, entry, op_offset_);
  if (options_.sink != nullptr) options_.sink->global(*g, op_offset_, opcode);
  if (entry == nullptr && !options_.scan) {
    std::string qualified = str_cat(module, ".", name);
    // Third-party classes may be recorded on request; code-running names never are suggested.
    std::string hint = known_dangerous(module, name)
                           ? "; it is known to run code"
                           : str_cat("; to record it inertly anyway: --allow-global ", qualified);
    throw Error(ErrorCode::kRefused, str_cat("global '", qualified, "'"),
                str_cat("not on the allow-list (nothing was executed)", hint));
  }
  return g;
}

// Converting stops at a refused construct. A scan records it and goes on,
// with a placeholder where a value is needed, to find everything in the file.
void Machine::refuse(std::string subject, std::string detail, bool dangerous) {
  if (options_.scan) {
    if (options_.sink != nullptr) options_.sink->refused(subject, op_offset_, dangerous);
    return;
  }
  throw Error(ErrorCode::kRefused, std::move(subject), std::move(detail));
}

Global* Machine::placeholder(std::string_view what) {
  return arena_.make<Global>("<refused>", arena_.copy(what), nullptr, op_offset_);
}

// ---------------------------------------------------------------------------
// Containers. Targets are type-checked: APPEND needs a list, SETITEM a dict,
// ADDITEMS a set (or an object of an allow-listed list/dict subclass).

namespace {

bool object_kind_is(const Value* v, GlobalKind kind) {
  const auto* o = as<Object>(v);
  return o != nullptr && o->cls->entry != nullptr && o->cls->entry->kind == kind;
}

// Objects of classes we know nothing about: outside the allow-list (scan
// mode) or recorded at the user's request. They take items like a container.
bool is_opaque_object(const Value* v) {
  const auto* o = as<Object>(v);
  return o != nullptr &&
         (o->cls->entry == nullptr || o->cls->entry->kind == GlobalKind::kUserAllowed);
}

}  // namespace

void Machine::append_items(Value* target, std::size_t begin) {
  Seq* list = nullptr;
  if (target->kind == Kind::kList) {
    list = static_cast<Seq*>(target);
  } else if (object_kind_is(target, GlobalKind::kListSubclass) || is_opaque_object(target)) {
    auto* o = static_cast<Object*>(target);
    if (o->listitems == nullptr) o->listitems = arena_.make<Seq>(Kind::kList, mr_, op_offset_);
    list = o->listitems;
  } else {
    throw Error(ErrorCode::kMalformed, "", str_cat("cannot append to a ", kind_name(target->kind)));
  }
  list->items.insert(list->items.end(), stack_.begin() + static_cast<std::ptrdiff_t>(begin),
                     stack_.end());
  stack_.resize(begin);
}

void Machine::set_items(Value* target, std::size_t begin) {
  if ((stack_.size() - begin) % 2 != 0) {
    throw Error(ErrorCode::kMalformed, "", "odd number of items for key/value pairs");
  }
  Dict* dict = nullptr;
  if (target->kind == Kind::kDict) {
    dict = static_cast<Dict*>(target);
  } else if (object_kind_is(target, GlobalKind::kDictSubclass) || is_opaque_object(target)) {
    auto* o = static_cast<Object*>(target);
    if (o->dictitems == nullptr) o->dictitems = arena_.make<Dict>(mr_, op_offset_);
    dict = o->dictitems;
  } else {
    throw Error(ErrorCode::kMalformed, "",
                str_cat("cannot set items of a ", kind_name(target->kind)));
  }
  for (std::size_t i = begin; i < stack_.size(); i += 2) {
    dict_set(*dict, stack_[i], stack_[i + 1], mr_, key_budget_);
  }
  stack_.resize(begin);
}

void Machine::add_items(Value* target, std::size_t begin) {
  if (target->kind != Kind::kSet) {
    throw Error(ErrorCode::kMalformed, "",
                str_cat("cannot add items to a ", kind_name(target->kind)));
  }
  auto* set = static_cast<Seq*>(target);
  for (std::size_t i = begin; i < stack_.size(); ++i) {
    set_add(*set, stack_[i], mr_, key_budget_);
  }
  stack_.resize(begin);
}

// ---------------------------------------------------------------------------
// Calls. Nothing is called: allow-listed reconstructors are interpreted
// natively, allow-listed classes become inert Object records.

Value* Machine::make_object(Global* cls, Seq* args, Value* kwargs) {
  auto* o = arena_.make<Object>(cls, op_offset_);
  o->args = args;
  o->kwargs = kwargs;
  return o;
}

Value* Machine::call(Value* callable, Value* args_value, Value* kwargs, std::string_view opcode) {
  auto* g = as<Global>(callable);
  if (g == nullptr) {
    // A scan already reported the refused global this value came from.
    if (is_opaque_object(callable))
      return make_object(static_cast<Object*>(callable)->cls, nullptr, nullptr);
    refuse(str_cat(opcode, " calls a value of type ", kind_name(callable->kind)),
           "only allow-listed classes can be instantiated (nothing was executed)");
    return make_object(placeholder(str_cat(opcode, " result")), nullptr, nullptr);
  }
  Seq* args = as_tuple(args_value);
  if (args == nullptr) {
    throw Error(ErrorCode::kMalformed, "",
                str_cat("arguments for ", g->qualified(), " are a ", kind_name(args_value->kind),
                        ", not a tuple"));
  }
  if (g->entry == nullptr) return make_object(g, args, kwargs);  // scan mode: opaque
  const auto& a = args->items;
  auto unsupported = [&](std::string_view why) -> Value* {
    throw Error(ErrorCode::kUnsupported, str_cat(opcode, " of ", g->qualified()), std::string(why));
  };
  if (kwargs != nullptr && g->entry->kind != GlobalKind::kClass) {
    return unsupported("keyword arguments are only recorded for classes");
  }
  switch (g->entry->kind) {
  case GlobalKind::kClass:
  case GlobalKind::kDictSubclass:
  case GlobalKind::kListSubclass:
  case GlobalKind::kJoblibArray:
  case GlobalKind::kJoblibLegacyArray: return make_object(g, args, kwargs);
  case GlobalKind::kUserAllowed: {
    // Recorded, never called: a REDUCE is a call of who knows what ($call),
    // NEWOBJ an instance of a class ($class).
    auto* o = static_cast<Object*>(make_object(g, args, kwargs));
    o->called = opcode == "REDUCE";
    return o;
  }
  case GlobalKind::kFunction:
    refuse(str_cat("call of '", g->qualified(), "'"),
           "it is allow-listed as a value only; calling it is refused (nothing was executed)");
    return make_object(g, args, kwargs);
  case GlobalKind::kNdarray:
    return unsupported("direct ndarray construction (numpy pickles use _reconstruct)");
  case GlobalKind::kNdarrayReconstruct: return numpy::reconstruct(arena_, *args, op_offset_);
  case GlobalKind::kDtype: return numpy::make_dtype(arena_, *args, op_offset_);
  case GlobalKind::kScalar: return numpy::make_scalar(arena_, *args, op_offset_);
  case GlobalKind::kFromBuffer: return numpy::frombuffer(arena_, limits_, *args, op_offset_);
  case GlobalKind::kCodecsEncode: {
    const auto* s = a.size() == 2 ? as<Str>(a[0]) : nullptr;
    const auto* enc = a.size() == 2 ? as<Str>(a[1]) : nullptr;
    if (s == nullptr || enc == nullptr) return unsupported("expected (str, encoding)");
    if (enc->bytes != "latin1" && enc->bytes != "latin-1" && enc->bytes != "iso-8859-1" &&
        enc->bytes != "iso8859-1" && enc->bytes != "l1") {
      return unsupported(
          str_cat("only the latin1 encoding is interpreted, not ", quoted(enc->bytes)));
    }
    std::string_view raw = s->latin1 ? s->bytes : arena_.copy(encode_latin1(s->bytes));
    return arena_.make<Bytes>(raw, false, op_offset_);
  }
  case GlobalKind::kCopyregReconstructor: {
    // copyreg._reconstructor(cls, object, None) is object.__new__(cls).
    auto* cls = a.size() == 3 ? as<Global>(a[0]) : nullptr;
    auto* base = a.size() == 3 ? as<Global>(a[1]) : nullptr;
    if (cls == nullptr || base == nullptr) return unsupported("expected (class, base, state)");
    if (cls->entry != nullptr && cls->entry->kind == GlobalKind::kFunction) {
      refuse(str_cat("copyreg._reconstructor of '", cls->qualified(), "'"),
             "it is not a class (nothing was executed)");
    }
    if (base->canonical() != "builtins.object" || a[2]->kind != Kind::kNone) {
      return unsupported(str_cat("base ", base->qualified(), " (only object is interpreted)"));
    }
    return make_object(cls, arena_.make<Seq>(Kind::kTuple, mr_, op_offset_), nullptr);
  }
  case GlobalKind::kSet:
  case GlobalKind::kFrozenSet: {
    auto* set = arena_.make<Seq>(g->entry->kind == GlobalKind::kSet ? Kind::kSet : Kind::kFrozenSet,
                                 mr_, op_offset_);
    if (a.size() > 1) return unsupported("expected at most one iterable");
    if (a.size() == 1) {
      const auto* items = as<Seq>(a[0]);
      if (items == nullptr) return unsupported("expected a list, tuple or set of items");
      for (Value* item : items->items) set_add(*set, item, mr_, key_budget_);
    }
    return set;
  }
  case GlobalKind::kBytes:
  case GlobalKind::kBytearray: {
    bool mutable_bytes = g->entry->kind == GlobalKind::kBytearray;
    if (a.empty()) return arena_.make<Bytes>(std::string_view(), mutable_bytes, op_offset_);
    if (const auto* b = as<Bytes>(a[0]); b != nullptr && a.size() == 1) {
      return arena_.make<Bytes>(b->data, mutable_bytes, op_offset_);
    }
    if (a.size() == 2 && as<Str>(a[0]) != nullptr) {  // bytearray(str, 'latin-1'), protocol <= 2
      return arena_.make<Bytes>(numpy::raw_bytes(arena_, a[0], g->name), mutable_bytes, op_offset_);
    }
    return unsupported("expected (), (bytes) or (str, 'latin-1')");
  }
  case GlobalKind::kOrderedDict: {
    auto* dict = arena_.make<Dict>(mr_, op_offset_);
    if (a.size() > 1) return unsupported("expected at most one list of pairs");
    if (a.size() == 1) {
      const auto* pairs = as<Seq>(a[0]);
      if (pairs == nullptr) return unsupported("expected a list of (key, value) pairs");
      for (Value* pair : pairs->items) {
        const auto* kv = as<Seq>(pair);
        if (kv == nullptr || kv->items.size() != 2) return unsupported("item is not a pair");
        dict_set(*dict, kv->items[0], kv->items[1], mr_, key_budget_);
      }
    }
    return dict;
  }
  case GlobalKind::kUfuncReconstruct: {
    // numpy.core._ufunc_reconstruct(module, name) imports a numpy module and
    // takes an attribute. Interpreted only for numpy modules and names that
    // are numpy ufuncs (np.log10 pickled from numpy.lib.function_base is
    // still np.log10); the ufunc is then a value, like numpy.log10 itself.
    const auto* mod = a.size() == 2 ? as<Str>(a[0]) : nullptr;
    const auto* name = a.size() == 2 ? as<Str>(a[1]) : nullptr;
    if (mod == nullptr || name == nullptr) return unsupported("expected (module, name)");
    bool numpy_module = mod->bytes == "numpy" || mod->bytes.starts_with("numpy.");
    const AllowEntry* entry =
        numpy_module ? options_.allowlist->find("numpy", name->bytes) : nullptr;
    if (entry != nullptr && entry->kind != GlobalKind::kFunction) entry = nullptr;
    if (entry == nullptr && options_.user_allowed != nullptr) {
      entry = options_.user_allowed->find(mod->bytes, name->bytes);
    }
    auto* ufunc = arena_.make<Global>(mod->bytes, name->bytes, entry, op_offset_);
    if (options_.sink != nullptr) options_.sink->global(*ufunc, op_offset_, "_ufunc_reconstruct");
    if (entry == nullptr) {
      refuse(str_cat("global '", mod->bytes, ".", name->bytes, "' (via _ufunc_reconstruct)"),
             "not a numpy ufunc (nothing was executed)");
    }
    return ufunc;
  }
  case GlobalKind::kNewObject: {
    auto* cls = a.size() == 1 ? as<Global>(a[0]) : nullptr;
    if (cls == nullptr) return unsupported("expected (class,)");
    if (cls->entry != nullptr && cls->entry->kind != GlobalKind::kClass) {
      return unsupported(str_cat(cls->qualified(), " is not a class"));
    }
    return make_object(cls, arena_.make<Seq>(Kind::kTuple, mr_, op_offset_), nullptr);
  }
  case GlobalKind::kPyxUnpickle: {
    auto* cls = a.size() == 3 ? as<Global>(a[0]) : nullptr;
    if (cls == nullptr || a[1]->kind != Kind::kInt) {
      return unsupported("expected (class, checksum, state)");
    }
    if (cls->entry != nullptr && cls->entry->kind != GlobalKind::kClass) {
      return unsupported(str_cat(cls->qualified(), " is not a class"));
    }
    auto* o = static_cast<Object*>(
        make_object(cls, arena_.make<Seq>(Kind::kTuple, mr_, op_offset_), nullptr));
    if (a[2]->kind != Kind::kNone) o->state = a[2];
    return o;
  }
  }
  return unsupported("unknown allow-list kind");
}

// ---------------------------------------------------------------------------
// BUILD: numpy arrays and dtypes take their state natively; objects record it.

void Machine::build(Value* target, Value* state) {
  switch (target->kind) {
  case Kind::kNdArray:
    numpy::ndarray_setstate(arena_, limits_, *static_cast<NdArray*>(target), state);
    return;
  case Kind::kDtype: numpy::dtype_setstate(arena_, *static_cast<Dtype*>(target), state); return;
  case Kind::kObject: {
    auto* o = static_cast<Object*>(target);
    if (o->cls->entry != nullptr && o->cls->entry->kind == GlobalKind::kJoblibArray) {
      o->state = state;
      stack_.back() = read_joblib_array(o);
      return;
    }
    if (o->cls->entry != nullptr && o->cls->entry->kind == GlobalKind::kJoblibLegacyArray) {
      o->state = state;
      stack_.back() = read_legacy_joblib_array(o);
      return;
    }
    auto* new_dict = as<Dict>(state);
    auto* old_dict = as<Dict>(o->state);
    if (new_dict != nullptr && old_dict != nullptr) {
      // A second BUILD updates the instance dict, as Python's does.
      auto* merged = arena_.make<Dict>(mr_, op_offset_);
      for (const auto& [k, v] : old_dict->items) dict_set(*merged, k, v, mr_, key_budget_);
      for (const auto& [k, v] : new_dict->items) dict_set(*merged, k, v, mr_, key_budget_);
      o->state = merged;
    } else {
      o->state = state;
    }
    return;
  }
  case Kind::kDict: {
    // OrderedDict/dict instances may carry an (empty) attribute dict.
    const auto* d = as<Dict>(state);
    if (state->kind == Kind::kNone || (d != nullptr && d->items.empty())) return;
    throw Error(ErrorCode::kUnsupported, "", "attributes on a dict instance");
  }
  case Kind::kGlobal:
    refuse(str_cat("BUILD on '", static_cast<Global*>(target)->qualified(), "'"),
           "setting attributes of a class or function is refused (nothing was executed)");
    return;
  default:
    throw Error(ErrorCode::kMalformed, "",
                str_cat("cannot set the state of a ", kind_name(target->kind)));
  }
}

// joblib >= 0.10 writes each array as a NumpyArrayWrapper whose BUILD is
// followed, outside the pickle framing, by the array bytes (after a padding
// length byte and padding when aligned), or by a complete nested pickle for
// object arrays. joblib's own unpickler then replaces the wrapper on the stack.
Value* Machine::read_joblib_array(Object* wrapper) {
  const auto* st = as<Dict>(wrapper->state);
  if (st == nullptr)
    throw Error(ErrorCode::kMalformed, "", "NumpyArrayWrapper state is not a dict");
  auto field = [&](std::string_view key) -> Value* {
    Value* v = dict_get(*st, key);
    if (v == nullptr) {
      throw Error(ErrorCode::kMalformed, "", str_cat("NumpyArrayWrapper state has no ", key));
    }
    return v;
  };
  auto* dtype = as<Dtype>(field("dtype"));
  auto* subclass = as<Global>(field("subclass"));
  const auto* order = as<Str>(field("order"));
  if (dtype == nullptr || subclass == nullptr || order == nullptr ||
      (order->bytes != "C" && order->bytes != "F")) {
    throw Error(ErrorCode::kMalformed, "",
                "NumpyArrayWrapper state has a bad dtype, subclass or order");
  }
  if (subclass->entry == nullptr || subclass->entry->kind != GlobalKind::kNdarray) {
    refuse(str_cat("array subclass '", subclass->qualified(), "'"),
           "not an allow-listed ndarray class (nothing was executed)");
  }
  std::uint64_t start = cursor_.pos();
  cursor_.require_frame_done("joblib array data");
  ++stats_.joblib_arrays;
  if (dtype->has_object()) {
    // A whole pickle of the object array follows; it shares our limits and
    // allow-list but has its own stack and memo.
    return run_nested(cursor_, "joblib object array");
  }
  auto* array = arena_.make<NdArray>(mr_, op_offset_);
  array->subclass = subclass;
  array->dtype = dtype;
  dtype->frozen = true;
  array->fortran = order->bytes == "F";
  std::uint64_t count =
      numpy::checked_shape(limits_, field("shape"), array->shape, "NumpyArrayWrapper shape");
  std::uint64_t nbytes = numpy::checked_bytes(limits_, count, *dtype);
  Value* alignment = dict_get(*st, "numpy_array_alignment_bytes");
  if (alignment != nullptr && alignment->kind != Kind::kNone) {
    std::uint8_t padding = cursor_.read_u8();
    cursor_.read_bytes(padding);
  }
  if (nbytes > cursor_.remaining()) {
    throw Error(ErrorCode::kTruncated, "joblib array data",
                str_cat("array of ", nbytes, " bytes, only ", cursor_.remaining(), " left"),
                cursor_.pos());
  }
  std::uint64_t data_offset = cursor_.pos();
  array->data = cursor_.read_bytes(nbytes);
  array->built = true;
  if (options_.tracer != nullptr) {
    options_.tracer->raw_data(start, cursor_.pos() - start,
                              str_cat("joblib array data: ", nbytes, " bytes at ", data_offset));
  }
  return array;
}

Value* Machine::run_nested(Cursor& cursor, std::string_view what) {
  if (stats_.depth + 1 >= limits_.max_nesting) {
    throw Error(ErrorCode::kLimit, "max_nesting", str_cat(what, "s nested too deeply"),
                cursor.pos());
  }
  if (options_.tracer != nullptr) options_.tracer->nested(true, cursor.pos());
  ++stats_.nested_pickles;
  ++stats_.depth;
  Machine nested(arena_, cursor, options_, stats_);
  Value* result = nested.run();
  --stats_.depth;
  if (options_.tracer != nullptr) options_.tracer->nested(false, cursor.pos());
  return result;
}

// joblib < 0.10 kept each array in a file beside the pickle: NDArrayWrapper
// names a .npy file, ZNDArrayWrapper a zlib "ZF" file of raw data plus the
// array's reconstruct arguments and state.
Value* Machine::read_legacy_joblib_array(Object* wrapper) {
  const auto* st = as<Dict>(wrapper->state);
  const auto* filename = st != nullptr ? as<Str>(dict_get(*st, "filename")) : nullptr;
  if (filename == nullptr) {
    throw Error(ErrorCode::kMalformed, "", "joblib array wrapper state has no filename");
  }
  std::string scratch;
  std::string_view name = str_utf8(*filename, scratch);
  if (options_.sidecars == nullptr) {
    throw Error(ErrorCode::kUnsupported, str_cat("joblib sidecar file ", quoted(name)),
                "joblib < 0.10 files keep arrays in files beside the pickle, which cannot be "
                "read when the input is not a file");
  }
  bool compressed = wrapper->cls->name == "ZNDArrayWrapper";
  std::string_view bytes;
  try {
    bytes = options_.sidecars->read(name, compressed);
  } catch (const Error& e) {
    // A name leaving the directory is what joblib would np.load(allow_pickle=True):
    // a scan reports it as dangerous and goes on with a placeholder.
    if (!options_.scan || e.code() != ErrorCode::kRefused) throw;
    refuse(e.message(), "", true);
    return none_value();
  }
  ++stats_.joblib_arrays;
  if (!compressed) {
    numpy::NpyFile npy = numpy::parse_npy(arena_, limits_, bytes, name);
    if (npy.array != nullptr) return npy.array;
    Cursor nested(bytes, npy.pickle_offset);  // object arrays: a pickle follows the header
    return run_nested(nested, "sidecar object array");
  }
  const auto* init_args = as_tuple(dict_get(*st, "init_args"));
  const auto* array_state = as_tuple(dict_get(*st, "state"));
  if (init_args == nullptr || array_state == nullptr) {
    throw Error(ErrorCode::kMalformed, "", "ZNDArrayWrapper state lacks init_args or state");
  }
  NdArray* array = numpy::reconstruct(arena_, *init_args, op_offset_);
  auto* full_state = arena_.make<Seq>(Kind::kTuple, mr_, op_offset_);
  full_state->items.assign(array_state->items.begin(), array_state->items.end());
  full_state->items.push_back(arena_.make<Bytes>(bytes, false, op_offset_));
  numpy::ndarray_setstate(arena_, limits_, *array, full_state);
  return array;
}

// ---------------------------------------------------------------------------
// The opcode loop.

Value* Machine::run() {
  stopped_ = false;
  while (!stopped_) {
    op_offset_ = cursor_.pos();
    std::size_t depth = marks_.size();
    if (++stats_.opcodes > limits_.max_opcodes) [[unlikely]] {
      throw Error(ErrorCode::kLimit, "max_opcodes",
                  str_cat("more than ", limits_.max_opcodes, " opcodes"), op_offset_);
    }
    if (cursor_.at_end()) [[unlikely]] {
      throw Error(ErrorCode::kTruncated, "end of input", "the pickle has no STOP opcode",
                  op_offset_);
    }
    std::uint8_t byte = cursor_.read_u8();
    if (stats_.protocol < 0) {
      // Protocols 0 and 1 have no PROTO opcode: report the highest protocol
      // among the opcodes used, as pickletools does.
      if (auto info = op_info(byte); info && info->proto > stats_.opcode_protocol) {
        stats_.opcode_protocol = info->proto;
      }
    }
    try {
      step(byte);
    } catch (Error& e) {
      e.with_subject(op_name(byte));
      e.at_offset(op_offset_);
      throw;
    }
    if (options_.tracer != nullptr) {
      options_.tracer->opcode(op_offset_, static_cast<Op>(byte),
                              cursor_.data().substr(op_offset_ + 1, cursor_.pos() - op_offset_ - 1),
                              depth);
    }
  }
  return result_;
}

// NOLINTNEXTLINE(readability-function-cognitive-complexity): one case per opcode
void Machine::step(std::uint8_t byte) {
  switch (static_cast<Op>(byte)) {
  // -- framing and protocol
  case Op::PROTO: {
    std::uint8_t proto = cursor_.read_u8();
    if (proto > 5) throw Error(ErrorCode::kMalformed, "", str_cat("unsupported protocol ", proto));
    if (stats_.protocol < 0) stats_.protocol = proto;
    return;
  }
  case Op::FRAME: cursor_.begin_frame(cursor_.read_le<std::uint64_t>()); return;
  case Op::STOP:
    result_ = pop();
    stopped_ = true;
    return;

  // -- constants and numbers
  case Op::NONE: push(none_value()); return;
  case Op::NEWTRUE: push(bool_value(true)); return;
  case Op::NEWFALSE: push(bool_value(false)); return;
  case Op::INT: {
    std::string_view text = cursor_.read_line();
    if (text == "01") return push(bool_value(true));  // protocol 0 spelling of True/False
    if (text == "00") return push(bool_value(false));
    return push_py_int(text, false);
  }
  case Op::BININT: return push_int(cursor_.read_le<std::int32_t>());
  case Op::BININT1: return push_int(cursor_.read_u8());
  case Op::BININT2: return push_int(cursor_.read_le<std::uint16_t>());
  case Op::LONG: return push_py_int(cursor_.read_line(), false);
  case Op::LONG1: {
    std::uint8_t n = cursor_.read_u8();
    return push_py_int(cursor_.read_bytes(n), true);
  }
  case Op::LONG4: {
    std::int32_t n = cursor_.read_le<std::int32_t>();
    if (n < 0) throw Error(ErrorCode::kMalformed, "", "negative byte count");
    return push_py_int(cursor_.read_bytes(checked_length(static_cast<std::uint64_t>(n))), true);
  }
  case Op::FLOAT:
    return push(arena_.make<Float>(parse_float_text(cursor_.read_line()), op_offset_));
  case Op::BINFLOAT: return push(arena_.make<Float>(cursor_.read_f64be(), op_offset_));

  // -- strings and bytes
  case Op::STRING: {
    std::string decoded = decode_string_literal(cursor_.read_line());
    return push_str(arena_.copy(decoded), true);
  }
  case Op::BINSTRING: {
    std::int32_t n = cursor_.read_le<std::int32_t>();
    if (n < 0) throw Error(ErrorCode::kMalformed, "", "negative byte count");
    return push_str(cursor_.read_bytes(checked_length(static_cast<std::uint64_t>(n))), true);
  }
  case Op::SHORT_BINSTRING: return push_str(cursor_.read_bytes(cursor_.read_u8()), true);
  case Op::UNICODE: {
    std::string decoded = decode_raw_unicode_escape(cursor_.read_line());
    return push_unicode(arena_.copy(decoded));
  }
  case Op::SHORT_BINUNICODE: return push_unicode(cursor_.read_bytes(cursor_.read_u8()));
  case Op::BINUNICODE:
    return push_unicode(cursor_.read_bytes(checked_length(cursor_.read_le<std::uint32_t>())));
  case Op::BINUNICODE8:
    return push_unicode(cursor_.read_bytes(checked_length(cursor_.read_le<std::uint64_t>())));
  case Op::SHORT_BINBYTES: return push_bytes(cursor_.read_bytes(cursor_.read_u8()), false);
  case Op::BINBYTES:
    return push_bytes(cursor_.read_bytes(checked_length(cursor_.read_le<std::uint32_t>())), false);
  case Op::BINBYTES8:
    return push_bytes(cursor_.read_bytes(checked_length(cursor_.read_le<std::uint64_t>())), false);
  case Op::BYTEARRAY8:
    return push_bytes(cursor_.read_bytes(checked_length(cursor_.read_le<std::uint64_t>())), true);

  // -- containers
  case Op::EMPTY_LIST: return push(arena_.make<Seq>(Kind::kList, mr_, op_offset_));
  case Op::EMPTY_TUPLE: return push(arena_.make<Seq>(Kind::kTuple, mr_, op_offset_));
  case Op::EMPTY_DICT: return push(arena_.make<Dict>(mr_, op_offset_));
  case Op::EMPTY_SET: return push(arena_.make<Seq>(Kind::kSet, mr_, op_offset_));
  case Op::MARK:
    if (marks_.size() >= limits_.max_marks) {
      throw Error(ErrorCode::kLimit, "max_marks",
                  str_cat("more than ", limits_.max_marks, " open MARKs"));
    }
    marks_.push_back(stack_.size());
    return;
  case Op::TUPLE: return push(tuple_from(pop_mark()));
  case Op::TUPLE1:
  case Op::TUPLE2:
  case Op::TUPLE3: {
    std::size_t n = byte - static_cast<std::uint8_t>(Op::TUPLE1) + 1;
    std::size_t floor = marks_.empty() ? 0 : marks_.back();
    if (stack_.size() < floor + n) {
      throw Error(ErrorCode::kMalformed, "", "stack underflow (no value since the last MARK)");
    }
    return push(tuple_from(stack_.size() - n));
  }
  case Op::LIST: {
    std::size_t begin = pop_mark();
    auto* list = arena_.make<Seq>(Kind::kList, mr_, op_offset_);
    list->items.assign(stack_.begin() + static_cast<std::ptrdiff_t>(begin), stack_.end());
    stack_.resize(begin);
    return push(list);
  }
  case Op::DICT: {
    std::size_t begin = pop_mark();
    auto* dict = arena_.make<Dict>(mr_, op_offset_);
    push(dict);  // below the items, so set_items can take them
    std::rotate(stack_.begin() + static_cast<std::ptrdiff_t>(begin), stack_.end() - 1,
                stack_.end());
    set_items(dict, begin + 1);
    return;
  }
  case Op::FROZENSET: {
    std::size_t begin = pop_mark();
    auto* set = arena_.make<Seq>(Kind::kFrozenSet, mr_, op_offset_);
    for (std::size_t i = begin; i < stack_.size(); ++i) {
      set_add(*set, stack_[i], mr_, key_budget_);
    }
    stack_.resize(begin);
    return push(set);
  }
  case Op::APPEND: {
    std::size_t floor = marks_.empty() ? 0 : marks_.back();
    if (stack_.size() < floor + 2) {
      throw Error(ErrorCode::kMalformed, "", "stack underflow (no value since the last MARK)");
    }
    return append_items(stack_[stack_.size() - 2], stack_.size() - 1);
  }
  case Op::APPENDS: {
    std::size_t begin = pop_mark();
    return append_items(below(begin), begin);
  }
  case Op::SETITEM: {
    std::size_t floor = marks_.empty() ? 0 : marks_.back();
    if (stack_.size() < floor + 3) {
      throw Error(ErrorCode::kMalformed, "", "stack underflow (no value since the last MARK)");
    }
    return set_items(stack_[stack_.size() - 3], stack_.size() - 2);
  }
  case Op::SETITEMS: {
    std::size_t begin = pop_mark();
    return set_items(below(begin), begin);
  }
  case Op::ADDITEMS: {
    std::size_t begin = pop_mark();
    return add_items(below(begin), begin);
  }
  case Op::POP:
    // Python pops the MARK itself when no value was pushed since it.
    if (!marks_.empty() && stack_.size() == marks_.back()) {
      marks_.pop_back();
    } else {
      pop();
    }
    return;
  case Op::POP_MARK: stack_.resize(pop_mark()); return;
  case Op::DUP: return push(top());

  // -- memo
  case Op::GET:
  case Op::PUT: {
    PyInt index = parse_decimal(cursor_.read_line());
    const auto* small = std::get_if<std::int64_t>(&index);
    if (small == nullptr || *small < 0) {
      throw Error(ErrorCode::kMalformed, "", "memo index out of range");
    }
    if (static_cast<Op>(byte) == Op::GET) return push(memo_get(static_cast<std::uint64_t>(*small)));
    return memo_put(static_cast<std::uint64_t>(*small), top());
  }
  case Op::BINGET: return push(memo_get(cursor_.read_u8()));
  case Op::LONG_BINGET: return push(memo_get(cursor_.read_le<std::uint32_t>()));
  case Op::BINPUT: return memo_put(cursor_.read_u8(), top());
  case Op::LONG_BINPUT: return memo_put(cursor_.read_le<std::uint32_t>(), top());
  case Op::MEMOIZE: return memo_put(memo_count_, top());

  // -- globals and calls
  case Op::GLOBAL:
  case Op::INST: {
    std::string_view module = cursor_.read_line();
    std::string_view name = cursor_.read_line();
    for (std::string_view part : {module, name}) {
      if (find_invalid_utf8(part)) throw Error(ErrorCode::kMalformed, "", "name is not UTF-8");
    }
    std::string_view opname = op_name(byte);
    Global* g = resolve(module, name, opname);
    if (static_cast<Op>(byte) == Op::GLOBAL) return push(g);
    return push(call(g, tuple_from(pop_mark()), nullptr, opname));
  }
  case Op::STACK_GLOBAL: {
    Value* name = pop();
    Value* module = pop();
    const auto* n = as<Str>(name);
    const auto* m = as<Str>(module);
    // Python requires both to be str; a Python 2 str (latin-1) is not one.
    if (n == nullptr || m == nullptr || n->latin1 || m->latin1) {
      throw Error(ErrorCode::kMalformed, "",
                  str_cat("module and name must be str, found ", kind_name(module->kind), " and ",
                          kind_name(name->kind)));
    }
    return push(resolve(m->bytes, n->bytes, "STACK_GLOBAL"));
  }
  case Op::REDUCE: {
    Value* args = pop();
    Value* callable = pop();
    return push(call(callable, args, nullptr, "REDUCE"));
  }
  case Op::NEWOBJ: {
    Value* args = pop();
    Value* cls = pop();
    return push(call(cls, args, nullptr, "NEWOBJ"));
  }
  case Op::NEWOBJ_EX: {
    Value* kwargs = pop();
    Value* args = pop();
    Value* cls = pop();
    if (as<Dict>(kwargs) == nullptr) {
      throw Error(ErrorCode::kMalformed, "", "NEWOBJ_EX keyword arguments are not a dict");
    }
    return push(call(cls, args, as<Dict>(kwargs)->items.empty() ? nullptr : kwargs, "NEWOBJ_EX"));
  }
  case Op::OBJ: {
    std::size_t begin = pop_mark();
    if (stack_.size() == begin) throw Error(ErrorCode::kMalformed, "", "OBJ without a class");
    Value* cls = stack_[begin];
    Seq* args = tuple_from(begin + 1);
    stack_.pop_back();
    return push(call(cls, args, nullptr, "OBJ"));
  }
  case Op::BUILD: {
    Value* state = pop();
    return build(top(), state);
  }

  // -- refused: these load objects from outside the pickle
  case Op::PERSID:
  case Op::BINPERSID:
    if (static_cast<Op>(byte) == Op::PERSID) {
      cursor_.read_line();
    } else {
      pop();
    }
    refuse("persistent id",
           "persistent ids load objects from outside the file (nothing was executed)");
    return push(placeholder("persistent id"));
  case Op::EXT1:
  case Op::EXT2:
  case Op::EXT4: {
    std::int64_t code = static_cast<Op>(byte) == Op::EXT1   ? cursor_.read_u8()
                        : static_cast<Op>(byte) == Op::EXT2 ? cursor_.read_le<std::uint16_t>()
                                                            : cursor_.read_le<std::int32_t>();
    refuse(str_cat("extension code ", code),
           "the copyreg extension registry names globals indirectly; refused "
           "(nothing was executed)");
    return push(placeholder(str_cat("extension code ", code)));
  }
  case Op::NEXT_BUFFER:
    refuse("out-of-band buffer", "protocol 5 out-of-band buffers are data outside the file");
    return push(arena_.make<Bytes>(std::string_view(), false, op_offset_));
  case Op::READONLY_BUFFER:
    refuse("out-of-band buffer", "protocol 5 out-of-band buffers are data outside the file");
    (void)top();
    return;
  }
  throw Error(
      ErrorCode::kMalformed,
      str_cat("unknown opcode 0x", "0123456789abcdef"[byte >> 4], "0123456789abcdef"[byte & 15]),
      "not an opcode of pickle protocols 0-5");
}

}  // namespace depickle::pickle
