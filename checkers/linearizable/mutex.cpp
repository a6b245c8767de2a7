// The `mutex` model (Knossos's mutex): `acquire` (or `lock`) is legal only
// when the lock is free and takes it; `release` (or `unlock`) only when it is
// held, and frees it. Initial: false/null = free (default), true = held.
// omit_pending leaves nothing out: every acquire/release changes the state and
// the next op's legality depends on it.
#include <fmt/format.h>

#include "checkers/linearizable/model_adapter.h"
#include "checkers/linearizable/models.h"

namespace faultline::checkers::linearizable {
namespace {

struct MutexModel {
  using State = std::uint8_t;  // 0 free, 1 held
  struct Op {
    bool acquire;
  };

  Result<State> initial(const std::optional<nlohmann::json>& initial) {
    if (!initial || initial->is_null()) return State{0};
    if (!initial->is_boolean()) return invalid_input(fmt::format("mutex initial value must be true (held) or false (free), got {}", initial->dump()));
    return State{initial->get<bool>() ? std::uint8_t{1} : std::uint8_t{0}};
  }
  Result<Op> compile(const Operation& op) {
    if (op.f == "acquire" || op.f == "lock") return Op{true};
    if (op.f == "release" || op.f == "unlock") return Op{false};
    return invalid_input(fmt::format("the mutex model has no operation \"{}\" (it has acquire, release)", op.f));
  }
  bool step(const State& s, const Op& op, State& next) const {
    next = op.acquire ? 1 : 0;
    return op.acquire ? s == 0 : s == 1;
  }
  bool read_only(const Op&) const { return false; }
  void omit_pending(const std::vector<Op>&, const std::vector<Operation>&, std::vector<bool>&) const {}
  std::uint64_t hash(const State& s) const { return mix64(s); }
  std::size_t bytes(const State&) const { return 0; }
  nlohmann::json describe(const State& s) const { return s ? "held" : "free"; }
};

}  // namespace

std::unique_ptr<Model> make_mutex_model() { return std::make_unique<ModelAdapter<MutexModel>>("mutex"); }

}  // namespace faultline::checkers::linearizable
