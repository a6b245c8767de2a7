// Docker tests: the nightly compose job end to end (docker/run-nightly.sh with
// this build's binaries) and a node container killed by `docker kill` while
// a fault is applied. Each skips itself (GTEST_SKIP, with the reason) where
// `docker info` fails; each uses a compose project named with the pid and
// removes its containers, network and volumes also when it fails.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace {

const std::string kSource = FAULTLINE_SOURCE_DIR;
const std::string kBinary = FAULTLINE_BINARY_DIR;

struct Run {
  int status = -1;
  std::string output;
};

Run run(const std::string& command) {
  Run r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return r;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.output.append(buffer, n);
  int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string compose_cmd() {
  return run("docker compose version").status == 0 ? "docker compose" : "docker-compose";
}

// Why docker cannot be used here, or empty.
std::string docker_unavailable() {
  auto info = run("docker info --format '{{.ServerVersion}}'");
  if (info.status != 0) return "docker info failed: " + info.output.substr(0, 300);
  if (run("docker compose version").status != 0 && run("docker-compose version").status != 0)
    return "neither `docker compose` nor `docker-compose` is installed";
  return "";
}

std::string project_resources(const std::string& project) {
  std::string filter = "--filter label=com.docker.compose.project=" + project;
  return run("docker ps -aq " + filter).output + run("docker network ls -q " + filter).output +
         run("docker volume ls -q " + filter).output;
}

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

TEST(DockerNode, KilledContainerHealsWhatItsJournalHeld) {
  if (auto why = docker_unavailable(); !why.empty()) GTEST_SKIP() << why;
  const std::string pid = std::to_string(::getpid());
  const std::string project = "fltestkill" + pid;
  const std::string work = "/tmp/faultline-docker-kill-" + pid;
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  ASSERT_EQ(run("umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n' > " + work + "/token").status, 0);
  ASSERT_EQ(run(kSource + "/docker/prepare-prebuilt.sh " + work + "/context " + prebuilt_dirs()).status, 0);
  const std::string env = "COMPOSE_PROJECT_NAME=" + project + " FAULTLINE_NET=198.19.78 FAULTLINE_AGENT_TOKEN_FILE=" + work +
                          "/token FAULTLINE_CONTEXT=" + work + "/context FAULTLINE_PREBUILT=prebuilt";
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

}  // namespace
