// Suite: one chaos test as the user wrote it in a YAML file.
//
// Contract: load_suite() reads a suite file, applies `--set key=value`
// overrides (dotted paths, YAML-typed values; see yaml_set.h), and checks
// every field before anything starts. A bad suite is an kInvalidInput Error
// whose message starts with "FILE:LINE: PATH: reason" (or "--set KEY: reason"
// for an overridden field), e.g. "combined.yaml:12: nemesis.schedule[1].duration:
// invalid duration 'x'". Unknown keys are errors (typos must not pass
// silently). The suite holds templates only: node names are resolved here,
// but concrete targets and times are produced by the schedule (schedule.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "common/units.h"

namespace faultline::controller {

struct ClusterConfig {
  std::string provider = "local";           // "local"; later "ssh", "docker"
  std::vector<std::string> nodes;           // n1..nN when given as a count
  std::string subnet = "198.18.0.0/24";
  bool subnet_given = false;                // the suite (or --set) named it: use exactly that one
  nlohmann::json options = nlohmann::json::object();  // provider-specific section
};

struct ReadyCheck {
  enum class Kind { kNone, kTcp, kCommand, kDelay };
  Kind kind = Kind::kNone;
  std::uint16_t port = 0;          // kTcp: node address, this port
  std::string command;             // kCommand: run (sh -c) INSIDE the node, through its agent,
                                   // until it exits 0; placeholders apply
  Nanos delay = 0;                 // kDelay
  Nanos timeout = 30'000'000'000;  // give up (the run fails) after this long
};

// A cluster-wide list built from a per-node template: {lists.NAME} is the
// template expanded for every node, joined with `separator` (etcd's
// --initial-cluster is {node}=http://{address}:{ports.peer}, joined by ",").
struct NodeList {
  std::string item;
  std::string separator = ",";
};

struct SutConfig {
  // argv template; a string `command` becomes {"/bin/sh", "-c", string}.
  // Placeholders: controller/suite/placeholders.h (docs/suites.md).
  // The agent tells the command whether it is a first start or a restart
  // after a kill: FAULTLINE_RESTART=0|1 and FAULTLINE_START=1,2,... in its
  // environment.
  std::vector<std::string> command;
  std::map<std::string, std::string> env;  // values take placeholders too
  std::uint16_t port = 0;                  // {port}
  std::map<std::string, std::uint16_t> ports;  // {ports.NAME}, {addresses.NAME}, {peer_addresses.NAME}
  std::map<std::string, NodeList> lists;       // {lists.NAME}
  ReadyCheck ready;
  std::string teardown;                    // sh -c inside each node after the run (also a failed
                                           // one), through its agent; empty: none
  Nanos teardown_timeout = 60'000'000'000;
  bool per_process_clock = false;
  // `data_fs: faultable`: the agent mounts the faultable data fs over {data}
  // before the SUT starts (disk-slow, disk-error, lose-unsynced act on it);
  // `none` (the default): {data} is a plain directory.
  bool data_fs = false;
};

// The client workload hook: `command` (sh -c, client placeholders) runs on
// the controller host once per client and prints one JSON op per line
// ({"type":"invoke"|"ok"|"fail"|"info","f":..,"value":..,"node":..},
// optionally "mono_ns": its CLOCK_MONOTONIC stamp); the controller records
// each line on its timeline (controller/run/client_stamps.h). Client c is
// bound to node `nodes[c % nodes.size()]` ({client_node},
// {client_address}); `nodes` defaults to every node (round robin).
struct ClientConfig {
  std::string command;
  int concurrency = 1;
  std::vector<std::string> nodes;
};

// Which nodes a fault hits.
struct TargetSelector {
  enum class Kind { kOne, kMinority, kMajority, kAll, kList };
  Kind kind = Kind::kAll;
  std::vector<std::string> nodes;  // kList
};
std::string to_string(const TargetSelector& selector);

// One fault as written: the spec (kind and parameters; for partitions "mode"
// and perhaps "grudge"), whom it hits and for how long.
struct FaultTemplate {
  nlohmann::json spec;
  TargetSelector targets;
  Nanos duration = 0;
  std::string where;  // "file:line" for messages
};

// A Jepsen-style package: a family of faults, one variant chosen at random.
struct FaultPackage {
  std::string name;                      // "partition", "kill", ... or "custom"
  std::vector<FaultTemplate> variants;
};

struct ScheduleEntry {
  enum class Kind { kAt, kEvery, kRandom };
  Kind kind = Kind::kAt;
  Nanos at = 0;          // kAt
  Nanos every = 0;       // kEvery: period
  Nanos from = 0;        // kEvery / kRandom: first possible start
  std::optional<Nanos> until;  // kEvery / kRandom: no start at or after (default: suite duration)
  FaultTemplate fault;   // kAt / kEvery
  // kRandom: gaps between one fault's end and the next start are uniform in
  // [gap_min, gap_max]; durations uniform in [duration_min, duration_max];
  // packages chosen uniformly (a composition), then a variant uniformly.
  Nanos gap_min = 0, gap_max = 0;
  Nanos duration_min = 0, duration_max = 0;
  std::vector<FaultPackage> packages;
  std::optional<std::uint64_t> seed;  // default: nemesis seed + entry index
  std::string where;
};

struct NemesisConfig {
  std::uint64_t seed = 1;
  std::vector<ScheduleEntry> schedule;
};

struct CheckersConfig {
  std::vector<std::string> names;  // empty: every checker that applies
  nlohmann::json config = nlohmann::json::object();
  std::string model;
  std::optional<nlohmann::json> initial;
  Nanos timeout = 60'000'000'000;
};

struct Suite {
  std::string name;
  std::filesystem::path file;
  Nanos duration = 0;                      // total, counted from the moment the SUT is up
  Nanos lease = 30'000'000'000;            // fault lease on the agents
  ClusterConfig cluster;
  SutConfig sut;
  std::optional<ClientConfig> client;
  NemesisConfig nemesis;
  CheckersConfig checkers;
  nlohmann::json metadata = nlohmann::json::object();  // free-form (description, owner...)
};

Result<Suite> load_suite(const std::filesystem::path& file, const std::vector<std::string>& sets = {});
Result<Suite> parse_suite(const std::string& text, const std::string& file_name,
                          const std::vector<std::string>& sets = {});

// The package names understood in `packages:` and their default variants.
const std::vector<std::string>& package_names();

}  // namespace faultline::controller
