// `faultline run` on the local provider, as root: a real cluster of network
// namespaces, real agents, real faults; and the controller SIGKILLed mid-run.
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

const std::string kBin = FAULTLINE_BIN_DIR;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string sh(const std::string& cmd) {
  std::string out;
  if (FILE* f = ::popen(("{ " + cmd + "; } 2>&1").c_str(), "r")) {
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) out.append(buffer, n);
    ::pclose(f);
  }
  return out;
}

// A scratch directory and state dir, removed (with any cluster left) at the end.
struct Scratch {
  std::filesystem::path dir;
  Scratch() {
    dir = std::filesystem::temp_directory_path() / ("faultline-run-it-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "state");
  }
  ~Scratch() {
    sh("FAULTLINE_STATE_DIR=" + (dir / "state").string() + " " + kBin + "/faultline cluster down --all");
    std::filesystem::remove_all(dir);
  }
  std::string env() const { return "FAULTLINE_STATE_DIR=" + (dir / "state").string() + " "; }
};

// A subnet no other test of this process family uses.
std::string subnet() { return "198.19." + std::to_string(::getpid() % 250) + ".0/24"; }

bool ready() {
  if (::geteuid() != 0) return false;
  return std::filesystem::exists(kBin + "/faultline-agent") && std::filesystem::exists(kBin + "/faultline");
}

// Checks that nothing of a cluster (by id) is left on the machine.
void expect_nothing_left(const std::string& id, const std::string& net) {
  EXPECT_EQ(sh("ip netns list | grep -c 'faultline-" + id + "-' || true"), "0\n");
  EXPECT_FALSE(std::filesystem::exists("/sys/class/net/flb" + id));
  EXPECT_EQ(sh("ip -o link show | grep -c 'fl" + id + "' || true"), "0\n");
  EXPECT_EQ(sh("grep -c '/run/faultline/" + id + "' /proc/mounts || true"), "0\n");
  EXPECT_FALSE(std::filesystem::exists("/run/faultline/" + id));
  // "[x]yz" matches "xyz" but not this shell's own command line.
  EXPECT_EQ(sh("pgrep -f -c 'run/faultline/[" + id.substr(0, 1) + "]" + id.substr(1) + "/' || true"), "0\n");
  auto prefix = net.substr(0, net.rfind('.'));
  EXPECT_EQ(sh("iptables-save 2>/dev/null | grep -c '" + prefix + "\\.' || true"), "0\n");
  EXPECT_EQ(sh("tc qdisc show | grep -c 'fl" + id + "' || true"), "0\n");
}

std::string write_suite(const Scratch& s, const std::string& name, const std::string& body) {
  auto path = s.dir / (name + ".yaml");
  std::ofstream(path) << body;
  return path.string();
}

// A 60 s suite on 3 nodes that isolates n1 from 500ms for 50 s.
std::string isolate_n1_suite(const std::string& name, const std::string& lease, const std::string& net) {
  return "name: " + name + "\nduration: 60s\nlease: " + lease + "\ncluster:\n  nodes: 3\n  subnet: " + net +
         "\nsut:\n  command: 'sleep 600'\nnemesis:\n  - at: 500ms\n    fault: {kind: partition, mode: isolate}\n"
         "    targets: [n1]\n    duration: 50s\n";
}

// Starts `faultline run SUITE --out OUT` in the background (output to
// scratch/stderr) and returns its pid.
pid_t start_run(const Scratch& s, const std::string& suite, const std::filesystem::path& out) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("FAULTLINE_STATE_DIR", (s.dir / "state").c_str(), 1);
    int fd = ::open((s.dir / "stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 2);
    ::dup2(fd, 1);
    ::execl((kBin + "/faultline").c_str(), "faultline", "run", suite.c_str(), "--out", out.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

// Waits up to 40 s until a fault has started in `history`.
bool wait_for_fault_start(const std::filesystem::path& history) {
  for (int i = 0; i < 400; ++i) {
    if (slurp(history).find("\"phase\":\"start\"") != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace

TEST(RunLocal, FaultsAppliedHealedOutputsWrittenNothingLeft) {
  if (!ready()) GTEST_SKIP() << "needs root and the built faultline + faultline-agent";
  Scratch s;
  auto suite = write_suite(s, "it-run", R"(name: it-run
duration: 14s
lease: 6s
cluster:
  nodes: 4
  subnet: SUBNET
sut:
  command: ["/usr/bin/python3", "SOURCE/examples/suites/stand-in-sut.py", "--listen", "{address}:{port}", "--node", "{node}", "--peers", "{peer_addresses}"]
  port: 8080
  ready: {tcp: 8080, timeout: 20s}
  per_process_clock: true
nemesis:
  seed: 3
  schedule:
    - at: 1s
      fault: {kind: partition, mode: halves}
      duration: 2s
    - at: 2s
      fault: {kind: kill}
      targets: [n1]
      duration: 2s
    - at: 4s
      fault: {kind: pause}
      targets: [n2]
      duration: 2s
    - at: 6s
      fault: {kind: clock-skew, offset: 30s}
      targets: [n3]
      duration: 2s
    - at: 8s
      fault: {kind: delay, delay: 50ms}
      targets: all
      duration: 2s
    - at: 10s
      fault: {kind: disk-fill, path: "{data}", leave: 1MiB}
      targets: [n4]
      duration: 2s
)");
  std::string text = slurp(suite);
  text.replace(text.find("SUBNET"), 6, subnet());
  text.replace(text.find("SOURCE"), 6, FAULTLINE_SOURCE_DIR);
  std::ofstream(suite) << text;
  auto out = s.dir / "out";
  int status = std::system((s.env() + kBin + "/faultline run " + suite + " --out " + out.string() + " > " +
                            (s.dir / "stdout").string() + " 2> " + (s.dir / "stderr").string())
                               .c_str());
  ASSERT_TRUE(WIFEXITED(status));
  const int code = WEXITSTATUS(status);
  const auto run = out / "it-run" / "latest";
  ASSERT_TRUE(std::filesystem::exists(run / "results.json")) << slurp(s.dir / "stderr");
  auto results = nlohmann::json::parse(slurp(run / "results.json"));
  EXPECT_EQ(results["exit_code"], code);
  EXPECT_EQ(code, 0) << slurp(s.dir / "stderr") << results.dump(2);
  EXPECT_TRUE(results["healed_verified"].get<bool>());
  for (const char* f : {"history.jsonl", "junit.xml", "report.html", "logs/n1/agent.log"})
    EXPECT_TRUE(std::filesystem::exists(run / f)) << f;
  EXPECT_NE(slurp(s.dir / "stdout").find("report.html"), std::string::npos);
  // Every fault started and ended, on its targets, with the grudge for the partition.
  std::map<std::string, int> starts, ends;
  bool grudge = false;
  std::istringstream lines(slurp(run / "history.jsonl"));
  std::string line;
  long long last_time = 0;
  while (std::getline(lines, line)) {
    auto e = nlohmann::json::parse(line);
    EXPECT_GE(e["time"].get<long long>(), last_time) << "file order and time disagree at " << line;  // docs/history.md
    last_time = e["time"].get<long long>();
    if (e["type"] != "fault") continue;
    if (e["phase"] == "start") {
      starts[e["fault"]["kind"]]++;
      EXPECT_FALSE(e.contains("errors")) << line;
      if (e["fault"]["kind"] == "partition") grudge = e["grudge"].size() == 4;
    } else {
      ends[e["id"]]++;
    }
  }
  for (const char* kind : {"partition", "kill", "pause", "clock-skew", "delay", "disk-fill"}) EXPECT_EQ(starts[kind], 1) << kind;
  EXPECT_EQ(ends.size(), 6u);
  EXPECT_TRUE(grudge);
  // SUT events arrived through the agents, on the controller's timeline.
  EXPECT_NE(slurp(run / "history.jsonl").find("peers\",\"node\":\"n1\""), std::string::npos);
  // The JUnit file validates.
  EXPECT_EQ(std::system(("xmllint --noout --schema " + std::string(FAULTLINE_TEST_DATA) + "/junit.xsd " +
                         (run / "junit.xml").string() + " >/dev/null 2>&1").c_str()),
            0);
  // Nothing of the cluster is left.
  auto cluster_line = slurp(s.dir / "stderr");
  auto pos = cluster_line.find("cluster ");
  ASSERT_NE(pos, std::string::npos);
  std::string id = cluster_line.substr(pos + 8, 6);
  EXPECT_TRUE(std::filesystem::is_empty(s.dir / "state"));
  expect_nothing_left(id, subnet());
}

TEST(RunLocal, BadSuiteIsRejectedBeforeAnythingStarts) {
  if (!ready()) GTEST_SKIP() << "needs root and the built faultline";
  Scratch s;
  auto suite = write_suite(s, "bad", "duration: 10s\ncluster: {nodes: 3}\nsut: {command: 'true'}\nnemesis:\n  - at: 1s\n    fault: {kind: partition, mode: sideways}\n    duration: 1s\n");
  auto out = sh(s.env() + kBin + "/faultline run " + suite + " --out " + (s.dir / "out").string() + "; echo exit=$?");
  EXPECT_NE(out.find("bad.yaml:6: nemesis[0].fault.mode: 'sideways' is not one of"), std::string::npos) << out;
  EXPECT_NE(out.find("exit=254"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(s.dir / "out"));
  EXPECT_TRUE(std::filesystem::is_empty(s.dir / "state"));
}

TEST(RunLocal, ControllerKilledAgentsHealWithinLeaseHistoryReadable) {
  if (!ready()) GTEST_SKIP() << "needs root and the built faultline + faultline-agent";
  Scratch s;
  std::string net = subnet();
  auto suite = write_suite(s, "it-kill", isolate_n1_suite("it-kill", "3s", net));
  auto out = s.dir / "out";
  pid_t pid = start_run(s, suite, out);
  // Wait until the partition is in the history.
  const auto history = out / "it-kill" / "latest" / "history.jsonl";
  bool started = wait_for_fault_start(history);
  if (!started) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  ASSERT_TRUE(started) << slurp(s.dir / "stderr");
  auto states = sh("ls " + (s.dir / "state").string());
  std::string id = states.substr(0, 6);
  const std::string ns = "faultline-" + id + "-n1";
  EXPECT_NE(sh("ip netns exec " + ns + " iptables-save | grep -ci faultline"), "0\n");  // the fault is in effect
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  // Lease 3s: the agents heal by themselves.
  bool healed = false;
  for (int i = 0; i < 100 && !healed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    healed = sh("ip netns exec " + ns + " iptables-save | grep -c -- '-j DROP' || true") == "0\n";
  }
  EXPECT_TRUE(healed) << sh("ip netns exec " + ns + " iptables-save");
  // The partial history is readable by `faultline check`.
  auto check = sh(kBin + "/faultline check " + history.string() + " --json; echo exit=$?");
  EXPECT_EQ(check.find("exit=254"), std::string::npos) << check;
  EXPECT_EQ(check.find("exit=255"), std::string::npos) << check;
  // `faultline cluster down` removes exactly what the state file records.
  auto down = sh(s.env() + kBin + "/faultline cluster down " + id + "; echo exit=$?");
  EXPECT_NE(down.find("exit=0"), std::string::npos) << down;
  expect_nothing_left(id, net);
}

// SIGINT and SIGTERM mid-fault: the controller heals (the lease is far
// longer than the test waits, so the agents' own expiry cannot be what
// healed), writes the history and results it has, tears the cluster down
// and exits 2.
class RunLocalSignal : public ::testing::TestWithParam<int> {};

TEST_P(RunLocalSignal, HealsWritesWhatThereIsAndExits2) {
  if (!ready()) GTEST_SKIP() << "needs root and the built faultline + faultline-agent";
  Scratch s;
  std::string net = subnet();
  auto suite = write_suite(s, "it-signal", isolate_n1_suite("it-signal", "60s", net));
  auto out = s.dir / "out";
  pid_t pid = start_run(s, suite, out);
  const auto run = out / "it-signal" / "latest";
  bool started = wait_for_fault_start(run / "history.jsonl");
  if (!started) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  ASSERT_TRUE(started) << slurp(s.dir / "stderr");
  std::string id = sh("ls " + (s.dir / "state").string()).substr(0, 6);
  EXPECT_NE(sh("ip netns exec faultline-" + id + "-n1 iptables-save | grep -c -- '-j DROP' || true"), "0\n");
  ::kill(pid, GetParam());
  int status = 0;
  pid_t done = 0;
  for (int i = 0; i < 300 && done == 0; ++i) {
    done = ::waitpid(pid, &status, WNOHANG);
    if (done == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (done == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  ASSERT_NE(done, 0) << "faultline run did not exit within 30 s of the signal\n" << slurp(s.dir / "stderr");
  ASSERT_TRUE(WIFEXITED(status)) << slurp(s.dir / "stderr");
  EXPECT_EQ(WEXITSTATUS(status), 2) << slurp(s.dir / "stderr");
  // What there is was written: results with the interruption, and a history
  // in which the partition started and ended.
  ASSERT_TRUE(std::filesystem::exists(run / "results.json")) << slurp(s.dir / "stderr");
  auto results = nlohmann::json::parse(slurp(run / "results.json"));
  EXPECT_EQ(results["exit_code"], 2) << results.dump(2);
  int starts = 0, ends = 0;
  std::istringstream lines(slurp(run / "history.jsonl"));
  std::string line;
  while (std::getline(lines, line)) {
    auto e = nlohmann::json::parse(line);
    if (e["type"] != "fault") continue;
    (e["phase"] == "start" ? starts : ends)++;
  }
  EXPECT_EQ(starts, 1);
  EXPECT_EQ(ends, 1) << slurp(run / "history.jsonl");
  auto check = sh(kBin + "/faultline check " + (run / "history.jsonl").string() + " --json; echo exit=$?");
  EXPECT_EQ(check.find("exit=254"), std::string::npos) << check;
  EXPECT_EQ(check.find("exit=255"), std::string::npos) << check;
  EXPECT_TRUE(std::filesystem::is_empty(s.dir / "state"));
  expect_nothing_left(id, net);
}

INSTANTIATE_TEST_SUITE_P(Signals, RunLocalSignal, ::testing::Values(SIGINT, SIGTERM),
                         [](const auto& info) { return std::string(info.param == SIGINT ? "SIGINT" : "SIGTERM"); });

// A suite whose schedule can produce a fault that no mechanism serves on the
// nodes is refused before the run starts (exit 254), naming the node, the
// kind and the agent's reason; no fault is applied and nothing is left.
TEST(RunLocal, FaultNoMechanismServesIsRefusedWithNodeKindAndReason) {
  if (!ready()) GTEST_SKIP() << "needs root and the built faultline + faultline-agent";
  // The agent says which kinds this host cannot serve; take the first.
  auto probe = nlohmann::json::parse(sh(kBin + "/faultline-agent --probe --json 2>/dev/null"), nullptr, false);
  ASSERT_TRUE(probe.is_object());
  std::string kind, reason;
  for (const auto& [name, cap] : probe.items())
    if (!cap.value("available", true) && kind.empty()) {
      kind = name;
      reason = cap.value("reason", std::string());
    }
  if (kind.empty()) GTEST_SKIP() << "every fault kind is available on this host; nothing to refuse";
  Scratch s;
  std::string net = subnet();
  auto suite = write_suite(s, "it-refuse", "name: it-refuse\nduration: 5s\ncluster:\n  nodes: 2\n  subnet: " + net +
                                               "\nsut:\n  command: 'sleep 600'\nnemesis:\n  - at: 1s\n    fault: {kind: " + kind +
                                               "}\n    targets: [n2]\n    duration: 1s\n");
  auto out = sh(s.env() + kBin + "/faultline run " + suite + " --out " + (s.dir / "out").string() + "; echo exit=$?");
  EXPECT_NE(out.find("exit=254"), std::string::npos) << out;
  EXPECT_NE(out.find("refused: node n1: fault kind '" + kind + "': " + reason), std::string::npos) << out;
  EXPECT_NE(out.find("refused: node n2: fault kind '" + kind + "'"), std::string::npos) << out;
  auto history = slurp(s.dir / "out" / "it-refuse" / "latest" / "history.jsonl");
  EXPECT_EQ(history.find("\"type\":\"fault\""), std::string::npos) << history;
  auto pos = out.find("cluster ");
  ASSERT_NE(pos, std::string::npos) << out;
  std::string id = out.substr(pos + 8, 6);
  EXPECT_TRUE(std::filesystem::is_empty(s.dir / "state"));
  expect_nothing_left(id, net);
}

// The controller SIGKILLed mid-run with clients that have children of their
// own: every fault is healed within lease + 1 s, the clients (and their
// children) die with the controller, and `cluster down` leaves no SUT or
// agent process of the run.
TEST(RunLocal, ControllerKilledLeavesNoFaultClientSutOrAgent) {
  if (!ready()) GTEST_SKIP() << "needs root and the built faultline + faultline-agent";
  Scratch s;
  const std::string net = subnet();
  const std::string mark = "fl-orphan-" + std::to_string(::getpid());
  auto suite = write_suite(s, "it-orphans", "name: it-orphans\nduration: 60s\nlease: 3s\ncluster:\n  nodes: 3\n  subnet: " + net +
      "\nsut:\n  command: ['/bin/sh', '-c', 'while :; do sleep 1; done', 'sut-" + mark + "']\n"
      "client:\n  command: \"sleep 600 & while :; do echo '{\\\"type\\\":\\\"invoke\\\",\\\"f\\\":\\\"read\\\",\\\"value\\\":null}'; "
      "sleep 0.1; done # client-" + mark + "\"\n  concurrency: 2\n"
      "nemesis:\n  - at: 500ms\n    fault: {kind: partition, mode: isolate}\n    targets: [n1]\n    duration: 50s\n");
  auto out = s.dir / "out";
  pid_t pid = start_run(s, suite, out);
  const auto history = out / "it-orphans" / "latest" / "history.jsonl";
  bool started = wait_for_fault_start(history);
  if (!started) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  ASSERT_TRUE(started) << slurp(s.dir / "stderr");
  std::string id = sh("ls " + (s.dir / "state").string()).substr(0, 6);
  auto state = nlohmann::json::parse(slurp(s.dir / "state" / (id + ".json")));
  ASSERT_EQ(state["clients"].size(), 2u) << state.dump();
  std::vector<int> groups;
  for (const auto& c : state["clients"]) groups.push_back(c["pgid"].get<int>());
  auto group_alive = [&] {
    for (int g : groups)
      if (::kill(-g, 0) == 0) return true;
    return false;
  };
  ASSERT_TRUE(group_alive());
  EXPECT_NE(sh("pgrep -f -c 'sut-" + mark + "'"), "0\n");

  const std::string ns = "faultline-" + id + "-n1";
  ::kill(pid, SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  ::waitpid(pid, nullptr, 0);
  bool healed = false, clients_gone = false;
  while (std::chrono::steady_clock::now() - killed < std::chrono::seconds(10) && !(healed && clients_gone)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!healed && sh("ip netns exec " + ns + " iptables-save | grep -c -- '-j DROP' || true") == "0\n") {
      healed = true;
      EXPECT_LE(std::chrono::steady_clock::now() - killed, std::chrono::milliseconds(4000)) << "lease 3s + 1s";
    }
    if (!clients_gone && !group_alive()) {
      clients_gone = true;
      EXPECT_LE(std::chrono::steady_clock::now() - killed, std::chrono::milliseconds(3000));
    }
  }
  EXPECT_TRUE(healed) << sh("ip netns exec " + ns + " iptables-save");
  EXPECT_TRUE(clients_gone) << sh("ps -eo pid,pgid,args | grep -v grep | grep -e sleep -e " + mark);

  auto down = sh(s.env() + kBin + "/faultline cluster down " + id + "; echo exit=$?");
  EXPECT_NE(down.find("exit=0"), std::string::npos) << down;
  EXPECT_EQ(sh("pgrep -f -c '[s]ut-" + mark + "' || true"), "0\n");
  EXPECT_FALSE(group_alive());
  expect_nothing_left(id, net);
}

// Two runs at once with no subnet in their suites: the second finds the
// default subnet taken by the first and picks a free one, saying so.
TEST(RunLocal, TwoRunsAtOnceBothSucceedWithoutChoosingASubnet) {
  if (!ready()) GTEST_SKIP() << "needs root and the built faultline + faultline-agent";
  Scratch s;
  auto body = [](const std::string& name) {
    return "name: " + name + "\nduration: 4s\ncluster:\n  nodes: 2\nsut:\n  command: 'sleep 600'\n"
           "nemesis:\n  - at: 1s\n    fault: {kind: partition, mode: isolate}\n    targets: [n1]\n    duration: 1s\n";
  };
  auto a = write_suite(s, "it-twin-a", body("it-twin-a"));
  auto b = write_suite(s, "it-twin-b", body("it-twin-b"));
  auto run = [&](const std::string& suite, const std::string& log) {
    return "cd " + s.dir.string() + " && " + s.env() + kBin + "/faultline run " + suite + " --out " +
           (s.dir / "out").string() + " > " + log + " 2>&1; echo $? >> " + log + ".rc";
  };
  auto both = sh("(" + run(a, "a.log") + ") & (" + run(b, "b.log") + ") & wait");
  EXPECT_EQ(slurp(s.dir / "a.log.rc"), "0\n") << slurp(s.dir / "a.log");
  EXPECT_EQ(slurp(s.dir / "b.log.rc"), "0\n") << slurp(s.dir / "b.log");
  auto logs = slurp(s.dir / "a.log") + slurp(s.dir / "b.log");
  // Unless something else already had it, one of them used the default.
  EXPECT_NE(logs.find("this cluster uses 198."), std::string::npos) << logs;
}

// What a real database's suite needs: two named ports, a start command
// that keeps its data over a restart (FAULTLINE_RESTART), a ready command
// that only succeeds inside the node's own namespace, and a teardown hook.
TEST(RunLocal, NamedPortsRestartAwareStartReadyInsideTheNodeAndTeardown) {
  if (!ready()) GTEST_SKIP() << "needs root and the built faultline + faultline-agent";
  Scratch s;
  const std::string net = subnet();
  const auto keep = s.dir / "kept";
  std::filesystem::create_directories(keep);
  auto suite = write_suite(s, "it-realdb", "name: it-realdb\nduration: 8s\ncluster:\n  nodes: 3\n  subnet: " + net + R"(
sut:
  ports: {client: 7101, peer: 7102}
  command: >-
    if [ "$FAULTLINE_RESTART" != 1 ]; then rm -rf {data}/db; fi; mkdir -p {data}/db;
    echo "start $FAULTLINE_START restart $FAULTLINE_RESTART" >> {data}/db/log;
    python3 -m http.server {ports.client} --bind {address} >/dev/null 2>&1 &
    exec python3 -m http.server {ports.peer} --bind {address} >/dev/null 2>&1
  ready:
    command: "ip -o -4 addr show | grep -q ' {address}/' && python3 -c 'import socket; socket.create_connection((\"{address}\", {ports.peer}), 1)'"
    timeout: 90s
  teardown: "cp {data}/db/log )" + keep.string() + R"(/{node}.log; echo '{lists.members}' > )" + keep.string() + R"(/{node}.members"
  lists:
    members: "{node}@{address}:{ports.peer}"
nemesis:
  - at: 2s
    fault: {kind: kill}
    targets: [n2]
    duration: 2s
)");
  auto out = s.dir / "out";
  auto result = sh(s.env() + kBin + "/faultline run " + suite + " --out " + out.string() + "; echo exit=$?");
  EXPECT_NE(result.find("exit=0"), std::string::npos) << result;
  EXPECT_EQ(slurp(keep / "n1.log"), "start 1 restart 0\n");
  EXPECT_EQ(slurp(keep / "n2.log"), "start 1 restart 0\nstart 2 restart 1\n");  // data kept over the kill
  auto prefix = net.substr(0, net.rfind('.'));
  EXPECT_EQ(slurp(keep / "n3.members"),
            "n1@" + prefix + ".1:7102,n2@" + prefix + ".2:7102,n3@" + prefix + ".3:7102\n");
}

TEST(RunLocal, UnknownPlaceholderOrPortIsRefusedBeforeAnythingStarts) {
  if (!ready()) GTEST_SKIP() << "needs root and the built faultline + faultline-agent";
  Scratch s;
  auto suite = write_suite(s, "it-badport", "duration: 5s\ncluster: {nodes: 2}\nsut:\n  ports: {client: 7000}\n"
                                            "  command: 'serve --port {ports.clinet}'\n");
  auto result = sh(s.env() + kBin + "/faultline run " + suite + " --out " + (s.dir / "out").string() + "; echo exit=$?");
  EXPECT_NE(result.find("it-badport.yaml:5: sut.command: unknown placeholder {ports.clinet}; did you mean {ports.client}?"),
            std::string::npos)
      << result;
  EXPECT_NE(result.find("exit=254"), std::string::npos) << result;
  EXPECT_EQ(sh("ls " + (s.dir / "state").string() + " | wc -l"), "0\n");
}
