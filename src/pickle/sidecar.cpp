#include "pickle/sidecar.h"

#include <sys/stat.h>

#include <vector>

#include "core/error.h"
#include "io/input.h"

namespace depickle::pickle {

namespace {

class FileSidecars : public SidecarLoader {
 public:
  FileSidecars(std::string dir, const Limits& limits) : dir_(std::move(dir)), limits_(limits) {}

  std::string_view read(std::string_view filename, bool decompress) override {
    bool plain = !filename.empty() && filename != "." && filename != ".." &&
                 filename.find_first_of(std::string_view("/\\\0", 3)) == std::string_view::npos;
    if (!plain) {
      throw Error(ErrorCode::kRefused, str_cat("joblib sidecar file name ", quoted(filename)),
                  "only a plain file name in the pickle's own directory is read");
    }
    std::string path = str_cat(dir_, "/", filename);
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) {
      throw Error(ErrorCode::kMalformed, str_cat("joblib sidecar file ", quoted(filename)),
                  str_cat("missing: joblib < 0.10 stored this array beside the pickle, in ", path));
    }
    // A symbolic link could lead anywhere: only a regular file in the directory is read.
    if (!S_ISREG(st.st_mode)) {
      throw Error(ErrorCode::kRefused, str_cat("joblib sidecar file ", quoted(filename)),
                  S_ISLNK(st.st_mode)
                      ? "is a symbolic link; only a plain file beside the pickle is read"
                      : "not a regular file");
    }
    io::RawInput raw = io::read_input_nofollow(path, limits_);  // no link swapped in since lstat
    std::string_view bytes = raw.bytes.view();
    inputs_.push_back(std::move(raw.bytes));
    if (!decompress) return bytes;
    try {
      io::Stream s = io::open_stream(bytes, limits_);
      if (s.compression != io::Compression::kZFile && s.compression != io::Compression::kZlib) {
        throw Error(ErrorCode::kMalformed, "", "expected a zlib 'ZF' file");
      }
      std::string_view data = s.data;
      streams_.push_back(std::move(s.owned));
      return data;
    } catch (Error& e) {
      e.with_subject(str_cat("joblib sidecar file ", quoted(filename)));
      throw;
    }
  }

 private:
  std::string dir_;
  const Limits& limits_;
  std::vector<io::Buffer> inputs_;
  std::vector<io::Buffer> streams_;
};

}  // namespace

std::unique_ptr<SidecarLoader> make_sidecar_loader(std::string dir, const Limits& limits) {
  return std::make_unique<FileSidecars>(std::move(dir), limits);
}

}  // namespace depickle::pickle
