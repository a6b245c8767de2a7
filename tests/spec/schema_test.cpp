// The fault schema: every kind's examples are valid; every field of every
// kind, misspelt, is refused by name with a did-you-mean, in the agent's and
// the suite's scope; values out of range and unknown kinds are refused;
// docs/faults.md holds the generated reference.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "faults/fault_spec.h"
#include "faults/spec/field.h"
#include "faults/spec/markdown.h"
#include "faults/spec/validate.h"

namespace faultline::faults::spec {
namespace {

using nlohmann::json;

// A valid spec of the kind in the scope: its first example that passes.
json valid_spec(const KindSpec& kind, Scope scope) {
  for (const auto& e : kind.examples) {
    auto j = json::parse(e);
    if (!check(j, scope)) return j;
  }
  ADD_FAILURE() << kind.kind << " has no example valid in scope " << static_cast<int>(scope);
  return json{{"kind", kind.kind}};
}

std::string misspelt(const std::string& name) { return name.substr(0, 1) + "q" + name.substr(1); }

std::string refusal(const json& spec, Scope scope) {
  auto problem = check(spec, scope);
  return problem ? message(spec, *problem) : std::string();
}

TEST(FaultSchema, EveryKindHasAValidExampleInBothScopes) {
  ASSERT_EQ(all_kinds().size(), all_fault_kinds().size());
  for (const auto& kind : all_kinds()) {
    EXPECT_FALSE(kind.doc.empty()) << kind.kind;
    for (auto scope : {Scope::kAgent, Scope::kSuite}) {
      auto spec = valid_spec(kind, scope);
      EXPECT_EQ(refusal(spec, scope), "") << spec.dump();
    }
    for (const auto& f : kind.fields) EXPECT_FALSE(f.doc.empty()) << kind.kind << "." << f.name;
  }
}

TEST(FaultSchema, EveryMisspeltFieldOfEveryKindIsRefusedByNameWithDidYouMean) {
  int walked = 0;
  for (const auto& kind : all_kinds()) {
    for (auto scope : {Scope::kAgent, Scope::kSuite}) {
      std::vector<FieldSpec> fields = kind.fields;
      fields.insert(fields.end(), common_fields().begin(), common_fields().end());
      for (const auto& f : fields) {
        if (f.name == "kind") continue;
        if (f.scope != Scope::kBoth && f.scope != scope) continue;
        auto spec = valid_spec(kind, scope);
        const auto wrong = misspelt(f.name);
        spec[wrong] = spec.contains(f.name) ? spec[f.name] : json("x");
        spec.erase(f.name);
        auto problem = check(spec, scope);
        ASSERT_TRUE(problem) << kind.kind << ": " << spec.dump() << " was accepted";
        // A required field misspelt is both unknown and missing: the unknown
        // one is what is reported.
        EXPECT_EQ(problem->field, wrong) << spec.dump();
        auto text = message(spec, *problem);
        EXPECT_NE(text.find("unknown field \"" + wrong + "\""), std::string::npos) << text;
        EXPECT_NE(text.find("did you mean \"" + f.name + "\"?"), std::string::npos) << text;
        EXPECT_NE(text.find(kind.kind + " takes: "), std::string::npos) << text;
        // And FaultSpec::parse (what the agent and `faultline fault apply` use) refuses it too.
        if (scope == Scope::kAgent) {
          EXPECT_FALSE(FaultSpec::parse(spec)) << spec.dump();
        }
        ++walked;
      }
    }
  }
  EXPECT_GT(walked, 100);
}

TEST(FaultSchema, AcceptanceSpellingsAreRefused) {
  auto delay = json{{"kind", "delay"}, {"delay", "50ms"}, {"jiter", "10ms"}};
  EXPECT_EQ(refusal(delay, Scope::kAgent),
            "delay: unknown field \"jiter\"; did you mean \"jitter\"? (delay takes: delay, jitter, correlation, "
            "distribution, interface, destinations, ports, protocol, direction, kind, duration, id, mechanism)");
  auto loss = json{{"kind", "loss"}, {"percnt", 30}};
  EXPECT_NE(refusal(loss, Scope::kAgent).find("unknown field \"percnt\"; did you mean \"percent\"?"), std::string::npos);
  auto direction = json{{"kind", "blackhole-out"}, {"direction", "out"}};
  EXPECT_NE(refusal(direction, Scope::kAgent).find("unknown field \"direction\""), std::string::npos);
  // The shaping kinds take a direction of their own: egress or ingress.
  auto shaping = json{{"kind", "delay"}, {"delay", "50ms"}, {"direction", "out"}};
  EXPECT_NE(refusal(shaping, Scope::kAgent).find("'out' is not one of: egress, ingress"), std::string::npos);
  for (const char* kind : {"delay", "loss", "duplicate", "corrupt", "reorder", "bandwidth"}) {
    auto ingress = json{{"kind", kind}, {"direction", "ingress"}, {"delay", "50ms"}, {"percent", 5}, {"rate", "1mbit"}};
    if (std::string(kind) != "delay") ingress.erase("delay");
    if (std::string(kind) == "delay" || std::string(kind) == "bandwidth") ingress.erase("percent");
    if (std::string(kind) != "bandwidth") ingress.erase("rate");
    EXPECT_EQ(refusal(ingress, Scope::kAgent), "") << kind;
  }
  auto kind = json{{"kind", "dealy"}, {"delay", "50ms"}};
  EXPECT_NE(refusal(kind, Scope::kAgent).find("unknown fault kind 'dealy'; did you mean 'delay'?"), std::string::npos);
  EXPECT_EQ(check(kind, Scope::kSuite)->field, "kind");
}

TEST(FaultSchema, ValuesOfTheWrongTypeOrOutOfRangeAreRefused) {
  const std::vector<json> bad = {
      {{"kind", "loss"}, {"percent", 150}},
      {{"kind", "loss"}, {"percent", "lots"}},
      {{"kind", "delay"}, {"delay", "soon"}},
      {{"kind", "delay"}, {"delay", 50}},
      {{"kind", "delay"}, {"delay", "50ms"}, {"distribution", "gaussian"}},
      {{"kind", "partition"}, {"peers", {"198.18.0.300"}}},
      {{"kind", "partition"}, {"peers", json::array()}},
      {{"kind", "bandwidth"}, {"rate", "fast"}},
      {{"kind", "bandwidth"}, {"rate", "1mbit"}, {"burst", "10"}},
      {{"kind", "reorder"}, {"percent", 10}, {"gap", -1}},
      {{"kind", "reorder"}, {"percent", 10}, {"delay", "0s"}},
      {{"kind", "kill"}, {"restart", "yes"}},
      {{"kind", "cpu-throttle"}, {"percent", 0}},
      {{"kind", "clock-drift"}, {"rate", 0}},
      {{"kind", "clock-skew"}, {"offset", "a while"}},
      {{"kind", "clock-stop"}, {"clocks", {"sundial"}}},
      {{"kind", "disk-slow"}, {"delay", "0ms"}},
      {{"kind", "disk-error"}, {"errno", "EWHAT"}},
      {{"kind", "disk-error"}, {"ops", {"write", "scribble"}}},
      {{"kind", "lose-unsynced"}, {"crash", "sometimes"}},
      {{"kind", "disk-fill"}, {"path", "/data"}},
      {{"kind", "disk-fill"}, {"path", "/data"}, {"leave", "1MiB"}, {"percent", 50}},
      {{"kind", "corrupt-file"}, {"path", "/f"}, {"probability", 2}},
      {{"kind", "pause"}, {"duration", "forever"}},
      {{"kind", "pause"}, {"id", 7}},
  };
  for (const auto& spec : bad) {
    EXPECT_TRUE(check(spec, Scope::kAgent)) << spec.dump() << " was accepted";
    EXPECT_FALSE(FaultSpec::parse(spec)) << spec.dump();
  }
  EXPECT_NE(refusal(bad[0], Scope::kAgent).find("loss: field \"percent\": 150 is outside 0..100"), std::string::npos)
      << refusal(bad[0], Scope::kAgent);
  EXPECT_NE(refusal({{"kind", "loss"}}, Scope::kAgent).find("loss: field \"percent\" is required"), std::string::npos);
}

TEST(FaultSchema, ScopesExtensionsAndPlaceholders) {
  // peers: the agent's; mode and grudge: the suite's.
  EXPECT_TRUE(check({{"kind", "partition"}, {"mode", "halves"}, {"peers", {"198.18.0.2"}}}, Scope::kSuite));
  EXPECT_TRUE(check({{"kind", "partition"}, {"peers", {"198.18.0.2"}}, {"mode", "halves"}}, Scope::kAgent));
  EXPECT_FALSE(check({{"kind", "partition"}}, Scope::kSuite));
  EXPECT_TRUE(check({{"kind", "partition"}}, Scope::kAgent));
  // x- fields are extensions, on every kind.
  EXPECT_FALSE(check({{"kind", "pause"}, {"x-ticket", "OPS-12"}}, Scope::kAgent));
  // A placeholder is checked once expanded (the agent), not in the suite.
  EXPECT_FALSE(check({{"kind", "disk-slow"}, {"delay", "{slow}"}}, Scope::kSuite));
  EXPECT_TRUE(check({{"kind", "disk-slow"}, {"delay", "{slow}"}}, Scope::kAgent));
  // A suite's unknown field suggests the suite's own "targets" too.
  auto target = check({{"kind", "pause"}, {"target", "one"}}, Scope::kSuite);
  ASSERT_TRUE(target);
  EXPECT_NE(target->reason.find("did you mean \"targets\"?"), std::string::npos) << target->reason;
}

TEST(FaultSchema, DocsHoldTheGeneratedReference) {
  std::ifstream in(std::string(FAULTLINE_SOURCE_DIR) + "/docs/faults.md");
  ASSERT_TRUE(in) << "docs/faults.md missing";
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const std::string begin = "<!-- BEGIN GENERATED -->\n", end = "<!-- END GENERATED -->";
  auto b = doc.find(begin), e = doc.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  EXPECT_EQ(doc.substr(b + begin.size(), e - b - begin.size()), kinds_markdown())
      << "docs/faults.md is out of date: regenerate with `faultline fault kinds --markdown`";
}

}  // namespace
}  // namespace faultline::faults::spec
