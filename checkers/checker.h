// Checker: judges one aspect of a History and says valid, invalid or unknown.
//
// Contract:
//  - name() is the CLI name: "detector", "breaker", "retry", "linearizable",
//    "availability".
//  - applies() says whether the history has events this checker judges (with
//    no --checker, `faultline check` runs every checker that applies).
//  - check() never reads a clock except through `deadline` (a CLOCK_MONOTONIC
//    instant, 0 = none); past it the verdict is kUnknown with the reason, never
//    a guess. Bad configuration is an kInvalidInput Error naming the field.
//  - CheckResult.findings is a JSON object: {"valid": true|false|"unknown",
//    ...checker-specific findings}; `text` is the human-readable summary the
//    CLI prints. Findings that point at events carry their "time" and "line".
// The set of checkers is listed in checker_registry.cpp (make_checker).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checkers/history/event.h"
#include "common/result.h"
#include "common/units.h"

namespace faultline::checkers {

enum class Validity { kValid, kInvalid, kUnknown };
const char* to_string(Validity validity);
nlohmann::json to_json(Validity validity);  // true, false or "unknown"

struct CheckOptions {
  nlohmann::json config = nlohmann::json::object();  // this checker's section of --config
  std::string model;                                 // --model (linearizable)
  std::optional<nlohmann::json> initial;             // --initial (linearizable)
  Nanos deadline = 0;                                // CLOCK_MONOTONIC; 0 = none
};

struct CheckResult {
  Validity valid = Validity::kValid;
  nlohmann::json findings = nlohmann::json::object();
  std::string text;
  // Set by run_checkers: how long check() took, and how many events of the
  // kinds this checker judges the history holds.
  Nanos wall = 0;
  std::uint64_t events = 0;
};

class Checker {
 public:
  virtual ~Checker() = default;
  virtual std::string name() const = 0;
  virtual bool applies(const history::History& history) const = 0;
  virtual Result<CheckResult> check(const history::History& history, const CheckOptions& options) = 0;
};

// Every checker name, and a fresh checker by name (nullptr if unknown).
std::vector<std::string> checker_names();
std::unique_ptr<Checker> make_checker(const std::string& name);

// Runs the named checkers (all that apply when `names` is empty) over one
// history. `config` is the whole --config document (sections by checker name).
// The overall verdict is invalid if any checker is invalid, else unknown if
// any is unknown, else valid.
struct CheckReport {
  Validity valid = Validity::kValid;
  std::vector<std::pair<std::string, CheckResult>> results;  // in run order
  nlohmann::json to_json() const;  // docs/checkers.md `--json` shape
};
struct RunOptions {
  std::vector<std::string> names;
  nlohmann::json config = nlohmann::json::object();
  std::string model;
  std::optional<nlohmann::json> initial;
  Nanos timeout = 0;  // 0 = none
};
Result<CheckReport> run_checkers(const history::History& history, const RunOptions& options);

}  // namespace faultline::checkers
