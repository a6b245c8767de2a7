// Interns JSON values as small integers so model states compare and hash in
// O(1). Contract: intern(v) returns the same id for equal values (compared by
// their compact JSON text, so 1 and 1.0 differ); value(id) returns it back.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace faultline::checkers::linearizable {

class ValueTable {
 public:
  std::int32_t intern(const nlohmann::json& value) {
    // Integers (the usual register values) are keyed by their value, which
    // is the same as by their text, without writing the text.
    if (value.is_number_integer() && (value.is_number_unsigned() ? value.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) : true)) {
      auto [it, fresh] = ints_.emplace(value.get<std::int64_t>(), static_cast<std::int32_t>(values_.size()));
      if (fresh) values_.push_back(value);
      return it->second;
    }
    auto [it, fresh] = ids_.emplace(value.dump(), static_cast<std::int32_t>(values_.size()));
    if (fresh) values_.push_back(value);
    return it->second;
  }
  const nlohmann::json& value(std::int32_t id) const { return values_[static_cast<std::size_t>(id)]; }

 private:
  std::unordered_map<std::int64_t, std::int32_t> ints_;
  std::unordered_map<std::string, std::int32_t> ids_;
  std::vector<nlohmann::json> values_;
};

}  // namespace faultline::checkers::linearizable
