#include "faults/disk/disk_rules.h"

#include <fnmatch.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "faults/net/net_params.h"
#include "faults/process/fault_id.h"
#include "faults/spec/disk_ops.h"

namespace faultline::faults::disk {
namespace {

// Fields every kind accepts beside its own: the FaultSpec's common ones.
Result<Selector> parse_selector(const FaultSpec& spec) {
  Selector selector;
  if (auto ops = spec.params.find("ops"); ops != spec.params.end()) {
    auto bad = [&] {
      return invalid_input(fmt::format("{} field \"ops\" must be a list of operations among: {}", spec.kind,
                                       fmt::join(op_names(), ", ")));
    };
    std::vector<std::string> names;
    if (ops->is_string()) names.push_back(ops->get<std::string>());
    else if (ops->is_array()) {
      for (const auto& op : *ops) {
        if (!op.is_string()) return bad();
        names.push_back(op.get<std::string>());
      }
    } else {
      return bad();
    }
    if (names.empty()) return bad();
    for (const auto& name : names) {
      const auto& all = op_names();
      auto it = std::find(all.begin(), all.end(), name);
      if (it == all.end())
        return invalid_input(fmt::format("{} field \"ops\": unknown operation '{}' (known: {})", spec.kind, name,
                                         fmt::join(all, ", ")));
      selector.ops |= op_bit(static_cast<DiskOp>(it - all.begin()));
    }
  }
  if (auto path = spec.params.find("path"); path != spec.params.end()) {
    if (!path->is_string() || path->get<std::string>().empty())
      return invalid_input(fmt::format("{} field \"path\" must be a non-empty glob such as \"*.log\"", spec.kind));
    selector.path = path->get<std::string>();
    while (selector.path.size() > 1 && selector.path.front() == '/') selector.path.erase(0, 1);
  }
  return selector;
}

nlohmann::json selector_json(const Selector& selector) {
  std::vector<std::string> ops;
  for (unsigned i = 0; i < static_cast<unsigned>(DiskOp::kCount); ++i)
    if (selector.ops & op_bit(static_cast<DiskOp>(i))) ops.push_back(op_names()[i]);
  return {{"ops", ops}, {"path", selector.path}};
}

Selector selector_from_json(const nlohmann::json& record) {
  Selector selector;
  for (const auto& name : record.value("ops", std::vector<std::string>{})) {
    const auto& all = op_names();
    auto it = std::find(all.begin(), all.end(), name);
    if (it != all.end()) selector.ops |= op_bit(static_cast<DiskOp>(it - all.begin()));
  }
  selector.path = record.value("path", std::string());
  return selector;
}

std::string selector_text(const Selector& selector) {
  std::vector<std::string> ops;
  for (unsigned i = 0; i < static_cast<unsigned>(DiskOp::kCount); ++i)
    if (selector.ops & op_bit(static_cast<DiskOp>(i))) ops.push_back(op_names()[i]);
  return fmt::format("{} on {}", ops.empty() ? std::string("every op") : fmt::format("{}", fmt::join(ops, ",")),
                     selector.path.empty() ? std::string("every path") : selector.path);
}

Result<std::string> id_of(const FaultSpec& spec) { return fault_id_for(spec); }

double uniform01(std::mt19937_64& rng) { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }

}  // namespace

const std::vector<std::string>& op_names() { return spec::disk_op_names(); }

std::string_view op_name(DiskOp op) { return op_names()[static_cast<unsigned>(op)]; }

Result<int> parse_errno(const nlohmann::json& value) {
  if (value.is_number_integer()) {
    int n = value.get<int>();
    if (n <= 0 || n > 4095) return invalid_input(fmt::format("errno {} is out of range", n));
    return n;
  }
  if (value.is_string()) {
    static const std::map<std::string, int> names = [] {
      std::map<std::string, int> out;
      for (int n = 1; n < 200; ++n)
        if (const char* name = ::strerrorname_np(n)) out[name] = n;
      return out;
    }();
    auto it = names.find(value.get<std::string>());
    if (it != names.end()) return it->second;
    return invalid_input(fmt::format("'{}' is not an errno name such as EIO, ENOSPC or EROFS", value.get<std::string>()));
  }
  return invalid_input("errno must be a name such as \"EIO\" or a positive number");
}

std::string errno_name(int errnum) {
  const char* name = ::strerrorname_np(errnum);
  return name ? name : std::to_string(errnum);
}

std::string_view crash_name(CrashAction action) {
  switch (action) {
    case CrashAction::kDrop: return "drop";
    case CrashAction::kKill: return "kill";
    case CrashAction::kNone: return "none";
  }
  return "drop";
}

bool Selector::matches(DiskOp op, std::string_view relative_path) const {
  if (ops != 0 && !(ops & op_bit(op))) return false;
  if (path.empty()) return true;
  std::string subject(relative_path);
  if (path.find('/') == std::string::npos) {
    auto slash = subject.rfind('/');
    if (slash != std::string::npos) subject.erase(0, slash + 1);
  }
  return ::fnmatch(path.c_str(), subject.c_str(), 0) == 0;
}

Result<SlowRule> parse_slow_rule(const FaultSpec& spec) {
  if (!spec.params.contains("delay")) return invalid_input("disk-slow needs a field \"delay\" (e.g. \"20ms\")");
  SlowRule rule;
  auto delay = net::parse_duration_us(spec.params, "delay", 0);
  auto jitter = net::parse_duration_us(spec.params, "jitter", 0);
  auto percent = net::parse_percent(spec.params, "percent", 100);
  auto where = parse_selector(spec);
  auto id = id_of(spec);
  if (!delay) return delay.error();
  if (!jitter) return jitter.error();
  if (!percent) return percent.error();
  if (!where) return where.error();
  if (!id) return id.error();
  if (*delay <= 0) return invalid_input("disk-slow field \"delay\" must be positive");
  if (*jitter < 0) return invalid_input("disk-slow field \"jitter\" must not be negative");
  rule.id = *id;
  rule.delay = *delay * 1000;
  rule.jitter = *jitter * 1000;
  rule.percent = *percent;
  rule.where = *where;
  return rule;
}

Result<ErrorRule> parse_error_rule(const FaultSpec& spec) {
  ErrorRule rule;
  if (auto e = spec.params.find("errno"); e != spec.params.end()) {
    auto parsed = parse_errno(*e);
    if (!parsed) return parsed.error().with_context("disk-error field \"errno\"");
    rule.errnum = *parsed;
  }
  auto percent = net::parse_percent(spec.params, "percent", 100);
  auto where = parse_selector(spec);
  auto id = id_of(spec);
  if (!percent) return percent.error();
  if (!where) return where.error();
  if (!id) return id.error();
  rule.id = *id;
  rule.percent = *percent;
  rule.where = *where;
  return rule;
}

Result<LoseUnsyncedRule> parse_lose_unsynced_rule(const FaultSpec& spec) {
  LoseUnsyncedRule rule;
  if (auto c = spec.params.find("crash"); c != spec.params.end()) {
    const std::string text = c->is_string() ? c->get<std::string>() : "";
    if (text == "drop") rule.crash = CrashAction::kDrop;
    else if (text == "kill") rule.crash = CrashAction::kKill;
    else if (text == "none") rule.crash = CrashAction::kNone;
    else return invalid_input("lose-unsynced field \"crash\" must be \"drop\", \"kill\" or \"none\"");
  }
  auto where = parse_selector(spec);
  auto id = id_of(spec);
  if (!where) return where.error();
  if (!id) return id.error();
  rule.id = *id;
  rule.path = where->path;
  return rule;
}

nlohmann::json to_json(const SlowRule& rule) {
  return {{"id", rule.id}, {"where", selector_json(rule.where)}, {"delay_ns", rule.delay},
          {"jitter_ns", rule.jitter}, {"percent", rule.percent}};
}
nlohmann::json to_json(const ErrorRule& rule) {
  return {{"id", rule.id}, {"where", selector_json(rule.where)}, {"errno", rule.errnum},
          {"errno_name", errno_name(rule.errnum)}, {"percent", rule.percent}};
}
nlohmann::json to_json(const LoseUnsyncedRule& rule) {
  return {{"id", rule.id}, {"path", rule.path}, {"crash", crash_name(rule.crash)}};
}

Result<SlowRule> slow_rule_from_json(const nlohmann::json& record) {
  if (!record.contains("id") || !record.contains("delay_ns")) return invalid_input("disk-slow record lacks id or delay_ns");
  SlowRule rule;
  rule.id = record.value("id", std::string());
  rule.where = selector_from_json(record.value("where", nlohmann::json::object()));
  rule.delay = record.value("delay_ns", Nanos{0});
  rule.jitter = record.value("jitter_ns", Nanos{0});
  rule.percent = record.value("percent", 100.0);
  return rule;
}
Result<ErrorRule> error_rule_from_json(const nlohmann::json& record) {
  if (!record.contains("id") || !record.contains("errno")) return invalid_input("disk-error record lacks id or errno");
  ErrorRule rule;
  rule.id = record.value("id", std::string());
  rule.where = selector_from_json(record.value("where", nlohmann::json::object()));
  rule.errnum = record.value("errno", 5);
  rule.percent = record.value("percent", 100.0);
  return rule;
}
Result<LoseUnsyncedRule> lose_unsynced_rule_from_json(const nlohmann::json& record) {
  if (!record.contains("id")) return invalid_input("lose-unsynced record lacks id");
  LoseUnsyncedRule rule;
  rule.id = record.value("id", std::string());
  rule.path = record.value("path", std::string());
  const auto crash = record.value("crash", std::string("drop"));
  rule.crash = crash == "kill" ? CrashAction::kKill : crash == "none" ? CrashAction::kNone : CrashAction::kDrop;
  return rule;
}

std::string describe(const SlowRule& rule) {
  return fmt::format("disk-slow: +{}{} on {}% of {}", format_duration(rule.delay),
                     rule.jitter ? " ±" + format_duration(rule.jitter) : std::string(), rule.percent,
                     selector_text(rule.where));
}
std::string describe(const ErrorRule& rule) {
  return fmt::format("disk-error: {} on {}% of {}", errno_name(rule.errnum), rule.percent, selector_text(rule.where));
}
std::string describe(const LoseUnsyncedRule& rule) {
  return fmt::format("lose-unsynced: hold unsynced writes to {}, crash action {}",
                     rule.path.empty() ? std::string("every file") : rule.path, crash_name(rule.crash));
}

void RuleSet::recompute() {
  faulted_ops = 0;
  for (const auto& r : slow) faulted_ops |= r.where.ops ? r.where.ops : kAllOps;
  for (const auto& r : errors) faulted_ops |= r.where.ops ? r.where.ops : kAllOps;
}

Decision RuleSet::decide(DiskOp op, std::string_view relative_path, std::mt19937_64& rng) const {
  Decision out;
  for (const auto& r : slow) {
    if (!r.where.matches(op, relative_path)) continue;
    if (r.percent < 100 && uniform01(rng) * 100 >= r.percent) continue;
    Nanos d = r.delay;
    if (r.jitter > 0) d += static_cast<Nanos>((uniform01(rng) * 2 - 1) * static_cast<double>(r.jitter));
    out.delay += std::max<Nanos>(d, 0);
  }
  for (const auto& r : errors) {
    if (!r.where.matches(op, relative_path)) continue;
    if (r.percent < 100 && uniform01(rng) * 100 >= r.percent) continue;
    out.errnum = r.errnum;
    break;
  }
  return out;
}

}  // namespace faultline::faults::disk
