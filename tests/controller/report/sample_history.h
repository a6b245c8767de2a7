// A hand-made history for the report tests: three nodes, a partition (with a
// grudge) and a kill, detector and breaker events, client operations, and a
// `hostile` is put into a node name, a fault id and a log message.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "checkers/checker.h"
#include "checkers/history/event.h"

namespace faultline::report_test {


inline history::History sample_history(const std::string& hostile = "n3") {
  using namespace history;
  History h;
  h.source = "sample.jsonl";
  h.nodes = {"n1", "n2", hostile};
  auto add = [&h](Nanos t, EventBody body) {
    h.events.push_back(Event{t, h.events.size(), h.events.size() + 1, std::move(body), nullptr});
  };
  const Nanos s = 1'000'000'000;
  add(0, ClusterEvent{h.nodes});
  FaultEvent part;
  part.id = "p1";
  part.fault = {{"kind", "partition"}, {"mode", "isolate"}};
  part.targets = {"n1", hostile};
  part.grudge = {{"n1", {hostile}}, {hostile, {"n1"}}};
  add(2 * s, part);
  add(2 * s + 100, DetectorEvent{"n1", hostile, DetectorStatus::kAlive, 0});
  add(3 * s, DetectorEvent{"n1", hostile, DetectorStatus::kSuspect, 0});
  add(4 * s, DetectorEvent{"n1", hostile, DetectorStatus::kDead, 0});
  BreakerEvent call{BreakerEvent::Kind::kCall, "n1", "to-" + hostile, 1, true};
  add(4 * s + 10, call);
  BreakerEvent open{BreakerEvent::Kind::kTransition, "n1", "to-" + hostile};
  open.from = BreakerState::kClosed;
  open.to = BreakerState::kOpen;
  add(4 * s + 20, open);
  add(5 * s, LogEvent{"message " + hostile});
  FaultEvent end;  // line 9: the finding's line
  end.phase = FaultEvent::Phase::kEnd;
  end.id = "p1";
  add(6 * s, end);
  FaultEvent kill;
  kill.id = "k-" + hostile;
  kill.fault = {{"kind", "kill"}};
  kill.targets = {"n2"};
  add(7 * s, kill);
  for (int i = 0; i < 40; ++i) {
    ClientEvent inv;
    inv.process = i % 3;
    inv.f = i % 2 ? "read" : "write";
    inv.node = "n1";
    const Nanos t = 1 * s + static_cast<Nanos>(i) * 200'000'000;
    add(t, inv);
    ClientEvent done = inv;
    done.type = i % 7 == 3 ? OpType::kFail : (i % 11 == 5 ? OpType::kInfo : OpType::kOk);
    add(t + 5'000'000 * (1 + i % 4), done);
  }
  std::stable_sort(h.events.begin(), h.events.end(), [](const Event& a, const Event& b) { return a.time < b.time; });
  for (std::size_t i = 0; i < h.events.size(); ++i) {
    h.events[i].index = i;
    h.events[i].line = i + 1;
  }
  BreakerEvent half{BreakerEvent::Kind::kTransition, "n1", "to-" + hostile};
  half.from = BreakerState::kOpen;
  half.to = BreakerState::kHalfOpen;
  add(h.events.back().time + s, half);
  add(h.events.back().time + s, LogEvent{"done"});
  return h;
}

// A detector report with one finding at the line of the history's event at
// index `at` (and a message naming `hostile`).
inline checkers::CheckReport sample_report(const history::History& h, std::size_t at, const std::string& hostile = "n3") {
  checkers::CheckReport r;
  r.valid = checkers::Validity::kInvalid;
  checkers::CheckResult d;
  d.valid = checkers::Validity::kInvalid;
  d.text = "detector: 1 violation " + hostile;
  const auto& e = h.events.at(at);
  d.findings = {{"valid", false},
                {"violations", {{{"rule", "dead-without-crash"}, {"message", "n1 held " + hostile + " dead"}, {"time", e.time},
                                 {"line", e.line}, {"context", {{{"time", e.time}, {"line", e.line}}}}}}}};
  r.results.push_back({"detector", d});
  return r;
}

}  // namespace faultline::report_test
