// RunSummary: what one run did and decided, written as results.json and junit.xml.
//
// Contract: the summary is built by the runner from the schedule as executed,
// the heal verification and the CheckReport. verdict() folds everything: any
// invalid checker -> invalid; else any run error (a fault that failed to apply
// or heal, an interrupted run, a checker unknown) -> unknown; else valid.
// exit_code() maps it to docs/design.md's exit codes (0/1/2). write_results() writes
// results.json (one object, documented in README "faultline run");
// write_junit() writes a JUnit XML file (Ant/Jenkins schema, see
// tests/controller/data/junit.xsd) with one <testcase> per checker, one per
// property a checker reports (a findings member that is an object with
// "valid"), and one for the run itself (faults applied and healed); the
// suite's <properties> carry each checker's check time and event count and
// every member of a findings "properties" object as CHECKER.KEY (for example
// availability.recovery.f1 = "2.300", the seconds fault f1 took to recover).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checkers/checker.h"
#include "common/result.h"
#include "common/units.h"

namespace faultline::controller {

struct ExecutedFault {
  std::string id;
  std::string kind;
  Nanos start = 0;  // controller timeline (history time)
  Nanos end = -1;   // -1: never ended (interrupted)
  std::vector<std::string> targets;
  std::vector<std::string> errors;  // per-node apply/heal failures
  nlohmann::json spec;              // the fault as scheduled (kind and parameters; placeholders unexpanded)
  nlohmann::json grudge;            // partitions: node -> nodes it drops; null otherwise
};

struct RunSummary {
  std::string suite;
  std::string suite_file;
  std::string suite_path;      // suite_file made absolute (what replay and shrink reload)
  std::vector<std::string> sets;  // the run's --set overrides, in order
  std::string started_at;      // ISO 8601 UTC
  Nanos duration = 0;          // history end time
  std::vector<std::string> nodes;
  std::uint64_t seed = 0;
  std::string provider;
  Nanos schedule_zero = -1;    // history time of schedule time 0 (every SUT up); -1: never reached
  nlohmann::json replay_of;    // a replay: {"run": DIR, "faults": N}; null otherwise
  bool interrupted = false;
  bool healed_verified = false;
  std::vector<std::string> errors;      // run-level problems (the verdict is at best unknown)
  std::vector<std::string> warnings;    // problems that do not touch the verdict (a failed teardown)
  std::vector<ExecutedFault> faults;
  std::optional<checkers::CheckReport> check;  // absent when checkers did not run
  std::string check_error;                     // why they did not

  checkers::Validity verdict() const;
  int exit_code() const;
  nlohmann::json to_json() const;
};

Result<void> write_results(const std::filesystem::path& file, const RunSummary& summary);
Result<void> write_junit(const std::filesystem::path& file, const RunSummary& summary);
std::string xml_escape(const std::string& text);

}  // namespace faultline::controller
