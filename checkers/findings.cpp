#include "checkers/findings.h"

#include <fmt/format.h>

#include "checkers/history/jsonl_writer.h"
#include "common/units.h"

namespace faultline::checkers {

nlohmann::json event_json(const history::Event& event) {
  nlohmann::json j{{"time", event.time}};
  if (event.line > 0) j["line"] = event.line;
  j["event"] = nlohmann::json(history::to_json(event));
  return j;
}

std::string describe_time(history::Nanos ns) {
  if (ns < 0) return "-" + format_duration(-ns);
  return format_duration(ns);
}

std::string describe_line(const history::Event& event) {
  return event.line > 0 ? fmt::format("line {}", event.line) : std::string("(no line)");
}

}  // namespace faultline::checkers
