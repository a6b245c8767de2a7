// LineFramer: splits a byte stream into newline-terminated lines, with a cap.
//
// Contract: feed() hands every complete line (without "\n", a trailing "\r"
// removed) to on_line, in order. A line longer than max_bytes is never
// buffered whole: on_oversized is called once, with the number of bytes seen
// so far, and the rest of that line is discarded up to its newline; the
// stream then continues with the next line. Memory stays bounded by
// max_bytes whatever the input.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace faultline::agent::protocol {

class LineFramer {
 public:
  using LineHandler = std::function<void(std::string_view line)>;
  using OversizedHandler = std::function<void(std::size_t bytes_seen)>;

  LineFramer(std::size_t max_bytes, LineHandler on_line, OversizedHandler on_oversized)
      : max_bytes_(max_bytes), on_line_(std::move(on_line)), on_oversized_(std::move(on_oversized)) {}

  void feed(std::string_view data);
  std::size_t buffered() const { return buffer_.size(); }

 private:
  std::size_t max_bytes_;
  LineHandler on_line_;
  OversizedHandler on_oversized_;
  std::string buffer_;
  bool discarding_ = false;
};

}  // namespace faultline::agent::protocol
