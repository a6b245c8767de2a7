// SshSession: one authenticated libssh2 connection (blocking), for the ssh
// cluster provider.
//
// Contract:
//  - connect() opens TCP to host:port (timeout per attempt), does the SSH
//    handshake, verifies the server's host key against an OpenSSH
//    known_hosts file and authenticates with a public key. Transient
//    failures (connection refused/reset/timed out, unreachable, a handshake
//    that times out or hits EAGAIN) are retried up to `attempts` times with
//    exponential backoff (200ms, 400ms, ... capped at 5s). Host-key and
//    authentication failures are never retried.
//  - Host keys: a key matching known_hosts is accepted; a key that DIFFERS
//    from a known_hosts entry for this host is always refused (kUnauthenticated,
//    "host key for H has CHANGED"); a host missing from known_hosts is refused
//    unless accept_unknown, in which case its key is appended to the file.
//  - exec() runs a command through the remote user's shell and returns its
//    exit status and stdout+stderr. upload() writes a local file (or a string)
//    over SFTP with the given mode. open_direct_tcpip() opens a channel to
//    host:port as seen from the server (caller owns the channel).
//  - Not thread-safe: one thread per session. Errors are Result values.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "common/result.h"
#include "common/units.h"

using LIBSSH2_SESSION = struct _LIBSSH2_SESSION;
using LIBSSH2_CHANNEL = struct _LIBSSH2_CHANNEL;

namespace faultline::controller::ssh {

struct ConnectOptions {
  std::string host;
  std::uint16_t port = 22;
  std::string user;
  std::string identity;      // private key file
  std::string public_key;    // may be empty
  std::string known_hosts;   // OpenSSH known_hosts file
  bool accept_unknown = false;
  Nanos timeout = 10'000'000'000;
  int attempts = 5;
};

struct ExecResult {
  int exit_status = -1;
  std::string output;
};

class Session {
 public:
  static Result<std::unique_ptr<Session>> connect(const ConnectOptions& options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Result<ExecResult> exec(const std::string& command);
  Result<void> upload(const std::filesystem::path& local, const std::string& remote, int mode);
  Result<void> upload_data(const std::string& data, const std::string& remote, int mode);
  Result<LIBSSH2_CHANNEL*> open_direct_tcpip(const std::string& host, std::uint16_t port);
  void close_channel(LIBSSH2_CHANNEL* channel);

  LIBSSH2_SESSION* raw() const { return session_; }
  int socket() const { return fd_; }
  const std::string& where() const { return where_; }  // "user@host:port"
  std::string last_error() const;

 private:
  Session() = default;
  LIBSSH2_SESSION* session_ = nullptr;
  int fd_ = -1;
  std::string where_;
};

// "'text'" with embedded quotes escaped, for remote shell commands.
std::string shell_quote(const std::string& text);

}  // namespace faultline::controller::ssh
