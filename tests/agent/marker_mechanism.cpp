#include "tests/agent/marker_mechanism.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace faultline::testing {

faults::Availability MarkerMechanism::probe(const faults::HostContext&) const {
  return {true, "test-marker", ""};
}

Result<faults::HealRecord> MarkerMechanism::plan(const faults::FaultSpec& spec, const faults::HostContext&) {
  const auto& params = spec.to_json();
  auto marker = params.find("marker");
  if (marker == params.end() || !marker->is_string() || marker->get<std::string>().empty() ||
      marker->get<std::string>()[0] != '/')
    return invalid_input("test-marker: field \"marker\" must be an absolute path");
  return faults::HealRecord{{"marker", *marker}, {"fail_apply", params.value("fail_apply", false)}};
}

Result<void> MarkerMechanism::apply(const faults::HealRecord& record, const faults::HostContext&) {
  const auto path = record["marker"].get<std::string>();
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
