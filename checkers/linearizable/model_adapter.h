// ModelAdapter<M>: a model struct (model.h) behind the Model interface.
//
// Contract: each check() builds a fresh M (so per-partition tables, such as
// interned values, are never shared between threads), compiles every op
// (an error names the op's source line and process), and runs wgl_search.
#pragma once

#include <fmt/format.h>

#include "checkers/linearizable/model.h"
#include "checkers/linearizable/wgl.h"

namespace faultline::checkers::linearizable {

template <class M>
class ModelAdapter : public Model {
 public:
  explicit ModelAdapter(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }

  Result<nlohmann::json> check_initial(const std::optional<nlohmann::json>& initial) const override {
    M model;
    auto state = model.initial(initial);
    if (!state) return state.error().with_context(name_ + " initial value");
    return model.describe(*state);
  }

  Result<SearchResult> check(const std::vector<Operation>& ops, const std::optional<nlohmann::json>& initial,
                             const SearchLimits& limits) const override {
    M model;
    auto state = model.initial(initial);
    if (!state) return state.error().with_context(name_ + " initial value");
    std::vector<typename M::Op> compiled;
    compiled.reserve(ops.size());
    for (const auto& op : ops) {
      auto c = model.compile(op);
      if (!c) return c.error().with_context(fmt::format("line {}: process {} {}", op.line, op.process, op.f));
      compiled.push_back(std::move(c).value());
    }
    return wgl_search(model, compiled, ops, std::move(state).value(), limits);
  }

 private:
  std::string name_;
};

}  // namespace faultline::checkers::linearizable
