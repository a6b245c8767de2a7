#include "checkers/detector_config.h"

#include <fmt/format.h>

#include "checkers/config_reader.h"
#include "checkers/findings.h"
#include "checkers/ground_truth.h"

namespace faultline::checkers {
namespace {

using reference::Status;

Result<Status> status_named(const std::string& s) {
  if (s == "alive") return Status::kAlive;
  if (s == "suspect") return Status::kSuspect;
  if (s == "dead") return Status::kDead;
  return invalid_input(fmt::format("config detector.reports: unknown status \"{}\" (alive, suspect, dead)", s));
}

void read_swim(ConfigReader& c, reference::DetectorProfile& p, nlohmann::json& knobs) {
  auto& s = p.swim;
  s.probe_interval = c.duration("probe_interval", s.probe_interval, 1);
  s.probe_timeout = c.duration("probe_timeout", s.probe_timeout, 1);
  s.indirect_checks = static_cast<int>(c.integer("indirect_checks", s.indirect_checks, 0, 64));
  s.suspicion_mult = static_cast<int>(c.integer("suspicion_mult", s.suspicion_mult, 1, 1000));
  s.suspicion_max_timeout_mult =
      static_cast<int>(c.integer("suspicion_max_timeout_mult", s.suspicion_max_timeout_mult, 1, 1000));
  s.retransmit_mult = static_cast<int>(c.integer("retransmit_mult", s.retransmit_mult, 1, 1000));
  s.gossip_interval = c.duration("gossip_interval", s.gossip_interval, 0);
  s.gossip_nodes = static_cast<int>(c.integer("gossip_nodes", s.gossip_nodes, 0, 1000));
  s.gossip_to_the_dead_time = c.duration("gossip_to_the_dead_time", s.gossip_to_the_dead_time, 0);
  s.awareness_max_multiplier = static_cast<int>(c.integer("awareness_max_multiplier", s.awareness_max_multiplier, 0, 1000));
  s.push_pull_interval = c.duration("push_pull_interval", s.push_pull_interval, 0);
  s.reconnect_interval = c.duration("reconnect_interval", s.reconnect_interval, 0);
  s.ack_dead_pinger = c.boolean("ack_dead_pinger", s.ack_dead_pinger);
  s.confirm_raises_incarnation = c.boolean("confirm_raises_incarnation", s.confirm_raises_incarnation);
  p.join_on_restart = c.boolean("join_on_restart", p.join_on_restart);
  knobs = {{"probe_interval", describe_time(s.probe_interval)},
           {"probe_timeout", describe_time(s.probe_timeout)},
           {"indirect_checks", s.indirect_checks},
           {"suspicion_mult", s.suspicion_mult},
           {"suspicion_max_timeout_mult", s.suspicion_max_timeout_mult},
           {"retransmit_mult", s.retransmit_mult},
           {"gossip_interval", describe_time(s.gossip_interval)},
           {"gossip_nodes", s.gossip_nodes},
           {"gossip_to_the_dead_time", describe_time(s.gossip_to_the_dead_time)},
           {"awareness_max_multiplier", s.awareness_max_multiplier},
           {"push_pull_interval", describe_time(s.push_pull_interval)},
           {"reconnect_interval", describe_time(s.reconnect_interval)},
           {"ack_dead_pinger", s.ack_dead_pinger},
           {"confirm_raises_incarnation", s.confirm_raises_incarnation},
           {"join_on_restart", p.join_on_restart}};
}

void read_heartbeat(ConfigReader& c, reference::DetectorProfile& p, nlohmann::json& knobs) {
  p.heartbeat_interval = c.duration("heartbeat_interval", p.heartbeat_interval, 1);
  p.heartbeat.timeout = c.duration("timeout", p.heartbeat.timeout, 1);
  knobs = {{"heartbeat_interval", describe_time(p.heartbeat_interval)}, {"timeout", describe_time(p.heartbeat.timeout)}};
}

void read_phi(ConfigReader& c, reference::DetectorProfile& p, nlohmann::json& knobs) {
  auto& f = p.phi;
  p.heartbeat_interval = c.duration("heartbeat_interval", p.heartbeat_interval, 1);
  f.threshold = c.number("threshold", f.threshold, 0.1, 1000);
  f.dead_threshold = c.number("dead_threshold", f.dead_threshold, 0, 1000);
  f.max_sample_size = static_cast<std::size_t>(c.integer("max_sample_size", static_cast<std::int64_t>(f.max_sample_size), 1, 1'000'000));
  f.min_std_deviation = c.duration("min_std_deviation", f.min_std_deviation, 1);
  f.acceptable_heartbeat_pause = c.duration("acceptable_heartbeat_pause", f.acceptable_heartbeat_pause, 0);
  f.first_heartbeat_estimate = c.duration("first_heartbeat_estimate", f.first_heartbeat_estimate, 1);
  f.exponential = c.boolean("exponential", f.exponential);
  f.max_interval = c.duration("max_interval", f.max_interval, 0);
  knobs = {{"heartbeat_interval", describe_time(p.heartbeat_interval)},
           {"threshold", f.threshold},
           {"dead_threshold", f.dead_threshold},
           {"max_sample_size", f.max_sample_size},
           {"min_std_deviation", describe_time(f.min_std_deviation)},
           {"acceptable_heartbeat_pause", describe_time(f.acceptable_heartbeat_pause)},
           {"first_heartbeat_estimate", describe_time(f.first_heartbeat_estimate)},
           {"exponential", f.exponential},
           {"max_interval", describe_time(f.max_interval)}};
}

}  // namespace

Result<DetectorConfig> read_detector_config(const nlohmann::json& section) {
  ConfigReader c(section, "detector");
  DetectorConfig out;
  out.detection_bound = c.optional_duration("detection_bound", 1);
  out.recovery_bound = c.optional_duration("recovery_bound", 1);
  out.strict_accuracy = c.boolean("strict_accuracy", true);
  auto kinds = c.strings("degraded_kinds", default_degraded_kinds());
  out.degraded_kinds = std::set<std::string>(kinds.begin(), kinds.end());
  out.trials = static_cast<int>(c.integer("trials", out.trials, 1, 10'000));
  out.margin = c.number("margin", out.margin, 1.0, 100.0);
  const std::optional<Nanos> slack = c.optional_duration("slack", 0);

  std::string name = c.string("profile", "");
  const std::string kind = c.string("kind", "");
  if (!kind.empty()) {
    if (!name.empty()) return invalid_input("config detector: give `profile` or the older `kind`, not both");
    if (kind == "swim" || kind == "heartbeat") name = kind;
    else if (kind == "phi") name = "akka";
    else return invalid_input(fmt::format("config detector.kind: must be swim, heartbeat or phi, got \"{}\"", kind));
  }
  if (!name.empty()) {
    auto p = reference::detector_profile(name);
    if (!p) return invalid_input("config " + p.error().message);
    reference::DetectorProfile profile = *p;
    nlohmann::json knobs;
    if (profile.kind == "swim") read_swim(c, profile, knobs);
    else if (profile.kind == "heartbeat") read_heartbeat(c, profile, knobs);
    else read_phi(c, profile, knobs);
    if (profile.kind == "swim")
      if (auto v = profile.swim.validate(); !v) return invalid_input("config detector: " + v.error().message);
    out.reports = std::set<Status>(profile.reports.begin(), profile.reports.end());
    out.detected = profile.detected;
    out.knobs = std::move(knobs);
    out.profile = std::move(profile);
  }
  if (c.has("reports")) {
    auto names = c.strings("reports", {});
    std::set<Status> reports;
    for (const auto& s : names) {
      auto st = status_named(s);
      if (!st) return st.error();
      reports.insert(*st);
    }
    if (!reports.count(Status::kAlive) || reports.size() < 2)
      return invalid_input("config detector.reports: needs alive and at least one of suspect, dead");
    out.reports = std::move(reports);
  } else {
    c.ignore("reports");
  }
  if (!out.reports.count(out.detected)) out.detected = out.reports.count(Status::kDead) ? Status::kDead : Status::kSuspect;
  if (auto done = c.finish(); !done) {
    if (out.profile && done.error().message.find("unknown field") != std::string::npos)
      return invalid_input(fmt::format("{} (not a knob of profile {}, kind {})", done.error().message,
                                       out.profile->name, out.profile->kind));
    return done.error();
  }
  // Slack: one more protocol round for timing noise the trials do not sample
  // (the reference's tails, the service's scheduling): two probe periods
  // (SWIM) or two heartbeat intervals.
  if (slack) out.slack = *slack;
  else if (out.profile)
    out.slack = 2 * (out.profile->kind == "swim" ? out.profile->swim.probe_interval : out.profile->heartbeat_interval);
  out.configured = out.profile.has_value() || (out.detection_bound && out.recovery_bound);
  return out;
}

}  // namespace faultline::checkers
