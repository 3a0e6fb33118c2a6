#include "core/error.h"

#include <array>

namespace depickle {

namespace {
struct Category {
  std::string_view name;
  int exit_code;
};
// Indexed by ErrorCode; the one table of categories.
constexpr std::array<Category, 8> kCategories = {{
    {"refused", 1},
    {"usage", 2},
    {"malformed", 3},
    {"truncated", 3},
    {"unsupported", 4},
    {"limit exceeded", 5},
    {"output failed", 6},
    {"internal error", 70},
}};
}  // namespace

int exit_code(ErrorCode code) {
  return kCategories.at(static_cast<std::size_t>(code)).exit_code;
}

std::string_view category_name(ErrorCode code) {
  return kCategories.at(static_cast<std::size_t>(code)).name;
}

Error::Error(ErrorCode code, std::string subject, std::string detail,
             std::optional<std::uint64_t> offset)
    : std::runtime_error(""),
      code_(code),
      subject_(std::move(subject)),
      detail_(std::move(detail)),
      offset_(offset) {
  refresh();
}

Error& Error::at_offset(std::uint64_t offset) {
  if (!offset_) {
    offset_ = offset;
    refresh();
  }
  return *this;
}

Error& Error::with_subject(std::string_view subject) {
  if (subject_.empty()) {
    subject_ = subject;
    refresh();
  }
  return *this;
}

Error& Error::in_path(std::string_view outer) {
  if (path_.empty() || path_.front() == '[') {
    path_.insert(0, outer);
  } else {
    path_.insert(0, str_cat(outer, "."));
  }
  refresh();
  return *this;
}

// Messages quote names taken from the input: they must stay one printable
// line (no newlines or terminal escapes from a hostile file) of sane length.
std::string Error::message() const {
  constexpr std::size_t kMaxPart = 400;
  std::string out = str_cat(category_name(code_), ": ", printable(subject_, kMaxPart));
  if (offset_) out += str_cat(" at byte ", *offset_);
  if (!path_.empty()) out += str_cat(" (in ", printable(path_, kMaxPart), ")");
  if (!detail_.empty()) out += str_cat(": ", printable(detail_, kMaxPart));
  return out;
}

void Error::refresh() {
  what_ = message();
}

}  // namespace depickle
