#include "checkers/linearizable/linearizable_checker.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "checkers/linearizable/models.h"
#include "checkers/linearizable/operation.h"
#include "common/units.h"

namespace faultline::checkers {
namespace {

using nlohmann::json;
using namespace linearizable;

constexpr std::uint64_t kDefaultMaxCache = 512ull << 20;  // 512 MiB
constexpr std::size_t kPrefixShown = 50;                 // prefix ops listed in findings
constexpr std::size_t kTimelineOps = 60;                 // ops drawn around the violation
constexpr std::size_t kOpsPerThread = 1000;              // fewer ops: searched on the calling thread alone

json validity_json(Validity v) {
  return v == Validity::kValid ? json(true) : v == Validity::kInvalid ? json(false) : json("unknown");
}

struct Partition {
  json key;  // null when the ops carry no key
  std::vector<Operation> ops;
};

struct Settings {
  std::string model = "cas-register";
  std::optional<json> initial;
  unsigned threads = 0;
  std::uint64_t max_cache = kDefaultMaxCache;
  bool omit_info = true;
};

Result<Settings> read_settings(const CheckOptions& options) {
  Settings s;
  const json& config = options.config;
  if (!config.is_null() && !config.is_object())
    return invalid_input("linearizable config must be an object, got " + config.dump());
  auto field = [&](const char* name) -> const json* {
    if (!config.is_object()) return nullptr;
    auto it = config.find(name);
    return it == config.end() ? nullptr : &*it;
  };
  if (const json* m = field("model")) {
    if (!m->is_string()) return invalid_input("linearizable.model must be a string, got " + m->dump());
    s.model = m->get<std::string>();
  }
  if (!options.model.empty()) s.model = options.model;
  if (const json* i = field("initial")) s.initial = *i;
  if (options.initial) s.initial = options.initial;
  if (const json* t = field("threads")) {
    if (!t->is_number_integer() || t->get<std::int64_t>() < 1 || t->get<std::int64_t>() > 1024)
      return invalid_input("linearizable.threads must be an integer from 1 to 1024, got " + t->dump());
    s.threads = t->get<unsigned>();
  }
  if (const json* c = field("max_cache")) {
    if (c->is_number_unsigned() || (c->is_number_integer() && c->get<std::int64_t>() > 0)) {
      s.max_cache = c->get<std::uint64_t>();
    } else if (c->is_string()) {
      auto size = parse_size(c->get<std::string>());
      if (!size) return size.error().with_context("linearizable.max_cache");
      s.max_cache = *size;
    } else {
      return invalid_input("linearizable.max_cache must be a size such as \"512MiB\", got " + c->dump());
    }
    if (s.max_cache == 0) return invalid_input("linearizable.max_cache must be more than 0");
  }
  if (const json* o = field("omit_info")) {
    if (!o->is_boolean()) return invalid_input("linearizable.omit_info must be true or false, got " + o->dump());
    s.omit_info = o->get<bool>();
  }
  return s;  // threads 0: as many as the machine has cores (asked only when more than one could help)
}

// Partitions in order of first appearance; keys are equal when their JSON
// text is (1 and 1.0 are two keys). A string key is looked up by its
// characters, without dumping it.
std::vector<Partition> partition_by_key(std::vector<Operation> ops) {
  std::vector<Partition> parts;
  if (ops.empty()) return parts;
  const json& first = ops.front().key();
  if (std::all_of(ops.begin(), ops.end(), [&](const Operation& op) { return op.key().type() == first.type() && op.key() == first; })) {
    parts.push_back(Partition{first, std::move(ops)});  // one key (or none): no copy
    return parts;
  }
  std::unordered_map<std::string, std::size_t> index;
  std::string text;
  std::vector<std::size_t> part_of(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const json& key = ops[i].key();
    text = key.is_string() ? "s" + key.get_ref<const std::string&>() : key.dump();
    auto [it, fresh] = index.try_emplace(text, parts.size());
    if (fresh) parts.push_back(Partition{key, {}});
    part_of[i] = it->second;
  }
  std::vector<std::size_t> sizes(parts.size(), 0);
  for (std::size_t p : part_of) ++sizes[p];
  for (std::size_t p = 0; p < parts.size(); ++p) parts[p].ops.reserve(sizes[p]);
  for (std::size_t i = 0; i < ops.size(); ++i) parts[part_of[i]].ops.push_back(std::move(ops[i]));
  return parts;
}

std::string key_suffix(const json& key) { return key.is_null() ? "" : " (key " + key.dump() + ")"; }

// The ops drawn around the violation: the tail of the prefix, the failed op,
// and everything of the partition that overlaps that span.
json timeline(const Partition& part, const SearchResult& r, const history::History& history) {
  std::map<std::size_t, std::size_t> order;  // op -> position in the prefix
  for (std::size_t i = 0; i < r.prefix.size(); ++i) order[r.prefix[i]] = i;
  std::size_t first_shown = r.prefix.size() > 20 ? r.prefix.size() - 20 : 0;
  std::size_t lo = part.ops[r.failed_op].call;
  for (std::size_t i = first_shown; i < r.prefix.size(); ++i) lo = std::min(lo, part.ops[r.prefix[i]].call);
  std::size_t hi = part.ops[r.failed_op].ret;
  std::vector<std::size_t> chosen;
  for (std::size_t i = 0; i < part.ops.size(); ++i) {
    const auto& op = part.ops[i];
    bool overlaps = op.call <= hi && (op.ret == kNever || op.ret >= lo);
    if (overlaps || i == r.failed_op) chosen.push_back(i);
  }
  // Keep the failed op and its nearest neighbours when there are too many.
  if (chosen.size() > kTimelineOps) {
    std::stable_sort(chosen.begin(), chosen.end(), [&](std::size_t a, std::size_t b) {
      auto dist = [&](std::size_t i) {
        std::size_t c = part.ops[i].call, f = part.ops[r.failed_op].call;
        return i == r.failed_op ? 0 : (c > f ? c - f : f - c) + 1;
      };
      return dist(a) < dist(b);
    });
    chosen.resize(kTimelineOps);
    std::sort(chosen.begin(), chosen.end());
  }
  json out = json::array();
  for (std::size_t i : chosen) {
    const auto& op = part.ops[i];
    json o = {{"id", i},
              {"process", op.process},
              {"f", op.f},
              {"value", op.input()},
              {"type", op.info ? "info" : "ok"},
              {"call", op.call},
              {"call_time", history.events[op.call].time}};
    if (!op.info) {
      o["output"] = op.output();
      o["return"] = op.ret;
      o["return_time"] = history.events[op.ret].time;
    } else {
      o["return"] = nullptr;
    }
    auto it = order.find(i);
    o["linearized"] = it == order.end() ? json() : json(it->second);
    if (it != order.end()) o["state_after"] = r.prefix_states[it->second];
    o["failed"] = i == r.failed_op;
    out.push_back(std::move(o));
  }
  return out;
}

class LinearizableChecker : public Checker {
 public:
  std::string name() const override { return "linearizable"; }

  bool applies(const history::History& history) const override {
    return std::any_of(history.events.begin(), history.events.end(),
                       [](const auto& e) { return std::holds_alternative<history::ClientEvent>(e.body); });
  }

  Result<CheckResult> check(const history::History& history, const CheckOptions& options) override {
    auto settings = read_settings(options);
    if (!settings) return settings.error();
    auto model = make_model(settings->model);
    if (!model) {
      std::string known;
      for (const auto& n : model_names()) known += (known.empty() ? "" : ", ") + n;
      return invalid_input(fmt::format("linearizable: unknown model \"{}\" (known: {})", settings->model, known));
    }
    auto initial = model->check_initial(settings->initial);
    if (!initial) return initial.error().with_context("linearizable");
    auto ops = collect_operations(history);
    if (!ops) return ops.error();
    const std::size_t op_count = ops->size();
    std::vector<Partition> parts = partition_by_key(std::move(ops).value());

    // Search every partition, largest first, on a pool of threads.
    std::vector<std::size_t> order(parts.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return parts[a].ops.size() > parts[b].ops.size(); });
    std::vector<std::optional<Result<SearchResult>>> results(parts.size());
    std::atomic<std::size_t> next{0};
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> cache_bytes{0};
    SearchLimits limits;
    limits.deadline = options.deadline;
    limits.max_cache_bytes = settings->max_cache;
    limits.cache_bytes = &cache_bytes;
    limits.stop = &stop;
    limits.omit_pending = settings->omit_info;
    auto worker = [&] {
      for (;;) {
        std::size_t n = next.fetch_add(1);
        if (n >= order.size() || stop.load()) return;
        std::size_t i = order[n];
        auto r = model->check(parts[i].ops, settings->initial, limits);
        if (!r || r->outcome == Outcome::kNotLinearizable || r->outcome == Outcome::kMemoryBound ||
            r->outcome == Outcome::kTimeout)
          stop.store(true);
        results[i] = std::move(r);
      }
    };
    // The calling thread searches too; helpers only when there is enough to
    // share (a thread costs more than searching a short history on a busy box).
    unsigned threads = 1;
    if (op_count >= kOpsPerThread && parts.size() > 1) {
      threads = settings->threads != 0 ? settings->threads : std::max(1u, std::thread::hardware_concurrency());
      threads = static_cast<unsigned>(std::min<std::size_t>(threads, parts.size()));
    }
    std::vector<std::thread> helpers;
    for (unsigned t = 1; t < threads; ++t) helpers.emplace_back(worker);
    worker();
    for (auto& t : helpers) t.join();

    // Aggregate: an input error first, then the first violation, then unknowns.
    CheckResult out;
    json& f = out.findings;
    f["model"] = settings->model;
    f["initial"] = *initial;
    f["operations"] = op_count;
    f["partitions"] = parts.size();
    std::uint64_t configurations = 0, peak_cache = 0, info_omitted = 0, info_searched = 0;
    std::size_t checked = 0;
    const Partition* failed = nullptr;
    const SearchResult* failure = nullptr;
    std::optional<std::string> unknown;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (!results[i]) continue;
      if (!*results[i]) return results[i]->error();
      const SearchResult& r = **results[i];
      configurations += r.configurations;
      info_omitted += r.info_omitted;
      info_searched += r.info_searched;
      peak_cache = std::max(peak_cache, r.cache_bytes);
      if (r.outcome == Outcome::kLinearizable) ++checked;
      if (r.outcome == Outcome::kNotLinearizable && !failed) {
        failed = &parts[i];
        failure = &r;
      }
      if (r.outcome == Outcome::kTimeout && !unknown)
        unknown = "deadline passed before the search finished" + key_suffix(parts[i].key);
      if (r.outcome == Outcome::kMemoryBound && !unknown)
        unknown = fmt::format("memory bound hit: the search cache reached linearizable.max_cache = {}{}; "
                              "the verdict is unknown (raise max_cache, or check a shorter history)",
                              format_size(settings->max_cache), key_suffix(parts[i].key));
    }
    if (!failed && !unknown && checked < parts.size())
      unknown = "deadline passed before every partition was searched";
    f["partitions_linearizable"] = checked;
    f["configurations"] = configurations;
    f["peak_cache_bytes"] = peak_cache;
    f["info_omitted"] = info_omitted;    // info ops no linearization needs (model.h omit_pending)
    f["info_searched"] = info_searched;  // info ops left to the search
    std::string head = fmt::format("model {}, initial {}; {} ops in {} partition{}", settings->model, initial->dump(),
                                   op_count, parts.size(), parts.size() == 1 ? "" : "s");
    if (failed) {
      out.valid = Validity::kInvalid;
      describe_violation(*failed, *failure, history, out);
      out.text = "linearizable: NOT linearizable (" + head + ")\n" + out.text;
    } else if (unknown) {
      out.valid = Validity::kUnknown;
      f["reason"] = *unknown;
      out.text = fmt::format("linearizable: unknown ({}; {} of {} partitions linearizable): {}", head, checked,
                             parts.size(), *unknown);
    } else {
      out.valid = Validity::kValid;
      out.text = fmt::format("linearizable: valid ({}; {} configurations searched)", head, configurations);
    }
    f["valid"] = validity_json(out.valid);
    return out;
  }

 private:
  static void describe_violation(const Partition& part, const SearchResult& r, const history::History& history,
                                 CheckResult& out) {
    json& f = out.findings;
    const Operation& bad = part.ops[r.failed_op];
    if (!part.key.is_null()) f["key"] = part.key;
    f["op"] = describe_operation(bad, history);
    json prefix = json::array();
    std::size_t from = r.prefix.size() > kPrefixShown ? r.prefix.size() - kPrefixShown : 0;
    for (std::size_t i = from; i < r.prefix.size(); ++i) {
      json op = describe_operation(part.ops[r.prefix[i]], history);
      op["state_after"] = r.prefix_states[i];
      prefix.push_back(std::move(op));
    }
    f["linearized_prefix"] = {{"length", r.prefix.size()}, {"shown_from", from}, {"ops", std::move(prefix)}};
    f["reachable_states"] = r.reachable_states;
    f["reachable_states_truncated"] = r.reachable_truncated;
    f["timeline"] = timeline(part, r, history);

    const auto& call = history.events[bad.call];
    std::string where = fmt::format("invoked at line {}", call.line);
    if (bad.ret != kNever) where += fmt::format(", completed at line {}", history.events[bad.ret].line);
    std::string text = fmt::format("  cannot linearize{}: {} ({})\n", key_suffix(part.key), summarize_operation(bad), where);
    text += fmt::format("  longest linearizable prefix: {} op{}", r.prefix.size(), r.prefix.size() == 1 ? "" : "s");
    std::size_t shown_from = r.prefix.size() > 10 ? r.prefix.size() - 10 : 0;
    if (shown_from > 0) text += fmt::format(" (last {} shown)", r.prefix.size() - shown_from);
    text += "\n";
    for (std::size_t i = shown_from; i < r.prefix.size(); ++i)
      text += fmt::format("    {}. {}  => {}\n", i + 1, summarize_operation(part.ops[r.prefix[i]]), r.prefix_states[i].dump());
    std::string states;
    for (const auto& s : r.reachable_states) states += (states.empty() ? "" : ", ") + s.dump();
    text += fmt::format("  states reachable just before it: {}{}", states, r.reachable_truncated ? ", ..." : "");
    out.text = text;
  }
};

}  // namespace

std::unique_ptr<Checker> make_linearizable_checker() { return std::make_unique<LinearizableChecker>(); }

}  // namespace faultline::checkers
