#include "depickle.h"

namespace depickle {

std::string_view version() {
  return DEPICKLE_VERSION;
}  // from CMake's project(VERSION)

}  // namespace depickle
