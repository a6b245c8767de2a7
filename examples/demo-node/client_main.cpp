// faultline-demo-client: the client workload of the demo store, Jepsen-style.
//
// Runs until SIGTERM/SIGINT (or --count ops). Each op goes to a random node
// and key; it prints one JSON line before ({"type":"invoke",...}) and one
// after: "ok" (done; a read carries the value read), "fail" (definitely not
// done: a read that failed, or a write refused before any replica saw it),
// or "info" (unknown: a write that failed or any op that timed out or lost
// its connection; it may take effect later). Lines are flushed one by one,
// so `faultline run` stamps them on its timeline as they happen.
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

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

// `faultline run` stamps a line when it reads it from our stdout pipe, so an
// invoke read late (or in one chunk with its completion) would be stamped
// after the op really began, and another client's completion could appear
// to precede it: a false linearizability violation. So before starting the
// op, wait (up to 1s) until the reader has taken the invoke off the pipe,
// plus a small margin for it to stamp it. Completions stamped late only
// widen an op, which is safe.
void wait_until_read() {
  for (int i = 0; i < 10000; ++i) {
    int pending = 0;
    if (::ioctl(STDOUT_FILENO, FIONREAD, &pending) != 0 || pending == 0) break;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"faultline-demo-client: read/write workload for faultline-demo-node"};
  std::vector<std::string> names, addrs;
  std::string interval = "50ms", timeout = "3s";
  int process = 0, keys = 3;
  long count = -1;
  std::uint64_t seed = 0;
  app.add_option("--nodes", names, "NAME,... ({nodes})")->required()->delimiter(',');
  app.add_option("--addresses", addrs, "HOST:PORT,... in the same order ({addresses})")->required()->delimiter(',');
  app.add_option("--process", process, "this client's process number ({process})");
  app.add_option("--keys", keys, "keys k0..k(N-1)")->check(CLI::Range(1, 1000));
  app.add_option("--interval", interval, "pause between ops");
  app.add_option("--timeout", timeout, "op timeout (then info)");
  app.add_option("--count", count, "stop after this many ops (default: until SIGTERM)");
  app.add_option("--seed", seed, "random seed (default: process number)");
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
  std::mt19937_64 rng(seed ? seed : static_cast<std::uint64_t>(process) + 1);
  std::vector<std::optional<Connection>> conns(eps.size());
  long next_value = 0;
  struct stat st{};
  const bool stdout_is_pipe = ::fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode);
  for (long n = 0; !g_stop && (count < 0 || n < count); ++n) {
    std::size_t i = rng() % eps.size();
    std::string key = "k" + std::to_string(rng() % static_cast<std::uint64_t>(keys));
    bool write = rng() % 2 == 0;
    nlohmann::json op{{"process", process}, {"f", write ? "write" : "read"}, {"key", key}, {"node", names[i]}};
    if (write) op["value"] = std::to_string(process) + "-" + std::to_string(next_value++);
    auto invoke = op;
    invoke["type"] = "invoke";
    if (!write) invoke["value"] = nullptr;
    print(invoke);
    if (stdout_is_pipe) wait_until_read();
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
    print(done);
    if (*pause > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(*pause));
  }
  return 0;
}
