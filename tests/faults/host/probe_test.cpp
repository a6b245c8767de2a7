// The probe of each host mechanism tells the truth: what it says is
// available is what the other tests in this folder and tests/faults/clock/ apply
// for real; what it says is unavailable carries the reason.
#include <gtest/gtest.h>

#include <unistd.h>

#include "faults/clock/preload_library.h"
#include "faults/registry.h"
#include "tests/faults/host/child_process.h"

namespace faultline::faults {
namespace {

Availability probe_of(const std::string& kind, const std::string& name, const HostContext& host) {
  for (auto* m : MechanismRegistry::instance().candidates(kind))
    if (m->name() == name) return m->probe(host);
  ADD_FAILURE() << "no mechanism " << name << " for " << kind;
  return {};
}

TEST(HostFaultProbe, SaysWhatWorksAndWhyNot) {
  HostContext host;
  host.state_dir = std::filesystem::temp_directory_path();
  EXPECT_TRUE(probe_of("disk-fill", "fallocate", host).available);
  EXPECT_TRUE(probe_of("corrupt-file", "pwrite", host).available);

  // The data fs kinds are served where FUSE can be mounted (the storage
  // integration tests mount it); with no data fs mounted they refuse to plan.
  for (const char* kind : {"disk-slow", "disk-error", "lose-unsynced"}) {
    auto fuse = probe_of(kind, "fuse-passthrough", host);
    EXPECT_EQ(fuse.available, fuse.reason.empty()) << fuse.reason;
    nlohmann::json spec{{"kind", kind}};
    if (std::string(kind) == "disk-slow") spec["delay"] = "1ms";
    auto planned = MechanismRegistry::instance().plan(*FaultSpec::parse(spec), host);
    ASSERT_FALSE(planned) << kind;
    EXPECT_NE(planned.error().message.find(fuse.available ? "no faultable data fs" : fuse.reason), std::string::npos)
        << planned.error().message;
  }

  // Without a supervised SUT the process faults cannot work, and say so.
  for (const char* kind : {"kill", "pause"}) {
    auto a = MechanismRegistry::instance().candidates(kind).front()->probe(host);
    EXPECT_FALSE(a.available) << kind;
    EXPECT_NE(a.reason.find("SUT"), std::string::npos) << kind;
  }
  test::ChildProcess child({"cat"});
  ASSERT_TRUE(child.start());
  host.process = &child;
  EXPECT_TRUE(probe_of("kill", "supervisor", host).available);
  EXPECT_TRUE(probe_of("pause", "sigstop", host).available);

  // The per-process clock is available exactly when its library is found.
  auto lib = clock::find_clock_preload();
  auto per_process = probe_of("clock-skew", "per-process", host);
  EXPECT_EQ(per_process.available, lib.ok()) << per_process.reason;
}

}  // namespace
}  // namespace faultline::faults
