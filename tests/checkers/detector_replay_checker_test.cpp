// The detector checker against the reference replayed over the history's own
// faults. The system under test here is itself the reference run
// with other seeds ("a correct memberlist"): it must be judged valid under
// every schedule, however its gossip spreads suspicions after a heal; the
// same cluster running other settings than declared, or never refuting, must
// be judged invalid, the finding naming the pair and the reference's range.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "checkers/checker.h"
#include "checkers/history/jsonl_reader.h"
#include "checkers/reference/detector_replay.h"
#include "common/units.h"

namespace faultline::checkers {
namespace {

using reference::NetworkWindow;
using reference::Status;

const std::vector<std::string> kNodes{"n1", "n2", "n3", "n4", "n5"};

struct Fault {
  std::string id;
  Nanos start = 0, end = 0;
  nlohmann::json fault;
  std::vector<std::string> targets;
  std::map<std::string, std::vector<std::string>> grudge;
  NetworkWindow window;
};

Fault halves(const std::string& id, Nanos start, Nanos end) {
  Fault f{id, start, end, {{"kind", "partition"}, {"mode", "halves"}}, kNodes, {}, {}};
  f.window.kind = NetworkWindow::Kind::kDrop;
  for (const char* a : {"n1", "n2", "n3"})
    for (const char* b : {"n4", "n5"}) {
      f.grudge[a].push_back(b);
      f.grudge[b].push_back(a);
    }
  return f;
}

Fault isolate(const std::string& id, Nanos start, Nanos end, const std::string& node) {
  Fault f{id, start, end, {{"kind", "partition"}, {"mode", "isolate"}}, {node}, {}, {}};
  f.window.kind = NetworkWindow::Kind::kDrop;
  for (const auto& other : kNodes) {
    if (other == node) continue;
    f.grudge[node].push_back(other);
    f.grudge[other].push_back(node);
  }
  return f;
}

// One-way isolate, as the nemesis records it: `in` the node drops every
// other node (it sends, hears nobody); `out` every other node drops it.
Fault one_way_isolate(const std::string& id, Nanos start, Nanos end, const std::string& node, const std::string& direction) {
  Fault f{id, start, end, {{"kind", "partition"}, {"mode", "isolate"}, {"direction", direction}}, {}, {}, {}};
  f.window.kind = NetworkWindow::Kind::kDrop;
  for (const auto& other : kNodes) {
    if (other == node) continue;
    if (direction == "in") f.grudge[node].push_back(other);
    else f.grudge[other].push_back(node);
  }
  for (const auto& [a, bs] : f.grudge) f.targets.push_back(a);
  return f;
}

Fault process(const std::string& id, const char* kind, Nanos start, Nanos end, const std::string& node) {
  Fault f{id, start, end, {{"kind", kind}}, {node}, {}, {}};
  f.window.kind = std::string(kind) == "kill" ? NetworkWindow::Kind::kDown : NetworkWindow::Kind::kPause;
  return f;
}

Fault delay(const std::string& id, Nanos start, Nanos end) {
  Fault f{id, start, end, {{"kind", "delay"}, {"delay", "200ms"}, {"jitter", "50ms"}}, {}, {}, {}};
  f.window.kind = NetworkWindow::Kind::kDelay;
  f.window.delay = 200 * kMillisecond;
  f.window.jitter = 50 * kMillisecond;
  return f;
}

// The issue's suite: halves 25s, isolate 30s, a kill, a pause and a delay.
std::vector<Fault> issue_schedule() {
  return {halves("f1", 10 * kSecond, 35 * kSecond), isolate("f2", 60 * kSecond, 90 * kSecond, "n1"),
          process("f3", "kill", 120 * kSecond, 135 * kSecond, "n3"), process("f4", "pause", 160 * kSecond, 170 * kSecond, "n4"),
          delay("f5", 190 * kSecond, 205 * kSecond)};
}

struct Sut {
  reference::DetectorProfile profile = *reference::detector_profile("memberlist-lan");
  std::uint64_t seed = 1000;
  bool report_suspect = false;   // memberlist's API cannot: alive/dead only
  std::string never_refuted;     // "observer>subject": that pair never says alive again
  std::vector<std::pair<Nanos, nlohmann::json>> injected;  // extra detector lines (a bug's verdicts)
};

// A history: the faults, and what `sut` (the reference with its own seed)
// reports under them, as a service on memberlist would.
history::History make_history(const std::vector<Fault>& faults, const Sut& sut, Nanos end = 230 * kSecond) {
  reference::ReplayConfig rc;
  rc.nodes = kNodes;
  rc.profile = sut.profile;
  rc.duration = end;
  rc.seed = sut.seed;
  std::vector<std::pair<Nanos, std::string>> lines;
  for (const auto& f : faults) {
    NetworkWindow w = f.window;
    w.start = f.start;
    w.end = f.end;
    for (const auto& t : f.targets)
      if (f.window.kind != NetworkWindow::Kind::kDrop) w.nodes.push_back(static_cast<int>(t[1] - '1'));
    for (const auto& [a, bs] : f.grudge)
      for (const auto& b : bs) w.drops.emplace_back(a[1] - '1', b[1] - '1');
    rc.schedule.push_back(w);
    nlohmann::json start{{"time", f.start}, {"type", "fault"}, {"phase", "start"}, {"id", f.id}, {"fault", f.fault},
                         {"targets", f.targets.empty() ? kNodes : f.targets}};
    if (!f.grudge.empty()) start["grudge"] = f.grudge;
    lines.emplace_back(f.start, start.dump());
    lines.emplace_back(f.end, nlohmann::json{{"time", f.end}, {"type", "fault"}, {"phase", "end"}, {"id", f.id}}.dump());
  }
  auto replay = reference::run_detector_replay(rc);
  EXPECT_TRUE(replay.ok()) << replay.error().message;
  std::map<std::pair<int, int>, Status> shown;
  for (const auto& c : replay->changes) {
    Status visible = c.status;
    if (!sut.report_suspect && visible == Status::kSuspect) visible = Status::kAlive;
    Status& was = shown[{c.observer, c.subject}];
    if (c.reset) {
      was = Status::kAlive;  // a restarted node starts fresh, unreported
      continue;
    }
    if (visible == was) continue;
    if (!sut.never_refuted.empty() && visible == Status::kAlive &&
        sut.never_refuted == kNodes[static_cast<std::size_t>(c.observer)] + ">" + kNodes[static_cast<std::size_t>(c.subject)])
      continue;
    was = visible;
    lines.emplace_back(c.time, nlohmann::json{{"time", c.time}, {"type", "detector"},
                                              {"node", kNodes[static_cast<std::size_t>(c.observer)]},
                                              {"subject", kNodes[static_cast<std::size_t>(c.subject)]},
                                              {"status", reference::to_string(visible)}}
                                   .dump());
  }
  for (const auto& [t, line] : sut.injected) lines.emplace_back(t, line.dump());
  lines.emplace_back(end, nlohmann::json{{"time", end}, {"type", "log"}, {"message", "end"}}.dump());
  std::stable_sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string text = nlohmann::json{{"time", 0}, {"type", "cluster"}, {"nodes", kNodes}}.dump() + "\n";
  for (const auto& [t, l] : lines) text += l + "\n";
  if (const char* dump = std::getenv("DETECTOR_TEST_DUMP")) {
    std::ofstream(fmt::format("{}-{}.jsonl", dump, sut.seed)) << text;
  }
  std::istringstream in(text);
  auto h = history::read_jsonl_history(in, "generated");
  EXPECT_TRUE(h.ok()) << h.error().message;
  return h.ok() ? std::move(h).value() : history::History{};
}

Result<CheckResult> judge(const history::History& h, nlohmann::json config) {
  auto c = make_checker("detector");
  CheckOptions options;
  options.config = std::move(config);
  return c->check(h, options);
}

// More SUT seeds for a soak: DETECTOR_TEST_SEEDS=200.
std::uint64_t seeds() {
  const char* n = std::getenv("DETECTOR_TEST_SEEDS");
  return n ? std::strtoull(n, nullptr, 10) : 5;
}

std::string violations(const CheckResult& r) { return r.findings.value("violations", nlohmann::json()).dump(2); }

// The acceptance criterion: a correct memberlist cluster under the issue's
// schedule is valid in 5 of 5 runs (here: 5 seeds of the SUT).
TEST(DetectorReplayChecker, CorrectMemberlistIsValidUnderTheIssuesSchedule) {
  for (std::uint64_t seed = 1000; seed < 1000 + seeds(); ++seed) {
    Sut sut;
    sut.seed = seed;
    auto r = judge(make_history(issue_schedule(), sut), {{"profile", "memberlist-lan"}});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->valid, Validity::kValid) << "seed " << seed << "\n" << r->text << "\n" << violations(*r);
    EXPECT_FALSE(r->findings["envelope"].empty());
  }
}

// With suspicions reported too, the gossip-spread suspicions of connected
// nodes after each heal (refuted within a fraction of a second) are the
// reference's own mistakes: accepted, and shown beside its range.
TEST(DetectorReplayChecker, SuspicionsSpreadByGossipAfterAHealAreAccepted) {
  int accepted = 0;
  for (std::uint64_t seed = 1000; seed < 1000 + seeds(); ++seed) {
    Sut sut;
    sut.seed = seed;
    sut.report_suspect = true;
    auto r = judge(make_history(issue_schedule(), sut),
                   {{"profile", "memberlist-lan"}, {"reports", {"alive", "suspect", "dead"}}});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->valid, Validity::kValid) << "seed " << seed << "\n" << r->text << "\n" << violations(*r);
    for (const auto& row : r->findings["envelope"])
      if (row["what"] == "mistake" && row.value("verdict", "") == "ok") ++accepted;
  }
  EXPECT_GT(accepted, 0) << "the schedule should make the reference's own mistakes";
}

// One-way isolates: n1 hears nobody (in), then n5 is heard by nobody (out).
// The cut node reaches the others one way only: unreachable both ways
// round, so a correct cluster declares it dead and it declares them dead.
std::vector<Fault> one_way_schedule() {
  return {one_way_isolate("f1", 10 * kS, 40 * kS, "n1", "in"), one_way_isolate("f2", 100 * kS, 130 * kS, "n5", "out")};
}

TEST(DetectorReplayChecker, CorrectMemberlistIsValidUnderOneWayIsolates) {
  for (std::uint64_t seed = 1000; seed < 1000 + seeds(); ++seed) {
    Sut sut;
    sut.seed = seed;
    sut.report_suspect = true;
    auto r = judge(make_history(one_way_schedule(), sut, 200 * kS),
                   {{"profile", "memberlist-lan"}, {"reports", {"alive", "suspect", "dead"}}});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->valid, Validity::kValid) << "seed " << seed << "\n" << r->text << "\n" << violations(*r);
    // Every other node had to declare the cut one dead: the reference
    // detects it in every trial. The cut node's own view follows the
    // reference: it gets no acks, Lifeguard slows its probing and no peer
    // confirms its suspicions, so the reference declares the others dead
    // in only some trials within the window (not required).
    int owed = 0, cut_view = 0;
    for (const auto& row : r->findings["envelope"]) {
      if (row["what"] != "detection") continue;
      const bool cut = (row["window"] == "partition f1" && row["observer"] == "n1") ||
                       (row["window"] == "partition f2" && row["observer"] == "n5");
      if (cut) {
        ++cut_view;
        continue;
      }
      EXPECT_TRUE(row.contains("allowed")) << row;
      EXPECT_EQ(row.value("verdict", ""), "ok") << row;
      ++owed;
    }
    EXPECT_EQ(owed, 8) << r->findings["envelope"].dump();
    EXPECT_EQ(cut_view, 8);
  }
}

TEST(DetectorReplayChecker, OneWayIsolateStillCatchesTheNeverRefutedAndTheUnexplainedMistake) {
  // A node that keeps the healed n5 dead: recovery. (n5 heard its
  // accusation while nobody heard it, so its refutation arrives at the heal
  // and the reference revives it in every trial. The healed n1 of f1 heard
  // nothing, and memberlist does not re-merge a node both sides hold dead:
  // the reference mostly does not recover it, and nothing is required.)
  Sut stuck;
  stuck.never_refuted = "n2>n5";
  // (Its allowance is two push-pull rounds x 1.5 + 2s = 92s after the heal.)
  auto r = judge(make_history(one_way_schedule(), stuck, 240 * kS), {{"profile", "memberlist-lan"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->valid, Validity::kInvalid) << r->text;
  ASSERT_FALSE(r->findings["violations"].empty());
  EXPECT_EQ(r->findings["violations"][0]["property"], "recovery") << violations(*r);
  EXPECT_EQ(r->findings["violations"][0]["observer"], "n2");
  EXPECT_EQ(r->findings["violations"][0]["subject"], "n5");
  // n2 declaring n3 dead while n5 is heard by nobody: n2 and n3 talk both
  // ways and the reference never makes that mistake; a one-way link of the
  // partition elsewhere (n2 drops n5) does not excuse it. (Profile swim:
  // without push-pull no anti-entropy round may repair a mistake late, so
  // the reference's own mistakes are matched only close by.)
  Sut wrong;
  wrong.profile = *reference::detector_profile("swim");
  wrong.report_suspect = true;
  auto line = [](Nanos t, const char* status) {
    return std::pair<Nanos, nlohmann::json>{
        t, {{"time", t}, {"type", "detector"}, {"node", "n2"}, {"subject", "n3"}, {"status", status}}};
  };
  wrong.injected = {line(110 * kS, "dead"), line(125 * kS, "alive")};
  auto m = judge(make_history(one_way_schedule(), wrong, 200 * kS), {{"profile", "swim"}});
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->valid, Validity::kInvalid) << m->text;
  ASSERT_FALSE(m->findings["violations"].empty());
  EXPECT_EQ(m->findings["violations"][0]["property"], "accuracy") << violations(*m);
  EXPECT_EQ(m->findings["violations"][0]["observer"], "n2");
  EXPECT_EQ(m->findings["violations"][0]["subject"], "n3");
  EXPECT_NE(m->findings["violations"][0]["message"].get<std::string>().find("never made such a mistake"), std::string::npos)
      << violations(*m);
  // The correct cluster under profile swim: valid.
  Sut right;
  right.profile = wrong.profile;
  right.report_suspect = true;
  auto ok = judge(make_history(one_way_schedule(), right, 200 * kS), {{"profile", "swim"}});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->valid, Validity::kValid) << ok->text << violations(*ok);
}

TEST(DetectorReplayChecker, SlowerProbingThanDeclaredIsCaughtWithTheReferenceRange) {
  Sut sut;
  sut.profile.swim.probe_interval = 4 * kSecond;  // runs 4x slower than memberlist-lan
  sut.profile.swim.probe_timeout = 2 * kSecond;
  auto r = judge(make_history(issue_schedule(), sut), {{"profile", "memberlist-lan"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->valid, Validity::kInvalid) << r->text;
  ASSERT_GT(r->findings["violations"].size(), 0u);
  const auto& v = r->findings["violations"][0];
  EXPECT_EQ(v["property"], "completeness") << v;
  EXPECT_NE(v["message"].get<std::string>().find("the reference (memberlist-lan) detected it in"), std::string::npos) << v;
  EXPECT_NE(v["message"].get<std::string>().find("x 1.5 + 2s"), std::string::npos) << v;
}

TEST(DetectorReplayChecker, ADeclaredFasterProfileCatchesACorrectMemberlist) {
  // The recorded-history criterion, on a generated one: valid under
  // memberlist-lan, invalid under a profile probing 4x as often.
  auto h = make_history(issue_schedule(), Sut{});
  auto fast = judge(h, {{"profile", "memberlist-lan"}, {"probe_interval", "250ms"}, {"probe_timeout", "125ms"}});
  ASSERT_TRUE(fast.ok()) << fast.error().message;
  EXPECT_EQ(fast->valid, Validity::kInvalid) << fast->text;
}

TEST(DetectorReplayChecker, ANodeThatNeverTrustsARestartedPeerAgainIsInvalid) {
  // After a kill the restarted n3 Joins and refutes its death: the reference
  // revives it everywhere within a gossip round in every trial (memberlist
  // alone never re-merges a healed split, so a split is no test of this).
  Sut sut;
  sut.never_refuted = "n1>n3";
  auto r = judge(make_history({process("f1", "kill", 20 * kSecond, 35 * kSecond, "n3")}, sut, 150 * kSecond),
                 {{"profile", "memberlist-lan"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->valid, Validity::kInvalid) << r->text;
  ASSERT_FALSE(r->findings["violations"].empty());
  const auto& v = r->findings["violations"][0];
  EXPECT_EQ(v["property"], "recovery") << v;
  EXPECT_EQ(v["observer"], "n1");
  EXPECT_EQ(v["subject"], "n3");
  EXPECT_NE(v["message"].get<std::string>().find("the reference (memberlist-lan) recovered in"), std::string::npos) << v;
  // Without the bug: valid.
  auto ok = judge(make_history({process("f1", "kill", 20 * kSecond, 35 * kSecond, "n3")}, Sut{}, 150 * kSecond),
                  {{"profile", "memberlist-lan"}});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->valid, Validity::kValid) << ok->text;
}

TEST(DetectorReplayChecker, UnreportedStatusesAreIgnoredWithAWarning) {
  Sut sut;
  sut.report_suspect = true;
  auto r = judge(make_history({halves("f1", 10 * kSecond, 35 * kSecond)}, sut, 80 * kSecond), {{"profile", "memberlist-lan"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->valid, Validity::kValid) << r->text << violations(*r);
  EXPECT_EQ(r->findings["reports"], nlohmann::json({"alive", "dead"}));
  EXPECT_NE(r->findings["warnings"].dump().find("does not report"), std::string::npos) << r->findings["warnings"];
}

TEST(DetectorReplayChecker, ProfilesAndKnobsAreCheckedByName) {
  auto h = make_history({}, Sut{}, 20 * kSecond);
  auto r = judge(h, {{"profile", "memberlist-lam"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("did you mean \"memberlist-lan\""), std::string::npos) << r.error().message;
  r = judge(h, {{"profile", "memberlist-lan"}, {"probe_intervall", "1s"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("did you mean \"probe_interval\""), std::string::npos) << r.error().message;
  r = judge(h, {{"profile", "memberlist-lan"}, {"timeout", "1s"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not a knob of profile memberlist-lan"), std::string::npos) << r.error().message;
  r = judge(h, {{"profile", "akka"}, {"threshold", 10}, {"acceptable_heartbeat_pause", "5s"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->findings["reference"]["knobs"]["threshold"], 10.0);
  for (const char* p : {"memberlist-lan", "memberlist-wan", "memberlist-local", "serf", "swim", "heartbeat", "akka", "cassandra"}) {
    r = judge(h, {{"profile", p}});
    ASSERT_TRUE(r.ok()) << p << ": " << r.error().message;
    EXPECT_EQ(r->valid, Validity::kValid) << p << ": " << r->text;
  }
  // No profile and no bounds: unknown, never judged against made-up defaults.
  r = judge(h, nlohmann::json::object());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kUnknown);
}

TEST(DetectorReplayChecker, HeartbeatAndPhiProfilesJudgeTheirOwnCluster) {
  for (const char* p : {"heartbeat", "akka", "cassandra"})
  for (std::uint64_t seed = 1000; seed < 1000 + seeds(); ++seed) {
    Sut sut;
    sut.seed = seed;
    sut.profile = *reference::detector_profile(p);
    sut.report_suspect = true;
    auto h = make_history({process("f1", "kill", 20 * kSecond, 50 * kSecond, "n3"), halves("f2", 70 * kSecond, 100 * kSecond)}, sut, 130 * kSecond);
    auto r = judge(h, {{"profile", p}, {"reports", {"alive", "suspect", "dead"}}});
    ASSERT_TRUE(r.ok()) << p << ": " << r.error().message;
    EXPECT_EQ(r->valid, Validity::kValid) << p << " seed " << seed << "\n" << r->text << violations(*r);
  }
}

Fault loss(const std::string& id, Nanos start, Nanos end, const std::string& node, double percent) {
  Fault f{id, start, end, {{"kind", "loss"}, {"percent", percent}}, {node}, {}, {}};
  f.window.kind = NetworkWindow::Kind::kLoss;
  f.window.loss = percent / 100.0;
  return f;
}

// Loss and overlapping faults: the reference's own false suspicions under
// loss are accepted; a bridge partition (n3 talks to both sides) too.
TEST(DetectorReplayChecker, CorrectMemberlistIsValidUnderLossAndOverlappingFaults) {
  Fault bridge{"f3", 70 * kSecond, 95 * kSecond, {{"kind", "partition"}, {"mode", "bridge"}}, kNodes, {}, {}};
  bridge.window.kind = NetworkWindow::Kind::kDrop;
  for (const char* a : {"n1", "n2"})
    for (const char* b : {"n4", "n5"}) {
      bridge.grudge[a].push_back(b);
      bridge.grudge[b].push_back(a);
    }
  const std::vector<Fault> faults{loss("f1", 10 * kSecond, 40 * kSecond, "n2", 30), process("f2", "kill", 20 * kSecond, 35 * kSecond, "n4"),
                                  bridge, delay("f4", 80 * kSecond, 90 * kSecond)};
  for (std::uint64_t seed = 1000; seed < 1000 + seeds(); ++seed)
    for (bool suspect : {false, true}) {
      Sut sut;
      sut.seed = seed;
      sut.report_suspect = suspect;
      nlohmann::json config{{"profile", "memberlist-lan"}};
      if (suspect) config["reports"] = {"alive", "suspect", "dead"};
      auto r = judge(make_history(faults, sut, 130 * kSecond), config);
      ASSERT_TRUE(r.ok()) << r.error().message;
      EXPECT_EQ(r->valid, Validity::kValid) << "seed " << seed << " suspect " << suspect << "\n"
                                            << r->text << "\n" << violations(*r);
    }
}

}  // namespace
}  // namespace faultline::checkers

namespace faultline::checkers {
namespace {

history::History recorded(const std::string& name) {
  std::ifstream in(std::string(FAULTLINE_RECORDED_DIR) + "/memberlist/" + name);
  EXPECT_TRUE(in.good()) << name;
  auto h = history::read_jsonl_history(in, name);
  EXPECT_TRUE(h.ok()) << (h.ok() ? "" : h.error().message);
  return h.ok() ? std::move(h).value() : history::History{};
}

const nlohmann::json kMemberlistLan{{"profile", "memberlist-lan"}, {"reports", {"alive", "dead"}}};

// Real memberlist (recorded, tests/checkers/recorded/memberlist/NOTE.md):
// valid under the profile it runs, invalid under one probing 4x as often.
TEST(RecordedMemberlist, ValidUnderMemberlistLanInvalidUnderAFourTimesShorterProbeInterval) {
  for (const char* name : {"run1.jsonl", "run2.jsonl"}) {
    const auto h = recorded(name);
    auto ok = judge(h, kMemberlistLan);
    ASSERT_TRUE(ok.ok()) << name << ": " << ok.error().message;
    EXPECT_EQ(ok->valid, Validity::kValid) << name << "\n" << ok->text << violations(*ok);
    nlohmann::json fast = kMemberlistLan;
    fast["probe_interval"] = "250ms";
    fast["probe_timeout"] = "125ms";
    auto bad = judge(h, fast);
    ASSERT_TRUE(bad.ok()) << name << ": " << bad.error().message;
    EXPECT_EQ(bad->valid, Validity::kInvalid) << name << "\n" << bad->text;
    EXPECT_GT(bad->findings["violations_by_property"].value("completeness", 0), 0) << name;
  }
}

TEST(RecordedMemberlist, ANodeProbingFiveTimesSlowerThanDeclaredIsInvalid) {
  auto r = judge(recorded("bug1.jsonl"), kMemberlistLan);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->valid, Validity::kInvalid) << r->text;
  ASSERT_FALSE(r->findings["violations"].empty());
  const auto& v = r->findings["violations"][0];
  EXPECT_EQ(v["property"], "completeness") << v;
  EXPECT_NE(v["message"].get<std::string>().find("in 64 of 64 trials"), std::string::npos) << v;
}

}  // namespace
}  // namespace faultline::checkers
