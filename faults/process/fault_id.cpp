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
  return random_id();
}

std::string random_id() {
  // Seeded once per thread: a std::random_device per id cost ~22 us here
  // (RDRAND in a VM), a tenth of an agent's whole delay apply.
  static thread_local std::mt19937_64 rng{(static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
                                          std::random_device{}()};
  return fmt::format("{:016x}", rng());
}

}  // namespace faultline::faults
