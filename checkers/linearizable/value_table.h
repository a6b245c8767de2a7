// Interns JSON values as small integers so model states compare and hash in
// O(1). Contract: intern(v) returns the same id for equal values (compared by
// their compact JSON text, so 1 and 1.0 differ); value(id) returns it back.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace faultline::checkers::linearizable {

class ValueTable {
 public:
  std::int32_t intern(const nlohmann::json& value) {
    auto [it, fresh] = ids_.emplace(value.dump(), static_cast<std::int32_t>(values_.size()));
    if (fresh) values_.push_back(value);
    return it->second;
  }
  const nlohmann::json& value(std::int32_t id) const { return values_[static_cast<std::size_t>(id)]; }

 private:
  std::unordered_map<std::string, std::int32_t> ids_;
  std::vector<nlohmann::json> values_;
};

}  // namespace faultline::checkers::linearizable
