// The register models: one value, read and write, and (cas-register) cas.
//
// Contract (as Knossos's register/cas-register): `read` with an ok value v is
// legal only in state v, except a read whose value is nil/null, which is an
// unknown read and matches any state; `write v` sets v; `cas [e n]` is legal
// only in state e and sets n (only when WithCas). The initial value is any
// JSON value (default null). Values compare by their JSON text.
#pragma once

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
    const nlohmann::json& in = op.input.is_null() ? op.output : op.input;
    if (op.f == "read") {
      if (op.info || op.output.is_null()) return Op{Op::kRead, true};
      return Op{Op::kRead, false, values.intern(op.output)};
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
  bool read_only(const Op& op) const { return op.kind == Op::kRead; }
  std::uint64_t hash(const State& s) const { return mix64(static_cast<std::uint64_t>(s)); }
  std::size_t bytes(const State&) const { return 0; }
  nlohmann::json describe(const State& s) const { return values.value(s); }

  ValueTable values;
};

}  // namespace faultline::checkers::linearizable
