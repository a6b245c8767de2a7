// The instrumentation kit against a real faultline-agent: the Python module
// (driving the real circuitbreaker, tenacity and backoff through its hooks)
// and the C header each run as the agent's service, report through the
// agent's event socket, and stop reporting on SIGTERM. The events the agent
// collected are then judged by the checkers under the libraries' profiles.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <sstream>

#include "checkers/checker.h"
#include "checkers/history/event.h"
#include "checkers/history/jsonl_reader.h"
#include "tests/agent/integration/agent_process.h"

namespace faultline::agent::testing {
namespace {

struct Collected {
  std::mutex mutex;
  std::vector<AgentEvent> events;
  std::size_t count(const std::function<bool(const nlohmann::json&)>& pred) {
    std::lock_guard lock(mutex);
    std::size_t n = 0;
    for (const auto& e : events) n += pred(e.event) ? 1 : 0;
    return n;
  }
};

bool is_log(const nlohmann::json& e, const std::string& message) {
  return e.value("type", "") == "log" && e.value("message", "") == message;
}

// Runs `command` as the agent's service until it logs "ready", stops it
// (SIGTERM), and returns every event the agent received.
std::vector<AgentEvent> run_service(const std::vector<std::string>& command) {
  TempDir dir;
  AgentProcess agent(FAULTLINE_AGENT_BIN, dir.path());
  EXPECT_TRUE(agent.start());
  auto client = agent.client();
  Collected got;
  EXPECT_TRUE(client->subscribe_events([&](const AgentEvent& e) {
    std::lock_guard lock(got.mutex);
    got.events.push_back(e);
  }).ok());
  SutSpec sut;
  sut.command = command;
  EXPECT_TRUE(client->start_sut(sut).ok());
  const bool ready = eventually([&] { return got.count([](const auto& e) { return is_log(e, "ready"); }) > 0; }, 15s);
  EXPECT_TRUE(ready) << "the service never logged ready; its stderr:\n" << read_file(agent.state_dir() / "sut.stderr.log");
  EXPECT_TRUE(client->stop_sut().ok());
  std::this_thread::sleep_for(500ms);  // anything sent after SIGTERM would have arrived by now
  EXPECT_EQ(got.count([](const auto& e) { return is_log(e, "after-term"); }), 0u)
      << "the service kept reporting after SIGTERM";
  std::lock_guard lock(got.mutex);
  return got.events;
}

// The collected events as a history on the agent's timeline.
history::History to_history(const std::vector<AgentEvent>& events) {
  std::string text = R"({"time":0,"type":"cluster","nodes":["n1"]})" "\n";
  const Nanos base = events.empty() ? 0 : events.front().agent_mono - 1;
  for (const auto& e : events) {
    nlohmann::ordered_json line;
    line["time"] = e.agent_mono - base;
    for (auto it = e.event.begin(); it != e.event.end(); ++it) line[it.key()] = it.value();
    text += line.dump() + "\n";
  }
  std::istringstream in(text);
  auto h = history::read_jsonl_history(in, "collected");
  EXPECT_TRUE(h.ok()) << (h.ok() ? "" : h.error().message);
  return h.ok() ? std::move(h).value() : history::History{};
}

checkers::Validity judge(const history::History& h, const std::string& checker, const nlohmann::json& config,
                         std::string* text = nullptr) {
  checkers::RunOptions options;
  options.names = {checker};
  options.config = {{checker, config}};
  auto report = checkers::run_checkers(h, options);
  EXPECT_TRUE(report.ok()) << (report.ok() ? "" : report.error().message);
  if (!report.ok()) return checkers::Validity::kUnknown;
  if (text) *text = report->results[0].second.text;
  return report->valid;
}

TEST(Adapters, PythonModuleHooksReportTheRealLibrariesThroughTheAgent) {
  const auto events = run_service({"/usr/bin/python3", FAULTLINE_SOURCE_DIR "/tests/adapters/emit_python.py",
                                   FAULTLINE_SOURCE_DIR "/adapters/python"});
  std::vector<std::string> breaker;
  std::map<std::int64_t, std::vector<nlohmann::json>> ops;
  for (const auto& e : events) {
    const auto& j = e.event;
    EXPECT_EQ(j.value("node", ""), "n1") << j.dump();
    if (j["type"] == "breaker") {
      std::string s = j["event"].get<std::string>();
      if (j.contains("permitted")) s += j["permitted"].get<bool>() ? ":permitted" : ":rejected";
      if (j.contains("outcome")) s += ":" + j["outcome"].get<std::string>();
      if (j.contains("from")) s += ":" + j["from"].get<std::string>() + "->" + j["to"].get<std::string>();
      breaker.push_back(s);
    }
    if (j["type"] == "retry") ops[j["op"].get<std::int64_t>()].push_back(j);
  }
  const std::vector<std::string> expected = {
      "call:permitted", "result:failure", "call:permitted", "result:failure", "transition:closed->open",
      "call:rejected", "transition:open->half_open", "call:permitted", "result:success", "transition:half_open->closed"};
  EXPECT_EQ(breaker, expected);
  ASSERT_EQ(ops.size(), 2u);  // tenacity's op and backoff's op, distinct ids
  std::vector<std::size_t> sizes;
  for (const auto& [op, attempts] : ops) {
    sizes.push_back(attempts.size());
    for (std::size_t k = 0; k < attempts.size(); ++k) {
      EXPECT_EQ(attempts[k]["attempt"], static_cast<int>(k));
      EXPECT_EQ(attempts[k]["delay"], k == 0 ? 0 : 10'000'000);
      EXPECT_EQ(attempts[k]["outcome"], k + 1 == attempts.size() ? "success" : "failure");
    }
  }
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(std::count_if(events.begin(), events.end(), [](const auto& e) { return e.event["type"] == "detector"; }), 2);

  // Judged under the libraries' profiles, the collected events are valid.
  const auto h = to_history(events);
  std::string text;
  EXPECT_EQ(judge(h, "breaker", {{"profile", "python-circuitbreaker"}, {"failure_threshold", 2}, {"recovery_timeout", "200ms"}}, &text),
            checkers::Validity::kValid) << text;
  EXPECT_EQ(judge(h, "retry", {{"profile", "python-backoff"}, {"jitter", "none"}, {"base_delay", "10ms"},
                               {"multiplier", 1}, {"max_delay", "10ms"}}, &text),
            checkers::Validity::kValid) << text;
  // ...and a breaker that admits one trial and closes on it is not what ran.
  EXPECT_EQ(judge(h, "breaker", {{"profile", "gobreaker"}, {"failure_threshold", 3}, {"recovery_timeout", "200ms"}}),
            checkers::Validity::kInvalid);
}

TEST(Adapters, CHeaderReportsThroughTheAgent) {
  const auto events = run_service({FAULTLINE_EMIT_C_BIN});
  std::vector<nlohmann::json> kept;
  for (const auto& e : events)
    if (e.event["type"] != "log") kept.push_back(e.event);
  ASSERT_EQ(kept.size(), 8u);
  EXPECT_EQ(kept[0], nlohmann::json::parse(R"({"type":"breaker","node":"n1","name":"peer \"n2\"","event":"call","call":1,"permitted":true})"));
  EXPECT_EQ(kept[1]["outcome"], "failure");
  EXPECT_EQ(kept[2]["from"], "closed");
  EXPECT_EQ(kept[2]["to"], "open");
  EXPECT_EQ(kept[3]["permitted"], false);
  EXPECT_EQ(kept[4]["attempt"], 0);
  EXPECT_EQ(kept[5]["attempt"], 1);
  EXPECT_EQ(kept[5]["delay"], 10'000'000);
  EXPECT_EQ(kept[4]["op"], kept[5]["op"]);
  EXPECT_FALSE(kept[6].contains("incarnation"));  // optional
  EXPECT_EQ(kept[7]["incarnation"], 3);
  const auto h = to_history(events);
  std::string text;
  EXPECT_EQ(judge(h, "retry", {{"profile", "tenacity"}, {"base_delay", "10ms"}, {"multiplier", 1}, {"max_delay", "10ms"}}, &text),
            checkers::Validity::kValid) << text;
}

}  // namespace
}  // namespace faultline::agent::testing
