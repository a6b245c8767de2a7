#include "agent/protocol/line_framer.h"

namespace faultline::agent::protocol {

void LineFramer::feed(std::string_view data) {
  while (!data.empty()) {
    auto newline = data.find('\n');
    std::string_view chunk = newline == std::string_view::npos ? data : data.substr(0, newline);
    if (discarding_) {
      if (newline != std::string_view::npos) discarding_ = false;
    } else if (buffer_.size() + chunk.size() > max_bytes_) {
      std::size_t seen = buffer_.size() + chunk.size();
      buffer_.clear();
      buffer_.shrink_to_fit();
      discarding_ = newline == std::string_view::npos;
      on_oversized_(seen);
    } else if (newline == std::string_view::npos) {
      buffer_.append(chunk);
    } else {
      std::string line;
      line.swap(buffer_);
      line.append(chunk);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      on_line_(line);
    }
    if (newline == std::string_view::npos) break;
    data.remove_prefix(newline + 1);
  }
}

}  // namespace faultline::agent::protocol
