// Linearizability checker benchmark: ops/s and peak memory (RSS) for the
// published histories in tests/data/published, generated cas-register histories
// (10k and 100k ops at 5, 20 and 50 clients, 5% info completions) and a
// generated kv history of 1M ops over 1000 keys. Each case runs in its own
// forked child, so "peak RSS" is that case's own high-water mark (generation
// included), read with wait4()'s rusage. The target is < 1 GiB for every case
// and more ops/s than Porcupine on the same histories: with --write-dir every
// history (the testdata files converted, and the generated ones) is also
// written as faultline JSONL, with DIR/manifest.tsv (file, model, initial)
// listing them, for bench/linearizable/compare.sh, which runs this program's
// --check mode and bench/linearizable/porcupine on each file.
//
// Generated cas-register histories (history_generator.h): `clients`
// concurrent clients, each op's duration uniform in [2, 1000] ns with a gap of
// up to 250 ns between a client's ops, linearization point uniform inside the
// op; 40% reads, 30% writes of a value uniform in [0, 300), 30% cas [expected
// new] where expected is the client's last seen value half the time; 5% of
// the ops complete `info` (half of those took effect) and that client goes on
// as a new process (Jepsen style: never more than `clients` ops in flight).
// The kv history: 1M ops over 1000 keys, 50 clients, 40% get, 15% put, 45%
// append of unique strings, no info.
//
//   linearizable_bench [--quick] [--write-dir DIR] [--timeout SECONDS] [--only SUBSTRING]
//                      [--info-rate 0.05] [--values 300]   (generated cas-register cases)
//                      [--write-only]   (with --write-dir: write the histories, check nothing)
//   linearizable_bench --check FILE --model M [--initial JSON] [--timeout SECONDS]
//       checks one history file and prints "verdict=... ops=N check_seconds=S"
//       (exit 0 valid, 1 invalid, 2 unknown, 3 error)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
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
double info_rate = 0.05;  // generated cas-register histories
int values = 300;
std::string only;         // run only the cases whose name contains this
bool write_only = false;  // --write-dir without checking

Figures run_check(const history::History& h, const std::string& model, nlohmann::json initial) {
  if (write_only) {
    Figures f;
    std::snprintf(f.verdict, sizeof f.verdict, "written");
    return f;
  }
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
  if (std::getenv("LIN_BENCH_FINDINGS")) {  // the checker's counters, for profiling
    nlohmann::json counters = r->findings;
    for (const char* big : {"timeline", "linearized_prefix", "reachable_states"}) counters.erase(big);
    std::fprintf(stderr, "%s\n", counters.dump().c_str());
  }
  std::snprintf(f.verdict, sizeof f.verdict, "%s", r->valid == checkers::Validity::kValid     ? "valid"
                                                   : r->valid == checkers::Validity::kInvalid ? "INVALID"
                                                                                              : "unknown");
  return f;
}

void write_jsonl(const history::History& h, const std::string& path) {
  std::ofstream out(path);
  for (const auto& e : h.events) {
    const auto* cp = std::get_if<history::ClientEvent>(&e.body);
    if (!cp) continue;
    const auto& c = *cp;
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

int check_one(const std::string& path, const std::string& model, const std::string& initial) {
  auto h = history::read_history_file(path);
  if (!h) {
    std::fprintf(stderr, "%s\n", h.error().message.c_str());
    return 3;
  }
  nlohmann::json init = nlohmann::json::parse(initial, nullptr, false);
  if (init.is_discarded()) {
    std::fprintf(stderr, "--initial is not JSON: %s\n", initial.c_str());
    return 3;
  }
  Figures f = run_check(*h, model, init);
  if (const char* repeat = std::getenv("LIN_BENCH_REPEAT")) {  // warm figures, for profiling: the best of N more
    for (int i = std::atoi(repeat); i > 0; --i) {
      Figures again = run_check(*h, model, init);
      std::fprintf(stderr, "again: %.6f s\n", again.seconds);
    }
  }
  std::string verdict = f.verdict;
  std::printf("verdict=%s ops=%zu check_seconds=%.6f configurations=%llu\n",
              verdict == "valid" ? "linearizable" : verdict == "INVALID" ? "illegal" : verdict.c_str(), f.ops, f.seconds,
              static_cast<unsigned long long>(f.configurations));
  return verdict == "valid" ? 0 : verdict == "INVALID" ? 1 : verdict == "unknown" ? 2 : 3;
}

int main(int argc, char** argv) {
  bool quick = false;
  std::string write_dir, check_file, check_model = "cas-register", check_initial = "null";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    else if (!std::strcmp(argv[i], "--write-dir") && i + 1 < argc) write_dir = argv[++i];
    else if (!std::strcmp(argv[i], "--timeout") && i + 1 < argc) timeout_seconds = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--check") && i + 1 < argc) check_file = argv[++i];
    else if (!std::strcmp(argv[i], "--model") && i + 1 < argc) check_model = argv[++i];
    else if (!std::strcmp(argv[i], "--initial") && i + 1 < argc) check_initial = argv[++i];
    else if (!std::strcmp(argv[i], "--info-rate") && i + 1 < argc) info_rate = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--values") && i + 1 < argc) values = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
    else if (!std::strcmp(argv[i], "--write-only")) write_only = true;
    else {
      std::fprintf(stderr,
                   "usage: %s [--quick] [--write-dir DIR] [--timeout SECONDS]\n"
                   "       %s --check FILE --model M [--initial JSON] [--timeout SECONDS]\n",
                   argv[0], argv[0]);
      return 254;
    }
  }
  if (!check_file.empty()) return check_one(check_file, check_model, check_initial);
  std::FILE* manifest = nullptr;
  if (!write_dir.empty()) {
    std::filesystem::create_directories(write_dir);
    manifest = std::fopen((write_dir + "/manifest.tsv").c_str(), "w");
    if (!manifest) {
      std::fprintf(stderr, "cannot write %s/manifest.tsv\n", write_dir.c_str());
      return 3;
    }
  }
  auto list = [&](const std::string& file, const std::string& model, const nlohmann::json& initial) {
    if (manifest) std::fprintf(manifest, "%s\t%s\t%s\n", file.c_str(), model.c_str(), initial.dump().c_str());
  };
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
    if (!only.empty() && rel.find(only) == std::string::npos) continue;
    nlohmann::json initial = model == "kv" ? nlohmann::json("") : path.ends_with("rethink-fail-minimal.edn") ? nlohmann::json() : nlohmann::json(0);
    std::string out_file = rel;
    std::replace(out_file.begin(), out_file.end(), '/', '_');
    out_file = fs::path(out_file).replace_extension(".jsonl").string();
    if (manifest) list(out_file, model, initial);
    run_case(rel, [&, path = path, model = model, initial = initial, out_file = out_file] {
      auto h = history::read_history_file(path);
      if (!h) return Figures{};
      if (!write_dir.empty()) write_jsonl(*h, write_dir + "/" + out_file);
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
    for (std::size_t clients : {5, 20, 50}) gens.push_back({"cas-register", ops, clients, 1, info_rate});
  gens.push_back({"kv", 1000000, 50, 1000, 0.0});
  if (quick)
    for (auto& g : gens) g.ops /= 10;
  for (const auto& g : gens) {
    std::string name = fmt::format("gen {} {}k ops {} clients{}{}", g.model, g.ops / 1000, g.clients,
                                   g.keys > 1 ? fmt::format(" {} keys", g.keys) : "", g.info > 0 ? fmt::format(" {:g}% info", g.info * 100) : "");
    if (!only.empty() && name.find(only) == std::string::npos) continue;
    std::string out_file = fmt::format("gen-{}-{}k-{}c.jsonl", g.model, g.ops / 1000, g.clients);
    nlohmann::json initial = g.model == "kv" ? nlohmann::json("") : nlohmann::json(0);
    list(out_file, g.model, initial);
    run_case(name, [&] {
      lin::GeneratorOptions o;
      o.model = g.model;
      o.ops = g.ops;
      o.clients = g.clients;
      o.keys = g.keys;
      o.info_rate = g.info;
      o.values = values;
      o.seed = 42;
      auto h = lin::generate_history(o);
      if (!h) return Figures{};
      if (!write_dir.empty()) write_jsonl(h->history, write_dir + "/" + out_file);
      return run_check(h->history, g.model, initial);
    });
  }
  std::printf(
      "generated cas-register: clients concurrent, op duration U[2,1000] ns, 40%% read / 30%% write U[0,300) / 30%% cas\n"
      "  [last-seen-or-random, random]; 5%% of ops complete info (half took effect), the client then continues as a new\n"
      "  process (Jepsen style); kv: 50 clients, 1000 keys, 40%% get / 15%% put / 45%% append, unique strings, no info.\n"
      "baseline: Porcupine (Go) on the same histories: bench/linearizable/compare.sh\n");
  if (manifest) std::fclose(manifest);
  return 0;
}
