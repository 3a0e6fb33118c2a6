#include "cli/json_text.h"

#include <cstdio>
#include <fstream>

#include "core/error.h"

namespace depickle::cli {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

void write_atomically(const std::string& path, const std::string& text) {
  std::string temp = path + ".depickle-tmp";
  {
    std::ofstream f(temp, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f.flush()) {
      std::remove(temp.c_str());
      throw Error(ErrorCode::kOutput, str_cat("cannot write ", path), "write failed");
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    throw Error(ErrorCode::kOutput, str_cat("cannot write ", path), "rename failed");
  }
}

}  // namespace depickle::cli
