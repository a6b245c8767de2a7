// Docker tests: the images built from a clean state and again from the layer
// cache (docker/image-build-check.sh; runs first, so the later tests reuse
// its cache), the nightly compose job end to end (docker/run-nightly.sh with
// this build's binaries), a node container killed by `docker kill` while a
// fault is applied, and a disk-fill bounded by a node's data tmpfs. Each
// skips itself (GTEST_SKIP, with the reason) where `docker info` fails; each
// uses a compose project named with the pid and removes its containers,
// network and volumes also when it fails.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "tests/docker/docker_shell.h"

namespace {

const std::string kSource = FAULTLINE_SOURCE_DIR;
const std::string kBinary = FAULTLINE_BINARY_DIR;

using namespace faultline::testing::docker;

// `compose down -v` of a project when the test ends, however it ends; then
// anything still labelled with the project is removed by the docker CLI, and
// the test's scratch directory goes last (compose needs the files it names).
struct ComposeGuard {
  std::string project;
  std::string env;
  std::string scratch;
  bool done = false;
  ~ComposeGuard() { down(); }
  void down() {
    if (done) return;
    done = true;
    run(env + " " + compose_cmd() + " -f " + kSource + "/docker/compose.yaml down -v --remove-orphans --timeout 5");
    std::string filter = "--filter label=com.docker.compose.project=" + project;
    run("docker ps -aq " + filter + " | xargs -r docker rm -f");
    run("docker network ls -q " + filter + " | xargs -r docker network rm");
    run("docker volume ls -q " + filter + " | xargs -r docker volume rm -f");
    if (!scratch.empty()) std::filesystem::remove_all(scratch);
  }
};

// The build dirs the images take their binaries from: this build, or
// $FAULTLINE_DOCKER_PREBUILT_DIRS (space-separated, first one wins per file).
std::string prebuilt_dirs() {
  const char* env = std::getenv("FAULTLINE_DOCKER_PREBUILT_DIRS");
  return env && *env ? std::string(env) : kBinary;
}

std::string faultline_cli() {
  std::string dirs = prebuilt_dirs() + " ";
  for (std::size_t start = 0, end; (end = dirs.find(' ', start)) != std::string::npos; start = end + 1) {
    auto dir = dirs.substr(start, end - start);
    if (!dir.empty() && std::filesystem::exists(dir + "/bin/faultline")) return dir + "/bin/faultline";
  }
  return kBinary + "/bin/faultline";
}

// Prints the lines of `output` that start with `prefix` (figures for the log).
void print_lines(const std::string& output, const std::string& prefix) {
  std::size_t at = 0;
  while ((at = output.find(prefix, at)) != std::string::npos) {
    auto end = output.find('\n', at);
    std::printf("%s\n", output.substr(at, end - at).c_str());
    at = end == std::string::npos ? output.size() : end;
  }
}

TEST(DockerImages, BuildFromCleanStateThenFromTheLayerCache) {
  if (auto why = docker_unavailable(); !why.empty()) GTEST_SKIP() << why;
  const std::string project = "fltestimg" + std::to_string(::getpid());
  auto r = run("COMPOSE_PROJECT_NAME=" + project + " " + kSource + "/docker/image-build-check.sh " + prebuilt_dirs());
  print_lines(r.output, "image-build-check:");
  ASSERT_EQ(r.status, 0) << r.output.substr(r.output.size() > 6000 ? r.output.size() - 6000 : 0);
  EXPECT_NE(r.output.find("image IDs identical"), std::string::npos);
  EXPECT_NE(r.output.find("node image "), std::string::npos);
  EXPECT_NE(r.output.find("agent image adds "), std::string::npos);  // and at most 60MiB, or the check fails
  EXPECT_EQ(project_resources(project), "") << "the image check left containers, networks or volumes behind";
}

TEST(DockerNightly, ComposeJobRunsPartitionAndKillAndGatesOnVerdict) {
  if (auto why = docker_unavailable(); !why.empty()) GTEST_SKIP() << why;
  const std::string project = "fltest" + std::to_string(::getpid());
  const std::string out = "/tmp/faultline-docker-out-" + std::to_string(::getpid());
  std::filesystem::remove_all(out);
  const std::string env = "COMPOSE_PROJECT_NAME=" + project + " FAULTLINE_OUT=" + out;
  ComposeGuard guard{project, env, out};
  auto r = run(env + " FAULTLINE_PREBUILT_DIRS='" + prebuilt_dirs() + "' " + kSource + "/docker/run-nightly.sh");
  // The image sizes and build time are part of the output.
  auto sizes = r.output.find("run-nightly: images built");
  if (sizes != std::string::npos) std::printf("%s\n", r.output.substr(sizes, r.output.find('\n', sizes) - sizes).c_str());
  ASSERT_EQ(r.status, 0) << r.output.substr(r.output.size() > 6000 ? r.output.size() - 6000 : 0);
  EXPECT_EQ(project_resources(project), "") << "run-nightly.sh left containers, networks or volumes behind";

  std::ifstream in(out + "/nightly/latest/history.jsonl");
  ASSERT_TRUE(in) << "no history under " << out;
  bool partition = false, kill = false;
  std::int64_t dead_at = -1, alive_after = -1;
  std::string line;
  while (std::getline(in, line)) {
    auto e = nlohmann::json::parse(line, nullptr, false);
    if (e.is_discarded()) continue;
    auto type = e.value("type", "");
    if (type == "fault") {
      auto dump = e.dump();
      if (dump.find("partition") != std::string::npos) partition = true;
      if (dump.find("\"kill\"") != std::string::npos) kill = true;
    }
    if (type == "detector" && e.value("subject", "") == "n3" && e.value("node", "") != "n3") {
      if (e.value("status", "") == "dead" && dead_at < 0) dead_at = e["time"].get<std::int64_t>();
      if (e.value("status", "") == "alive" && dead_at >= 0 && alive_after < 0) alive_after = e["time"].get<std::int64_t>();
    }
  }
  EXPECT_TRUE(partition) << "no partition fault in the history";
  EXPECT_TRUE(kill) << "no kill fault in the history";
  EXPECT_GE(dead_at, 0) << "no other node declared the killed n3 dead";
  EXPECT_GT(alive_after, dead_at) << "n3 was not declared alive again after it was declared dead";
  EXPECT_TRUE(std::filesystem::exists(out + "/nightly/latest/junit.xml"));
  EXPECT_TRUE(std::filesystem::exists(out + "/nightly/latest/report.html"));
}

// A scratch dir with a fresh token and a prebuilt context; the environment
// for compose commands on a one-node project in 198.19.NET.0/24.
std::string single_node_env(const std::string& project, const std::string& net, const std::string& work) {
  EXPECT_EQ(run(kSource + "/docker/agent-token.sh " + work + "/token").status, 0);
  EXPECT_EQ(run(kSource + "/docker/prepare-prebuilt.sh " + work + "/context " + prebuilt_dirs()).status, 0);
  return "COMPOSE_PROJECT_NAME=" + project + " FAULTLINE_NET=" + net + " FAULTLINE_AGENT_TOKEN_FILE=" + work +
         "/token FAULTLINE_CONTEXT=" + work + "/context FAULTLINE_PREBUILT=prebuilt";
}

TEST(DockerNode, KilledContainerHealsWhatItsJournalHeld) {
  if (auto why = docker_unavailable(); !why.empty()) GTEST_SKIP() << why;
  const std::string pid = std::to_string(::getpid());
  const std::string project = "fltestkill" + pid;
  const std::string work = "/tmp/faultline-docker-kill-" + pid;
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  const std::string env = single_node_env(project, "198.19.78", work);
  ComposeGuard guard{project, env, work};
  const std::string compose = env + " " + compose_cmd() + " -f " + kSource + "/docker/compose.yaml ";
  auto up = run(compose + "up -d --build n1");
  ASSERT_EQ(up.status, 0) << up.output;
  const std::string container = project + "_n1_1";
  auto id = run("docker ps -q --filter label=com.docker.compose.project=" + project +
                " --filter label=com.docker.compose.service=n1");
  ASSERT_FALSE(id.output.empty()) << "n1 is not running";
  const std::string cid = id.output.substr(0, id.output.find('\n'));
  auto address = run("docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' " + cid).output;
  address = address.substr(0, address.find('\n'));
  auto wait_agent = [&] {
    for (int i = 0; i < 120; ++i) {
      if (run("docker exec " + cid + " bash -c 'exec 3<>/dev/tcp/127.0.0.1/7070'").status == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return false;
  };
  ASSERT_TRUE(wait_agent()) << run("docker logs " + cid).output;
  // A file on the state volume (it survives the container), 4 KiB of 'a'.
  const std::string victim = "/var/lib/faultline/state/victim.dat";
  ASSERT_EQ(run("docker exec " + cid + " sh -c \"head -c 4096 /dev/zero | tr '\\\\0' a > " + victim + "\"").status, 0);
  auto size = [&] { return run("docker exec " + cid + " stat -c %s " + victim).output; };
  ASSERT_EQ(size(), "4096\n");
  auto cli = [&](const std::string& sub) {
    return faultline_cli() + " fault " + sub + " --agent " + address + ":7070 --token-file " + work + "/token ";
  };
  auto apply = run(cli("apply") + "--duration 10m '{\"kind\":\"corrupt-file\",\"path\":\"" + victim +
                   "\",\"mode\":\"truncate\",\"start\":1024,\"chunk_size\":\"1KiB\"}'");
  ASSERT_EQ(apply.status, 0) << apply.output;
  ASSERT_EQ(size(), "1024\n") << "the fault did not take effect";
  // Killed mid-fault: nothing heals it until the agent comes back.
  ASSERT_EQ(run("docker kill " + cid).status, 0);
  ASSERT_EQ(run("docker start " + cid).status, 0);
  ASSERT_TRUE(wait_agent()) << run("docker logs " + cid).output;
  std::string healed;
  for (int i = 0; i < 40 && healed != "4096\n"; ++i) {
    healed = size();
    if (healed != "4096\n") std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_EQ(healed, "4096\n") << "the restarted agent did not heal the journaled corrupt-file:\n"
                              << run("docker logs " + cid).output;
  EXPECT_EQ(run("docker exec " + cid + " sh -c \"tr -d a < " + victim + " | wc -c\"").output, "0\n");
  auto list = run(cli("list"));
  EXPECT_EQ(list.output.find("corrupt-file"), std::string::npos) << list.output;
  guard.down();
  EXPECT_EQ(project_resources(project), "") << "compose down left containers, networks or volumes behind";
}

// disk-fill on a node's data dir (the SUT's {data}) fills the container's
// data tmpfs (compose.yaml: size FAULTLINE_DATA_SIZE, here 16m), never the
// host's docker disk; healing frees it again.
TEST(DockerNode, DiskFillIsBoundedByTheDataTmpfs) {
  if (auto why = docker_unavailable(); !why.empty()) GTEST_SKIP() << why;
  const std::string pid = std::to_string(::getpid());
  const std::string project = "fltestfill" + pid;
  const std::string work = "/tmp/faultline-docker-fill-" + pid;
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  const std::string env = single_node_env(project, "198.19.79", work) + " FAULTLINE_DATA_SIZE=16m";
  ComposeGuard guard{project, env, work};
  auto up = run(env + " " + compose_cmd() + " -f " + kSource + "/docker/compose.yaml up -d --build n1");
  ASSERT_EQ(up.status, 0) << up.output;
  auto id = run("docker ps -q --filter label=com.docker.compose.project=" + project +
                " --filter label=com.docker.compose.service=n1");
  ASSERT_FALSE(id.output.empty()) << "n1 is not running";
  const std::string cid = id.output.substr(0, id.output.find('\n'));
  auto address = run("docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' " + cid).output;
  address = address.substr(0, address.find('\n'));
  bool agent = false;
  for (int i = 0; i < 120 && !agent; ++i) {
    agent = run("docker exec " + cid + " bash -c 'exec 3<>/dev/tcp/127.0.0.1/7070'").status == 0;
    if (!agent) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_TRUE(agent) << run("docker logs " + cid).output;
  const std::string data = "/var/lib/faultline/data";
  // "fstype size avail" of the data dir, in bytes.
  auto df = [&] { return run("docker exec " + cid + " df -B1 --output=fstype,size,avail " + data + " | tail -1").output; };
  std::istringstream before(df());
  std::string fstype;
  std::uint64_t size = 0, avail_before = 0;
  before >> fstype >> size >> avail_before;
  EXPECT_EQ(fstype, "tmpfs");
  EXPECT_EQ(size, 16u << 20) << "the data dir is not the 16 MiB tmpfs";
  EXPECT_GT(avail_before, 15u << 20);
  auto cli = [&](const std::string& sub) {
    return faultline_cli() + " fault " + sub + " --agent " + address + ":7070 --token-file " + work + "/token ";
  };
  auto apply = run(cli("apply") + "--duration 10m '{\"kind\":\"disk-fill\",\"path\":\"" + data + "\",\"leave\":0}'");
  ASSERT_EQ(apply.status, 0) << apply.output;
  std::istringstream full(df());
  std::uint64_t full_size = 0, avail_full = 1;
  full >> fstype >> full_size >> avail_full;
  std::printf("data tmpfs: %llu bytes, %llu available before the fill, %llu during it\n",
              static_cast<unsigned long long>(size), static_cast<unsigned long long>(avail_before),
              static_cast<unsigned long long>(avail_full));
  EXPECT_EQ(avail_full, 0u) << "disk-fill did not fill the data tmpfs";
  auto heal = run(cli("heal") + "--all");
  EXPECT_EQ(heal.status, 0) << heal.output;
  std::istringstream after(df());
  std::uint64_t avail_after = 0;
  after >> fstype >> size >> avail_after;
  EXPECT_EQ(avail_after, avail_before) << "heal did not free the data tmpfs";
  guard.down();
  EXPECT_EQ(project_resources(project), "") << "compose down left containers, networks or volumes behind";
}

}  // namespace
