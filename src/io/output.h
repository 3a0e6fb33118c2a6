#pragma once
// Buffered output sinks and atomic output files. A converted file is written
// to a temporary file beside the target and renamed into place only when
// complete, so a failed or interrupted run leaves nothing behind.

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace depickle::io {

/// A byte sink with a write buffer. Subclasses implement `sink()`.
class Output {
 public:
  Output();
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;
  virtual ~Output();

  void write(std::string_view s) {
    if (s.size() <= kBufferSize - used_) {
      std::memcpy(buffer_.get() + used_, s.data(), s.size());
      used_ += s.size();
    } else {
      write_slow(s);
    }
  }
  void put(char c) {
    if (used_ == kBufferSize) flush_buffer();
    buffer_[used_++] = c;
  }
  /// Writes buffered bytes through to the sink.
  void flush();
  /// Bytes written so far.
  [[nodiscard]] std::uint64_t bytes_written() const { return total_ + used_; }

 protected:
  virtual void sink(std::string_view bytes) = 0;

 private:
  static constexpr std::size_t kBufferSize = std::size_t{1} << 20;
  void write_slow(std::string_view s);
  void flush_buffer();
  std::unique_ptr<char[]> buffer_;
  std::size_t used_ = 0;
  std::uint64_t total_ = 0;
};

/// Writes to a file descriptor (stdout, or a temporary file).
class FdOutput : public Output {
 public:
  FdOutput(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  ~FdOutput() override;

 protected:
  void sink(std::string_view bytes) override;

 private:
  int fd_;
  std::string name_;
};

/// Collects output in memory (library use, tests).
class StringOutput : public Output {
 public:
  ~StringOutput() override;
  std::string& str() {
    flush();
    return data_;
  }

 protected:
  void sink(std::string_view bytes) override { data_.append(bytes); }

 private:
  std::string data_;
};

/// A file written under a temporary name in the target's directory and
/// renamed to the target by commit(). Destroying it uncommitted, or a
/// SIGINT/SIGTERM/SIGHUP, removes the temporary file.
class AtomicFile {
 public:
  explicit AtomicFile(std::string target);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  Output& out() { return *out_; }
  [[nodiscard]] const std::string& temp_path() const { return temp_; }
  void commit();

 private:
  std::string target_;
  std::string temp_;
  int fd_ = -1;
  std::unique_ptr<FdOutput> out_;
  bool committed_ = false;
};

/// True if both paths name the same existing file (to refuse overwriting the input).
bool same_file(const std::string& a, const std::string& b);

}  // namespace depickle::io
