// The linearizability search: Wing & Gong's backtracking search with Lowe's
// just-in-time linearization and a cache of visited configurations, as in
// Porcupine's checker.go and Knossos's wgl.
//
// Contract: wgl_search(model, ops, meta, initial, limits) decides whether the
// operations of ONE partition (meta[i] describes ops[i]) are linearizable
// from `initial`:
//  - The history is a doubly linked list of call and return entries in
//    real-time order. From a configuration (linearized set, state) the
//    candidates are the calls that precede the first remaining return. A
//    candidate whose step is legal and whose resulting configuration is new
//    is linearized (lifted out of the list) and the search restarts; when
//    none is left the last choice is undone (backtrack). All ok ops
//    linearized = linearizable; nothing left to undo = not. Candidates are
//    tried in build_order's order: the first-return op R when legal, then the
//    ops after which R is legal, then by invoke (order only: exhaustive).
//  - Indeterminate (info) ops have no return, so they never force the
//    search; they are kept out of the list (in an array by invoke order, so
//    the scan for completed candidates never walks over the thousands of
//    info ops that stay pending in a long history) and tried only after the
//    completed candidates (most are never needed): those invoked before the
//    first remaining return, the earliest invoked first (in the generated benchmark histories
//    this explored a third fewer configurations than latest-first). They may stay
//    unlinearized ("never happened"). Before the search, the model's
//    omit_pending hook (model.h) leaves out the info ops that no
//    linearization needs (reads; a register write whose value nothing after
//    it observes; ...); limits.omit_pending = false turns that off.
//  - A completed candidate that is read-only (model.h) and legal in the
//    current state is linearized first and alone, without trying the
//    others at that configuration: if any linearization from here exists,
//    one exists that starts with it (it is a candidate, so every op that
//    returned before its invoke is linearized already; moving it to the front
//    keeps every other op's state, since it changes none). So when that child
//    fails, or was seen before, the configuration fails too.
//    The same holds, for models with dead states (below), for a blind write
//    (model.blind: its resulting state ignores the state before) made while
//    the state is dead whose value is dead too: moved to the front of a
//    linearization it leaves an equivalent (dead) state, and where it stood
//    before, the state it made was dead, so only ops legal in every state
//    (unknown reads, blind writes) came next, and they still are.
//  - Dead states (models with kDeadStates, i.e. register/cas-register): a
//    value no op still to linearize can observe before the next blind write
//    is cached as one "dead" state (canonical()); an info op that would leave
//    a dead state is never tried (dead_info()); a configuration that leaves
//    a value "starved" (an ok op behind the frontier needs it, no writer
//    invoked in time is left) is pruned (starved()). Each is argued where it
//    is defined; tests/checkers/linearizable/pruning_test.cpp checks the verdicts
//    against a brute-force oracle.
//  - Configurations are cached exactly (linearized_set.h, state_cache.h); a
//    configuration is also pruned when one with the same state, the same
//    linearized ok ops and a subset of its linearized info ops was seen (that
//    one can do everything this one can: the extra info ops may still happen
//    later, or never); likewise an info op right after another info op when
//    it would reach the same state without it.
//  - Every 1024 steps the search polls limits.stop and limits.deadline
//    (kCancelled, kTimeout). The cache's bytes count against the bound shared
//    by all partitions; crossing it ends the search with kMemoryBound. Neither
//    is ever reported as a verdict.
//  - On kNotLinearizable the result names the op that cannot be linearized:
//    the first completed op, in return order, that no explored linearization
//    reached (the configuration frontier furthest along), one linearization
//    that got furthest (the longest linearizable prefix), and the model
//    states of the configurations at that frontier.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <set>
#include <vector>

#include "checkers/linearizable/linearized_set.h"
#include "checkers/linearizable/model.h"
#include "checkers/linearizable/state_cache.h"
#include "common/units.h"

namespace faultline::checkers::linearizable {

inline constexpr std::size_t kMaxReachableStates = 32;

template <class M>
class WglSearch {
 public:
  using State = typename M::State;
  using Op = typename M::Op;

  WglSearch(const M& model, const std::vector<Op>& ops, const std::vector<Operation>& meta, State initial,
            const SearchLimits& limits)
      : model_(model), ops_(ops), meta_(meta), initial_(std::move(initial)), limits_(limits) {}

  ~WglSearch() {
    if (limits_.cache_bytes) limits_.cache_bytes->fetch_sub(charged_);
  }

  SearchResult run() {
    build_list();
    LinearizedSet lin(rank_to_op_.size(), info_ops_.size());
    StateCache<State> cache;
    State state = initial_;
    std::vector<std::uint32_t> key;
    lin.key(key);
    auto subset = [&lin](std::uint32_t a, std::uint32_t b) { return lin.info_subset(a, b); };
    {
      const State& canon = canonical(state);
      cache.insert(key, hash_words(key) ^ model_.hash(canon), canon, model_.bytes(canon), lin.info_id(), subset);
    }
    note_reachable(state);

    struct Frame {
      std::uint32_t op;
      State before;
      bool forced;  // a read-only op linearized without alternatives (see the header)
    };
    std::vector<Frame> stack;
    const std::uint32_t n_ok = static_cast<std::uint32_t>(rank_to_op_.size());
    std::uint64_t steps = 0;
    SearchResult result;
    result.info_omitted = info_omitted_;
    result.info_searched = info_ops_.size();

    auto finish = [&](Outcome outcome) {
      result.outcome = outcome;
      result.configurations = cache.size();
      result.cache_bytes = std::max<std::uint64_t>(peak_bytes_, cache.bytes());
      return result;
    };
    // Linearizes `op` when its step is legal and the configuration is new.
    bool fresh = true;  // pass 1 has not looked at this configuration yet
    auto try_op = [&](std::uint32_t op, bool forced = false) {
      State next_state{};
      if (!model_.step(state, ops_[op], next_state) || absorbed(stack, op, next_state)) return false;
      const bool info = meta_[op].info;
      if (info && dead_info(next_state)) return false;
      if (info) lin.add_info(index_[op]), use_info(index_[op], +1);
      else lin.add_ok(index_[op]);
      observe(op, -1);
      lin.key(key);
      if constexpr (kDead) {
        // The child of an info op is explored restricted (after_info_), so it is another cache entry.
        if (info) key.push_back(kAfterInfoTag | static_cast<std::uint32_t>(model_.written_value(ops_[op])));
      }
      const State& canon = canonical(next_state);
      const bool starving = starved(next_state) || unreachable(next_state);
      if (starving && lin.prefix() == best_p_) note_reachable(next_state);  // still a state at the frontier
      if (!starving && cache.insert(key, hash_words(key) ^ model_.hash(canon), canon, model_.bytes(canon), lin.info_id(), subset)) {
        stack.push_back(Frame{op, std::move(state), forced});
        state = std::move(next_state);
        fresh = true;
        order_pos_ = kNil;
        if (!info) lift(op);
        note_progress(lin, stack, state);
        return true;
      }
      if (info) lin.remove_info(index_[op]), use_info(index_[op], -1);
      else lin.remove_ok(index_[op]);
      observe(op, +1);
      return false;
    };

    while (lin.prefix() < n_ok) {
      if ((++steps & 1023) == 0) {
        if (limits_.stop && limits_.stop->load(std::memory_order_relaxed)) return finish(Outcome::kCancelled);
        if (limits_.deadline != 0 && monotonic_now() >= limits_.deadline) return finish(Outcome::kTimeout);
        if (!charge(cache.bytes() + lin.interner_bytes() + model_heap_bytes())) return finish(Outcome::kMemoryBound);
      }
      bool dead = false;  // this configuration cannot be extended
      set_after_info(stack);
      if (fresh) {
        // A read-only candidate that is legal here goes first and alone.
        fresh = false;
        for (std::uint32_t c = next_[kHead]; !entries_[c].is_return; c = next_[c]) {
          const std::uint32_t op = entries_[c].op;
          State next_state{};
          if (!model_.step(state, ops_[op], next_state)) continue;
          if (!model_.read_only(ops_[op]) && !dead_write(ops_[op], state, next_state)) continue;
          if (!try_op(op, true)) dead = true;  // seen before: explored (and failed) already
          break;
        }
        if (!dead) continue;
      }
      if (!dead) {
        // The candidates in order_ (build_order); the rest of the info calls once those are exhausted.
        if (order_pos_ == kNil) build_order(state, lin), order_pos_ = 0;
        if (order_pos_ >= order_.size() && !info_rest_) add_info_rest(state, lin);
        if (order_pos_ < order_.size()) {
          const std::uint32_t op = order_[order_pos_++];
          if (try_op(op)) order_pos_ = kNil;
          continue;
        }
      }
      // Nothing left here: undo the last choice (and the forced ones above it).
      Frame top{};
      do {
        if (stack.empty()) {
          report_failure(result);
          return finish(Outcome::kNotLinearizable);
        }
        top = std::move(stack.back());
        stack.pop_back();
        min_depth_since_best_ = std::min(min_depth_since_best_, stack.size());
        state = std::move(top.before);
        if (top.forced) {
          lin.remove_ok(index_[top.op]);
          observe(top.op, +1);
          unlift(top.op);
        }
      } while (top.forced);
      fresh = false;
      observe(top.op, +1);
      if (meta_[top.op].info) {
        lin.remove_info(index_[top.op]);
        use_info(index_[top.op], -1);
      } else {
        lin.remove_ok(index_[top.op]);
        unlift(top.op);
      }
      // The same list as when top.op was chosen (it depends on the configuration only): go on after it.
      set_after_info(stack);
      build_order(state, lin);
      auto at = std::find(order_.begin(), order_.end(), top.op);
      if (at == order_.end()) {
        add_info_rest(state, lin);
        at = std::find(order_.begin(), order_.end(), top.op);
      }
      order_pos_ = at == order_.end() ? 0 : static_cast<std::uint32_t>(at - order_.begin()) + 1;
    }
    return finish(Outcome::kLinearizable);
  }

 private:
  struct Entry {
    std::uint32_t op;
    bool is_return;
  };
  static constexpr std::uint32_t kNil = UINT32_MAX;
  static constexpr std::uint32_t kHead = 0;  // sentinel entries: 0 = head, 1 = tail
  static constexpr std::uint32_t kTail = 1;

  void build_list() {
    std::vector<std::pair<std::size_t, Entry>> timed;
    index_.assign(ops_.size(), kNil);
    call_entry_.assign(ops_.size(), kNil);
    return_entry_.assign(ops_.size(), kNil);
    std::vector<bool> omit(ops_.size(), false);
    if (limits_.omit_pending) model_.omit_pending(ops_, meta_, omit);
    std::vector<std::uint32_t> ok_ops;
    for (std::uint32_t i = 0; i < ops_.size(); ++i) {
      if (meta_[i].info) {
        if (omit[i]) {  // the model proved no linearization needs it (model.h omit_pending)
          ++info_omitted_;
          continue;
        }
        info_ops_.push_back(i);  // ops are in invoke order, so info ids are too
      } else {
        ok_ops.push_back(i);
        timed.push_back({meta_[i].call, Entry{i, false}});
        timed.push_back({meta_[i].ret, Entry{i, true}});
      }
    }
    std::sort(info_ops_.begin(), info_ops_.end(), [&](auto a, auto b) { return meta_[a].call < meta_[b].call; });
    if constexpr (kDead) {
      dead_ = model_.dead_state();
      std::size_t values = 0;
      for (std::uint32_t i = 0; i < ops_.size(); ++i)
        values = std::max<std::size_t>({values, static_cast<std::size_t>(model_.observed_value(ops_[i]) + 1),
                                        static_cast<std::size_t>(model_.written_value(ops_[i]) + 1)});
      observers_.assign(values, 0);
      ok_observer_rets_.assign(values, {});
      writer_calls_.assign(values, {});
      observer_calls_.assign(values, {});
      write_group_.assign(values, kNil);
      cas_groups_.assign(values, {});
      info_group_.assign(info_ops_.size(), kNil);
      cas_into_.assign(values, {});
      mark_.assign(values, 0);
    }
    if constexpr (kDead || kReach) {
      for (auto op : ok_ops) observe(op, +1);
      for (auto op : info_ops_) observe(op, +1);
    }
    for (std::uint32_t id = 0; id < info_ops_.size(); ++id) {
      index_[info_ops_[id]] = id;
      info_calls_.push_back(meta_[info_ops_[id]].call);
      if constexpr (kDead) {
        const Op& op = ops_[info_ops_[id]];
        const std::int32_t w = model_.written_value(op);
        if (w < 0) continue;
        const std::int32_t e = model_.observed_value(op);
        std::uint32_t g = kNil;
        if (model_.blind(op)) {
          g = write_group_[static_cast<std::size_t>(w)];
          if (g == kNil) write_group_[static_cast<std::size_t>(w)] = g = new_group(w);
        } else if (e >= 0) {
          auto& groups = cas_groups_[static_cast<std::size_t>(e)];
          for (std::uint32_t c : groups)
            if (groups_[c].value == w) g = c;
          if (g == kNil) {
            groups.push_back(g = new_group(w, e));
            cas_into_[static_cast<std::size_t>(w)].push_back(g);
          }
        }
        if (g == kNil) continue;
        info_group_[id] = g;
        groups_[g].ids.push_back(id);
      }
    }
    for (std::size_t v = 0; v < write_group_.size(); ++v)
      if (write_group_[v] != kNil) write_values_.push_back(static_cast<std::int32_t>(v));
    std::sort(ok_ops.begin(), ok_ops.end(), [&](auto a, auto b) { return meta_[a].ret < meta_[b].ret; });
    rank_to_op_ = ok_ops;
    for (auto op : rank_to_op_) ok_rets_.push_back(meta_[op].ret);
    for (std::uint32_t r = 0; r < ok_ops.size(); ++r) index_[ok_ops[r]] = r;
    std::sort(timed.begin(), timed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    entries_.assign(2, Entry{kNil, false});
    entries_[1].is_return = true;  // the tail behaves as a return: it ends every scan
    for (const auto& [pos, entry] : timed) {
      (entry.is_return ? return_entry_ : call_entry_)[entry.op] = static_cast<std::uint32_t>(entries_.size());
      entries_.push_back(entry);
    }
    next_.resize(entries_.size());
    prev_.resize(entries_.size());
    // head -> entries 2.. in time order -> tail
    std::uint32_t last = kHead;
    for (std::uint32_t i = 2; i < entries_.size(); ++i) {
      next_[last] = i;
      prev_[i] = last;
      last = i;
    }
    next_[last] = 1;
    prev_[1] = last;
    next_[1] = kNil;
  }

  void unlink(std::uint32_t e) {
    next_[prev_[e]] = next_[e];
    prev_[next_[e]] = prev_[e];
  }
  void relink(std::uint32_t e) {
    next_[prev_[e]] = e;
    prev_[next_[e]] = e;
  }
  void lift(std::uint32_t op) {
    unlink(call_entry_[op]);
    unlink(return_entry_[op]);
  }
  void unlift(std::uint32_t op) {
    relink(return_entry_[op]);
    relink(call_entry_[op]);
  }

  // Dead states, for models that declare kDeadStates (register_model.h): a
  // state value that no op still to linearize observes (model.observed_value)
  // is cached as model.dead_state(), so configurations that differ only in
  // such a value are one. Sound because, for those models, every remaining op
  // is legal in both or in neither and leaves the same state (or keeps a dead
  // one: observers only decrease as ops are linearized).

 public:
  static constexpr bool kDead = requires { M::kDeadStates; };
  static constexpr bool kReach = requires(const M& m, const State& s, const Op& o) {
    m.may_reach(s, o);
    m.blind(o);
  };

 private:
  void observe(std::uint32_t op, int delta) {
    if constexpr (kReach) {
      if (model_.blind(ops_[op])) edit(reset_calls_, meta_[op].call, delta);
    }
    if constexpr (kDead) {
      const std::int32_t v = model_.observed_value(ops_[op]);
      if (v >= 0) {
        observers_[static_cast<std::size_t>(v)] += delta;
        if (!meta_[op].info) update_starved(v, [&] { edit(ok_observer_rets_[static_cast<std::size_t>(v)], meta_[op].ret, delta); });
      }
      const std::int32_t w = model_.written_value(ops_[op]);
      if (w >= 0) update_starved(w, [&] { edit(writer_calls_[static_cast<std::size_t>(w)], meta_[op].call, delta); });
      if (v >= 0) {
        auto& calls = observer_calls_[static_cast<std::size_t>(v)];
        if (delta > 0) calls.insert(meta_[op].call);
        else calls.erase(meta_[op].call);
      }
      if (!meta_[op].info && model_.blind(ops_[op])) {
        if (delta > 0) blind_writes_.insert({meta_[op].ret, op});
        else blind_writes_.erase({meta_[op].ret, op});
      }
    }
  }
  // Starved values (kDead models): a value v that an ok op X still to
  // linearize needs (a read of v, a cas expecting v) while no op still to
  // linearize that writes v was invoked before X returned (X must come before
  // its return, and such a write after its invoke). A configuration whose
  // state is not v cannot be completed then: the state never becomes v again
  // in time for X. It is enough to look at the observer with the earliest
  // return. starved(s) is true when some starved value other than s exists
  // such a configuration is pruned at once instead of being explored until
  // X's return forces it.
  static void edit(std::set<std::size_t>& set, std::size_t pos, int delta) {
    if (delta > 0) set.insert(pos);
    else set.erase(pos);
  }
  bool is_starved(std::int32_t v) const {
    const auto i = static_cast<std::size_t>(v);
    const auto& obs = ok_observer_rets_[i];
    const auto& wr = writer_calls_[i];
    return !obs.empty() && (wr.empty() || *wr.begin() > *obs.begin());
  }
  template <class Edit>
  void update_starved(std::int32_t v, const Edit& edit) {
    if (is_starved(v)) starved_.erase({*ok_observer_rets_[static_cast<std::size_t>(v)].begin(), v});
    edit();
    if (is_starved(v)) starved_.insert({*ok_observer_rets_[static_cast<std::size_t>(v)].begin(), v});
  }
  // Pruned only when the starved observer X (the earliest one, of a value
  // other than the state) is at or behind the frontier (best_p_): no
  // configuration below this one can linearize X, so none gets further than
  // X's rank, and the frontier (hence the op named on a violation, and the
  // longest prefix) is the same as without the pruning.
  bool starved(const State& s) const {
    if constexpr (kDead) {
      const std::int32_t state = model_.state_value(s);
      for (const auto& [ret, v] : starved_) {
        if (v == state) continue;
        const auto rank = static_cast<std::size_t>(std::lower_bound(ok_rets_.begin(), ok_rets_.end(), ret) - ok_rets_.begin());
        return rank <= best_p_;
      }
    }
    return false;
  }
  // Unreachable observers, for models with may_reach (kv): may_reach(s, x)
  // is false when op x is illegal in every state that ops which are not
  // blind (model.blind: their next state ignores the state before) can lead
  // to from s, e.g. a get of "ab" after the string became "ac", which
  // appends only lengthen. Let x be an ok op still to linearize such that no
  // blind op still to linearize was invoked before x returned: every op
  // linearized between now and x is then not blind (a blind op linearized
  // before x must start before x ends), so a configuration with state s and
  // !may_reach(s, x) cannot be completed, and is pruned at once instead of
  // being explored until x's return forces it (where every order of the
  // concurrent appends before it would be tried: a string per order, none
  // merged by the cache). Checked for the first kReachLookahead ops in
  // return order; as for starved(), only when x is at or behind the
  // frontier (best_p_), so the op named on a violation stays the same.
  static constexpr int kReachLookahead = 8;
  bool unreachable(const State& s) const {
    if constexpr (kReach) {
      const std::size_t reset = reset_calls_.empty() ? kNever : *reset_calls_.begin();
      int checked = 0;
      for (std::uint32_t e = next_[kHead]; e != kTail && checked < kReachLookahead; e = next_[e]) {
        if (!entries_[e].is_return) continue;
        const std::uint32_t x = entries_[e].op;
        if (reset < meta_[x].ret) return false;  // and for every later return
        ++checked;
        if (!model_.may_reach(s, ops_[x])) return index_[x] <= best_p_;
      }
    }
    return false;
  }

  // A blind write (the state after it does not depend on the state before)
  // from a dead state to a dead state: forced like a read-only op (header).
  bool dead_write(const Op& op, const State& s, const State& next) {
    if constexpr (kDead) {
      // Strictly dead (no op still to linearize observes it at all): the
      // horizon in live() may move once this write is taken out.
      return model_.blind(op) && unobserved(model_.state_value(s)) && unobserved(model_.state_value(next));
    }
    return false;
  }
  // An info op that leaves a dead state is never needed (kDead models): a
  // dead state is the least capable one (only unknown reads and blind writes
  // are legal in it, and they are legal in every state, leaving the same
  // state after the first blind write), so whatever the configuration with
  // the info op can do, the one without it (the op never happening) can too.
  bool dead_info(const State& next) const {
    if constexpr (kDead) return !live(model_.state_value(next));
    return false;
  }
  bool unobserved(std::int32_t v) const {
    return v < 0 || static_cast<std::size_t>(v) >= observers_.size() || observers_[static_cast<std::size_t>(v)] == 0;
  }
  // Whether value v (a state) may still be observed: some op still to
  // linearize observes v (reads it, or a cas expects it) and was invoked
  // before H, the earliest return among the ok blind writes still to
  // linearize that write something else. Every op invoked after H comes
  // after that write, which replaces the state whatever it was; before it,
  // only ops invoked before H can be linearized. So a value that is not live
  // behaves exactly like dead_state() for every continuation.
  // The horizon for every value at once: the first ok blind write still to
  // linearize (its return and value), and the first one of another value.
  struct Horizon {
    std::size_t first = kNever;
    std::int32_t first_value = -1;
    std::size_t other = kNever;  // for v == first_value
  };
  Horizon horizons() const {
    Horizon h;
    for (const auto& [ret, op] : blind_writes_) {
      const std::int32_t w = model_.written_value(ops_[op]);
      if (h.first == kNever) {
        h.first = ret;
        h.first_value = w;
      } else if (w != h.first_value) {
        h.other = ret;
        break;
      }
    }
    return h;
  }
  bool live(std::int32_t v) const { return live(v, horizons()); }
  bool live(std::int32_t v, const Horizon& h) const {
    if (v < 0 || static_cast<std::size_t>(v) >= observer_calls_.size()) return false;
    const auto& calls = observer_calls_[static_cast<std::size_t>(v)];
    if (calls.empty()) return false;
    return *calls.begin() < (v == h.first_value ? h.other : h.first);
  }
  const State& canonical(const State& s) {
    if constexpr (kDead) {
      if (!live(model_.state_value(s))) return dead_;
    }
    return s;
  }

  // The completed candidates at this configuration (the calls before the
  // first return R) in the order pass 1 tries them: R first when it is legal
  // here; then the ops after which R becomes legal; then the rest by invoke.
  // Only the order changes, never the set, so the search stays exhaustive.
  void build_order(const State& state, const LinearizedSet&) {
    order_.clear();
    info_rest_ = false;
    std::uint32_t e = next_[kHead];
    for (; !entries_[e].is_return; e = next_[e]) order_.push_back(entries_[e].op);
    if constexpr (kDead) {
      seeds_.clear();
      for (std::uint32_t op : order_)
        if (model_.observed_value(ops_[op]) >= 0) seeds_.push_back(model_.observed_value(ops_[op]));
    }
    order_limit_ = e == kTail ? kNever : meta_[entries_[e].op].ret;
    first_return_ = e == kTail ? kNil : entries_[e].op;
    if (e == kTail) return;
    const std::uint32_t r = entries_[e].op;
    State next{}, after{};
    auto rank = [&](std::uint32_t op) {
      if (op == r) return 0;
      if (!model_.step(state, ops_[op], next)) return 2;
      return model_.step(next, ops_[r], after) ? 1 : 2;
    };
    std::vector<std::pair<int, std::uint32_t>> ranked;
    ranked.reserve(order_.size());
    for (std::uint32_t op : order_) ranked.push_back({op == r && !model_.step(state, ops_[r], next) ? 2 : rank(op), op});
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 0; i < ranked.size(); ++i) order_[i] = ranked[i].second;
    if constexpr (kDead) {
      if (after_info_ >= 0)  // right after an info op: only the ops that observe its value (add_info_rest)
        std::erase_if(order_, [&](std::uint32_t op) { return model_.observed_value(ops_[op]) != after_info_; });
    }
  }

  // The info candidates at this configuration: info ops invoked before the
  // first remaining return R and not linearized, tried only once every
  // completed candidate failed, the earliest invoked first (in the generated
  // benchmark histories earlier-first explored a third fewer configurations
  // than latest-first, and far fewer than trying those after which R is
  // legal first). add_info_rest appends them to order_. For models with
  // dead states only the candidates that can matter are listed:
  //  - an info op that is illegal here or leaves a dead state (dead_info) is
  //    left out (try_op would reject it); so is an info read (read-only: the
  //    configuration without it can do everything the one with it can);
  //  - identical info ops (same op, both invoked before R) are
  //    interchangeable from here on: any continuation using one can use the
  //    other, since neither has a return and both may be linearized anywhere
  //    after R's position. So only the earliest unlinearized one is listed;
  //  - a legal info cas [s v] is listed instead of an info write v: both
  //    leave v, and any continuation that uses the cas later (in state s)
  //    can use the write there instead, so the configuration with the cas
  //    linearized can do everything the one with the write can.
  // The list depends only on the configuration (the set, the state and R),
  // so rebuilt after a backtrack it is the same.
  void add_info_rest(const State& state, const LinearizedSet& lin) {
    info_rest_ = true;
    if (info_ops_.empty()) return;
    scratch_.clear();
    if constexpr (kDead) {
      const std::int32_t s = model_.state_value(state);
      const Horizon horizon = horizons();
      wanted_values();
      // The earliest info cas [s v] of each wanted v, then (unless right
      // after an info op) the earliest info write of each other wanted value.
      const std::size_t casn = scratch_.size();
      if (s >= 0 && static_cast<std::size_t>(s) < cas_groups_.size())
        for (std::uint32_t g : cas_groups_[static_cast<std::size_t>(s)])
          if (marked(groups_[g].value) && live(groups_[g].value, horizon)) pick(g, lin);
      const std::size_t cas_end = scratch_.size();
      if (after_info_ < 0)
        for (std::int32_t v : wanted_) {
          const auto g = write_group_[static_cast<std::size_t>(v)];
          if (g == kNil || !live(v, horizon)) continue;
          bool by_cas = false;
          for (std::size_t i = casn; i < cas_end && !by_cas; ++i)
            by_cas = groups_[info_group_[scratch_[i]]].value == v;
          if (!by_cas) pick(g, lin);
        }
    } else {
      const auto end = static_cast<std::uint32_t>(std::lower_bound(info_calls_.begin(), info_calls_.end(), order_limit_) -
                                                  info_calls_.begin());
      for (std::uint32_t id = 0; id < end; ++id)
        if (!lin.has_info(id)) scratch_.push_back(id);
    }
    std::sort(scratch_.begin(), scratch_.end());
    for (std::uint32_t id : scratch_) order_.push_back(info_ops_[id]);
  }

  // Info op `op` right after info op `a` (no ok op between) is pointless when
  // `op` from the state before `a` gives the same state: that configuration
  // has fewer info ops linearized, is tried as a sibling, and can do
  // everything this one can (a write after a write, for instance).
  template <class Stack>
  bool absorbed(const Stack& stack, std::uint32_t op, const State& next_state) const {
    if (!meta_[op].info || stack.empty() || !meta_[stack.back().op].info) return false;
    State direct{};
    return model_.step(stack.back().before, ops_[op], direct) && direct == next_state;
  }

  // Bytes the model holds for this partition (model.h heap_bytes, optional).
  std::size_t model_heap_bytes() const {
    if constexpr (requires(const M& m) { m.heap_bytes(); }) return model_.heap_bytes();
    return 0;
  }

  // Charges the cache's growth against the shared bound; false when over it.
  bool charge(std::uint64_t bytes) {
    peak_bytes_ = std::max<std::uint64_t>(peak_bytes_, bytes);
    if (!limits_.cache_bytes) return true;
    if (bytes > charged_) limits_.cache_bytes->fetch_add(bytes - charged_);
    else limits_.cache_bytes->fetch_sub(charged_ - bytes);
    charged_ = bytes;
    return limits_.max_cache_bytes == 0 || limits_.cache_bytes->load() <= limits_.max_cache_bytes;
  }

  template <class Stack>
  void note_progress(const LinearizedSet& lin, const Stack& stack, const State& state) {
    if (lin.prefix() > best_p_) {
      best_p_ = lin.prefix();
      best_ops_.resize(min_depth_since_best_);
      for (std::size_t i = min_depth_since_best_; i < stack.size(); ++i) best_ops_.push_back(stack[i].op);
      min_depth_since_best_ = stack.size();
      reachable_.clear();
      reachable_truncated_ = false;
    }
    if (lin.prefix() == best_p_) note_reachable(state);
  }

  void note_reachable(const State& state) {
    if (std::find(reachable_.begin(), reachable_.end(), state) != reachable_.end()) return;
    if (reachable_.size() >= kMaxReachableStates) {
      reachable_truncated_ = true;
      return;
    }
    reachable_.push_back(state);
  }

  void report_failure(SearchResult& result) {
    result.failed_op = rank_to_op_[best_p_];
    result.prefix.assign(best_ops_.begin(), best_ops_.end());
    State s = initial_;
    for (std::size_t op : result.prefix) {
      State next = s;
      model_.step(s, ops_[op], next);
      s = std::move(next);
      result.prefix_states.push_back(model_.describe(s));
    }
    for (const State& r : reachable_) result.reachable_states.push_back(model_.describe(r));
    result.reachable_truncated = reachable_truncated_;
  }

  const M& model_;
  const std::vector<Op>& ops_;
  const std::vector<Operation>& meta_;
  State initial_;
  SearchLimits limits_;

  std::vector<Entry> entries_;
  std::vector<std::uint32_t> next_, prev_;
  std::vector<std::uint32_t> call_entry_, return_entry_;
  std::vector<std::uint32_t> index_;       // op -> rank (ok) or info id
  std::vector<std::uint32_t> rank_to_op_;  // rank -> op
  std::vector<std::int64_t> observers_;    // value -> ops still to linearize that observe it (kDead)
  std::vector<std::set<std::size_t>> ok_observer_rets_;  // value -> returns of its ok observers still to linearize
  std::vector<std::set<std::size_t>> writer_calls_;      // value -> invokes of its writers still to linearize
  std::set<std::pair<std::size_t, std::int32_t>> starved_;  // (earliest observer's return, value) of starved values
  std::vector<std::size_t> ok_rets_;                         // rank -> return position
  std::vector<std::set<std::size_t>> observer_calls_;             // value -> invokes of its observers still to linearize
  std::set<std::pair<std::size_t, std::uint32_t>> blind_writes_;  // (return, op) of ok blind writes still to linearize
  State dead_{};
  std::set<std::size_t> reset_calls_;  // invokes of blind ops still to linearize (kReach)
  std::vector<std::uint32_t> order_;       // pass 1 candidates at the current configuration (build_order)
  std::uint32_t order_pos_ = kNil;         // next one to try; kNil = not built yet
  std::size_t order_limit_ = kNever;       // position of the first return
  std::uint32_t first_return_ = kNil;      // the op of the first remaining return (build_order)
  bool info_rest_ = false;                 // order_ has the rest of the info candidates (add_info_rest)
  // kDead: identical info ops (the info writes of one value; the info cas
  // [e n] of one pair) form a group, ids in invoke order. Only a group's
  // earliest unlinearized op is ever tried (add_info_rest), so the
  // linearized ones are always its first `used`.
  struct Group {
    std::int32_t value;     // the value its ops write
    std::int32_t expected;  // cas: the value they expect; -1 for writes
    std::uint32_t used = 0;
    std::vector<std::uint32_t> ids;
  };
  std::uint32_t new_group(std::int32_t value, std::int32_t expected = -1) {
    groups_.push_back(Group{value, expected, 0, {}});
    return static_cast<std::uint32_t>(groups_.size() - 1);
  }
  void use_info(std::uint32_t id, int delta) {
    if constexpr (kDead) {
      if (info_group_[id] != kNil) groups_[info_group_[id]].used += static_cast<std::uint32_t>(delta);
    }
  }
  // The group's next op when it was invoked before R's return.
  void pick(std::uint32_t g, const LinearizedSet& lin) {
    const Group& group = groups_[g];
    if (group.used >= group.ids.size()) return;
    const std::uint32_t id = group.ids[group.used];
    if (info_calls_[id] >= order_limit_) return;
    if (!lin.has_info(id)) {
      scratch_.push_back(id);
      return;
    }
    for (std::uint32_t other : group.ids) {  // not reached: the linearized ones are a prefix
      if (info_calls_[other] >= order_limit_) return;
      if (!lin.has_info(other)) {
        scratch_.push_back(other);
        return;
      }
    }
  }
  // kDead, "info ops only just in time": in a linearization, an info op
  // that writes v (a write, or a cas [e v]) can be moved later past every
  // op that does not observe v: an unknown read (legal in every state, no
  // change), while a blind write or the end right after it makes it
  // pointless (drop it: an info op may never happen), and an op that needs
  // another value cannot follow it at all. Moving an op without a return
  // later, or an op earlier past it, keeps real-time order. So if a
  // linearization exists, one exists in which every info op is followed at
  // once by an op that observes the value it wrote. The search only builds
  // those:
  //  - right after an info op of value v (after_info_) the candidates are
  //    the ok ops that observe v and the info cas [v n] (n wanted, below);
  //    such a configuration is cached apart from the same one reached
  //    otherwise (kAfterInfoTag in its key), as it is explored restricted;
  //  - an info op writing v is tried only when v is wanted: observed by a
  //    completed candidate (the same calls are candidates right after it),
  //    or the expected value of an info cas [v n] still available with n
  //    wanted (a chain of info ops that ends at such an observer).
  template <class Stack>
  void set_after_info(const Stack& stack) {
    if constexpr (kDead)
      after_info_ = !stack.empty() && meta_[stack.back().op].info ? model_.written_value(ops_[stack.back().op]) : -1;
  }
  void wanted_values() {
    if (++epoch_ == 0) std::fill(mark_.begin(), mark_.end(), 0), epoch_ = 1;
    wanted_.clear();
    for (std::int32_t v : seeds_) mark(v);
    for (std::size_t i = 0; i < wanted_.size(); ++i) {
      const auto n = static_cast<std::size_t>(wanted_[i]);
      if (n >= cas_into_.size()) continue;
      for (std::uint32_t g : cas_into_[n]) {
        const Group& group = groups_[g];
        if (group.used < group.ids.size() && info_calls_[group.ids[group.used]] < order_limit_) mark(group.expected);
      }
    }
  }
  void mark(std::int32_t v) {
    if (v < 0 || static_cast<std::size_t>(v) >= mark_.size() || mark_[static_cast<std::size_t>(v)] == epoch_) return;
    mark_[static_cast<std::size_t>(v)] = epoch_;
    wanted_.push_back(v);
  }
  bool marked(std::int32_t v) const {
    return v >= 0 && static_cast<std::size_t>(v) < mark_.size() && mark_[static_cast<std::size_t>(v)] == epoch_;
  }
  static constexpr std::uint32_t kAfterInfoTag = 0x80000000u;
  std::int32_t after_info_ = -1;                  // the value the last linearized op (an info op) wrote; -1 otherwise
  std::vector<std::int32_t> seeds_;               // values the completed candidates observe (build_order)
  std::vector<std::int32_t> wanted_;              // wanted values (wanted_values)
  std::vector<std::uint32_t> mark_;               // value -> epoch_ when wanted
  std::uint32_t epoch_ = 0;
  std::vector<std::vector<std::uint32_t>> cas_into_;  // value n -> groups of info cas [e n]
  std::vector<Group> groups_;
  std::vector<std::uint32_t> info_group_;                // info id -> group (kNil: none)
  std::vector<std::uint32_t> write_group_;               // value -> group of its info writes
  std::vector<std::vector<std::uint32_t>> cas_groups_;   // expected value -> groups of info cas
  std::vector<std::int32_t> write_values_;               // values with info writes
  std::vector<std::uint32_t> scratch_;                   // info_candidates
  std::vector<std::uint32_t> info_ops_;    // info id -> op, in invoke order
  std::vector<std::size_t> info_calls_;    // info id -> invoke position
  std::uint64_t info_omitted_ = 0;

  std::uint32_t best_p_ = 0;
  std::vector<std::uint32_t> best_ops_;
  std::size_t min_depth_since_best_ = 0;
  std::vector<State> reachable_;
  bool reachable_truncated_ = false;

  std::uint64_t charged_ = 0;
  std::uint64_t peak_bytes_ = 0;
};

template <class M>
SearchResult wgl_search(const M& model, const std::vector<typename M::Op>& ops, const std::vector<Operation>& meta,
                        typename M::State initial, const SearchLimits& limits) {
  return WglSearch<M>(model, ops, meta, std::move(initial), limits).run();
}

}  // namespace faultline::checkers::linearizable
