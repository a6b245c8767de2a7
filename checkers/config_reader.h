// ConfigReader: typed access to one checker's section of --config.
//
// Contract: each getter returns the field's value, or `fallback` when the
// field is absent. A present field of the wrong type or range records an
// kInvalidInput error "SECTION.FIELD: reason" (the first one wins) and
// returns the fallback. Durations are strings ("250ms", "1.5s") or integer
// nanoseconds. finish() returns the first error, or an error naming the
// first field that no getter asked for (a typo; with the closest known
// field: "did you mean ..."), or success.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "common/units.h"

namespace faultline::checkers {

class ConfigReader {
 public:
  ConfigReader(const nlohmann::json& section, std::string name);

  bool has(const std::string& field) const;
  Nanos duration(const std::string& field, Nanos fallback, Nanos min = 0);
  std::optional<Nanos> optional_duration(const std::string& field, Nanos min = 0);
  std::int64_t integer(const std::string& field, std::int64_t fallback, std::int64_t min, std::int64_t max);
  double number(const std::string& field, double fallback, double min, double max);
  bool boolean(const std::string& field, bool fallback);
  std::string string(const std::string& field, const std::string& fallback);
  std::vector<std::string> strings(const std::string& field, const std::vector<std::string>& fallback);
  // Marks a field as known without reading it.
  void ignore(const std::string& field) { seen_.insert(field); }

  Result<void> finish() const;

 private:
  const nlohmann::json* get(const std::string& field);
  void fail(const std::string& field, const std::string& why);

  nlohmann::json section_;
  std::string name_;
  std::set<std::string> seen_;
  std::optional<Error> error_;
};

}  // namespace faultline::checkers
