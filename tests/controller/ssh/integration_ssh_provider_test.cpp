// The ssh provider against a real OpenSSH server (/usr/sbin/sshd) running in
// a network namespace this test creates. The test thread acts as the
// controller from the namespaces' hub; the "remote host" is node n1, whose
// file system is this machine's, so the test can check the remote side.
// Needs root.
#include <gtest/gtest.h>

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent/client/agent_client.h"
#include "controller/cluster/exec.h"
#include "controller/cluster/local_provider.h"
#include "controller/cluster/tcp_wait.h"
#include "controller/cluster/provider.h"
#include "faults/fault_spec.h"
#include "tests/support/eventually.h"
#include "tests/support/netns.h"

namespace faultline::controller {
namespace {

namespace fs = std::filesystem;
using testing::NetnsCluster;
using testing::ScopedNetns;
using faultline::testing::eventually;

constexpr std::uint16_t kSshPort = 2222;
constexpr std::uint16_t kAgentPort = 17070;

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

std::uint64_t available_bytes(const fs::path& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
}

// "TYPE BASE64" of an OpenSSH public key file (comment dropped).
std::string key_line(const fs::path& pub) {
  std::istringstream in(read_file(pub));
  std::string type, body;
  in >> type >> body;
  return type + " " + body;
}

ino_t netns_inode(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// A test process that crashed cannot run TearDown: remove what it left
// (its sshd and agent, which outlive their deleted namespace, its tmpfs and files).
void remove_leftovers_of_dead_tests() {
  const std::string prefix = "faultline-ssh-test-";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/tmp", ec)) {
    const auto name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const pid_t owner = static_cast<pid_t>(std::atol(name.c_str() + prefix.size()));
    if (owner <= 0 || ::kill(owner, 0) == 0 || errno != ESRCH) continue;
    for (const auto& proc : fs::directory_iterator("/proc", ec)) {
      const auto pid = std::atol(proc.path().filename().c_str());
      if (pid <= 0) continue;
      std::string cmdline = read_file(proc.path() / "cmdline");
      if (cmdline.find(entry.path().string() + "/") != std::string::npos) ::kill(static_cast<pid_t>(pid), SIGKILL);
    }
    ::umount2((entry.path() / "fs").c_str(), MNT_DETACH);
    fs::remove_all(entry.path(), ec);
  }
}

class SshProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
    if (::access("/usr/sbin/sshd", X_OK) != 0 || ::access("/usr/bin/ssh-keygen", X_OK) != 0)
      GTEST_SKIP() << "needs openssh-server and ssh-keygen";
    remove_leftovers_of_dead_tests();
    dir_ = fs::path("/tmp") / ("faultline-ssh-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "state");
    fs::create_directories(dir_ / "remote");
    fs::permissions(dir_, fs::perms::owner_all);
    ::setenv("FAULTLINE_STATE_DIR", (dir_ / "state").c_str(), 1);
    for (const char* key : {"host_key", "other_host_key", "client_key"}) {
      auto r = run_command({"ssh-keygen", "-q", "-t", "ecdsa", "-b", "256", "-m", "PEM", "-N", "", "-C", "faultline-test",
                            "-f", (dir_ / key).string()});
      ASSERT_TRUE(r.ok()) << r.error().message;
    }
    fs::copy_file(dir_ / "client_key.pub", dir_ / "authorized_keys");
    auto cluster = NetnsCluster::create(1);
    ASSERT_TRUE(cluster.ok()) << cluster.error().message;
    cluster_ = std::move(*cluster);
    address_ = cluster_->node(0).address;
    write_file(dir_ / "sshd_config",
               "Port " + std::to_string(kSshPort) + "\nListenAddress " + address_ + "\nHostKey " +
                   (dir_ / "host_key").string() + "\nAuthorizedKeysFile " + (dir_ / "authorized_keys").string() +
                   "\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
                   "PermitRootLogin prohibit-password\nStrictModes no\nAllowTcpForwarding yes\nPidFile " +
                   (dir_ / "sshd.pid").string() + "\nSubsystem sftp internal-sftp\nLogLevel VERBOSE\n");
    // A small tmpfs for the disk fill, mounted before sshd starts so that the
    // mount namespace `ip netns exec` gives sshd (and so the agent) has it.
    fs::create_directories(dir_ / "fs");
    ASSERT_EQ(::mount("faultline-ssh-test", (dir_ / "fs").c_str(), "tmpfs", 0, "size=8m"), 0);
    fs::create_directories("/run/sshd");  // sshd's privilege-separation directory
    auto sshd = cluster_->spawn(cluster_->node(0).ns, {"/usr/sbin/sshd", "-D", "-e", "-f", (dir_ / "sshd_config").string()},
                                (dir_ / "sshd.log").string());
    ASSERT_TRUE(sshd.ok()) << sshd.error().message;
    hub_ = std::make_unique<ScopedNetns>(cluster_->hub_ns());
    ASSERT_TRUE(hub_->ok()) << hub_->error();
    ASSERT_TRUE(wait_for_tcp(address_, kSshPort, 10'000'000'000)) << "sshd did not start:\n" << read_file(dir_ / "sshd.log");
  }

  void TearDown() override {
    // Whatever a failed test left: the recorded cluster, then every process in
    // the namespace (an agent started with setsid outlives sshd), the tmpfs,
    // the namespaces and the files.
    if (!dir_.empty()) {
      for (const auto& file : list_cluster_states()) {
        auto state = read_cluster_state(file.string());
        if (state.ok()) (void)make_provider("ssh")->down(*state);
      }
    }
    hub_.reset();
    if (cluster_) {
      auto pids = run_command({"ip", "netns", "pids", cluster_->node(0).ns});
      if (pids.ok()) {
        std::istringstream in(*pids);
        pid_t pid;
        while (in >> pid) ::kill(pid, SIGKILL);
      }
      cluster_->teardown();
    }
    if (!dir_.empty()) {
      ::umount2((dir_ / "fs").c_str(), MNT_DETACH);
      std::error_code ec;
      fs::remove_all(dir_, ec);
      ::unsetenv("FAULTLINE_STATE_DIR");
    }
  }

  ClusterConfig cluster_config(bool accept_unknown) {
    ClusterConfig config;
    config.provider = "ssh";
    config.nodes = {"n1"};
    config.options = {{"hosts", {{{"host", address_}, {"port", kSshPort}, {"user", "root"},
                                  {"identity", (dir_ / "client_key").string()}}}},
                      {"known_hosts", (dir_ / "known_hosts").string()},
                      {"accept_unknown_host_keys", accept_unknown},
                      {"agent_port", kAgentPort},
                      {"remote_dir", (dir_ / "remote").string()},
                      {"connect_attempts", 2}};
    return config;
  }

  ProviderOptions provider_options() {
    ProviderOptions options;
    options.bin_dir = FAULTLINE_BIN_DIR;
    return options;
  }

  std::string known_host_entry(const char* key) {
    return "[" + address_ + "]:" + std::to_string(kSshPort) + " " + key_line(dir_ / key) + "\n";
  }

  fs::path dir_;
  std::unique_ptr<NetnsCluster> cluster_;
  std::unique_ptr<ScopedNetns> hub_;
  std::string address_;
};

TEST_F(SshProviderTest, UploadsStartsForwardsFaultsAndRemovesEverything) {
  write_file(dir_ / "known_hosts", known_host_entry("host_key.pub"));
  auto provider = make_provider("ssh");
  ASSERT_NE(provider, nullptr);
  auto config = cluster_config(false);
  ASSERT_TRUE(provider->validate(config).ok());
  auto up = provider->up(config, provider_options());
  ASSERT_TRUE(up.ok()) << up.error().message << "\nsshd log:\n" << read_file(dir_ / "sshd.log");
  auto& cluster = **up;
  ASSERT_EQ(cluster.nodes().size(), 1u);
  const NodeInfo& node = cluster.nodes()[0];
  EXPECT_EQ(node.name, "n1");
  EXPECT_EQ(node.address, address_);  // {address}: the host as listed
  EXPECT_EQ(node.agent.host, "127.0.0.1");

  // Uploaded: the agent binary and a private token, under the cluster's directory.
  const fs::path remote = dir_ / "remote" / ("faultline-" + cluster.id()) / "n1";
  ASSERT_TRUE(fs::exists(remote / "faultline-agent"));
  EXPECT_EQ(fs::file_size(remote / "faultline-agent"), fs::file_size(fs::path(FAULTLINE_BIN_DIR) / "faultline-agent"));
  EXPECT_EQ(fs::status(remote / "token").permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(read_file(remote / "token"), node.agent.token);

  // Started on the remote host: in n1's network namespace, listening only on its loopback.
  auto state = read_cluster_state(cluster.state_file().string());
  ASSERT_TRUE(state.ok()) << state.error().message;
  const pid_t agent_pid = (*state)["nodes"][0]["agent_pid"].get<pid_t>();
  ASSERT_GT(agent_pid, 0);
  EXPECT_TRUE(process_alive(agent_pid));
  EXPECT_EQ(netns_inode("/proc/" + std::to_string(agent_pid) + "/ns/net"), netns_inode("/run/netns/" + cluster_->node(0).ns));
  EXPECT_FALSE(wait_for_tcp(address_, kAgentPort, 300'000'000)) << "the agent must not be reachable except through SSH";

  // Faults through the SSH-forwarded channel: a disk fill on a small tmpfs on the remote side, then healed.
  auto client = agent::AgentClient::connect(node.agent);
  ASSERT_TRUE(client.ok()) << client.error().message;
  auto hello = (*client)->hello();
  ASSERT_TRUE(hello.ok()) << hello.error().message;
  auto spec = faults::FaultSpec::parse({{"kind", "disk-fill"}, {"path", (dir_ / "fs").string()}, {"leave", "1MiB"}});
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  auto applied = (*client)->apply(*spec, 60'000'000'000);
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  // Checked from the remote side (the agent's mount namespace, through SSH's shell).
  auto remote_avail = [&] {
    auto out = NetnsCluster::exec(cluster_->node(0).ns, {"nsenter", "-t", std::to_string(agent_pid), "-m", "df", "-B1",
                                                          "--output=avail", (dir_ / "fs").string()});
    std::istringstream in(out.output);
    std::string header;
    std::uint64_t avail = 0;
    in >> header >> avail;
    return avail;
  };
  EXPECT_LE(remote_avail(), 2u << 20);
  EXPECT_LE(available_bytes(dir_ / "fs"), 2u << 20);
  auto listed = (*client)->list();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1u);
  ASSERT_TRUE((*client)->heal(applied->id).ok());
  EXPECT_GT(remote_avail(), 6u << 20);
  EXPECT_GT(available_bytes(dir_ / "fs"), 6u << 20);
  // A second connection through the same forwarder works too.
  auto second = agent::AgentClient::connect(node.agent);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_TRUE((*second)->hello().ok());
  (*second)->close();
  (*client)->close();

  // Status sees the agent; down removes the agent, the uploads and the state file.
  auto status = provider->status(*state);
  EXPECT_TRUE(status["nodes"][0].value("agent_running", false)) << status.dump();
  const auto state_file = cluster.state_file();
  auto down = cluster.teardown();
  ASSERT_TRUE(down.ok()) << down.error().message;
  EXPECT_TRUE(eventually([&] { return !process_alive(agent_pid); }, std::chrono::seconds(3)));
  EXPECT_FALSE(fs::exists(remote));
  EXPECT_FALSE(fs::exists(dir_ / "remote" / ("faultline-" + cluster.id())));
  EXPECT_FALSE(fs::exists(state_file));
}

TEST_F(SshProviderTest, UnknownHostKeyIsRefused) {
  write_file(dir_ / "known_hosts", "");
  auto up = make_provider("ssh")->up(cluster_config(false), provider_options());
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(up.error().message.find("UNKNOWN"), std::string::npos) << up.error().message;
  EXPECT_NE(up.error().message.find("accept_unknown_host_keys"), std::string::npos) << up.error().message;
  EXPECT_TRUE(fs::is_empty(dir_ / "remote"));
  EXPECT_TRUE(list_cluster_states().empty());
  EXPECT_EQ(read_file(dir_ / "known_hosts"), "");
}

TEST_F(SshProviderTest, UnknownHostKeyIsAcceptedAndRecordedWhenTheSuiteSaysSo) {
  write_file(dir_ / "known_hosts", "");
  auto up = make_provider("ssh")->up(cluster_config(true), provider_options());
  ASSERT_TRUE(up.ok()) << up.error().message;
  EXPECT_NE(read_file(dir_ / "known_hosts").find(key_line(dir_ / "host_key.pub")), std::string::npos)
      << read_file(dir_ / "known_hosts");
  ASSERT_TRUE((*up)->teardown().ok());
  EXPECT_TRUE(fs::is_empty(dir_ / "remote"));
}

TEST_F(SshProviderTest, ChangedHostKeyIsAlwaysRefused) {
  write_file(dir_ / "known_hosts", known_host_entry("other_host_key.pub"));
  auto up = make_provider("ssh")->up(cluster_config(true), provider_options());
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(up.error().message.find("CHANGED"), std::string::npos) << up.error().message;
  EXPECT_TRUE(fs::is_empty(dir_ / "remote"));
  EXPECT_TRUE(list_cluster_states().empty());
  EXPECT_EQ(read_file(dir_ / "known_hosts"), known_host_entry("other_host_key.pub"));
}

}  // namespace
}  // namespace faultline::controller
