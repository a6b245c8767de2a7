#include "checkers/reference/detector_profiles.h"

#include "checkers/reference/profile_lookup.h"
#include "common/units.h"

namespace faultline::reference {
namespace {

DetectorProfile swim_profile(std::string name, std::string source, SwimConfig swim, bool join) {
  DetectorProfile p;
  p.name = std::move(name);
  p.kind = "swim";
  p.source = std::move(source);
  p.swim = swim;
  p.join_on_restart = join;
  return p;
}

std::vector<DetectorProfile> make_detector_profiles() {
  std::vector<DetectorProfile> out;
  const std::vector<Status> alive_dead{Status::kAlive, Status::kDead};

  auto lan = swim_profile("memberlist-lan", "hashicorp/memberlist DefaultLANConfig (config.go, v0.7)", memberlist_lan(), true);
  lan.reports = alive_dead;  // Members()/NotifyJoin/NotifyLeave: no suspect
  out.push_back(lan);
  auto wan = swim_profile("memberlist-wan", "hashicorp/memberlist DefaultWANConfig (config.go, v0.7)", memberlist_wan(), true);
  wan.reports = alive_dead;
  out.push_back(wan);
  auto local =
      swim_profile("memberlist-local", "hashicorp/memberlist DefaultLocalConfig (config.go, v0.7)", memberlist_local(), true);
  local.reports = alive_dead;
  out.push_back(local);
  SwimConfig serf_swim = memberlist_lan();
  serf_swim.reconnect_interval = 30 * kSecond;  // serf.DefaultConfig ReconnectInterval
  auto serf = swim_profile("serf", "hashicorp/serf DefaultConfig (memberlist LAN + reconnect every 30s)", serf_swim, true);
  serf.reports = alive_dead;  // alive / failed (/ left)
  out.push_back(serf);
  out.push_back(swim_profile("swim", "faultline's reference SWIM (checkers/reference/swim.h), the demo node's detector",
                             SwimConfig::lan(), false));

  DetectorProfile hb;
  hb.name = "heartbeat";
  hb.kind = "heartbeat";
  hb.source = "faultline's reference heartbeat detector (heartbeat_detector.h)";
  hb.heartbeat_interval = 1 * kSecond;
  hb.heartbeat.timeout = 3 * kSecond;
  out.push_back(hb);

  DetectorProfile akka;
  akka.name = "akka";
  akka.kind = "phi";
  akka.source = "Akka cluster failure-detector (reference.conf): heartbeat-interval 1s, threshold 8, "
                "acceptable-heartbeat-pause 3s, min-std-deviation 100ms, max-sample-size 1000";
  akka.heartbeat_interval = 1 * kSecond;
  akka.phi = PhiAccrualConfig{};
  akka.phi.first_heartbeat_estimate = 1 * kSecond;
  akka.reports = {Status::kAlive, Status::kSuspect};  // reachable / unreachable
  akka.detected = Status::kSuspect;
  out.push_back(akka);

  DetectorProfile cassandra;
  cassandra.name = "cassandra";
  cassandra.kind = "phi";
  cassandra.source = "Apache Cassandra FailureDetector: gossip every 1s, phi_convict_threshold 8, "
                     "exponential arrivals (PHI_FACTOR 1/ln 10), initial interval 2s, max interval 2s, window 1000";
  cassandra.heartbeat_interval = 1 * kSecond;
  cassandra.phi.exponential = true;
  cassandra.phi.threshold = 8.0;
  cassandra.phi.dead_threshold = 8.0;  // convicted: DOWN
  cassandra.phi.first_heartbeat_estimate = 2 * kSecond;
  cassandra.phi.max_interval = 2 * kSecond;
  cassandra.phi.max_sample_size = 1000;
  cassandra.reports = alive_dead;  // UP / DOWN
  out.push_back(cassandra);
  return out;
}

}  // namespace

SwimConfig memberlist_lan() {
  SwimConfig c;
  c.probe_interval = 1 * kSecond;
  c.probe_timeout = 500 * kMillisecond;
  c.indirect_checks = 3;
  c.suspicion_mult = 4;
  c.suspicion_max_timeout_mult = 6;
  c.retransmit_mult = 4;
  c.gossip_interval = 200 * kMillisecond;
  c.gossip_nodes = 3;
  c.gossip_to_the_dead_time = 30 * kSecond;
  c.awareness_max_multiplier = 8;
  c.push_pull_interval = 30 * kSecond;
  c.reconnect_interval = 0;
  c.ack_dead_pinger = false;
  c.confirm_raises_incarnation = false;
  return c;
}

SwimConfig memberlist_wan() {
  SwimConfig c = memberlist_lan();
  c.suspicion_mult = 6;
  c.push_pull_interval = 60 * kSecond;
  c.probe_timeout = 3 * kSecond;
  c.probe_interval = 5 * kSecond;
  c.gossip_nodes = 4;
  c.gossip_interval = 500 * kMillisecond;
  c.gossip_to_the_dead_time = 60 * kSecond;
  return c;
}

SwimConfig memberlist_local() {
  SwimConfig c = memberlist_lan();
  c.indirect_checks = 1;
  c.retransmit_mult = 2;
  c.suspicion_mult = 3;
  c.push_pull_interval = 15 * kSecond;
  c.probe_timeout = 200 * kMillisecond;
  c.probe_interval = 1 * kSecond;
  c.gossip_interval = 100 * kMillisecond;
  c.gossip_to_the_dead_time = 15 * kSecond;
  return c;
}

const std::vector<DetectorProfile>& detector_profiles() {
  static const std::vector<DetectorProfile> profiles = make_detector_profiles();
  return profiles;
}

Result<DetectorProfile> detector_profile(const std::string& name) {
  return find_profile(detector_profiles(), name, "detector");
}

}  // namespace faultline::reference
