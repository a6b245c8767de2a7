#include "checkers/retry_checker.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

#include "checkers/config_reader.h"
#include "checkers/findings.h"
#include "checkers/not_configured.h"
#include "checkers/reference/profile_lookup.h"
#include "checkers/reference/retry_profiles.h"

namespace faultline::checkers {
namespace {

using history::Event;
using history::RetryEvent;

constexpr Nanos kDelaySlack = 1'000;  // 1us: rounding of base * multiplier^k

struct OpState {
  std::int64_t last_attempt = -1;
  Nanos first_time = 0;
  Nanos last_time = 0;
  Nanos last_delay = 0;
  bool finished = false;  // success or non-retryable seen
  const char* finished_by = "";
  std::size_t finished_line = 0;
  bool reported = false;  // one violation per op is listed (all are counted)
};

struct RetryViolation {
  std::string rule;
  const Event* event;
  std::string message;
};

std::string limit(Nanos ns) { return ns >= reference::kUnlimitedDelay ? "none" : describe_time(ns); }

nlohmann::json retry_config_json(const RetryCheckConfig& config) {
  const auto& p = config.policy;
  nlohmann::json j{{"profile", config.profile},
                   {"max_attempts", p.max_attempts == std::numeric_limits<int>::max() ? nlohmann::json("unbounded") : nlohmann::json(p.max_attempts)},
                   {"base_delay", describe_time(p.base_delay)},
                   {"multiplier", p.multiplier},
                   {"max_delay", limit(p.max_delay)},
                   {"jitter", reference::to_string(p.jitter)},
                   {"tolerance", describe_time(config.tolerance)}};
  if (p.jitter == reference::Jitter::kProportional) j["jitter_fraction"] = p.jitter_fraction;
  if (p.min_delay > 0) j["min_delay"] = describe_time(p.min_delay);
  if (p.max_elapsed > 0) j["max_elapsed"] = describe_time(p.max_elapsed);
  return j;
}

class RetryChecker : public Checker {
 public:
  std::string name() const override { return "retry"; }

  bool applies(const history::History& h) const override {
    return std::any_of(h.events.begin(), h.events.end(),
                       [](const Event& e) { return std::holds_alternative<RetryEvent>(e.body); });
  }

  Result<CheckResult> check(const history::History& h, const CheckOptions& options) override {
    auto parsed = parse_retry_config(options.config);
    if (!parsed) return parsed.error();
    if (!*parsed)
      return not_configured("retry", "no policy configured: give a `retry` section naming a profile (" + retry_profile_names() + ")");
    const auto config = &**parsed;
    const reference::RetryPolicy policy(config->policy);
    const auto& p = config->policy;

    // node -> op -> state; node names are few, ops many.
    std::unordered_map<std::string, std::unordered_map<std::int64_t, OpState>> ops;
    std::vector<RetryViolation> violations;
    std::map<std::string, std::size_t> by_rule;
    std::size_t attempts = 0, op_count = 0;
    std::int64_t max_seen = 0;
    std::string last_node;
    std::unordered_map<std::int64_t, OpState>* node_ops = nullptr;
    // Attempts per node, so each node's op table is sized once (no rehashing).
    std::unordered_map<std::string, std::size_t> per_node;
    {
      const std::string* prev = nullptr;
      std::size_t* count = nullptr;
      for (const auto& e : h.events) {
        const auto* re = std::get_if<RetryEvent>(&e.body);
        if (!re) continue;
        if (!prev || *prev != re->node) {
          count = &per_node[re->node];
          prev = &re->node;
        }
        ++*count;
      }
    }

    for (std::size_t i = 0; i < h.events.size(); ++i) {
      if ((i & 0xffff) == 0 && options.deadline > 0 && monotonic_now() > options.deadline) {
        CheckResult r;
        r.valid = Validity::kUnknown;
        r.findings = {{"valid", "unknown"}, {"reason", fmt::format("timed out at event {} of {}", i, h.events.size())}};
        r.text = "retry: unknown (timed out)";
        return r;
      }
      const Event& e = h.events[i];
      const auto* re = std::get_if<RetryEvent>(&e.body);
      if (!re) continue;
      ++attempts;
      max_seen = std::max(max_seen, re->attempt);
      if (!node_ops || re->node != last_node) {
        auto [slot, fresh] = ops.try_emplace(re->node);
        if (fresh) slot->second.reserve(per_node[re->node]);
        node_ops = &slot->second;
        last_node = re->node;
      }
      auto [it, inserted] = node_ops->try_emplace(re->op);
      OpState& op = it->second;
      if (inserted) ++op_count;
      auto who = [&] {
        return fmt::format("{} op {} attempt {} at {} ({})", re->node, re->op, re->attempt, describe_time(e.time),
                           describe_line(e));
      };
      auto violate = [&](const char* rule, std::string message) {
        ++by_rule[rule];
        if (!op.reported && violations.size() < kMaxListed) violations.push_back({rule, &e, std::move(message)});
        op.reported = true;
      };

      if (re->attempt >= p.max_attempts)
        violate("max_attempts", fmt::format("{}: more than max_attempts {} attempts", who(), p.max_attempts));
      if (op.finished)
        violate("after_success", fmt::format("{}: attempted after the {} of attempt {} ({})", who(), op.finished_by,
                                             op.last_attempt, op.finished_line > 0 ? fmt::format("line {}", op.finished_line) : "no line"));
      if (re->attempt != op.last_attempt + 1)
        violate("numbering", op.last_attempt < 0
                                 ? fmt::format("{}: the first attempt seen of this op is not attempt 0", who())
                                 : fmt::format("{}: follows attempt {}", who(), op.last_attempt));
      const auto bounds = policy.bounds(re->attempt, op.last_delay);
      if (re->delay < bounds.lo - kDelaySlack || re->delay > bounds.hi + kDelaySlack)
        violate("delay_bounds", fmt::format("{}: declared delay {} is outside [{}, {}] ({} jitter)", who(),
                                            describe_time(re->delay), describe_time(bounds.lo),
                                            describe_time(bounds.hi), reference::to_string(p.jitter)));
      if (p.max_elapsed > 0 && op.last_attempt >= 0 && op.last_time - op.first_time + re->delay > p.max_elapsed + config->tolerance)
        violate("max_elapsed", fmt::format("{}: {} after the op's first attempt plus the delay of {} is past max_elapsed {}",
                                           who(), describe_time(op.last_time - op.first_time), describe_time(re->delay),
                                           describe_time(p.max_elapsed)));
      if (op.last_attempt >= 0 && e.time - op.last_time < re->delay - config->tolerance)
        violate("gap", fmt::format("{}: only {} after attempt {}, but declared a delay of {} (tolerance {})", who(),
                                   describe_time(e.time - op.last_time), op.last_attempt, describe_time(re->delay),
                                   describe_time(config->tolerance)));

      if (op.last_attempt < 0) op.first_time = e.time;
      op.last_attempt = std::max(op.last_attempt, re->attempt);
      op.last_time = e.time;
      op.last_delay = re->delay;
      if (!op.finished && (re->outcome == "success" || re->outcome == "non-retryable")) {
        op.finished = true;
        op.finished_by = re->outcome == "success" ? "success" : "non-retryable";
        op.finished_line = e.line;
      }
    }

    std::size_t total = 0;
    nlohmann::json counts = nlohmann::json::object();
    for (const auto& [rule, n] : by_rule) {
      counts[rule] = n;
      total += n;
    }
    nlohmann::json listed = nlohmann::json::array();
    for (const auto& v : violations) {
      const auto& re = std::get<RetryEvent>(v.event->body);
      nlohmann::json j{{"rule", v.rule}, {"node", re.node}, {"op", re.op}, {"attempt", re.attempt},
                       {"time", v.event->time}, {"message", v.message}};
      if (v.event->line > 0) j["line"] = v.event->line;
      listed.push_back(std::move(j));
    }
    CheckResult r;
    r.valid = total == 0 ? Validity::kValid : Validity::kInvalid;
    r.findings = {{"valid", to_json(r.valid)},
                  {"config", retry_config_json(*config)},
                  {"ops", op_count},
                  {"attempts", attempts},
                  {"max_attempt_seen", max_seen},
                  {"violation_count", total},
                  {"violations_by_rule", counts},
                  {"violations", std::move(listed)}};
    if (total == 0) {
      r.text = fmt::format("retry: valid ({} ops, {} attempts)", op_count, attempts);
    } else {
      r.text = fmt::format("retry: INVALID: {} violation(s) in {} ops", total, op_count);
      for (std::size_t i = 0; i < violations.size() && i < 10; ++i)
        r.text += fmt::format("\n  {}: {}", violations[i].rule, violations[i].message);
    }
    return r;
  }
};

}  // namespace

std::string retry_profile_names() { return reference::profile_names(reference::retry_profiles()); }

Result<std::optional<RetryCheckConfig>> parse_retry_config(const nlohmann::json& section) {
  if (!section.is_object() || section.empty()) return std::optional<RetryCheckConfig>{};
  RetryCheckConfig out;
  // `preset` is the older name of `profile`.
  auto text = [&](const char* key) { return section.contains(key) && section[key].is_string() ? section[key].get<std::string>() : std::string(); };
  out.profile = section.contains("profile") ? text("profile") : text("preset");
  if (out.profile.empty())
    return invalid_input("config retry: no profile (name the library the system uses: " + retry_profile_names() + ")");
  auto profile = reference::retry_profile(out.profile);
  if (!profile) return invalid_input("config " + profile.error().message);
  auto named = reference::with_knob_names(*profile, section, "retry");
  if (!named) return named.error();
  ConfigReader c(*named, "retry");
  c.ignore("profile");
  c.ignore("preset");
  out.policy = profile->config;
  auto& p = out.policy;
  p.max_attempts = static_cast<int>(c.integer("max_attempts", p.max_attempts, 1, std::numeric_limits<int>::max()));
  p.base_delay = c.duration("base_delay", p.base_delay);
  p.multiplier = c.number("multiplier", p.multiplier, 1, 1e6);
  p.max_delay = c.duration("max_delay", p.max_delay);
  auto jitter = reference::parse_jitter(c.string("jitter", reference::to_string(p.jitter)));
  if (!jitter) return invalid_input("config " + jitter.error().message);
  p.jitter = *jitter;
  p.jitter_fraction = c.number("jitter_fraction", p.jitter_fraction, 0, 0.999);
  p.min_delay = c.duration("min_delay", p.min_delay);
  p.max_elapsed = c.duration("max_elapsed", p.max_elapsed);
  out.tolerance = c.duration("tolerance", out.tolerance);
  if (auto done = c.finish(); !done) return done.error();
  if (auto valid = reference::validate(p); !valid) return invalid_input("config " + valid.error().message);
  return std::optional<RetryCheckConfig>(std::move(out));
}

std::unique_ptr<Checker> make_retry_checker() { return std::make_unique<RetryChecker>(); }

}  // namespace faultline::checkers
