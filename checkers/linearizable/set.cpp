// The `set` model (Knossos's set): `add x` inserts x (adding a present
// element is legal and changes nothing); `read` with an ok value (an array, in
// any order) is legal only when it is exactly the set; a nil read matches any
// state. Initial: an array (default []).
//
// omit_pending (model.h) leaves out an indeterminate op o when o is a read
// (it never changes the set) or an `add x` such that no ok read that returned
// after o's invoke contains x. Proof: elements are never removed, so every
// state after o contains x and every known read linearized after o would
// contain x; so only unknown reads and adds follow it, which are legal in any
// state: without o the rest stays valid.
#include <algorithm>

#include <fmt/format.h>

#include "checkers/linearizable/model_adapter.h"
#include "checkers/linearizable/models.h"
#include "checkers/linearizable/value_table.h"

namespace faultline::checkers::linearizable {
namespace {

struct SetModel {
  using State = std::vector<std::int32_t>;  // sorted ValueTable ids
  struct Op {
    enum Kind : std::uint8_t { kAdd, kRead } kind;
    bool unknown = false;
    std::int32_t element = 0;
    State read;
  };

  Result<State> to_set(const nlohmann::json& array, const char* what) {
    if (!array.is_array()) return invalid_input(fmt::format("{} must be an array, got {}", what, array.dump()));
    State s;
    for (const auto& v : array) s.push_back(values.intern(v));
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
    return s;
  }

  Result<State> initial(const std::optional<nlohmann::json>& initial) {
    if (!initial || initial->is_null()) return State{};
    return to_set(*initial, "set initial value");
  }

  Result<Op> compile(const Operation& op) {
    if (op.f == "add") return Op{Op::kAdd, false, values.intern(op.input().is_null() ? op.output() : op.input()), {}};
    if (op.f == "read") {
      if (op.info || op.output().is_null()) return Op{Op::kRead, true, 0, {}};
      auto s = to_set(op.output(), "read value");
      if (!s) return s.error();
      return Op{Op::kRead, false, 0, std::move(s).value()};
    }
    return invalid_input(fmt::format("the set model has no operation \"{}\" (it has add, read)", op.f));
  }

  bool step(const State& s, const Op& op, State& next) const {
    if (op.kind == Op::kRead) {
      if (!op.unknown && s != op.read) return false;
      next = s;
      return true;
    }
    next = s;
    auto at = std::lower_bound(next.begin(), next.end(), op.element);
    if (at == next.end() || *at != op.element) next.insert(at, op.element);
    return true;
  }
  bool read_only(const Op& op) const { return op.kind == Op::kRead; }
  void omit_pending(const std::vector<Op>& ops, const std::vector<Operation>& meta, std::vector<bool>& omit) const {
    std::vector<std::size_t> last_ok_observer;  // element id -> latest return of an ok read containing it
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].kind != Op::kRead || ops[i].unknown || meta[i].info) continue;
      for (auto e : ops[i].read) {
        auto v = static_cast<std::size_t>(e);
        if (v >= last_ok_observer.size()) last_ok_observer.resize(v + 1, 0);
        last_ok_observer[v] = std::max(last_ok_observer[v], meta[i].ret);
      }
    }
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (!meta[i].info) continue;
      if (ops[i].kind == Op::kRead) {
        omit[i] = true;
        continue;
      }
      auto v = static_cast<std::size_t>(ops[i].element);
      omit[i] = !(v < last_ok_observer.size() && last_ok_observer[v] > meta[i].call);
    }
  }
  std::uint64_t hash(const State& s) const {
    std::uint64_t h = s.size();
    for (auto v : s) h = mix64(h ^ static_cast<std::uint64_t>(v));
    return h;
  }
  std::size_t bytes(const State& s) const { return s.capacity() * sizeof(std::int32_t); }
  nlohmann::json describe(const State& s) const {
    nlohmann::json out = nlohmann::json::array();
    for (auto v : s) out.push_back(values.value(v));
    return out;
  }

  ValueTable values;
};

}  // namespace

std::unique_ptr<Model> make_set_model() { return std::make_unique<ModelAdapter<SetModel>>("set"); }

}  // namespace faultline::checkers::linearizable
