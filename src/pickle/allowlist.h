#pragma once
// The allow-list: the exact (module, name) pairs a pickle may name, and what
// the VM does with each. It is data (schemas/allowlist/*.tsv, compiled in);
// nothing else decides what a pickle may reference.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace depickle::pickle {

/// What the VM does with an allow-listed global. Only the kinds that build
/// numpy/builtin data have native interpretations; every other class becomes
/// an inert Object record. Nothing is ever called.
enum class GlobalKind : std::uint8_t {
  kClass,                 // a class: calling it records an Object{class, args}
  kFunction,              // a function usable only as a value (never called)
  kNdarrayReconstruct,    // numpy.core.multiarray._reconstruct
  kNdarray,               // numpy.ndarray and its allowed subclasses
  kDtype,                 // numpy.dtype
  kScalar,                // numpy.core.multiarray.scalar
  kFromBuffer,            // numpy.core.numeric._frombuffer (protocol 5)
  kCodecsEncode,          // _codecs.encode(str, 'latin1')
  kCopyregReconstructor,  // copyreg._reconstructor(cls, object, None)
  kSet,                   // builtins.set
  kFrozenSet,             // builtins.frozenset
  kBytes,                 // builtins.bytes (protocol < 3 pickles b'' as bytes())
  kBytearray,             // builtins.bytearray
  kOrderedDict,           // collections.OrderedDict
  kDictSubclass,          // a class whose instances receive SETITEM(S)
  kListSubclass,          // a class whose instances receive APPEND(S)
  kJoblibArray,           // joblib NumpyArrayWrapper: raw array bytes follow inline
  kJoblibLegacyArray,     // joblib < 0.10 NDArrayWrapper / ZNDArrayWrapper (sidecar files)
  kUfuncReconstruct,      // numpy.core._ufunc_reconstruct(module, name): a ufunc by name
  kNewObject,             // sklearn newObj(cls): an instance of an allowed class
  kPyxUnpickle,           // Cython __pyx_unpickle_X(cls, checksum, state)
  kUserAllowed,           // outside the allow-list, recorded at the user's request (--allow-global)
};

std::string_view global_kind_name(GlobalKind kind);
std::optional<GlobalKind> parse_global_kind(std::string_view name);

struct AllowEntry {
  std::string module;  // canonical module
  std::string name;
  GlobalKind kind;
};

class Allowlist {
 public:
  /// The allow-list compiled into depickle.
  static const Allowlist& builtin();

  /// Parses allow-list TSV text ("module<TAB>name<TAB>kind" lines, '#'
  /// comments) and module renames ("old<TAB>new").
  Allowlist(std::string_view entries_tsv, std::string_view renames_tsv);

  /// Exact lookup of (module, name); `module` may be an old spelling listed in
  /// the renames table (sklearn.tree.tree -> sklearn.tree._classes). There is
  /// no prefix matching and no attribute walking.
  [[nodiscard]] const AllowEntry* find(std::string_view module, std::string_view name) const;

  /// The canonical spelling of a module (itself unless renamed).
  [[nodiscard]] std::string_view canonical_module(std::string_view module) const;

  [[nodiscard]] std::size_t size() const { return entries_.size(); }
  [[nodiscard]] const std::vector<std::unique_ptr<AllowEntry>>& entries() const { return entries_; }

 private:
  std::vector<std::unique_ptr<AllowEntry>> entries_;
  std::unordered_map<std::string, const AllowEntry*> by_name_;  // "module\0name"
  std::unordered_map<std::string, std::string> renames_;
};

/// Globals the user asked to record although they are not allow-listed
/// (`--allow-global module.name` or `module.*`). They become inert objects
/// or calls like any other; nothing is executed.
class UserAllowlist {
 public:
  explicit UserAllowlist(const std::vector<std::string>& patterns);
  /// An entry (owned here) if a pattern matches, else null.
  const AllowEntry* find(std::string_view module, std::string_view name);

 private:
  std::vector<std::string> exact_;    // "module.name"
  std::vector<std::string> modules_;  // "module" from "module.*"
  std::vector<std::unique_ptr<AllowEntry>> entries_;
};

}  // namespace depickle::pickle
