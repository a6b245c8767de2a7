// Membership: the demo node's failure detector over UDP, on its own thread.
//
// Contract: start() binds a UDP socket on the node's listen address and runs
// either the reference SWIM (checkers/reference/swim.h; messages are
// swim_message.h's encode()/decode() datagrams) or the reference heartbeat
// detector (every heartbeat_interval a {"t":"hb","f":NAME} datagram to each
// peer; a background task sweeps the node table every sweep_interval). Time
// is CLOCK_MONOTONIC. Every status change the node makes is reported to the
// EventSink as a docs/events.md `detector` event. status() answers what this node
// currently believes about a peer. stop() (and the destructor) joins the
// threads. SWIM mode also pings every member it holds suspect or dead once
// per rejoin_interval and answers such pings with its own incarnation
// (swim_sync.h), so both sides of a healed partition find each other and a
// stale suspicion ends within that interval.
//
// Bug switches (examples/README.md):
//  - heartbeat_stale_table: the background task sweeps a COPY of the node
//    table (`auto nodes = detector.table();`), so the table the service
//    reads and publishes never leaves alive for a silent node.
//  - SwimConfig::bug_suspect_bumps_incarnation: the prober suspects at the
//    known incarnation + 1 (`suspect(m, m.incarnation + 1)`), and the node
//    refutes as the SWIM paper says: only an accusation at its own current
//    incarnation, with alive{own + 1} (`if (accused == me.incarnation)
//    me.incarnation++`), where memberlist refutes any accusation at or
//    above it, at max(own, accused) + 1. The node never answers the bumped
//    accusation, so a node once suspected (a pause, a partition) stays dead
//    at every peer although it is up and reachable (swim_config.h).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "checkers/reference/detector_status.h"
#include "checkers/reference/heartbeat_detector.h"
#include "checkers/reference/swim.h"
#include "common/result.h"
#include "examples/demo-node/event_sink.h"
#include "examples/demo-node/wire.h"

namespace faultline::demo {

struct MembershipConfig {
  enum class Kind { kSwim, kHeartbeat };
  Kind kind = Kind::kSwim;
  std::string self;
  Endpoint listen;
  std::map<std::string, Endpoint> peers;
  reference::SwimConfig swim;
  Nanos heartbeat_interval = 250'000'000;
  reference::HeartbeatConfig heartbeat;  // timeout
  Nanos sweep_interval = 100'000'000;
  Nanos rejoin_interval = 1'000'000'000;  // SWIM: sync with members held suspect or dead
  bool heartbeat_stale_table = false;
  std::uint64_t seed = 1;
};

class Membership {
 public:
  Membership(MembershipConfig config, EventSink& events);
  ~Membership();
  Result<void> start();
  void stop();
  std::optional<reference::Status> status(const std::string& peer);

 private:
  void swim_loop();
  void heartbeat_loop();
  void sweep_loop();
  void send_to(const std::string& peer, const std::string& datagram);
  void report(const reference::StatusChange& change);
  void publish_table(Nanos now);

  MembershipConfig config_;
  EventSink& events_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::unique_ptr<reference::SwimNode> swim_;
  std::vector<std::string> peer_names_;  // SWIM: the peers, for sync_pings
  std::unique_ptr<reference::HeartbeatDetector> detector_;
  std::map<std::string, reference::Status> published_;  // heartbeat mode
  std::thread loop_, sweeper_;
};

}  // namespace faultline::demo
