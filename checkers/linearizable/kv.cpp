// The `kv` model (Porcupine's kv): one string per key, initially "" (or
// --initial, a string). `get` with an ok value v is legal only when the string
// is v (a nil value is an unknown read); `put v` replaces it; `append v`
// concatenates v. Ops are split by their key before they reach the model.
//
// omit_pending (model.h) leaves out an indeterminate op o when
//  (a) o is a get, or an append of "": it never changes the string;
//  (b) o is a put x or append x (x not empty) and no ok get that returned
//      after o's invoke returned a string containing x. Proof: from o until
//      the next put every state contains x (appends only add at the end), so
//      the ops linearized there are unknown gets and appends (a known get
//      would return a string containing x), up to a put or the end. Without
//      o those are still legal (they are legal in any state) and the next put
//      leaves the same state. The substring search is bounded (kOmitScanBytes
//      per partition); past it no further op is left out, which is always
//      sound (the search just has more to explore).
#include <algorithm>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "checkers/linearizable/model_adapter.h"
#include "checkers/linearizable/models.h"

namespace faultline::checkers::linearizable {
namespace {

// Strings are interned per partition (the model is built per partition):
// a state is the id of its string, so the search copies, hashes, compares
// and caches an int, and each distinct string reached is held once (an
// append's result is memoized by (state, suffix)). heap_bytes() counts the
// table against the search's memory bound.
struct KvModel {
  using State = std::int32_t;
  struct Op {
    enum Kind : std::uint8_t { kGet, kPut, kAppend } kind;
    bool unknown = false;
    std::int32_t arg = 0;  // string id: the value read, put or appended
  };

  Result<State> initial(const std::optional<nlohmann::json>& initial) {
    if (!initial || initial->is_null()) return intern(std::string());
    if (!initial->is_string()) return invalid_input(fmt::format("kv initial value must be a string, got {}", initial->dump()));
    return intern(initial->get<std::string>());
  }

  Result<Op> compile(const Operation& op) {
    if (op.f == "get" || op.f == "read") {
      if (op.info || op.output().is_null()) return Op{Op::kGet, true, 0};
      if (!op.output().is_string()) return invalid_input(fmt::format("get must return a string, got {}", op.output().dump()));
      return Op{Op::kGet, false, intern(op.output().get_ref<const std::string&>())};
    }
    const nlohmann::json& in = op.input().is_null() ? op.output() : op.input();
    Op::Kind kind;
    if (op.f == "put" || op.f == "write") kind = Op::kPut;
    else if (op.f == "append") kind = Op::kAppend;
    else return invalid_input(fmt::format("the kv model has no operation \"{}\" (it has get, put, append)", op.f));
    if (!in.is_string()) return invalid_input(fmt::format("{} value must be a string, got {}", op.f, in.dump()));
    return Op{kind, false, intern(in.get_ref<const std::string&>())};
  }

  bool step(const State& s, const Op& op, State& next) const {
    switch (op.kind) {
      case Op::kGet:
        if (!op.unknown && s != op.arg) return false;
        next = s;
        return true;
      case Op::kPut:
        next = op.arg;
        return true;
      case Op::kAppend:
        next = append(s, op.arg);
        return true;
    }
    return false;
  }
  bool read_only(const Op& op) const { return op.kind == Op::kGet || (op.kind == Op::kAppend && str(op.arg).empty()); }
  // wgl.h "unreachable observers": only a put replaces the string; from s,
  // appends reach exactly the strings that start with s.
  bool blind(const Op& op) const { return op.kind == Op::kPut; }
  bool may_reach(const State& s, const Op& x) const {
    if (x.kind != Op::kGet || x.unknown || s == x.arg) return true;
    return str(x.arg).starts_with(str(s));
  }
  static constexpr std::size_t kOmitScanBytes = 64u << 20;

  void omit_pending(const std::vector<Op>& ops, const std::vector<Operation>& meta, std::vector<bool>& omit) const {
    std::vector<std::size_t> gets;  // ok gets with a known value, by return
    for (std::size_t i = 0; i < ops.size(); ++i)
      if (ops[i].kind == Op::kGet && !ops[i].unknown && !meta[i].info) gets.push_back(i);
    std::sort(gets.begin(), gets.end(), [&](auto a, auto b) { return meta[a].ret < meta[b].ret; });
    std::size_t budget = kOmitScanBytes;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (!meta[i].info) continue;
      const Op& op = ops[i];
      if (op.kind == Op::kGet || (op.kind == Op::kAppend && str(op.arg).empty())) {
        omit[i] = true;
        continue;
      }
      const std::string& arg = str(op.arg);
      if (arg.empty()) continue;  // put "": every string contains ""
      auto from = std::upper_bound(gets.begin(), gets.end(), meta[i].call,
                                   [&](std::size_t call, std::size_t g) { return call < meta[g].ret; });
      bool observed = false;
      for (auto g = from; g != gets.end() && !observed; ++g) {
        const std::string& seen = str(ops[*g].arg);
        if (seen.size() > budget) return;  // scan bound reached: leave the rest in (sound)
        budget -= seen.size();
        observed = seen.find(arg) != std::string::npos;
      }
      omit[i] = !observed;
    }
  }
  std::uint64_t hash(const State& s) const { return mix64(static_cast<std::uint64_t>(s)); }
  std::size_t bytes(const State&) const { return 0; }  // the strings are in the table (heap_bytes)
  std::size_t heap_bytes() const { return table_bytes_; }
  nlohmann::json describe(const State& s) const { return str(s); }

 private:
  const std::string& str(std::int32_t id) const { return *strings_[static_cast<std::size_t>(id)]; }
  std::int32_t intern(std::string text) const {
    auto [it, fresh] = ids_.try_emplace(std::move(text), static_cast<std::int32_t>(strings_.size()));
    if (fresh) {
      strings_.push_back(&it->first);
      table_bytes_ += it->first.capacity() + 64;  // the string and its hash-map node
    }
    return it->second;
  }
  std::int32_t append(std::int32_t s, std::int32_t suffix) const {
    const std::uint64_t key = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(s)) << 32) | static_cast<std::uint32_t>(suffix);
    auto it = appended_.find(key);
    if (it != appended_.end()) return it->second;
    const std::int32_t id = intern(str(s) + str(suffix));
    appended_.emplace(key, id);
    table_bytes_ += 32;
    return id;
  }
  // mutable: step() is const for the search, the table only grows (one model per partition and thread).
  mutable std::unordered_map<std::string, std::int32_t> ids_;
  mutable std::vector<const std::string*> strings_;  // id -> string (the map's keys do not move)
  mutable std::unordered_map<std::uint64_t, std::int32_t> appended_;  // (state, suffix) -> state
  mutable std::size_t table_bytes_ = 0;
};

}  // namespace

std::unique_ptr<Model> make_kv_model() { return std::make_unique<ModelAdapter<KvModel>>("kv"); }

}  // namespace faultline::checkers::linearizable
