// Linearizability checker benchmark: ops/s and peak memory (RSS) for the
// published histories in ../shared/testdata, generated cas-register histories
// (10k and 100k ops at 5, 20 and 50 clients, 5% info completions) and a
// generated kv history of 1M ops over 1000 keys. Each case runs in its own
// forked child, so "peak RSS" is that case's own high-water mark (generation
// included), read with wait4()'s rusage. The target is < 1 GiB for every case
// and more ops/s than Porcupine on the same histories: with --write-dir the
// generated histories are also written as JSONL for bench/linearizable/porcupine.
//
//   linearizable_bench [--quick] [--write-dir DIR] [--timeout SECONDS]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "checkers/history/reader.h"
#include "checkers/linearizable/history_generator.h"
#include "checkers/linearizable/linearizable_checker.h"
#include "common/units.h"

using namespace faultline;
namespace lin = faultline::checkers::linearizable;

namespace {

struct Figures {
  std::size_t ops = 0;
  double seconds = 0;
  char verdict[16] = {};
  std::uint64_t configurations = 0;
};

double timeout_seconds = 600;

Figures run_check(const history::History& h, const std::string& model, nlohmann::json initial) {
  checkers::CheckOptions options;
  options.model = model;
  options.initial = std::move(initial);
  options.deadline = monotonic_now() + static_cast<Nanos>(timeout_seconds * 1e9);
  auto start = std::chrono::steady_clock::now();
  auto r = checkers::make_linearizable_checker()->check(h, options);
  Figures f;
  f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!r) {
    std::snprintf(f.verdict, sizeof f.verdict, "error");
    std::fprintf(stderr, "%s\n", r.error().message.c_str());
    return f;
  }
  f.ops = r->findings.value("operations", std::size_t{0});
  f.configurations = r->findings.value("configurations", std::uint64_t{0});
  std::snprintf(f.verdict, sizeof f.verdict, "%s", r->valid == checkers::Validity::kValid     ? "valid"
                                                   : r->valid == checkers::Validity::kInvalid ? "INVALID"
                                                                                              : "unknown");
  return f;
}

void write_jsonl(const history::History& h, const std::string& path) {
  std::ofstream out(path);
  for (const auto& e : h.events) {
    const auto& c = std::get<history::ClientEvent>(e.body);
    nlohmann::json line = {{"time", e.time}, {"type", history::to_string(c.type)}, {"process", c.process}, {"f", c.f},
                           {"value", c.value}};
    if (c.key) line["key"] = *c.key;
    out << line.dump() << "\n";
  }
}

// Runs `body` in a child; prints one table row with the child's peak RSS.
void run_case(const std::string& name, const std::function<Figures()>& body) {
  int fds[2];
  if (pipe(fds) != 0) return;
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    Figures f = body();
    if (write(fds[1], &f, sizeof f) != static_cast<ssize_t>(sizeof f)) _exit(1);
    _exit(0);
  }
  close(fds[1]);
  Figures f;
  bool got = read(fds[0], &f, sizeof f) == static_cast<ssize_t>(sizeof f);
  close(fds[0]);
  int status = 0;
  struct rusage usage {};
  wait4(pid, &status, 0, &usage);
  double rss_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is KiB on Linux
  if (!got) {
    std::printf("%-44s  child failed (status %d)\n", name.c_str(), status);
    return;
  }
  double rate = f.seconds > 0 ? static_cast<double>(f.ops) / f.seconds : 0;
  std::printf("%-44s %9zu %-8s %9.3f %12.0f %10.1f %6s %12llu\n", name.c_str(), f.ops, f.verdict, f.seconds, rate,
              rss_mib, rss_mib < 1024 ? "yes" : "NO", static_cast<unsigned long long>(f.configurations));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string write_dir;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    else if (!std::strcmp(argv[i], "--write-dir") && i + 1 < argc) write_dir = argv[++i];
    else if (!std::strcmp(argv[i], "--timeout") && i + 1 < argc) timeout_seconds = std::atof(argv[++i]);
    else {
      std::fprintf(stderr, "usage: %s [--quick] [--write-dir DIR] [--timeout SECONDS]\n", argv[0]);
      return 254;
    }
  }
  std::printf("linearizable checker benchmark (%u threads; peak RSS per case, limit 1024 MiB; check time excludes reading/generating)\n",
              std::thread::hardware_concurrency());
  std::printf("%-44s %9s %-8s %9s %12s %10s %6s %12s\n", "case", "ops", "verdict", "seconds", "ops/s", "peakMiB", "<1GiB",
              "configs");

  namespace fs = std::filesystem;
  std::vector<std::pair<std::string, std::string>> files;  // path, model
  for (const char* dir : {"knossos/cas-register/good", "knossos/cas-register/bad", "porcupine-kv"})
    for (const auto& e : fs::directory_iterator(fs::path(FAULTLINE_TESTDATA) / dir))
      files.push_back({e.path().string(), std::string(dir).find("kv") != std::string::npos ? "kv" : "cas-register"});
  std::sort(files.begin(), files.end());
  for (const auto& [path, model] : files) {
    if (path.ends_with(".md")) continue;
    std::string rel = fs::relative(path, FAULTLINE_TESTDATA).string();
    run_case(rel, [&, path = path, model = model] {
      auto h = history::read_history_file(path);
      if (!h) return Figures{};
      nlohmann::json initial = model == "kv" ? nlohmann::json("") : path.ends_with("rethink-fail-minimal.edn") ? nlohmann::json() : nlohmann::json(0);
      return run_check(*h, model, initial);
    });
  }

  struct Gen {
    std::string model;
    std::size_t ops, clients, keys;
    double info;
  };
  std::vector<Gen> gens;
  for (std::size_t ops : {std::size_t{10000}, std::size_t{100000}})
    for (std::size_t clients : {5, 20, 50}) gens.push_back({"cas-register", ops, clients, 1, 0.05});
  gens.push_back({"kv", 1000000, 50, 1000, 0.0});
  if (quick)
    for (auto& g : gens) g.ops /= 10;
  for (const auto& g : gens) {
    std::string name = fmt::format("gen {} {}k ops {} clients{}{}", g.model, g.ops / 1000, g.clients,
                                   g.keys > 1 ? fmt::format(" {} keys", g.keys) : "", g.info > 0 ? " 5% info" : "");
    run_case(name, [&] {
      lin::GeneratorOptions o;
      o.model = g.model;
      o.ops = g.ops;
      o.clients = g.clients;
      o.keys = g.keys;
      o.info_rate = g.info;
      o.seed = 42;
      auto h = lin::generate_history(o);
      if (!h) return Figures{};
      if (!write_dir.empty())
        write_jsonl(h->history, fmt::format("{}/{}-{}-{}.jsonl", write_dir, g.model, g.ops, g.clients));
      return run_check(h->history, g.model, g.model == "kv" ? nlohmann::json("") : nlohmann::json(0));
    });
  }
  std::printf("baseline: Porcupine (Go) on the same histories, see bench/linearizable/porcupine/README.md\n");
  return 0;
}
