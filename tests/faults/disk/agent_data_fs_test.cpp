// The agent's data fs lifecycle with the real faultline-agent: mounted at
// sut_start, unmounted at sut_stop and SIGTERM, and after kill -9 with each
// disk fault active a restarted agent heals the fault and removes the mount
// within 1 s (the time is printed).
#include <signal.h>

#include <chrono>
#include <cstdio>

#include "tests/agent/integration/agent_process.h"
#include "tests/faults/disk/data_fs_fixture.h"

namespace faultline::storage_test {
namespace {

using agent::testing::AgentProcess;
using agent::testing::TempDir;
using namespace std::chrono_literals;

const bool g_env = (::testing::AddGlobalTestEnvironment(new PrivateMounts), true);

class AgentDataFs : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(PrivateMounts::error().empty()) << PrivateMounts::error();
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    data_ = PrivateMounts::root() / (std::string(info->name()).substr(0, 40) + "-data");
    std::filesystem::remove_all(data_);
    std::filesystem::create_directories(data_);
    pidfile_ = tmp_.path() / "sut.pid";
  }
  void TearDown() override {
    // The SUT runs in its own session and outlives a killed agent.
    std::ifstream in(pidfile_);
    pid_t pid = 0;
    if (in >> pid && pid > 0) ::kill(pid, SIGKILL);
  }
  agent::SutSpec sut() const {
    agent::SutSpec spec;
    spec.command = {"/bin/sh", "-c", "echo $$ > " + pidfile_.string() + "; exec sleep 600"};
    spec.data_fs = data_.string();
    return spec;
  }
  static void write_file(const std::filesystem::path& path, const std::string& text, bool sync) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0) << path << ": " << std::strerror(errno);
    ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    if (sync) {
      ASSERT_EQ(::fsync(fd), 0);
    }
    ::close(fd);
  }

  TempDir tmp_;
  std::filesystem::path data_, pidfile_;
};

TEST_F(AgentDataFs, MountedForTheSutUnmountedAtStopAndSigterm) {
  AgentProcess agent(FAULTLINE_AGENT_BIN, tmp_.path());
  ASSERT_TRUE(agent.start());
  auto client = agent.client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->start_sut(sut()));
  EXPECT_TRUE(faults::disk::data_fs_mounted_at(data_));
  write_file(data_ / "kept", "kept\n", true);
  ASSERT_TRUE(client->stop_sut());
  EXPECT_FALSE(faults::disk::data_fs_mounted_at(data_));
  EXPECT_EQ(slurp(data_ / "kept"), "kept\n") << "written through to the backing directory";
  ASSERT_TRUE(client->start_sut(sut()));
  EXPECT_TRUE(faults::disk::data_fs_mounted_at(data_));
  client->close();
  ASSERT_TRUE(agent.terminate().has_value());
  EXPECT_FALSE(faults::disk::data_fs_mounted_at(data_)) << "SIGTERM unmounts";
}

TEST_F(AgentDataFs, RefusesADataFsItCannotMount) {
  AgentProcess agent(FAULTLINE_AGENT_BIN, tmp_.path());
  ASSERT_TRUE(agent.start());
  auto client = agent.client();
  auto spec = sut();
  spec.data_fs = (data_ / "missing").string();
  auto started = client->start_sut(spec);
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().message.find("not a directory"), std::string::npos) << started.error().message;
  EXPECT_FALSE(std::filesystem::exists(pidfile_)) << "the SUT did not start";
}

// Where FUSE is missing, --probe names each data fs kind and why.
TEST(AgentProbe, SaysWhyTheDataFsKindsCannotRunWithoutDevFuse) {
  if (run("command -v unshare").status != 0) GTEST_SKIP() << "unshare (util-linux) is not installed";
  auto here = run(std::string(FAULTLINE_AGENT_BIN) + " --probe --json");
  auto caps = nlohmann::json::parse(here.out, nullptr, false);
  ASSERT_FALSE(caps.is_discarded()) << here.out;
  for (const char* kind : {"disk-slow", "disk-error", "lose-unsynced"}) {
    EXPECT_TRUE(caps[kind].value("available", false)) << kind << ": " << caps[kind].dump();
    EXPECT_EQ(caps[kind].value("mechanism", ""), "fuse-passthrough");
  }
  // An empty /dev, as in a container started without --device /dev/fuse.
  auto bare = run("unshare --mount sh -c 'mount -t tmpfs none /dev && exec " + std::string(FAULTLINE_AGENT_BIN) +
                  " --probe --json'");
  caps = nlohmann::json::parse(bare.out, nullptr, false);
  ASSERT_FALSE(caps.is_discarded()) << bare.out;
  for (const char* kind : {"disk-slow", "disk-error", "lose-unsynced"}) {
    EXPECT_FALSE(caps[kind].value("available", true)) << kind;
    EXPECT_NE(caps[kind].value("reason", "").find("no /dev/fuse"), std::string::npos) << caps[kind].dump();
  }
}

struct KillCase {
  const char* name;
  nlohmann::json spec;
};

class AgentKill9 : public AgentDataFs, public ::testing::WithParamInterface<KillCase> {};

TEST_P(AgentKill9, RestartedAgentHealsAndUnmountsWithinOneSecond) {
  const auto& param = GetParam();
  std::chrono::steady_clock::duration recovery{};
  {
    AgentProcess agent(FAULTLINE_AGENT_BIN, tmp_.path());
    ASSERT_TRUE(agent.start());
    auto client = agent.client();
    ASSERT_TRUE(client->start_sut(sut()));
    ASSERT_TRUE(faults::disk::data_fs_mounted_at(data_));
    write_file(data_ / "synced", "synced\n", true);
    auto spec = faults::FaultSpec::parse(param.spec);
    ASSERT_TRUE(spec);
    auto applied = client->apply(*spec, 60'000'000'000);
    ASSERT_TRUE(applied) << applied.error().message;
    if (std::string(param.name) == "lose_unsynced") write_file(data_ / "unsynced", "never fsynced\n", false);
    client->close();
    agent.kill9();
  }
  // The dead agent's mount is still there (its connection aborted).
  EXPECT_TRUE(faults::disk::data_fs_mounted_at(data_));
  AgentProcess restarted(FAULTLINE_AGENT_BIN, tmp_.path());
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(restarted.start());
  auto client = restarted.client();
  ASSERT_TRUE(client);
  bool clean = agent::testing::eventually(
      [&] {
        auto list = client->list();
        return !faults::disk::data_fs_mounted_at(data_) && list && list->empty();
      },
      5s);
  recovery = std::chrono::steady_clock::now() - t0;
  const double ms = std::chrono::duration<double, std::milli>(recovery).count();
  std::printf("kill -9 with %s active: fault healed and data fs unmounted %.1f ms after the agent restarted\n",
              param.name, ms);
  ASSERT_TRUE(clean) << "still mounted or still listed after 5 s";
  EXPECT_LT(ms, 1000.0);
  // The directory is plain again: no delay, no error, the synced data there.
  EXPECT_EQ(slurp(data_ / "synced"), "synced\n");
  write_file(data_ / "after", "after\n", true);
  if (std::string(param.name) == "lose_unsynced") {
    // The agent's death was the crash: the held data died with it.
    EXPECT_TRUE(std::filesystem::exists(data_ / "unsynced"));
    EXPECT_EQ(std::filesystem::file_size(data_ / "unsynced"), 0u);
  }
  client->close();
  ASSERT_TRUE(restarted.terminate().has_value());
  EXPECT_FALSE(faults::disk::data_fs_mounted_at(data_)) << "nothing left mounted";
}

// The dead agent ran in a mount namespace of its own (as the local
// provider's agents do, under `ip netns exec`): the restarted one, in
// another, enters it through the process still living there (the SUT) and
// unmounts the data fs there.
TEST_F(AgentDataFs, RestartedAgentUnmountsInTheDeadAgentsMountNamespace) {
  if (run("command -v unshare").status != 0) GTEST_SKIP() << "unshare (util-linux) is not installed";
  const auto wrapper = tmp_.path() / "agent-in-own-mount-ns";
  std::ofstream(wrapper) << "#!/bin/sh\nexec unshare --mount --propagation private " << FAULTLINE_AGENT_BIN
                         << " \"$@\"\n";
  std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all);
  auto mounted_in_sut_ns = [&] {
    std::ifstream in(pidfile_);
    pid_t pid = 0;
    if (!(in >> pid)) return false;
    return slurp("/proc/" + std::to_string(pid) + "/mountinfo").find(data_.string() + " ") != std::string::npos &&
           slurp("/proc/" + std::to_string(pid) + "/mountinfo").find("fuse.faultline") != std::string::npos;
  };
  {
    AgentProcess agent(wrapper.string(), tmp_.path());
    ASSERT_TRUE(agent.start());
    auto client = agent.client();
    ASSERT_TRUE(client->start_sut(sut()));
    ASSERT_TRUE(agent::testing::eventually([&] { return std::filesystem::exists(pidfile_); }, 5s));
    EXPECT_TRUE(mounted_in_sut_ns());
    EXPECT_FALSE(faults::disk::data_fs_mounted_at(data_)) << "not in the test's namespace";
    ASSERT_TRUE(client->apply(*faults::FaultSpec::parse({{"kind", "disk-slow"}, {"delay", "20ms"}}), 60'000'000'000));
    client->close();
    agent.kill9();
  }
  AgentProcess restarted(FAULTLINE_AGENT_BIN, tmp_.path());
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(restarted.start());
  ASSERT_TRUE(agent::testing::eventually([&] { return !mounted_in_sut_ns(); }, 5s)) << slurp(restarted.log_path());
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("kill -9 of an agent in its own mount namespace: data fs unmounted there %.1f ms after the restart\n", ms);
  EXPECT_LT(ms, 1000.0);
}

INSTANTIATE_TEST_SUITE_P(
    EachDiskFault, AgentKill9,
    ::testing::Values(KillCase{"disk_slow", {{"kind", "disk-slow"}, {"delay", "50ms"}}},
                      KillCase{"disk_error", {{"kind", "disk-error"}, {"errno", "EIO"}, {"ops", {"write"}}}},
                      KillCase{"lose_unsynced", {{"kind", "lose-unsynced"}}}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace faultline::storage_test
