#include "io/output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "core/error.h"

namespace depickle::io {

Output::Output() : buffer_(new char[kBufferSize]) {}
Output::~Output() = default;

void Output::flush_buffer() {
  if (used_ != 0) {
    sink({buffer_.get(), used_});
    total_ += used_;
    used_ = 0;
  }
}

void Output::flush() {
  flush_buffer();
}

void Output::write_slow(std::string_view s) {
  flush_buffer();
  if (s.size() >= kBufferSize) {
    sink(s);  // large blocks go straight through
    total_ += s.size();
  } else {
    std::memcpy(buffer_.get(), s.data(), s.size());
    used_ = s.size();
  }
}

FdOutput::~FdOutput() = default;

void FdOutput::sink(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorCode::kOutput, str_cat("cannot write ", name_), std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

StringOutput::~StringOutput() = default;

// ---------------------------------------------------------------------------
// Temporary files are removed on fatal signals. One output at a time is
// written by the CLI; the slot holds its path for the handler.

namespace {

constexpr std::size_t kMaxPath = 4096;
char gTempPath[kMaxPath];
std::atomic<bool> gTempActive{false};

extern "C" void remove_temp_and_reraise(int sig) {
  if (gTempActive.load()) unlink(gTempPath);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void install_handlers() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction sa {};
    sa.sa_handler = remove_temp_and_reraise;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, nullptr);
  }
}

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

AtomicFile::AtomicFile(std::string target) : target_(std::move(target)) {
  std::string base =
      target_.substr(target_.rfind('/') == std::string::npos ? 0 : target_.rfind('/') + 1);
  temp_ = str_cat(dir_of(target_), "/.", base, ".depickle-XXXXXX");
  if (temp_.size() >= kMaxPath) throw Error(ErrorCode::kOutput, "output path", "too long");
  fd_ = mkstemp(temp_.data());
  if (fd_ < 0) {
    throw Error(ErrorCode::kOutput, str_cat("cannot create a file in ", dir_of(target_)),
                std::strerror(errno));
  }
  fchmod(fd_, 0644);
  install_handlers();
  std::memcpy(gTempPath, temp_.c_str(), temp_.size() + 1);
  gTempActive.store(true);
  out_ = std::make_unique<FdOutput>(fd_, target_);
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    gTempActive.store(false);
    if (fd_ >= 0) close(fd_);
    unlink(temp_.c_str());
  }
}

void AtomicFile::commit() {
  out_->flush();
  if (close(fd_) != 0) {
    fd_ = -1;
    throw Error(ErrorCode::kOutput, str_cat("cannot write ", target_), std::strerror(errno));
  }
  fd_ = -1;
  if (rename(temp_.c_str(), target_.c_str()) != 0) {
    throw Error(ErrorCode::kOutput, str_cat("cannot rename the output to ", target_),
                std::strerror(errno));
  }
  committed_ = true;
  gTempActive.store(false);
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {};
  struct stat sb {};
  if (stat(a.c_str(), &sa) != 0 || stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace depickle::io
