#pragma once
// HDF5 output (schemas/hdf5-layout.md): the pickle's object graph as groups,
// bit-exact datasets and attributes, through the HDF5 C++ API.

#include <string>

#include "depickle.h"
#include "pickle/document.h"

namespace depickle::writers {

/// Writes `doc` to a new HDF5 file at `path` (HDF5 needs a file, not a
/// stream). `in_memory` keeps the file in memory and discards it (fuzzing).
void write_hdf5(const pickle::Document& doc, const std::string& path, const Hdf5Options& options,
                const Limits& limits, bool in_memory = false);

}  // namespace depickle::writers
