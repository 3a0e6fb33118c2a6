#pragma once
// The restricted pickle virtual machine. It executes the data opcodes of
// protocols 0-5 and nothing else: globals are resolved against the allow-list
// only, and "calls" (REDUCE, NEWOBJ, INST, OBJ, BUILD) either build numpy and
// builtin values natively or record inert Object values. No Python code, and
// no code named by the pickle, is ever run.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/cursor.h"
#include "depickle.h"
#include "pickle/allowlist.h"
#include "pickle/arena.h"
#include "pickle/opcodes.h"
#include "pickle/value.h"

namespace depickle::pickle {

/// Receives each opcode as it runs (for `depickle inspect --opcodes`).
class Tracer {
 public:
  virtual ~Tracer() = default;
  /// One opcode at `offset` with its argument bytes; `depth` is the number of
  /// open MARKs before it ran.
  virtual void opcode(std::uint64_t offset, Op op, std::string_view arg, std::size_t depth) = 0;
  /// Bytes that joblib stores outside the opcode stream (inline array data).
  virtual void raw_data(std::uint64_t offset, std::uint64_t length, std::string_view what) = 0;
  /// A complete pickle nested in the stream (joblib object arrays) begins/ends.
  virtual void nested(bool begin, std::uint64_t offset) = 0;
};

/// Receives every global a pickle names, allowed or not (for `depickle scan`).
class GlobalSink {
 public:
  virtual ~GlobalSink() = default;
  virtual void global(const Global& g, std::uint64_t offset, std::string_view opcode) = 0;
  /// A refused construct that is not a global (EXT codes, persistent ids,
  /// out-of-band buffers, calls of non-callables, sidecar paths leaving the
  /// pickle's directory) in scan mode; `dangerous` when Python's loaders would
  /// act on it (joblib np.load-s a sidecar path with allow_pickle).
  virtual void refused(std::string_view what, std::uint64_t offset, bool dangerous) = 0;
};

/// Reads the sidecar files of joblib < 0.10 multi-file dumps (NDArrayWrapper,
/// ZNDArrayWrapper): the bytes of `filename`, a bare name in the pickle's own
/// directory, decompressed if `decompress`. The loader keeps them alive.
class SidecarLoader {
 public:
  virtual ~SidecarLoader() = default;
  virtual std::string_view read(std::string_view filename, bool decompress) = 0;
};

struct VmOptions {
  const Limits* limits = nullptr;
  const Allowlist* allowlist = nullptr;
  /// Scan mode: a global outside the allow-list is reported to `sink` and
  /// becomes an opaque value instead of stopping the VM.
  bool scan = false;
  GlobalSink* sink = nullptr;
  Tracer* tracer = nullptr;
  SidecarLoader* sidecars = nullptr;
  /// Globals recorded at the user's request (--allow-global), or null.
  UserAllowlist* user_allowed = nullptr;
};

/// Counters shared by a pickle and the pickles nested in it.
struct VmStats {
  std::uint64_t opcodes = 0;
  int protocol = -1;                // first PROTO seen; -1 before one is seen
  int opcode_protocol = 0;          // highest protocol among the opcodes used
  std::uint64_t joblib_arrays = 0;  // NumpyArrayWrapper arrays read inline
  std::uint64_t nested_pickles = 0;
  std::uint64_t depth = 0;     // current nesting of pickles
  std::uint64_t key_work = 0;  // see KeyBudget
};

class Machine {
 public:
  Machine(Arena& arena, Cursor& cursor, const VmOptions& options, VmStats& stats);

  /// Runs one pickle from the cursor's position through its STOP opcode and
  /// returns the unpickled value. Errors carry the offset of the opcode.
  Value* run();

 private:
  // Stack and memo.
  void push(Value* v);
  Value* pop();
  Value* top();
  std::size_t pop_mark();           // returns the stack index where the marked items start
  Value* below(std::size_t begin);  // the value under marked items (APPENDS, SETITEMS target)
  void memo_put(std::uint64_t index, Value* v);
  Value* memo_get(std::uint64_t index);
  Seq* tuple_from(std::size_t begin);

  // Opcode groups.
  void step(std::uint8_t byte);
  void push_int(std::int64_t v);
  void push_py_int(std::string_view decimal_or_le, bool little_endian);
  void push_str(std::string_view bytes, bool latin1);
  void push_unicode(std::string_view utf8);
  void push_bytes(std::string_view data, bool bytearray);
  std::uint64_t checked_length(std::uint64_t n);
  Global* resolve(std::string_view module, std::string_view name, std::string_view opcode);
  void append_items(Value* target, std::size_t begin);
  void set_items(Value* target, std::size_t begin);
  void add_items(Value* target, std::size_t begin);
  Value* call(Value* callable, Value* args, Value* kwargs, std::string_view opcode);
  Value* make_object(Global* cls, Seq* args, Value* kwargs);
  void build(Value* target, Value* state);
  Value* read_joblib_array(Object* wrapper);
  Value* read_legacy_joblib_array(Object* wrapper);
  Value* run_nested(Cursor& cursor, std::string_view what);
  void refuse(std::string subject, std::string detail, bool dangerous = false);
  Global* placeholder(std::string_view what);

  Arena& arena_;
  std::pmr::memory_resource* mr_;
  Cursor& cursor_;
  const VmOptions& options_;
  const Limits& limits_;
  VmStats& stats_;
  KeyBudget key_budget_;
  std::vector<Value*> stack_;
  std::vector<std::size_t> marks_;
  std::vector<Value*> memo_;
  std::uint64_t memo_count_ = 0;  // distinct memo keys (MEMOIZE uses it)
  std::uint64_t op_offset_ = 0;
  bool stopped_ = false;
  Value* result_ = nullptr;
};

}  // namespace depickle::pickle
