#include "tests/agent/marker_mechanism.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

namespace faultline::testing {

faults::Availability MarkerMechanism::probe(const faults::HostContext&) const {
  return {true, "test-marker", ""};
}

Result<faults::HealRecord> MarkerMechanism::plan(const faults::FaultSpec& spec, const faults::HostContext&) {
  const auto& params = spec.to_json();
  auto marker = params.find("x-marker");
  if (marker == params.end() || !marker->is_string() || marker->get<std::string>().empty() ||
      marker->get<std::string>()[0] != '/')
    return invalid_input("test-marker: field \"x-marker\" must be an absolute path");
  faults::HealRecord record{{"marker", *marker}, {"fail_apply", params.value("x-fail_apply", false)}};
  if (auto hold = params.find("x-hold_until"); hold != params.end()) {
    if (!hold->is_string() || hold->get<std::string>().empty() || hold->get<std::string>()[0] != '/')
      return invalid_input("test-marker: field \"x-hold_until\" must be an absolute path");
    record["hold_until"] = *hold;
  }
  return record;
}

Result<void> MarkerMechanism::apply(const faults::HealRecord& record, const faults::HostContext&) {
  const auto path = record["marker"].get<std::string>();
  if (record.contains("hold_until")) {
    std::ofstream(path, std::ios::trunc) << "holding\n";
    const std::filesystem::path release = record["hold_until"].get<std::string>();
    for (int i = 0; i < 12000 && !std::filesystem::exists(release); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::ofstream out(path, std::ios::trunc);
  out << "applied\n";
  out.close();
  if (!out) return io_error("test-marker: cannot write " + path);
  if (record.value("fail_apply", false)) return io_error("test-marker: failing apply as asked");
  return ok_result();
}

Result<void> MarkerMechanism::heal(const faults::HealRecord& record, const faults::HostContext&) {
  const auto path = record["marker"].get<std::string>();
  std::error_code ec;
  std::filesystem::remove(path, ec);
  if (ec) return io_error("test-marker: cannot remove " + path + ": " + ec.message());
  return ok_result();
}

std::string MarkerMechanism::describe(const faults::HealRecord& record) const {
  return "marker file " + record.value("marker", std::string("?"));
}

}  // namespace faultline::testing
