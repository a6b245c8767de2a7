// Docker tests of a user's own compose project under faultline, through
// docker/run-nightly.sh -f ... --suite ... (docs/compose.md):
//  - a node service without NET_ADMIN is refused before any fault, naming
//    the container and the fix (exit 254);
//  - examples/etcd/compose.yaml, five etcd containers with the agent as
//    entrypoint: linearizable reads valid (exit 0), serializable reads
//    invalid (exit 1).
// Each leaves no container, network or volume of its project behind. Each
// skips itself (GTEST_SKIP, with the reason) where `docker info` fails; the
// etcd ones also where the Go client (faultline-etcd-register) was not built.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/docker/docker_shell.h"

namespace {

const std::string kSource = FAULTLINE_SOURCE_DIR;
const std::string kBinary = FAULTLINE_BINARY_DIR;

using namespace faultline::testing::docker;

std::string prebuilt_dirs() {
  const char* env = std::getenv("FAULTLINE_DOCKER_PREBUILT_DIRS");
  return env && *env ? std::string(env) : kBinary;
}

std::string tail(const std::string& s) { return s.substr(s.size() > 6000 ? s.size() - 6000 : 0); }

// One run of docker/run-nightly.sh on a compose project; its results dir is removed after.
Run nightly(const std::string& project, const std::string& args) {
  const std::string out = "/tmp/faultline-compose-out-" + project;
  auto r = run("FAULTLINE_PREBUILT_DIRS='" + prebuilt_dirs() + "' " + kSource + "/docker/run-nightly.sh -p " + project +
               " --out " + out + " " + args);
  std::filesystem::remove_all(out);
  std::size_t at = 0;
  while ((at = r.output.find("run-nightly:", at)) != std::string::npos) {
    auto end = r.output.find('\n', at);
    std::printf("%s\n", r.output.substr(at, end - at).c_str());
    at = end == std::string::npos ? r.output.size() : end;
  }
  return r;
}

TEST(DockerCompose, NodeWithoutNetAdminIsRefusedBeforeAnyFault) {
  if (auto why = docker_unavailable(); !why.empty()) GTEST_SKIP() << why;
  const std::string project = "flnocap" + std::to_string(::getpid());
  auto r = nightly(project, "-f " + kSource + "/tests/docker/no-net-admin/compose.yaml --suite " + kSource +
                                "/tests/docker/no-net-admin/suite.yaml");
  EXPECT_EQ(r.status, 254) << tail(r.output);
  // The container by name (compose v1 project_worker_1, v2 project-worker-1), then the fix.
  EXPECT_NE(r.output.find("container " + project), std::string::npos) << tail(r.output);
  EXPECT_NE(r.output.find("worker_1 (service worker) lacks the capability NET_ADMIN") == std::string::npos &&
                    r.output.find("worker-1 (service worker) lacks the capability NET_ADMIN") == std::string::npos,
            true)
      << tail(r.output);
  EXPECT_NE(r.output.find("cap_add: [NET_ADMIN]` to service worker"), std::string::npos) << tail(r.output);
  EXPECT_EQ(r.output.find("(service api) lacks"), std::string::npos) << "api has NET_ADMIN";
  EXPECT_EQ(r.output.find("\"phase\":\"start\""), std::string::npos) << "a fault started";
  EXPECT_EQ(project_resources(project), "") << "left containers, networks or volumes behind";
}

std::string etcd_unavailable() {
  if (auto why = docker_unavailable(); !why.empty()) return why;
  if (!std::filesystem::exists(kBinary + "/bin/faultline-etcd-register"))
    return "faultline-etcd-register was not built (needs go; examples/etcd/CMakeLists.txt)";
  return "";
}

void run_etcd(const std::string& suite, int expected) {
  const std::string project = "fletcd" + std::to_string(::getpid());
  auto r = nightly(project, "-f " + kSource + "/examples/etcd/compose.yaml --suite " + kSource + "/examples/etcd/" +
                                suite + " --client-dir " + kBinary + "/bin");
  EXPECT_EQ(r.status, expected) << tail(r.output);
  EXPECT_EQ(project_resources(project), "") << "left containers, networks or volumes behind";
}

TEST(DockerComposeEtcd, LinearizableReadsAreValid) {
  if (auto why = etcd_unavailable(); !why.empty()) GTEST_SKIP() << why;
  run_etcd("compose-linearizable.yaml", 0);
}

TEST(DockerComposeEtcd, SerializableReadsAreInvalid) {
  if (auto why = etcd_unavailable(); !why.empty()) GTEST_SKIP() << why;
  run_etcd("compose-serializable.yaml", 1);
}

}  // namespace
