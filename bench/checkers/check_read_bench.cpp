// check_read_bench: `faultline check` end to end, reading included, on a
// generated history of a 5-node run (detector declarations around kill and
// loss faults, breaker calls/results/transitions, retry attempts; seeded),
// written as JSONL by the history writer. Prints, beside the 1M events/s
// target: the read time (the JSONL reader as `faultline check` runs it, and
// with every line parsed by nlohmann-json, the general path), the check time
// of the detector, breaker and retry checkers in-process, and the whole
// `faultline check FILE --json` process (when the faultline program is beside
// this one), with the verdicts of each, which must agree.
//   check_read_bench [EVENTS [FILE]]   (default 1,200,000; FILE: keep the
//   generated history there, or reuse it when it exists)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "bench/checkers/generated_histories.h"
#include "checkers/checker.h"
#include "checkers/history/jsonl_reader.h"
#include "checkers/history/jsonl_writer.h"
#include "checkers/history/reader.h"

using namespace faultline;

namespace {

constexpr double kTarget = 1'000'000;  // events/s, end to end

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU seconds this process has used (user + system): on a shared machine
// the wall time also counts the time others had the CPU.
double cpu_now() {
  struct rusage u {};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

const nlohmann::json kConfig = {
    {"breaker", {{"profile", "faultline"}, {"failure_threshold", 5}, {"recovery_timeout", "50ms"}, {"tolerance", 0}}},
    {"retry", {{"profile", "faultline"}, {"max_attempts", 5}, {"jitter", "decorrelated"}, {"tolerance", 0}}},
    {"detector", {{"detection_bound", "3s"}, {"recovery_bound", "3s"}}},
};

// One 5-node history: the three generators' events merged by time.
history::History five_node_history(std::size_t events) {
  const int n = 5;
  history::History h = bench::detector_history(events * 2 / 5, n);
  std::vector<std::string> nodes = h.nodes;
  for (auto&& part : {bench::breaker_history(events * 2 / 5, nodes), bench::retry_history(events / 5, nodes)})
    for (const auto& e : part.events) h.events.push_back(e);
  std::stable_sort(h.events.begin(), h.events.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
  for (std::size_t i = 0; i < h.events.size(); ++i) h.events[i].index = i;
  return h;
}

std::string verdicts(const checkers::CheckReport& report) {
  std::string out = std::string("overall ") + checkers::to_string(report.valid);
  for (const auto& [name, result] : report.results) out += " " + name + " " + checkers::to_string(result.valid);
  return out;
}

void row(const char* what, std::size_t events, double seconds, double cpu, const std::string& note) {
  const double rate = static_cast<double>(events) / seconds;
  std::printf("%-46s %8.3f %8.3f %12.0f %12.0f  %-5s %s\n", what, seconds, cpu, rate, static_cast<double>(events) / cpu,
              rate >= kTarget ? "OK" : "BELOW", note.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t events = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'200'000;
  const bool keep = argc > 2;
  const std::filesystem::path file =
      keep ? std::filesystem::path(argv[2])
           : std::filesystem::temp_directory_path() / ("check_read_bench-" + std::to_string(::getpid()) + ".jsonl");
  if (!keep || !std::filesystem::exists(file)) {
    auto h = five_node_history(events);
    std::ofstream out(file);
    history::write_jsonl_history(out, h);
  }
  const auto bytes = std::filesystem::file_size(file);
  checkers::RunOptions options;
  options.names = {"detector", "breaker", "retry"};
  options.config = kConfig;

  auto t0 = std::chrono::steady_clock::now();
  double c0 = cpu_now();
  auto h = history::read_history_file(file.string());
  const double read_s = since(t0), read_cpu = cpu_now() - c0;
  if (!h) {
    std::fprintf(stderr, "%s\n", h.error().message.c_str());
    return 1;
  }
  std::size_t n = h->events.size();
  std::printf("`faultline check` end to end: %zu events, %.1f MB of JSONL (5 nodes: detector, breaker, retry), target %.0f events/s\n",
              n, static_cast<double>(bytes) / 1e6, kTarget);
  std::printf("%-46s %8s %8s %12s %12s  %-5s %s\n", "", "wall s", "cpu s", "events/s", "per cpu s", "wall", "verdicts");
  row("read (JSONL reader, simdjson fast path)", n, read_s, read_cpu, "");
  {
    std::ifstream in(file);
    t0 = std::chrono::steady_clock::now();
    c0 = cpu_now();
    auto general = history::read_jsonl_history(in, file.string(), history::JsonlParse::kGeneral);
    const double s = since(t0);
    row("read (every line through nlohmann-json)", n, s, cpu_now() - c0, general ? "" : general.error().message);
  }
  t0 = std::chrono::steady_clock::now();
  c0 = cpu_now();
  auto report = checkers::run_checkers(*h, options);
  const double check_s = since(t0), check_cpu = cpu_now() - c0;
  if (!report) {
    std::fprintf(stderr, "%s\n", report.error().message.c_str());
    return 1;
  }
  row("check in-process (3 checkers, one thread)", n, check_s, check_cpu, verdicts(*report));
  row("read + check in-process", n, read_s + check_s, read_cpu + check_cpu, "");

  const auto faultline = std::filesystem::canonical("/proc/self/exe").parent_path() / "faultline";
  if (std::filesystem::exists(faultline)) {
    const auto config = file.string() + ".config.json";
    std::ofstream(config) << kConfig.dump();
    const auto out = file.string() + ".out.json";
    std::fflush(stdout);
    t0 = std::chrono::steady_clock::now();
    pid_t pid = ::fork();
    if (pid == 0) {
      std::FILE* f = std::freopen(out.c_str(), "w", stdout);
      (void)f;
      ::execl(faultline.c_str(), "faultline", "check", file.c_str(), "--checker", "detector", "--checker", "breaker",
              "--checker", "retry", "--config", config.c_str(), "--json", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    int status = 0;
    struct rusage usage {};
    ::wait4(pid, &status, 0, &usage);
    const double s = since(t0);
    std::ifstream in(out);
    auto j = nlohmann::json::parse(in, nullptr, false);
    std::string note = "exit " + std::to_string(WEXITSTATUS(status));
    if (!j.is_discarded()) {
      note += ", overall " + j["valid"].dump();
      for (const char* c : {"detector", "breaker", "retry"}) note += std::string(" ") + c + " " + j["checkers"][c]["valid"].dump();
    }
    note += ", peak " + std::to_string(usage.ru_maxrss / 1024) + " MiB";
    const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    row("`faultline check FILE --json` (whole process)", n, s, cpu, note);
    std::filesystem::remove(config);
    std::filesystem::remove(out);
  } else {
    std::printf("(no %s: build it to time the whole process)\n", faultline.c_str());
  }
  if (!keep) std::filesystem::remove(file);
  return 0;
}
