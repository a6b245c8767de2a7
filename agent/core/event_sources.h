// Where SUT events come from: a unix datagram socket and, optionally, a
// tailed JSONL file.
//
// Contract: EventSocket binds a unix DATAGRAM socket at the given path
// (replacing a stale socket file, mode 0666 so a SUT running as another user
// can report; events are data, never commands). Each datagram is one JSON
// object, stamped with the agent's CLOCK_MONOTONIC at the moment the SUT sent
// it (the kernel's SO_TIMESTAMPNS send stamp mapped back from CLOCK_REALTIME,
// so an agent that reads late still records when the event happened; the
// arrival time where the kernel gives no stamp or the real clock was stepped
// in between) and published to the hub;
// anything else is counted as rejected. FileTail follows a JSONL file like
// `tail -F -n0`: lines already in the file when it starts are skipped, lines
// appended later are stamped when read (it polls every 100 ms), a truncated
// or replaced file is followed from its start.
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include <boost/asio.hpp>

#include "agent/core/event_hub.h"
#include "common/result.h"

namespace faultline::agent {

class EventSocket {
 public:
  EventSocket(boost::asio::io_context& io, EventHub& hub) : socket_(io), hub_(hub) {}
  Result<void> open(const std::filesystem::path& path);
  void close();

 private:
  void receive();
  boost::asio::local::datagram_protocol::socket socket_;
  EventHub& hub_;
  std::filesystem::path path_;
  std::array<char, 65536> buffer_{};
  bool kernel_stamps_ = false;
  Nanos last_stamp_ = 0;
};

class FileTail {
 public:
  FileTail(std::filesystem::path path, EventHub& hub) : path_(std::move(path)), hub_(hub) {}
  ~FileTail() { stop(); }
  void start();
  void stop();

 private:
  void run();
  std::filesystem::path path_;
  EventHub& hub_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace faultline::agent
