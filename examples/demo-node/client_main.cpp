// faultline-demo-client: the client workload of the demo store, Jepsen-style.
//
// Runs until SIGTERM/SIGINT (or --count ops). Each op goes to a random node
// and key; it prints one JSON line before ({"type":"invoke",...}) and one
// after: "ok" (done; a read carries the value read), "fail" (definitely not
// done: a read that failed, or a write refused before any replica saw it),
// or "info" (unknown: a write that failed or any op that timed out or lost
// its connection; it may take effect later). Lines are flushed one by one.
// Each line carries "mono_ns", this host's CLOCK_MONOTONIC taken just before
// the request is sent (invoke) or just after the reply arrives (completion),
// which `faultline run` uses as the op's time; with --stamps none the client
// leaves that out and starts each op right after printing its invoke, and
// the controller's own bounds keep the verdict sound.
#include <time.h>

#include <csignal>
#include <cstdio>
#include <random>
#include <thread>

#include <CLI/CLI.hpp>

#include "examples/demo-node/wire.h"

using namespace faultline;
using namespace faultline::demo;

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

void print(const nlohmann::json& line) {
  std::fputs((line.dump() + "\n").c_str(), stdout);
  std::fflush(stdout);
}

std::int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"faultline-demo-client: read/write workload for faultline-demo-node"};
  std::vector<std::string> names, addrs;
  std::string interval = "50ms", timeout = "3s";
  int process = 0, keys = 3;
  long count = -1;
  std::uint64_t seed = 0;
  std::string stamps = "mono";
  app.add_option("--nodes", names, "NAME,... ({nodes})")->required()->delimiter(',');
  app.add_option("--addresses", addrs, "HOST:PORT,... in the same order ({addresses})")->required()->delimiter(',');
  app.add_option("--process", process, "this client's process number ({process})");
  app.add_option("--keys", keys, "keys k0..k(N-1)")->check(CLI::Range(1, 1000));
  app.add_option("--interval", interval, "pause between ops");
  app.add_option("--timeout", timeout, "op timeout (then info)");
  app.add_option("--count", count, "stop after this many ops (default: until SIGTERM)");
  app.add_option("--seed", seed, "the run's seed ({seed}): each client draws from seed and its process number, "
                 "so a replay with the same seed issues the same ops (default 0)");
  app.add_option("--stamps", stamps, "mono: stamp each line with CLOCK_MONOTONIC (\"mono_ns\"); none: no stamps")
      ->check(CLI::IsMember({"mono", "none"}));
  CLI11_PARSE(app, argc, argv);
  std::erase(names, std::string());
  std::erase(addrs, std::string());
  if (names.empty() || names.size() != addrs.size()) {
    std::fprintf(stderr, "faultline-demo-client: --nodes and --addresses must list the same number of entries\n");
    return 254;
  }
  std::vector<Endpoint> eps;
  for (const auto& a : addrs) {
    auto ep = parse_endpoint(a);
    if (!ep) {
      std::fprintf(stderr, "faultline-demo-client: %s\n", ep.error().message.c_str());
      return 254;
    }
    eps.push_back(*ep);
  }
  auto pause = parse_duration(interval), limit = parse_duration(timeout);
  if (!pause || !limit) {
    std::fprintf(stderr, "faultline-demo-client: bad --interval or --timeout\n");
    return 254;
  }
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  // Clients of one run differ by process number; runs differ by seed (seed 0: process + 1, as before).
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(process) + 1);
  std::vector<std::optional<Connection>> conns(eps.size());
  long next_value = 0;
  const bool stamp = stamps == "mono";
  for (long n = 0; !g_stop && (count < 0 || n < count); ++n) {
    std::size_t i = rng() % eps.size();
    std::string key = "k" + std::to_string(rng() % static_cast<std::uint64_t>(keys));
    bool write = rng() % 2 == 0;
    nlohmann::json op{{"process", process}, {"f", write ? "write" : "read"}, {"key", key}, {"node", names[i]}};
    if (write) op["value"] = std::to_string(process) + "-" + std::to_string(next_value++);
    auto invoke = op;
    invoke["type"] = "invoke";
    if (!write) invoke["value"] = nullptr;
    if (stamp) invoke["mono_ns"] = monotonic_ns();
    print(invoke);
    nlohmann::json request{{"op", op["f"]}, {"key", key}};
    if (write) request["value"] = op["value"];
    Result<nlohmann::json> reply = unavailable("no connection");
    if (!conns[i]) {
      auto c = Connection::connect(eps[i], *limit);
      if (c) conns[i].emplace(std::move(*c));
      else reply = c.error();
    }
    bool connected = conns[i].has_value();
    if (connected) reply = conns[i]->call(request, *limit);
    auto done = op;
    if (reply.ok() && reply->value("ok", false)) {
      done["type"] = "ok";
      if (!write) done["value"] = reply->value("value", "");
    } else if (reply.ok()) {
      done["type"] = reply->value("definite", false) ? "fail" : "info";
      done["error"] = reply->value("error", "");
      if (!write) done["value"] = nullptr;
    } else {
      // Not connected at all: nothing was sent, so the op definitely failed.
      done["type"] = connected ? "info" : "fail";
      done["error"] = reply.error().message;
      if (!write) done["value"] = nullptr;
      conns[i].reset();
    }
    if (stamp) done["mono_ns"] = monotonic_ns();
    print(done);
    if (*pause > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(*pause));
  }
  return 0;
}
