#include "bench/e2e/sshd_target.h"

#include "bench/e2e/scratch_dir.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "common/process/launch.h"
#include "controller/cluster/tcp_wait.h"

namespace faultline::bench {
namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<process::Finished> run(const std::vector<std::string>& argv) {
  process::LaunchOptions o;
  o.argv = argv;
  o.out = process::Stream::capture();
  o.err = process::Stream::capture();
  return process::run(o, 30'000'000'000);
}

}  // namespace

Result<std::unique_ptr<SshdTarget>> SshdTarget::start(testing::NetnsCluster& cluster, int node, std::uint16_t port,
                                                      const fs::path& dir) {
  std::unique_ptr<SshdTarget> t(new SshdTarget());
  t->cluster_ = &cluster;
  t->dir_ = dir;
  t->address_ = cluster.node(node).address;
  t->port_ = port;
  std::error_code ec;
  fs::remove_all(t->dir_, ec);
  fs::create_directories(t->dir_);
  fs::permissions(t->dir_, fs::perms::owner_all);
  for (const char* key : {"host_key", "client_key"}) {
    auto r = run({"ssh-keygen", "-q", "-t", "ecdsa", "-b", "256", "-m", "PEM", "-N", "", "-C", "faultline-e2e-bench", "-f",
                  (t->dir_ / key).string()});
    if (!r) return r.error();
    if (r->exit_code != 0) return io_error("ssh-keygen failed: " + r->err);
  }
  fs::copy_file(t->dir_ / "client_key.pub", t->dir_ / "authorized_keys");
  {
    std::istringstream in(read_text(t->dir_ / "host_key.pub"));
    std::string type, body;
    in >> type >> body;
    std::ofstream(t->dir_ / "known_hosts") << fmt::format("[{}]:{} {} {}\n", t->address_, port, type, body);
  }
  std::ofstream(t->dir_ / "sshd_config") << fmt::format(
      "Port {}\nListenAddress {}\nHostKey {}\nAuthorizedKeysFile {}\nUsePAM no\nPasswordAuthentication no\n"
      "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin prohibit-password\nStrictModes no\n"
      "AllowTcpForwarding yes\nPidFile {}\nSubsystem sftp internal-sftp\nMaxSessions 100\nMaxStartups 100\n"
      "UseDNS no\nLogLevel ERROR\n",
      port, t->address_, (t->dir_ / "host_key").string(), (t->dir_ / "authorized_keys").string(),
      (t->dir_ / "sshd.pid").string());
  fs::create_directories("/run/sshd");  // sshd's privilege-separation directory
  // `ip netns exec` gives sshd a mount namespace of its own: there, root's
  // ~/.bashrc (which bash reads for every command sshd runs) is an empty
  // file, as on a stock host, so no command pays for this machine's shell
  // setup (here pyenv init: ~0.27 s per shell).
  std::ofstream(t->dir_ / "empty_bashrc").flush();
  const std::string sshd_cmd = fmt::format(
      "if [ -e /root/.bashrc ]; then mount --bind {} /root/.bashrc || exit 1; fi; exec /usr/sbin/sshd -D -e -f {}",
      (t->dir_ / "empty_bashrc").string(), (t->dir_ / "sshd_config").string());
  auto sshd = cluster.spawn(cluster.node(node).ns, {"sh", "-c", sshd_cmd}, (t->dir_ / "sshd.log").string());
  if (!sshd) return sshd.error();
  if (!controller::wait_for_tcp(t->address_, port, 10'000'000'000))
    return unavailable("sshd did not start: " + t->sshd_log());
  return t;
}

SshdTarget::~SshdTarget() {
  session_.reset();
  if (master_ > 0) {
    ::kill(master_, SIGKILL);
    ::waitpid(master_, nullptr, 0);
  }
  kill_processes_naming(dir_);
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string SshdTarget::sshd_log() const { return read_text(dir_ / "sshd.log"); }

std::vector<std::string> SshdTarget::ssh_argv(bool with_master) const {
  std::vector<std::string> argv = {"ssh",
                                   "-F",
                                   "/dev/null",
                                   "-i",
                                   client_key().string(),
                                   "-o",
                                   "IdentitiesOnly=yes",
                                   "-o",
                                   "BatchMode=yes",
                                   "-o",
                                   "StrictHostKeyChecking=yes",
                                   "-o",
                                   "UserKnownHostsFile=" + known_hosts().string(),
                                   "-o",
                                   "LogLevel=ERROR",
                                   "-p",
                                   std::to_string(port_)};
  if (with_master) argv.insert(argv.end(), {"-o", "ControlMaster=no", "-o", "ControlPath=" + (dir_ / "mux").string()});
  argv.push_back("root@" + address_);
  return argv;
}

Result<void> SshdTarget::run_ssh(bool with_master, const std::string& command, const std::set<int>& allowed) {
  auto argv = ssh_argv(with_master);
  argv.push_back(command);
  auto r = run(argv);
  if (!r) return r.error();
  if (r->exit_code != 0 && !allowed.count(r->exit_code))
    return io_error(fmt::format("ssh '{}': exit {}: {}{}", command, r->exit_code, r->out, r->err));
  return ok_result();
}

Result<void> SshdTarget::fresh(const std::string& command, const std::set<int>& allowed) {
  return run_ssh(false, command, allowed);
}

Result<void> SshdTarget::mux(const std::string& command, const std::set<int>& allowed) {
  return run_ssh(true, command, allowed);
}

Result<void> SshdTarget::open_master() {
  auto argv = ssh_argv(false);
  argv.insert(argv.end() - 1, {"-M", "-N", "-o", "ControlPath=" + (dir_ / "mux").string(), "-o", "ControlPersist=no"});
  process::LaunchOptions o;
  o.argv = argv;
  o.out = process::Stream::append_to(dir_ / "master.log");
  o.err = process::Stream::append_to(dir_ / "master.log");
  auto child = process::start(o);
  if (!child) return child.error();
  master_ = child->pid();
  for (int i = 0; i < 200; ++i) {
    if (fs::exists(dir_ / "mux")) {
      auto check = ssh_argv(true);
      check.insert(check.end() - 1, {"-O", "check"});
      if (auto r = run(check); r && r->exit_code == 0) return ok_result();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return unavailable("the OpenSSH master connection did not come up: " + read_text(dir_ / "master.log"));
}

Result<void> SshdTarget::open_session() {
  controller::ssh::ConnectOptions o;
  o.host = address_;
  o.port = port_;
  o.user = "root";
  o.identity = client_key().string();
  o.known_hosts = known_hosts().string();
  o.attempts = 2;
  auto s = controller::ssh::Session::connect(o);
  if (!s) return s.error();
  session_ = std::move(*s);
  return ok_result();
}

Result<void> SshdTarget::session(const std::string& command, const std::set<int>& allowed) {
  if (!session_) return unavailable("no libssh2 session (open_session first)");
  auto r = session_->exec(command);
  if (!r) return r.error();
  if (r->exit_status != 0 && !allowed.count(r->exit_status))
    return io_error(fmt::format("libssh2 '{}': exit {}: {}", command, r->exit_status, r->output));
  return ok_result();
}

}  // namespace faultline::bench
