#pragma once
// SHA-256 (OpenSSL) of input and output files, as lowercase hex.

#include <string>
#include <string_view>

namespace depickle {

std::string sha256_hex(std::string_view data);

/// Incremental hashing for streamed output.
class Sha256 {
 public:
  Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  ~Sha256();
  void update(std::string_view data);
  std::string hex_digest();

 private:
  void* ctx_;
};

}  // namespace depickle
