// Random histories that are linearizable by construction, for property tests
// and benchmarks.
//
// Contract: generate_history runs `clients` concurrent clients against ONE
// sequential instance of the model (a discrete-event simulation): each op gets
// an invoke time, a completion time, and a linearization point strictly
// between them, and the model is applied at the linearization points in time
// order, so its outputs (and ok/fail) come from a real sequential execution.
// With probability `info_rate` an op completes as `info`; such an op takes
// effect with probability 1/2, and its client continues under a new process
// id (as Jepsen's do), so at most `clients` ops are ever in flight. Register
// values are drawn from [0, values); a cas expects the value its client last
// read or wrote half the time (a read-modify-write client; otherwise, and for
// a fresh process, a random value) and sets a random one. The history is deterministic in `seed`. Events carry
// time (ns), process, f, value and (kv) key; `raw` is left null to keep 1M-op
// histories small. corrupt_one_result changes the result of one completed op
// so that no linearization exists and that op is the first one (in completion
// order) that cannot be linearized; it returns that op's index in `ops`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checkers/history/event.h"
#include "common/result.h"

namespace faultline::checkers::linearizable {

struct GeneratorOptions {
  std::string model = "cas-register";  // register, cas-register, kv, set, mutex
  std::size_t ops = 1000;
  std::size_t clients = 5;
  double info_rate = 0.0;
  std::size_t keys = 1;       // kv: ops spread over this many keys
  int values = 5;             // register/cas-register: values drawn from [0, values)
  std::int64_t max_latency = 1000;  // ns; op durations are drawn from [2, max_latency]
  std::uint64_t seed = 1;
};

struct GeneratedOp {
  std::size_t invoke = 0;    // event index
  std::size_t complete = 0;  // event index of the completion
  std::int64_t lin_time = 0;
  bool info = false;
  bool applied = true;       // took effect (ok ops always; info ops half the time)
};

struct GeneratedHistory {
  history::History history;
  std::vector<GeneratedOp> ops;
};

Result<GeneratedHistory> generate_history(const GeneratorOptions& options);

// Index into `generated.ops` of the op whose result was corrupted, or nullopt
// when the history has no op whose result can be corrupted that way.
std::optional<std::size_t> corrupt_one_result(GeneratedHistory& generated, const std::string& model, std::uint64_t seed);

}  // namespace faultline::checkers::linearizable
