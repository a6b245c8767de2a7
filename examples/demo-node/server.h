// Server: the demo node's TCP front end, one JSON object per line, one
// thread per connection.
//
// Contract: requests and replies (every reply has "ok"):
//   {"op":"read","key":K}            -> {"ok":true,"value":V} | {"ok":false,"error":..,"definite":true}
//   {"op":"write","key":K,"value":V} -> {"ok":true} | {"ok":false,"error":..,"definite":false}
//   {"op":"get"|"put",...}           -> the replica side (coordinator.h)
//   {"op":"status"}                  -> {"ok":true,"node":..,"members":{peer: alive|suspect|dead}}
// Anything else gets {"ok":false,"error":...}; a line that is not JSON closes
// nothing. run() blocks until stop().
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "examples/demo-node/wire.h"

namespace faultline::demo {

using Handler = std::function<nlohmann::json(const nlohmann::json&)>;

class Server {
 public:
  Server(Endpoint listen, Handler handler) : listen_(std::move(listen)), handler_(std::move(handler)) {}
  ~Server();
  Result<void> bind();
  void run();
  void stop() { stop_ = true; }

 private:
  Endpoint listen_;
  Handler handler_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
};

}  // namespace faultline::demo
