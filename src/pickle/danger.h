#pragma once
// Classification of globals outside the allow-list for `depickle scan`:
// known to run code (unsafe) or merely unknown. Data: schemas/dangerous-globals.tsv.

#include <string_view>

namespace depickle::pickle {

/// True if Python's pickle resolving or calling (module, name) is known to run
/// code, touch files or the network. A module also covers its submodules.
bool known_dangerous(std::string_view module, std::string_view name);

}  // namespace depickle::pickle
