// Sequential models for the linearizability search, and how to add one.
//
// Contract: a model is a small struct M (one file, see register.cpp) with
//   using State = ...;   // copyable, ==, cheap to hash
//   using Op = ...;      // one operation, compiled from its f/input/output
//   Result<State> initial(const std::optional<nlohmann::json>& initial);
//   Result<Op> compile(const Operation& op);   // kInvalidInput naming f/value
//   bool step(const State& s, const Op& op, State& next) const;  // legal?
//   bool read_only(const Op& op) const;  // legal => next == s, in EVERY state
//   void omit_pending(const std::vector<Op>& ops, const std::vector<Operation>& meta,
//                     std::vector<bool>& omit) const;   // see below
//   std::uint64_t hash(const State& s) const;
//   std::size_t bytes(const State& s) const;  // heap bytes, for the memory bound
//   nlohmann::json describe(const State& s) const;
// `step` must be a pure function of (s, op). An `info` operation is compiled
// with a null output and must be accepted wherever it could have happened.
//
// omit_pending is the model's "can this pending op be left out?" hook: `omit`
// comes sized to ops and all false; the model may set omit[i] only for an
// indeterminate op (meta[i].info) that no linearization needs, i.e. when
// every valid linearization of the partition that contains op i stays valid
// with op i removed. Then the verdict is the same with or without it (an info
// op may "never happen", so a linearization without it is always allowed).
// Each model's file states and argues its rule; setting nothing is always
// sound. The rules may look at real time: an ok op q can only be linearized
// after an info op o when meta[q].ret > meta[o].call (q did not return before
// o was invoked); an info op can come after any other op.
// Optional (register_model.h has them; wgl.h "dead states" explains them):
//   static constexpr bool kDeadStates = true;   // the state is one value id
//   std::int32_t observed_value(const Op&) const;  // the value it needs, or -1
//   std::int32_t written_value(const Op&) const;   // the value it sets, or -1
//   std::int32_t state_value(const State&) const;
//   State dead_state() const;                    // a state no op observes
//   bool blind(const Op&) const;                 // next state ignores the state
// valid only for models where an op's legality depends on the state only
// through "state == observed_value".
// Optional: std::size_t heap_bytes() const;  // tables the model holds (kv's
// interned strings), counted against the memory bound with the cache.
// ModelAdapter<M> erases the type; models.cpp lists every model by name
// (adding a model: its file plus one line there).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checkers/linearizable/operation.h"
#include "common/result.h"

namespace faultline::checkers::linearizable {

// Limits shared by every partition of one check.
struct SearchLimits {
  std::int64_t deadline = 0;             // CLOCK_MONOTONIC ns; 0 = none
  std::uint64_t max_cache_bytes = 0;     // 0 = unbounded
  std::atomic<std::uint64_t>* cache_bytes = nullptr;  // shared across partitions
  const std::atomic<bool>* stop = nullptr;            // set when another partition failed
  bool omit_pending = true;              // apply the models' omit_pending rules
};

enum class Outcome { kLinearizable, kNotLinearizable, kTimeout, kMemoryBound, kCancelled };

// The result of searching one partition. Op ids index the partition's ops.
struct SearchResult {
  Outcome outcome = Outcome::kLinearizable;
  std::uint64_t configurations = 0;        // distinct (linearized set, state) pairs visited
  std::uint64_t cache_bytes = 0;           // peak estimated bytes of the cache
  std::uint64_t info_omitted = 0;          // info ops left out by the model's omit_pending
  std::uint64_t info_searched = 0;         // info ops left to the search
  // On kNotLinearizable:
  std::size_t failed_op = 0;               // the op that cannot be linearized
  std::vector<std::size_t> prefix;         // the longest linearization found, in order
  std::vector<nlohmann::json> prefix_states;  // model state after each prefix op
  std::vector<nlohmann::json> reachable_states;  // states just before failed_op (capped)
  bool reachable_truncated = false;
};

// A model with its type erased: compiles a partition and searches it.
class Model {
 public:
  virtual ~Model() = default;
  virtual std::string name() const = 0;
  // Checks `initial` without searching (bad --initial is an error up front).
  virtual Result<nlohmann::json> check_initial(const std::optional<nlohmann::json>& initial) const = 0;
  virtual Result<SearchResult> check(const std::vector<Operation>& ops, const std::optional<nlohmann::json>& initial,
                                     const SearchLimits& limits) const = 0;
};

}  // namespace faultline::checkers::linearizable
