// Shaper: the NFQUEUE engine that delays, reorders, duplicates and corrupts
// the host's outgoing packets where the kernel has no sch_netem.
//
// Contract: add(id, fault) binds an NFQUEUE queue (the first free number from
// Options::first_queue) in the CALLER's network namespace on first use, starts
// one dedicated thread for it, and returns the queue number the NFQUEUE rules
// must target. Every packet the kernel queues is matched against all active
// faults (outgoing interface and destinations), gets a PacketPlan (see
// packet_plan.h), and:
//  - is held on a TimerWheel and released with NF_ACCEPT at its due time;
//  - if corrupted, is released with the edited bytes (packet_edit.h);
//  - if duplicated, a copy is sent at once through a raw socket with
//    SO_MARK = Options::duplicate_mark; the copy re-enters OUTPUT, is queued
//    again, recognised by its mark and shaped like any packet (delayed,
//    corrupted) but never duplicated again — netem's clone re-enqueue.
// remove(id) forgets a fault; held packets still leave at their due time.
// When the last fault is removed the thread accepts everything it holds at
// once, and remove() returns only after it has (bounded by 500 ms), so a
// heal leaves nothing held even if the process exits right after. The queue
// stays bound and the thread idle (asleep in ppoll: no rule targets the
// queue, so nothing arrives), so the next add() neither binds nor starts a
// thread — that was most of an apply's time. An idle engine is
// rebuilt when add() comes from another network namespace; the queue is
// unbound when the Shaper is destroyed (or the process dies: the kernel
// unbinds a closed socket). running() is true while a queue is bound. Rules
// are not this class's business (shaper_mechanism.h); with --queue-bypass
// traffic flows when no queue is bound.
// shared() is the one engine of the process (the agent's mechanisms share it).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/result.h"
#include "faults/net/shaper/shaper_fault.h"

namespace faultline::faults::shaper {

inline constexpr std::uint16_t kDefaultFirstQueue = 17920;  // 0x4600
inline constexpr std::uint32_t kDuplicateMark = 0x464c4450;  // "FLDP"

class Shaper {
 public:
  struct Options {
    std::uint16_t first_queue = kDefaultFirstQueue;
    int queue_candidates = 32;       // queue numbers tried from first_queue
    std::uint32_t queue_maxlen = 10000;  // packets the kernel holds for us; beyond, it drops (netem's limit)
    std::uint32_t duplicate_mark = kDuplicateMark;
  };

  struct Stats {
    std::uint64_t received = 0;    // packets handed to us
    std::uint64_t released = 0;    // verdicts given
    std::uint64_t delayed = 0;     // held on the wheel
    std::uint64_t duplicated = 0;  // copies sent
    std::uint64_t corrupted = 0;
    std::uint64_t held = 0;        // on the wheel now
  };

  Shaper();
  explicit Shaper(Options options);
  ~Shaper();
  Shaper(const Shaper&) = delete;
  Shaper& operator=(const Shaper&) = delete;

  static std::shared_ptr<Shaper> shared();

  Result<std::uint16_t> add(const std::string& id, const ShaperFault& fault);
  void remove(const std::string& id);
  bool has(const std::string& id) const;
  bool running() const;
  std::optional<std::uint16_t> queue() const;
  Stats stats() const;

 private:
  struct Engine;    // the queue, its thread, the wheel (shaper.cpp)
  struct Counters;  // outlive the engine, so figures survive a stop
  Options options_;
  std::unique_ptr<Counters> counters_;
  mutable std::mutex mutex_;
  std::map<std::string, ShaperFault> faults_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace faultline::faults::shaper
