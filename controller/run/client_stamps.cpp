#include "controller/run/client_stamps.h"

namespace faultline::controller {

std::vector<TimedLine> OpLineSplitter::add(std::string_view chunk, Nanos written_after, Nanos read_at) {
  std::vector<TimedLine> lines;
  std::size_t start = 0;
  while (start < chunk.size()) {
    auto newline = chunk.find('\n', start);
    if (newline == std::string_view::npos) {
      if (partial_.empty()) partial_after_ = written_after;
      partial_.append(chunk.substr(start));
      break;
    }
    TimedLine line;
    line.read_at = read_at;
    if (!partial_.empty()) {
      line.text = std::move(partial_);
      partial_.clear();
      line.written_after = partial_after_;
    } else {
      line.written_after = written_after;
    }
    line.text.append(chunk.substr(start, newline - start));
    start = newline + 1;
    if (!line.text.empty() && line.text.back() == '\r') line.text.pop_back();
    if (!line.text.empty()) lines.push_back(std::move(line));
  }
  return lines;
}

Stamp stamp_op(nlohmann::json& op, const TimedLine& line) {
  const std::string type = op.value("type", std::string());
  const bool invoke = type == "invoke";
  Stamp stamp;
  stamp.time = invoke ? line.written_after : line.read_at;
  auto it = op.find("mono_ns");
  if (it == op.end()) return stamp;
  if (it->is_number_integer()) {
    const Nanos client = it->get<Nanos>();
    if (client > 0 && client <= line.read_at) {
      stamp.time = client;
      stamp.from_client = true;
    } else {
      stamp.rejected_client = true;
    }
  } else {
    stamp.rejected_client = true;
  }
  op.erase(it);
  return stamp;
}

}  // namespace faultline::controller
