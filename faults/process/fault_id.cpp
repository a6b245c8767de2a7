#include "faults/process/fault_id.h"

#include <random>

#include <fmt/format.h>

namespace faultline::faults {

Result<std::string> fault_id_for(const FaultSpec& spec) {
  auto it = spec.params.find("id");
  if (it != spec.params.end()) {
    if (!it->is_string()) return invalid_input("fault field \"id\" must be a string");
    auto id = it->get<std::string>();
    bool ok = !id.empty() && id.size() <= 32;
    for (char c : id)
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                  c == '.');
    if (!ok || id == "." || id == "..")
      return invalid_input(fmt::format("fault field \"id\" '{}' must be 1..32 characters of [A-Za-z0-9_.-]", id));
    return id;
  }
  std::random_device device;
  std::uint64_t value = (static_cast<std::uint64_t>(device()) << 32) ^ device();
  return fmt::format("{:016x}", value);
}

}  // namespace faultline::faults
