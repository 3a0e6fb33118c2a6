#include "core/cursor.h"

namespace depickle {

std::string_view Cursor::read_line() {
  std::size_t limit = data_.size();
  if (frame_end_ != 0) {
    if (pos_ < frame_end_) {
      limit = frame_end_;
    } else {
      frame_end_ = 0;
    }
  }
  std::string_view rest = data_.substr(pos_, limit - pos_);
  std::size_t nl = rest.find('\n');
  if (nl == std::string_view::npos) {
    if (limit != data_.size()) {
      throw Error(ErrorCode::kMalformed, "", "text argument crosses the end of its FRAME");
    }
    throw Error(ErrorCode::kTruncated, "", "input ends inside a text argument");
  }
  pos_ += nl + 1;
  return rest.substr(0, nl);
}

void Cursor::begin_frame(std::uint64_t len) {
  if (frame_end_ > pos_) {
    throw Error(ErrorCode::kMalformed, "",
                str_cat("a new frame begins ", frame_end_ - pos_,
                        " bytes before the end of the current frame"));
  }
  if (len > remaining()) {
    throw Error(ErrorCode::kTruncated, "",
                str_cat("frame of ", len, " bytes, but only ", remaining(), " bytes follow"));
  }
  frame_end_ = len == 0 ? 0 : pos_ + static_cast<std::size_t>(len);
}

void Cursor::require_frame_done(std::string_view what) {
  if (frame_end_ > pos_) {
    throw Error(ErrorCode::kMalformed, std::string(what),
                str_cat("expected at the end of a FRAME, but ", frame_end_ - pos_,
                        " bytes of the frame remain"),
                pos_);
  }
  frame_end_ = 0;
}

void Cursor::straddle(std::uint64_t n) const {
  throw Error(ErrorCode::kMalformed, "",
              str_cat("argument of ", n, " bytes crosses the end of its FRAME (", frame_end_ - pos_,
                      " bytes left in the frame)"));
}

void Cursor::truncated(std::uint64_t n) const {
  throw Error(ErrorCode::kTruncated, "",
              str_cat("needs ", n, " bytes, only ", data_.size() - pos_, " left in the input"));
}

}  // namespace depickle
