// Helpers for the agent integration tests: a private temp dir, a real
// faultline-agent process (started, killed and reaped by RAII), a raw TCP
// connection that speaks the wire protocol by hand, and a waiting helper.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/client/agent_client.h"
#include "agent/protocol/auth.h"
#include "tests/support/eventually.h"

namespace faultline::agent::testing {

using namespace std::chrono_literals;

using faultline::testing::eventually;

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    // Short: the agent's event socket path must fit a sockaddr_un.
    const std::string name = info ? info->name() : "x";
    path_ = std::filesystem::temp_directory_path() /
            ("fl-agent-" + std::to_string(::getpid()) + "-" + std::to_string(std::hash<std::string>{}(name) % 100000));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

class AgentProcess {
 public:
  // Starts `binary --listen 127.0.0.1:0 --token-file <dir>/token --state-dir <dir>/state` plus extra.
  AgentProcess(std::string binary, std::filesystem::path dir, std::vector<std::string> extra = {})
      : binary_(std::move(binary)), dir_(std::move(dir)), extra_(std::move(extra)) {
    token_ = "test-token-" + std::to_string(::getpid());
    auto token_path = dir_ / "token";
    if (!std::filesystem::exists(token_path)) {
      std::ofstream(token_path) << token_ << "\n";
      ::chmod(token_path.c_str(), 0600);
    }
  }
  ~AgentProcess() { kill9(); }

  std::filesystem::path state_dir() const { return dir_ / "state"; }
  std::filesystem::path log_path() const { return dir_ / "agent.log"; }
  const std::string& token() const { return token_; }
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  AgentEndpoint endpoint() const { return AgentEndpoint{"127.0.0.1", port_, token_}; }

  // Starts and waits until it listens. Returns false (and logs) on failure.
  bool start(bool expect_success = true) {
    std::filesystem::remove(state_dir() / "agent.port");
    std::vector<std::string> args = {binary_, "--listen", "127.0.0.1:0", "--token-file", (dir_ / "token").string(),
                                     "--state-dir", state_dir().string()};
    args.insert(args.end(), extra_.begin(), extra_.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      int log = ::open(log_path().c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(log, 1);
      ::dup2(log, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    started_at_ = std::chrono::steady_clock::now();
    bool up = eventually(
        [&] {
          std::ifstream in(state_dir() / "agent.port");
          int port = 0;
          if (in >> port && port > 0) {
            port_ = static_cast<std::uint16_t>(port);
            return true;
          }
          return !alive();
        },
        10s);
    if (!up || port_ == 0) {
      if (expect_success)
        ADD_FAILURE() << "agent did not start (wait status " << exit_status_.value_or(-1) << "); log:\n"
                      << read_file(log_path());
      return false;
    }
    return true;
  }
  std::chrono::steady_clock::time_point started_at() const { return started_at_; }

  bool alive() {
    if (pid_ <= 0) return false;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_status_ = status;
      pid_ = -1;
      return false;
    }
    return true;
  }

  void kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exit_status_ = status;
    pid_ = -1;
  }

  // Sends SIGTERM and waits up to `limit`; returns the wait status, or nullopt.
  std::optional<int> terminate(std::chrono::milliseconds limit = 10s) {
    if (pid_ <= 0) return exit_status_;
    ::kill(pid_, SIGTERM);
    if (!eventually([&] { return !alive(); }, limit)) return std::nullopt;
    return exit_status_;
  }

  std::unique_ptr<AgentClient> client() {
    auto c = AgentClient::connect(endpoint());
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
    return c.ok() ? std::move(*c) : nullptr;
  }

 private:
  std::string binary_;
  std::filesystem::path dir_;
  std::vector<std::string> extra_;
  std::string token_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::optional<int> exit_status_;
  std::chrono::steady_clock::time_point started_at_;
};

// The wire protocol by hand, to send what a real client never would.
class RawConnection {
 public:
  RawConnection(std::uint16_t port, std::string token) : token_(std::move(token)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) ADD_FAILURE() << "connect failed";
    auto greeting = read_json();
    nonce_ = greeting.value("nonce", "");
    EXPECT_EQ(greeting.value("type", ""), "challenge");
  }
  ~RawConnection() { ::close(fd_); }

  void send_raw(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;
      done += static_cast<std::size_t>(n);
    }
  }
  // A correctly signed line for this connection (counter advances).
  std::string signed_line(const nlohmann::json& body) {
    return protocol::make_envelope(token_, nonce_, ++counter_, body.dump()) + "\n";
  }
  nlohmann::json call(const nlohmann::json& body) {
    send_raw(signed_line(body));
    return read_json();
  }
  const std::string& nonce() const { return nonce_; }

  std::optional<std::string> read_line(std::chrono::milliseconds limit = 5s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
      auto nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        auto line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[65536];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  nlohmann::json read_json(std::chrono::milliseconds limit = 5s) {
    auto line = read_line(limit);
    if (!line) return nlohmann::json{{"timeout", true}};
    auto j = nlohmann::json::parse(*line, nullptr, false);
    return j.is_discarded() ? nlohmann::json{{"unparseable", *line}} : j;
  }

 private:
  int fd_ = -1;
  std::string token_;
  std::string nonce_;
  std::uint64_t counter_ = 0;
  std::string buffer_;
};

inline std::string marker_spec(const std::filesystem::path& marker, const std::string& extra = "") {
  return R"({"kind":"disk-slow","delay":"1ms","x-marker":")" + marker.string() + "\"" + extra + "}";
}

inline faults::FaultSpec parse_spec(const std::string& text) {
  auto spec = faults::FaultSpec::parse_text(text);
  EXPECT_TRUE(spec.ok()) << text;
  return spec.ok() ? *spec : faults::FaultSpec{};
}

}  // namespace faultline::agent::testing
