#include "controller/run/runner.h"

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "checkers/checker.h"
#include "checkers/history/reader.h"
#include "controller/cluster/exec.h"
#include "controller/cluster/local_provider.h"
#include "controller/cluster/provider.h"
#include "controller/nemesis/schedule.h"
#include "controller/output/run_summary.h"
#include "controller/output/validity.h"
#include "controller/report/report.h"
#include "controller/run/clock_offset.h"
#include "controller/run/fan_out.h"
#include "controller/run/history_recorder.h"
#include "controller/run/placeholders.h"

namespace faultline::controller {
namespace {

std::atomic<int> g_signal{0};
extern "C" void on_signal(int signo) { g_signal.store(signo); }

// Installs SIGINT/SIGTERM handlers for the run's lifetime.
class SignalScope {
 public:
  SignalScope() {
    g_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int_);
    ::sigaction(SIGTERM, &sa, &old_term_);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &old_pipe_);
  }
  ~SignalScope() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
    ::sigaction(SIGPIPE, &old_pipe_, nullptr);
  }

 private:
  struct sigaction old_int_ {}, old_term_ {}, old_pipe_ {};
};

bool interrupted() { return g_signal.load() != 0; }

std::string utc_timestamp(bool compact) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, compact ? "%Y%m%dT%H%M%SZ" : "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

class Console {
 public:
  Console(bool tty, bool quiet) : tty_(tty), quiet_(quiet) {}
  void line(const std::string& text) {
    std::lock_guard lock(mutex_);
    if (quiet_) return;
    if (tty_ && status_shown_) std::fputs("\r\033[K", stderr);
    std::fprintf(stderr, "faultline: %s\n", text.c_str());
    status_shown_ = false;
  }
  void status(const std::string& text) {
    std::lock_guard lock(mutex_);
    if (quiet_) return;
    if (tty_) {
      std::fprintf(stderr, "\r\033[K%s", text.c_str());
      status_shown_ = true;
    } else {
      std::fprintf(stderr, "faultline: %s\n", text.c_str());
    }
    std::fflush(stderr);
  }
  void finish() {
    std::lock_guard lock(mutex_);
    if (tty_ && status_shown_) std::fputs("\r\033[K", stderr);
    status_shown_ = false;
  }
  bool tty() const { return tty_; }

 private:
  std::mutex mutex_;
  bool tty_;
  bool quiet_;
  bool status_shown_ = false;
};

Result<std::filesystem::path> make_output_dir(const std::filesystem::path& root, const std::string& suite) {
  std::error_code ec;
  auto base = root / suite;
  std::filesystem::create_directories(base, ec);
  if (ec) return io_error(fmt::format("{}: {}", base.string(), ec.message()));
  auto stamp = utc_timestamp(true);
  auto dir = base / stamp;
  for (int i = 2; std::filesystem::exists(dir); ++i) dir = base / fmt::format("{}-{}", stamp, i);
  std::filesystem::create_directories(dir, ec);
  if (ec) return io_error(fmt::format("{}: {}", dir.string(), ec.message()));
  auto latest = base / "latest";
  std::filesystem::remove(latest, ec);
  std::filesystem::create_directory_symlink(dir.filename(), latest, ec);
  return dir;
}

// One running client-workload process and its reader thread.
struct ClientProcess {
  pid_t pid = -1;
  int fd = -1;
  std::thread reader;
};

Result<ClientProcess> start_client(const std::string& command, const std::filesystem::path& log) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return io_error("pipe failed");
  pid_t pid = ::fork();
  if (pid < 0) return io_error("fork failed");
  if (pid == 0) {
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(pipefd[1], 1);
    int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (err >= 0) ::dup2(err, 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(pipefd[1]);
  ClientProcess p;
  p.pid = pid;
  p.fd = pipefd[0];
  return p;
}

struct NodeLink {
  NodeInfo info;
  std::unique_ptr<agent::AgentClient> client;
  ClockOffset offset;
  nlohmann::json capabilities;
};

struct ActiveFault {
  const ScheduledFault* fault = nullptr;
  std::map<std::string, std::string> agent_ids;  // node -> agent's fault id
  std::size_t summary_index = 0;
};

}  // namespace

int run_suite(const Suite& suite, const RunnerOptions& options) {
  SignalScope signals;
  Console console(options.progress_tty.value_or(::isatty(2) == 1), options.quiet);
  auto connect = options.connect ? options.connect : default_agent_connector();

  // 1. Everything that can be refused before anything starts.
  auto schedule_result = build_schedule(suite);
  if (!schedule_result) {
    std::fprintf(stderr, "faultline: %s\n", schedule_result.error().message.c_str());
    return 254;
  }
  const auto schedule = std::move(*schedule_result);
  auto provider = make_provider(suite.cluster.provider);
  if (!provider) {
    std::string names;
    for (const auto& n : provider_names()) names += (names.empty() ? "" : ", ") + n;
    std::fprintf(stderr, "faultline: %s: cluster.provider: unknown provider '%s' (available: %s)\n",
                 suite.file.string().c_str(), suite.cluster.provider.c_str(), names.c_str());
    return 254;
  }
  if (auto v = provider->validate(suite.cluster); !v) {
    std::fprintf(stderr, "faultline: %s: %s\n", suite.file.string().c_str(), v.error().message.c_str());
    return 254;
  }
  for (const auto& f : schedule) {
    auto kind = f.kind();
    if (kind.rfind("clock-", 0) == 0 && !suite.sut.per_process_clock && f.spec.value("mechanism", "") != "system") {
      std::fprintf(stderr,
                   "faultline: %s: %s faults act on the SUT's per-process clock: set sut.per_process_clock: true "
                   "(or \"mechanism\": \"system\" to move the host clock)\n",
                   f.where.c_str(), kind.c_str());
      return 254;
    }
  }

  RunSummary summary;
  summary.suite = suite.name;
  summary.suite_file = suite.file.string();
  summary.started_at = utc_timestamp(false);
  summary.nodes = suite.cluster.nodes;
  summary.seed = suite.nemesis.seed;
  summary.provider = suite.cluster.provider;

  auto dir_result = make_output_dir(options.out_root, suite.name);
  if (!dir_result) {
    std::fprintf(stderr, "faultline: %s\n", dir_result.error().message.c_str());
    return 255;
  }
  const auto dir = *dir_result;
  console.line(fmt::format("suite {} ({} nodes, {} faults scheduled, {}), output in {}", suite.name,
                           suite.cluster.nodes.size(), schedule.size(), format_duration(suite.duration), dir.string()));

  HistoryRecorder history;
  std::vector<NodeLink> links;
  std::unique_ptr<Cluster> cluster;
  std::atomic<bool> stop_threads{false};
  std::thread renewer, progress;
  std::vector<ClientProcess> clients;
  std::vector<ActiveFault> active;  // by schedule index order of start
  std::mutex active_mutex;
  Nanos t0 = 0;
  int refused_code = 0;  // 254 when refused after the cluster came up (capabilities)

  auto now = [&] { return monotonic_now() - t0; };
  auto log_event = [&](const std::string& message) {
    if (t0 != 0) history.record(now(), {{"type", "log"}, {"message", message}});
  };
  auto run_error = [&](const std::string& message) {
    summary.errors.push_back(message);
    console.line("error: " + message);
    log_event("error: " + message);
  };

  // Everything after this point ends in `finish`, which heals and writes.
  [&] {
    // 2. Cluster and agents.
    ProviderOptions popts;
    popts.bin_dir = options.bin_dir.empty() ? self_dir() : options.bin_dir;
    popts.interrupted = interrupted;
    console.line(fmt::format("bringing up the {} cluster", suite.cluster.provider));
    auto up = provider->up(suite.cluster, popts);
    if (!up) {
      if (interrupted()) return;
      run_error(fmt::format("cluster: {}", up.error().message));
      if (up.error().code == ErrorCode::kUnavailable || up.error().code == ErrorCode::kInvalidInput) refused_code = 254;
      return;
    }
    cluster = std::move(*up);
    console.line(fmt::format("cluster {} up ({})", cluster->id(), cluster->state_file().string()));
    links.resize(cluster->nodes().size());
    std::vector<std::string> connect_errors(links.size());
    fan_out(links.size(), [&](std::size_t i) {
      links[i].info = cluster->nodes()[i];
      auto client = connect(links[i].info.agent);
      if (!client) {
        connect_errors[i] = fmt::format("node {}: cannot connect to its agent at {}:{}: {}", links[i].info.name,
                                        links[i].info.agent.host, links[i].info.agent.port, client.error().message);
        return;
      }
      links[i].client = std::move(*client);
      auto hello = links[i].client->hello();
      if (!hello) {
        connect_errors[i] = fmt::format("node {}: hello failed: {}", links[i].info.name, hello.error().message);
        return;
      }
      links[i].capabilities = hello->capabilities;
      std::vector<agent::ClockSample> samples;
      for (int k = 0; k < 8; ++k)
        if (auto s = links[i].client->clock_sample(); s) samples.push_back(*s);
      auto offset = estimate_offset(samples);
      if (!offset) {
        connect_errors[i] = fmt::format("node {}: clock offset: {}", links[i].info.name, offset.error().message);
        return;
      }
      links[i].offset = *offset;
    });
    for (const auto& e : connect_errors)
      if (!e.empty()) run_error(e);
    if (!summary.errors.empty()) return;

    // Capabilities: every kind the schedule can produce, on every node.
    std::vector<std::string> refusals;
    for (const auto& kind : possible_kinds(suite))
      for (const auto& link : links) {
        const auto& caps = link.capabilities;
        if (!caps.is_object() || !caps.contains(kind)) {
          refusals.push_back(fmt::format("node {}: fault kind '{}': the agent does not offer it", link.info.name, kind));
          continue;
        }
        const auto& cap = caps[kind];
        if (cap.is_object() && !cap.value("available", false))
          refusals.push_back(fmt::format("node {}: fault kind '{}': {}", link.info.name, kind,
                                         cap.value("reason", std::string("unavailable"))));
      }
    if (!refusals.empty()) {
      for (const auto& r : refusals) run_error("refused: " + r);
      refused_code = 254;
      return;
    }

    // 3. History, events, leases, SUT.
    if (auto h = history.open(dir / "history.jsonl"); !h) {
      run_error(h.error().message);
      return;
    }
    t0 = monotonic_now();
    history.record(0, {{"type", "cluster"}, {"nodes", suite.cluster.nodes}});
    {
      nlohmann::json offsets = nlohmann::json::object();
      for (const auto& l : links)
        offsets[l.info.name] = {{"offset_ns", l.offset.offset}, {"error_ns", l.offset.error}};
      history.record(0, {{"type", "log"},
                         {"message", fmt::format("suite {} seed {} provider {} cluster {}", suite.name, suite.nemesis.seed,
                                                 suite.cluster.provider, cluster->id())},
                         {"clock_offsets", offsets}});
    }
    for (auto& link : links) {
      const std::string name = link.info.name;
      const ClockOffset offset = link.offset;
      auto sub = link.client->subscribe_events([&history, &t0, name, offset](const agent::AgentEvent& ev) {
        if (!ev.event.is_object() || !ev.event.contains("type")) return;
        nlohmann::json event = ev.event;
        if (!event.contains("node")) event["node"] = name;
        history.record(offset.to_controller(ev.agent_mono) - t0, event);
      });
      if (!sub) run_error(fmt::format("node {}: subscribe to events: {}", name, sub.error().message));
    }
    renewer = std::thread([&] {
      const Nanos period = std::max<Nanos>(suite.lease / 3, 100'000'000);
      Nanos next = monotonic_now() + period;
      while (!stop_threads.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (monotonic_now() < next) continue;
        next += period;
        for (auto& link : links)
          if (auto r = link.client->renew(); !r)
            console.line(fmt::format("warning: node {}: lease renewal failed: {}", link.info.name, r.error().message));
      }
    });
    std::error_code dir_ec;
    const std::string suite_dir = std::filesystem::absolute(suite.file, dir_ec).parent_path().string();
    std::vector<std::string> sut_errors(links.size());
    std::vector<NodeInfo> infos;
    for (const auto& l : links) infos.push_back(l.info);
    fan_out(links.size(), [&](std::size_t i) {
      auto values = node_placeholders(infos, i, suite.sut.port);
      values["suite_dir"] = suite_dir;
      agent::SutSpec spec;
      for (const auto& arg : suite.sut.command) spec.command.push_back(expand(arg, values));
      for (const auto& [k, v] : suite.sut.env) spec.env[k] = expand(v, values);
      spec.env["FAULTLINE_NODE"] = infos[i].name;
      spec.per_process_clock = suite.sut.per_process_clock;
      if (auto r = links[i].client->start_sut(spec); !r) {
        sut_errors[i] = fmt::format("node {}: starting the SUT: {}", infos[i].name, r.error().message);
        return;
      }
      const auto& ready = suite.sut.ready;
      bool up = true;
      switch (ready.kind) {
        case ReadyCheck::Kind::kNone: break;
        case ReadyCheck::Kind::kDelay: std::this_thread::sleep_for(std::chrono::nanoseconds(ready.delay)); break;
        case ReadyCheck::Kind::kTcp: up = wait_for_tcp(infos[i].address, ready.port, ready.timeout, interrupted); break;
        case ReadyCheck::Kind::kCommand: {
          up = false;
          Nanos deadline = monotonic_now() + ready.timeout;
          while (!up && monotonic_now() < deadline && !interrupted()) {
            up = run_command({"/bin/sh", "-c", expand(ready.command, values)}).ok();
            if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(200));
          }
          break;
        }
      }
      if (!up && !interrupted())
        sut_errors[i] = fmt::format("node {}: the SUT was not up within {}", infos[i].name, format_duration(ready.timeout));
    });
    for (const auto& e : sut_errors)
      if (!e.empty()) run_error(e);
    if (!summary.errors.empty() || interrupted()) return;
    const Nanos schedule_zero = now();
    log_event(fmt::format("sut up on every node; schedule starts (schedule time 0 = history time {})", schedule_zero));
    console.line(fmt::format("SUT up on {} nodes after {}; running for {}", links.size(), format_duration(schedule_zero),
                             format_duration(suite.duration)));

    // Client workload.
    if (suite.client) {
      auto values = cluster_placeholders(infos, suite.sut.port);
      values["suite_dir"] = suite_dir;
      std::error_code ec;
      std::filesystem::create_directories(dir / "logs", ec);
      for (int c = 0; c < suite.client->concurrency; ++c) {
        values["process"] = std::to_string(c);
        auto p = start_client(expand(suite.client->command, values), dir / "logs" / fmt::format("client-{}.log", c));
        if (!p) {
          run_error(fmt::format("client {}: {}", c, p.error().message));
          continue;
        }
        clients.push_back(std::move(*p));
      }
      for (std::size_t c = 0; c < clients.size(); ++c) {
        clients[c].reader = std::thread([&, c] {
          std::string buffer;
          char chunk[4096];
          ssize_t n;
          while ((n = ::read(clients[c].fd, chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR)) {
            if (n <= 0) continue;
            buffer.append(chunk, static_cast<std::size_t>(n));
            std::size_t pos;
            while ((pos = buffer.find('\n')) != std::string::npos) {
              std::string line = buffer.substr(0, pos);
              buffer.erase(0, pos + 1);
              if (line.empty()) continue;
              auto op = nlohmann::json::parse(line, nullptr, false);
              if (op.is_discarded() || !op.is_object() || !op.contains("type")) {
                history.record(now(), {{"type", "log"}, {"message", fmt::format("client {}: not a JSON op: {}", c, line)}});
                continue;
              }
              if (!op.contains("process")) op["process"] = static_cast<int>(c);
              history.record(now(), op);
            }
          }
        });
      }
    }

    // Progress.
    progress = std::thread([&] {
      std::uint64_t last_count = history.count();
      Nanos last = monotonic_now();
      const Nanos period = console.tty() ? 500'000'000 : 5'000'000'000;
      while (!stop_threads.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (monotonic_now() - last < period) continue;
        Nanos t = monotonic_now();
        auto count = history.count();
        double rate = static_cast<double>(count - last_count) * 1e9 / static_cast<double>(t - last);
        last = t;
        last_count = count;
        std::string faults;
        {
          std::lock_guard lock(active_mutex);
          for (const auto& a : active)
            faults += (faults.empty() ? "" : " ") + fmt::format("{}:{}", a.fault->kind(), a.fault->id);
        }
        double elapsed = static_cast<double>(now() - schedule_zero) / 1e9;
        console.status(fmt::format("[{:6.1f}s / {:.0f}s] faults: {} | events: {} ({:.0f}/s)", std::max(0.0, elapsed),
                                   static_cast<double>(suite.duration) / 1e9, faults.empty() ? "none" : faults, count, rate));
      }
    });

    // 4. The nemesis.
    std::map<std::string, std::string> addresses;
    std::map<std::string, std::size_t> node_index;
    for (std::size_t i = 0; i < links.size(); ++i) {
      addresses[links[i].info.name] = links[i].info.address;
      node_index[links[i].info.name] = i;
    }
    struct Action {
      Nanos at;
      bool start;
      std::size_t fault;
    };
    std::vector<Action> actions;
    for (std::size_t i = 0; i < schedule.size(); ++i) {
      actions.push_back({schedule[i].start, true, i});
      actions.push_back({schedule[i].end, false, i});
    }
    std::stable_sort(actions.begin(), actions.end(), [](const Action& a, const Action& b) {
      return a.at != b.at ? a.at < b.at : (!a.start && b.start);  // ends before starts at the same instant
    });
    auto wait_until = [&](Nanos schedule_time) {
      while (!interrupted()) {
        Nanos left = schedule_zero + schedule_time - now();
        if (left <= 0) return true;
        std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<Nanos>(left, 50'000'000)));
      }
      return false;
    };
    for (const auto& action : actions) {
      if (!wait_until(action.at)) return;
      const auto& fault = schedule[action.fault];
      if (action.start) {
        std::map<std::string, nlohmann::json> specs;
        if (fault.kind() == "partition") {
          specs = partition_specs(fault.grudge, addresses);
        } else {
          auto tmpl = fault.spec;
          for (const auto& node : fault.targets)
            specs[node] = expand_json(tmpl, node_placeholders(infos, node_index[node], suite.sut.port));
        }
        ActiveFault a;
        a.fault = &fault;
        std::vector<std::string> nodes;
        for (const auto& [node, spec] : specs) nodes.push_back(node);
        std::vector<std::string> ids(nodes.size()), errors(nodes.size());
        fan_out(nodes.size(), [&](std::size_t k) {
          auto parsed = faults::FaultSpec::parse(specs[nodes[k]]);
          if (!parsed) {
            errors[k] = fmt::format("{}: {}", nodes[k], parsed.error().message);
            return;
          }
          auto applied = links[node_index[nodes[k]]].client->apply(*parsed, suite.lease);
          if (!applied) errors[k] = fmt::format("{}: apply: {}", nodes[k], applied.error().message);
          else ids[k] = applied->id;
        });
        ExecutedFault executed;
        executed.id = fault.id;
        executed.kind = fault.kind();
        std::set<std::string> applied_on;
        for (std::size_t k = 0; k < nodes.size(); ++k) {
          if (!errors[k].empty()) {
            executed.errors.push_back(errors[k]);
            console.line(fmt::format("error: fault {} ({}) on {}", fault.id, fault.kind(), errors[k]));
          } else {
            a.agent_ids[nodes[k]] = ids[k];
            applied_on.insert(nodes[k]);
          }
        }
        nlohmann::json event{{"type", "fault"}, {"phase", "start"}, {"id", fault.id}, {"fault", fault.spec}};
        auto targets = nlohmann::json::array();
        for (const auto& node : fault.targets)
          if (fault.kind() == "partition" || applied_on.count(node)) targets.push_back(node);
        event["targets"] = targets;
        if (fault.kind() == "partition") event["grudge"] = fault.grudge;
        if (!executed.errors.empty()) event["errors"] = executed.errors;
        executed.start = history.record(now(), event);
        for (const auto& t : targets) executed.targets.push_back(t);
        console.line(fmt::format("{} start {} on {}{}", fault.id, fault.spec.dump(), targets.dump(),
                                 executed.errors.empty() ? "" : " (with errors)"));
        std::lock_guard lock(active_mutex);
        a.summary_index = summary.faults.size();
        summary.faults.push_back(executed);
        active.push_back(std::move(a));
      } else {
        std::unique_lock lock(active_mutex);
        auto it = std::find_if(active.begin(), active.end(), [&](const ActiveFault& a) { return a.fault == &fault; });
        if (it == active.end()) continue;
        ActiveFault a = std::move(*it);
        active.erase(it);
        lock.unlock();
        std::vector<std::pair<std::string, std::string>> ids(a.agent_ids.begin(), a.agent_ids.end());
        std::vector<std::string> errors(ids.size());
        fan_out(ids.size(), [&](std::size_t k) {
          if (auto r = links[node_index[ids[k].first]].client->heal(ids[k].second); !r)
            errors[k] = fmt::format("{}: heal: {}", ids[k].first, r.error().message);
        });
        Nanos end = history.record(now(), {{"type", "fault"}, {"phase", "end"}, {"id", fault.id}});
        lock.lock();
        auto& executed = summary.faults[a.summary_index];
        executed.end = end;
        for (const auto& e : errors)
          if (!e.empty()) executed.errors.push_back(e);
        lock.unlock();
        console.line(fmt::format("{} end ({})", fault.id, fault.kind()));
      }
    }
    wait_until(suite.duration);
  }();

  // 5. Finish: stop the workload, heal, verify, stop the SUT, write.
  stop_threads = true;
  if (progress.joinable()) progress.join();
  console.finish();
  if (interrupted()) {
    summary.interrupted = true;
    console.line(fmt::format("interrupted by signal {}: healing everything and writing what there is", g_signal.load()));
    log_event(fmt::format("interrupted by signal {}", g_signal.load()));
  }
  for (auto& c : clients) {
    ::kill(-c.pid, SIGTERM);
    ::kill(c.pid, SIGTERM);
  }
  for (auto& c : clients) {
    Nanos deadline = monotonic_now() + 3'000'000'000;
    int status = 0;
    while (::waitpid(c.pid, &status, WNOHANG) == 0) {
      if (monotonic_now() > deadline) {
        ::kill(-c.pid, SIGKILL);
        ::kill(c.pid, SIGKILL);
        ::waitpid(c.pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (c.reader.joinable()) c.reader.join();
    if (c.fd >= 0) ::close(c.fd);
  }
  {
    std::lock_guard lock(active_mutex);
    for (auto& a : active) {
      for (const auto& [node, id] : a.agent_ids) {
        for (auto& link : links)
          if (link.info.name == node && link.client) (void)link.client->heal(id);
      }
      summary.faults[a.summary_index].end = history.record(now(), {{"type", "fault"}, {"phase", "end"}, {"id", a.fault->id}});
    }
    active.clear();
  }
  bool any_connected = false;
  summary.healed_verified = !links.empty();
  {
    std::vector<std::string> heal_errors(links.size());
    fan_out(links.size(), [&](std::size_t i) {
      auto& link = links[i];
      if (!link.client) {
        heal_errors[i] = fmt::format("node {}: not connected; cannot verify", link.info.name);
        return;
      }
      if (auto r = link.client->heal_all(); !r) heal_errors[i] = fmt::format("node {}: heal_all: {}", link.info.name, r.error().message);
      auto list = link.client->list();
      if (!list) heal_errors[i] = fmt::format("node {}: list after heal: {}", link.info.name, list.error().message);
      else if (!list->empty()) heal_errors[i] = fmt::format("node {}: still lists faults after heal: {}", link.info.name, list->dump());
    });
    for (std::size_t i = 0; i < links.size(); ++i) {
      if (links[i].client) any_connected = true;
      if (!heal_errors[i].empty()) {
        summary.healed_verified = false;
        run_error(heal_errors[i]);
      }
    }
  }
  if (any_connected) {
    log_event(summary.healed_verified ? "every fault healed; agents list none" : "heal could not be verified on every agent");
    fan_out(links.size(), [&](std::size_t i) {
      if (links[i].client) (void)links[i].client->stop_sut();
    });
  }
  stop_threads = true;
  if (renewer.joinable()) renewer.join();
  if (t0 != 0) {
    // Let events already on the wire arrive, then close the history.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    log_event("run finished");
  }
  for (auto& link : links)
    if (link.client) link.client->close();
  history.close();
  summary.duration = history.last_time();

  // Logs, then the cluster goes.
  if (cluster) {
    std::error_code ec;
    for (const auto& node : cluster->nodes())
      for (const auto& [name, path] : node.logs) {
        if (!std::filesystem::exists(path)) continue;
        std::filesystem::create_directories(dir / "logs" / node.name, ec);
        std::filesystem::copy_file(path, dir / "logs" / node.name / name, std::filesystem::copy_options::overwrite_existing, ec);
      }
    console.line(fmt::format("tearing down cluster {}", cluster->id()));
    if (auto r = cluster->teardown(); !r) run_error(fmt::format("teardown: {}", r.error().message));
    cluster.reset();
  }

  // Checkers.
  std::optional<history::History> recorded;
  if (t0 != 0) {
    auto read = history::read_history_file((dir / "history.jsonl").string());
    if (!read) {
      summary.check_error = read.error().message;
      run_error(fmt::format("reading back the history: {}", read.error().message));
    } else {
      recorded = std::move(*read);
      checkers::RunOptions ropts;
      ropts.names = suite.checkers.names;
      ropts.config = suite.checkers.config;
      ropts.model = suite.checkers.model;
      ropts.initial = suite.checkers.initial;
      ropts.timeout = suite.checkers.timeout;
      auto report = checkers::run_checkers(*recorded, ropts);
      if (!report) {
        summary.check_error = report.error().message;
        run_error(fmt::format("checkers: {}", report.error().message));
      } else {
        summary.check = std::move(*report);
      }
    }
  } else {
    summary.check_error = "the run stopped before the history began";
  }

  if (auto r = write_results(dir / "results.json", summary); !r) console.line("error: " + r.error().message);
  if (auto r = write_junit(dir / "junit.xml", summary); !r) console.line("error: " + r.error().message);
  {
    nlohmann::json metadata{{"suite", suite.name}, {"suite_file", suite.file.string()}, {"verdict", validity_json(summary.verdict())},
                            {"started_at", summary.started_at}, {"seed", suite.nemesis.seed},
                            {"provider", suite.cluster.provider}, {"nodes", suite.cluster.nodes},
                            {"duration", format_duration(suite.duration)}};
    for (auto& [k, v] : suite.metadata.items()) metadata[k] = v;
    if (!summary.errors.empty()) metadata["errors"] = summary.errors;
    history::History empty;
    empty.nodes = suite.cluster.nodes;
    if (auto r = write_report(dir / "report.html", recorded ? *recorded : empty, summary.check ? &*summary.check : nullptr, metadata); !r)
      console.line("error: " + r.error().message);
  }
  int code = summary.exit_code();
  if (summary.interrupted) code = 2;
  else if (refused_code) code = refused_code;
  for (const auto& [name, result] : summary.check ? summary.check->results : decltype(summary.check->results){})
    console.line(fmt::format("checker {}: {}", name, validity_text(result.valid)));
  console.line(fmt::format("verdict: {} (exit {})", validity_text(summary.verdict()), code));
  console.line(fmt::format("report: {}", (dir / "report.html").string()));
  std::printf("%s\n", (dir / "report.html").string().c_str());
  return code;
}

}  // namespace faultline::controller
