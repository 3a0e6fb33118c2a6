#pragma once
// Sidecar files of joblib < 0.10 multi-file dumps, read safely: only a bare
// file name in the pickle's own directory (no separators, no "..").

#include <memory>
#include <string>

#include "depickle.h"
#include "pickle/machine.h"

namespace depickle::pickle {

std::unique_ptr<SidecarLoader> make_sidecar_loader(std::string dir, const Limits& limits);

}  // namespace depickle::pickle
