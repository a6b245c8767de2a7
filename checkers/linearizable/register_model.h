// The register models: one value, read and write, and (cas-register) cas.
//
// Contract (as Knossos's register/cas-register): `read` with an ok value v is
// legal only in state v, except a read whose value is nil/null, which is an
// unknown read and matches any state; `write v` sets v; `cas [e n]` is legal
// only in state e and sets n (only when WithCas). The initial value is any
// JSON value (default null). Values compare by their JSON text.
//
// omit_pending (model.h) leaves out an indeterminate op o when
//  (a) o is a read, or a cas [v v]: it can never change the state, so taking
//      it out of a linearization only removes a constraint;
//  (b) o is a write v or a cas [e v] and no op that may be linearized after
//      o observes v: no ok read returning v and no ok cas expecting v that
//      returned after o's invoke, and no info cas expecting v. Proof: in a
//      linearization containing o, the register holds v right after o, so
//      the ops that follow until it changes must be legal in state v; reads
//      of v and cas expecting v are excluded, so they are unknown (nil) reads
//      followed by a write or the end. Without o those unknown reads are still
//      legal (they match any state) and a write is legal in any state and
//      leaves the same state, so the rest is unchanged. Removing such ops one
//      at a time keeps the argument valid (the observers were counted over
//      the whole partition), so every op this rule marks can go at once.
#pragma once

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "checkers/linearizable/model.h"
#include "checkers/linearizable/state_cache.h"
#include "checkers/linearizable/value_table.h"

namespace faultline::checkers::linearizable {

template <bool WithCas>
struct RegisterModel {
  using State = std::int32_t;  // a ValueTable id
  struct Op {
    enum Kind : std::uint8_t { kRead, kWrite, kCas } kind;
    bool unknown = false;  // read of nil
    std::int32_t a = 0;
    std::int32_t b = 0;
  };

  Result<State> initial(const std::optional<nlohmann::json>& initial) {
    return values.intern(initial.value_or(nlohmann::json()));
  }

  Result<Op> compile(const Operation& op) {
    // A completed write/cas reports its value on both invoke and completion;
    // prefer the invoke's (an info completion has none).
    const nlohmann::json& in = op.input().is_null() ? op.output() : op.input();
    if (op.f == "read") {
      if (op.info || op.output().is_null()) return Op{Op::kRead, true};
      return Op{Op::kRead, false, values.intern(op.output())};
    }
    if (op.f == "write") return Op{Op::kWrite, false, values.intern(in)};
    if (WithCas && op.f == "cas") {
      if (!in.is_array() || in.size() != 2)
        return invalid_input(fmt::format("cas value must be [expected new], got {}", in.dump()));
      return Op{Op::kCas, false, values.intern(in[0]), values.intern(in[1])};
    }
    return invalid_input(fmt::format("the {} model has no operation \"{}\" (it has read, write{})",
                                     WithCas ? "cas-register" : "register", op.f, WithCas ? ", cas" : ""));
  }

  bool step(const State& s, const Op& op, State& next) const {
    switch (op.kind) {
      case Op::kRead:
        next = s;
        return op.unknown || s == op.a;
      case Op::kWrite:
        next = op.a;
        return true;
      case Op::kCas:
        next = op.b;
        return s == op.a;
    }
    return false;
  }
  // Dead states (wgl.h): the only ops whose legality depends on the state are
  // known reads and cas, each legal in exactly one value; every other op
  // leaves the same state or is legal everywhere. So two values that no op
  // still to linearize reads or expects behave the same from here on.
  static constexpr bool kDeadStates = true;
  std::int32_t observed_value(const Op& op) const {
    if (op.kind == Op::kRead) return op.unknown ? -1 : op.a;
    return op.kind == Op::kCas ? op.a : -1;
  }
  std::int32_t written_value(const Op& op) const {
    return op.kind == Op::kWrite ? op.a : op.kind == Op::kCas ? op.b : -1;
  }
  std::int32_t state_value(const State& s) const { return s; }
  State dead_state() const { return -1; }  // no op observes -1
  bool blind(const Op& op) const { return op.kind == Op::kWrite; }

  bool read_only(const Op& op) const { return op.kind == Op::kRead || (op.kind == Op::kCas && op.a == op.b); }
  void omit_pending(const std::vector<Op>& ops, const std::vector<Operation>& meta, std::vector<bool>& omit) const {
    // Per value: the latest return of an ok op observing it, and whether an info op observes it.
    std::vector<std::size_t> last_ok_observer;
    std::vector<bool> info_observer;
    auto observe = [&](std::int32_t v, const Operation& m) {
      auto i = static_cast<std::size_t>(v);
      if (i >= last_ok_observer.size()) last_ok_observer.resize(i + 1, 0), info_observer.resize(i + 1, false);
      if (m.info) info_observer[i] = true;
      else last_ok_observer[i] = std::max(last_ok_observer[i], m.ret);
    };
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const Op& op = ops[i];
      if (op.kind == Op::kRead && !op.unknown) observe(op.a, meta[i]);
      if (op.kind == Op::kCas) observe(op.a, meta[i]);
    }
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (!meta[i].info) continue;
      const Op& op = ops[i];
      if (op.kind == Op::kRead || (op.kind == Op::kCas && op.a == op.b)) {
        omit[i] = true;
        continue;
      }
      auto v = static_cast<std::size_t>(op.kind == Op::kWrite ? op.a : op.b);
      bool observed = v < last_ok_observer.size() && (info_observer[v] || last_ok_observer[v] > meta[i].call);
      omit[i] = !observed;
    }
  }
  std::uint64_t hash(const State& s) const { return mix64(static_cast<std::uint64_t>(s)); }
  std::size_t bytes(const State&) const { return 0; }
  nlohmann::json describe(const State& s) const { return values.value(s); }

  ValueTable values;
};

}  // namespace faultline::checkers::linearizable
