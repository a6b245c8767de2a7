// UDP probes for the shaper's integration tests and benchmark: an echo server
// and a sequence sink running on threads in a namespace, and senders that use
// the CALLING thread's namespace (a child that entered the sender namespace).
//
// Contract: datagrams carry [u32 seq][u32 fnv1a(rest)][u64 send time ns][pad];
// the sink records every arrival in order and whether its hash verifies, so a
// receiver sees duplicates, reordering and corrupted payloads, not guesses.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "tests/support/traffic.h"

namespace faultline::testing::shaper_probe {

// Echoes every datagram back to its sender, from a thread, with a socket bound in ns.
class UdpEcho {
 public:
  static Result<std::unique_ptr<UdpEcho>> start(const std::string& ns, const std::string& addr);
  ~UdpEcho();
  std::uint16_t port() const { return port_; }

 private:
  UdpEcho() = default;
  Fd fd_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct Arrival {
  std::uint32_t seq;
  bool intact;
  long long latency_ns;  // arrival minus send time (both CLOCK_MONOTONIC, one host)
};

// Records arrivals (seq, payload intact) from a thread, with a socket bound in ns.
class SequenceSink {
 public:
  static Result<std::unique_ptr<SequenceSink>> start(const std::string& ns, const std::string& addr);
  ~SequenceSink();
  std::uint16_t port() const { return port_; }
  // Waits until nothing arrived for quiet_ms, then returns everything so far.
  std::vector<Arrival> collect(int quiet_ms = 300);
  void clear();

 private:
  SequenceSink() = default;
  Fd fd_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<long long> last_arrival_ns_{0};
  std::mutex mutex_;
  std::vector<Arrival> arrivals_;
  std::thread thread_;
};

struct SequenceStats {
  int received = 0;    // datagrams, duplicates included
  int unique = 0;      // distinct intact sequence numbers
  int duplicates = 0;  // intact arrivals of a seq already seen
  int overtaken = 0;   // intact arrivals after a higher seq had arrived
  int corrupted = 0;   // payload hash mismatch
};
SequenceStats analyze(const std::vector<Arrival>& arrivals);

// Sends count probes of `size` bytes (>= 16) to addr:port, gap_us apart,
// from a socket in the calling thread's namespace. Returns datagrams sent.
// udp_checksum=false sends with SO_NO_CHECK (UDP checksum 0, which an IPv4
// receiver does not verify), so a payload damaged on the way by something
// that does not fix the checksum (netem) still reaches the payload check.
int send_sequence(const std::string& addr, std::uint16_t port, int count, int size = 64, int gap_us = 0,
                  bool udp_checksum = true);

// Sends count probes gap_us apart to an echo server and returns the round
// trip times (ms) of the replies received within wait_ms after the last send.
std::vector<double> ping_rtts_ms(const std::string& addr, std::uint16_t port, int count, int gap_us,
                                 int wait_ms = 1000);

}  // namespace faultline::testing::shaper_probe
