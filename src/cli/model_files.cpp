// Finding the model files in a folder, for `batch` and `scan DIR`.

#include "cli/model_files.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <string>
#include <string_view>

namespace depickle::cli {

namespace fs = std::filesystem;

// Protocol 0/1 pickles open with MARK, EMPTY_* or GLOBAL and a module-name
// line. Other files (.npy sidecars, READMEs) do not look like pickles.
bool looks_like_pickle(const fs::path& p) {
  char head[64] = {};
  std::ifstream in(p, std::ios::binary);
  in.read(head, sizeof head);
  auto n = static_cast<std::size_t>(in.gcount());
  if (n < 2) return false;
  auto b = [&](std::size_t i) { return static_cast<unsigned char>(head[i]); };
  std::string_view h(head, n);
  if (b(0) == 0x80 && b(1) >= 2 && b(1) <= 5) return true;
  if (h.starts_with("\x1f\x8b") || h.starts_with("BZh") ||
      h.starts_with("\xfd"
                    "7zXZ") ||
      h.starts_with("\x04\x22\x4d\x18") || h.starts_with("\x28\xb5\x2f\xfd") ||
      h.starts_with("ZF0x") || (b(0) == 0x5d && b(1) == 0x00) ||
      (b(0) == 0x78 && ((b(0) << 8) | b(1)) % 31 == 0)) {
    return true;
  }
  if (h[0] == '(' || h[0] == ']' || h[0] == '}' || h[0] == ')')
    return std::string_view("(]})cNIKJUXVSqp").find(h[1]) != std::string_view::npos;
  if (h[0] == 'c') {  // GLOBAL module\nname\n
    std::size_t nl = h.find('\n');
    if (nl == std::string_view::npos || nl < 2) return false;
    for (char c : h.substr(1, nl - 1)) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) return false;
    }
    return true;
  }
  return false;
}

bool resolves_inside(const fs::path& p, const fs::path& root) {
  std::error_code ec;
  fs::path real = fs::weakly_canonical(p, ec);
  if (ec) return false;
  auto r = root.begin();
  auto q = real.begin();
  for (; r != root.end(); ++r, ++q) {
    if (q == real.end() || *r != *q) return false;
  }
  return true;
}

namespace {
// Names people give pickles and joblib dumps (picklescan's list; compressed
// dumps are recognised by their magic bytes). Compared lower-cased.
constexpr std::array<std::string_view, 10> kModelExtensions = {
    ".pkl", ".pickle", ".joblib", ".sav", ".dat", ".data", ".bin", ".pt", ".pth", ".model"};

bool named_like_model(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::find(kModelExtensions.begin(), kModelExtensions.end(), ext) != kModelExtensions.end();
}
}  // namespace

std::vector<fs::path> model_files(const fs::path& root) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(
           root, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const fs::path& p = it->path();
    if (it->is_symlink() && !resolves_inside(p, root)) continue;  // never leave the folder
    if (!it->is_regular_file(ec)) continue;
    if (named_like_model(p) || looks_like_pickle(p)) out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace depickle::cli
