#if defined(FAULTLINE_HAVE_LIBSSH2)
#include "controller/ssh/session.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <libssh2.h>
#include <libssh2_sftp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

namespace faultline::controller::ssh {
namespace {

void init_library() {
  static std::once_flag once;
  std::call_once(once, [] { libssh2_init(0); });
}

struct Attempt {
  bool transient = false;
  Error error;
};

// Connects a TCP socket with a timeout; errno-style transient classification.
int tcp_connect(const std::string& host, std::uint16_t port, Nanos timeout, Attempt& failure) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
  if (rc != 0) {
    failure = {rc == EAI_AGAIN, unavailable(fmt::format("{}: cannot resolve: {}", host, gai_strerror(rc)))};
    return -1;
  }
  int last_errno = 0;
  int fd = -1;
  for (addrinfo* ai = list; ai && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) { last_errno = errno; continue; }
    int r = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (r != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int waited = ::poll(&p, 1, static_cast<int>(std::max<Nanos>(1, timeout / 1'000'000)));
      if (waited == 1) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        r = err == 0 ? 0 : -1;
        errno = err;
      } else {
        r = -1;
        errno = ETIMEDOUT;
      }
    }
    if (r != 0) {
      last_errno = errno;
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(list);
  if (fd < 0) {
    bool transient = last_errno == ECONNREFUSED || last_errno == ECONNRESET || last_errno == ETIMEDOUT ||
                     last_errno == EHOSTUNREACH || last_errno == ENETUNREACH || last_errno == EAGAIN;
    failure = {transient, unavailable(fmt::format("{}:{}: cannot connect: {}", host, port, std::strerror(last_errno)))};
    return -1;
  }
  int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

std::string session_error(LIBSSH2_SESSION* session) {
  char* message = nullptr;
  int length = 0;
  libssh2_session_last_error(session, &message, &length, 0);
  return message && length > 0 ? std::string(message, static_cast<std::size_t>(length)) : "unknown libssh2 error";
}

int knownhost_key_type(int hostkey_type) {
  switch (hostkey_type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA: return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
    case LIBSSH2_HOSTKEY_TYPE_DSS: return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
#ifdef LIBSSH2_HOSTKEY_TYPE_ECDSA_256
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
#endif
#ifdef LIBSSH2_HOSTKEY_TYPE_ED25519
    case LIBSSH2_HOSTKEY_TYPE_ED25519: return LIBSSH2_KNOWNHOST_KEY_ED25519;
#endif
    default: return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
  }
}

std::string fingerprint(LIBSSH2_SESSION* session) {
  const char* hash = libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256);
  if (!hash) return "?";
  static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "SHA256:";
  const auto* bytes = reinterpret_cast<const unsigned char*>(hash);
  for (int i = 0; i < 32; i += 3) {
    unsigned v = bytes[i] << 16 | (i + 1 < 32 ? bytes[i + 1] << 8 : 0) | (i + 2 < 32 ? bytes[i + 2] : 0);
    out += b64[(v >> 18) & 63];
    out += b64[(v >> 12) & 63];
    if (i + 1 < 32) out += b64[(v >> 6) & 63];
    if (i + 2 < 32) out += b64[v & 63];
  }
  return out;
}

Result<void> verify_host_key(LIBSSH2_SESSION* session, const ConnectOptions& o) {
  std::size_t length = 0;
  int type = 0;
  const char* key = libssh2_session_hostkey(session, &length, &type);
  if (!key) return unavailable(fmt::format("{}:{}: no host key from the server", o.host, o.port));
  LIBSSH2_KNOWNHOSTS* known = libssh2_knownhost_init(session);
  if (!known) return internal_error("libssh2_knownhost_init failed");
  struct Free {
    LIBSSH2_KNOWNHOSTS* k;
    ~Free() { libssh2_knownhost_free(k); }
  } guard{known};
  std::error_code ec;
  if (std::filesystem::exists(o.known_hosts, ec)) {
    if (libssh2_knownhost_readfile(known, o.known_hosts.c_str(), LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0)
      return invalid_input(fmt::format("{}: cannot read known_hosts: {}", o.known_hosts, session_error(session)));
  }
  libssh2_knownhost* entry = nullptr;
  int check = libssh2_knownhost_checkp(known, o.host.c_str(), o.port, key, length,
                                       LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW, &entry);
  const std::string shown = o.port == 22 ? o.host : fmt::format("[{}]:{}", o.host, o.port);
  switch (check) {
    case LIBSSH2_KNOWNHOST_CHECK_MATCH:
      return ok_result();
    case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
      return Error{ErrorCode::kUnauthenticated,
                   fmt::format("host key for {} has CHANGED (server offers {}); refusing to connect. If the change is "
                               "expected, remove the old entry from {} (ssh-keygen -R '{}')",
                               shown, fingerprint(session), o.known_hosts, shown)};
    case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND: {
      if (!o.accept_unknown)
        return Error{ErrorCode::kUnauthenticated,
                     fmt::format("host key for {} is UNKNOWN (server offers {}): not in {}; refusing to connect. Add it "
                                 "(ssh-keyscan -p {} {} >> {}) or set cluster.options.accept_unknown_host_keys: true",
                                 shown, fingerprint(session), o.known_hosts, o.port, o.host, o.known_hosts)};
      int key_type = knownhost_key_type(type);
      if (key_type == LIBSSH2_KNOWNHOST_KEY_UNKNOWN)
        return Error{ErrorCode::kUnauthenticated, fmt::format("host key for {} has an unsupported type", shown)};
      if (libssh2_knownhost_addc(known, shown.c_str(), nullptr, key, length, nullptr, 0,
                                 LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | key_type, nullptr) != 0)
        return io_error(fmt::format("cannot record the host key for {}: {}", shown, session_error(session)));
      std::filesystem::create_directories(std::filesystem::path(o.known_hosts).parent_path(), ec);
      if (libssh2_knownhost_writefile(known, o.known_hosts.c_str(), LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0)
        return io_error(fmt::format("{}: cannot write known_hosts: {}", o.known_hosts, session_error(session)));
      return ok_result();
    }
    default:
      return Error{ErrorCode::kUnauthenticated, fmt::format("host key for {} could not be checked: {}", shown, session_error(session))};
  }
}

}  // namespace

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

Result<std::unique_ptr<Session>> Session::connect(const ConnectOptions& o) {
  init_library();
  const std::string where = fmt::format("{}@{}:{}", o.user, o.host, o.port);
  Nanos backoff = 200'000'000;
  Error last = unavailable(where + ": not tried");
  for (int attempt = 1; attempt <= std::max(1, o.attempts); ++attempt) {
    if (attempt > 1) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(backoff));
      backoff = std::min<Nanos>(backoff * 2, 5'000'000'000);
    }
    Attempt failure;
    int fd = tcp_connect(o.host, o.port, o.timeout, failure);
    if (fd < 0) {
      last = failure.error;
      if (failure.transient) continue;
      return last;
    }
    std::unique_ptr<Session> s(new Session());
    s->fd_ = fd;
    s->where_ = where;
    s->session_ = libssh2_session_init();
    if (!s->session_) return internal_error("libssh2_session_init failed");
    libssh2_session_set_blocking(s->session_, 1);
    libssh2_session_set_timeout(s->session_, static_cast<long>(o.timeout / 1'000'000));
    int rc = libssh2_session_handshake(s->session_, fd);
    if (rc != 0) {
      last = unavailable(fmt::format("{}: SSH handshake failed: {}", where, session_error(s->session_)));
      if (rc == LIBSSH2_ERROR_TIMEOUT || rc == LIBSSH2_ERROR_EAGAIN || rc == LIBSSH2_ERROR_SOCKET_RECV ||
          rc == LIBSSH2_ERROR_SOCKET_SEND || rc == LIBSSH2_ERROR_SOCKET_DISCONNECT || rc == LIBSSH2_ERROR_BANNER_RECV)
        continue;
      return last;
    }
    if (auto v = verify_host_key(s->session_, o); !v) return v.error();
    rc = libssh2_userauth_publickey_fromfile(s->session_, o.user.c_str(),
                                             o.public_key.empty() ? nullptr : o.public_key.c_str(),
                                             o.identity.c_str(), nullptr);
    if (rc != 0) {
      if (rc == LIBSSH2_ERROR_TIMEOUT || rc == LIBSSH2_ERROR_EAGAIN || rc == LIBSSH2_ERROR_SOCKET_RECV ||
          rc == LIBSSH2_ERROR_SOCKET_SEND || rc == LIBSSH2_ERROR_SOCKET_DISCONNECT) {
        last = unavailable(fmt::format("{}: authentication interrupted: {}", where, session_error(s->session_)));
        continue;
      }
      return Error{ErrorCode::kUnauthenticated,
                   fmt::format("{}: public-key authentication with {} failed: {}", where, o.identity, session_error(s->session_))};
    }
    return s;
  }
  return Error{last.code, fmt::format("{} (after {} attempts)", last.message, std::max(1, o.attempts))};
}

Session::~Session() {
  if (session_) {
    libssh2_session_disconnect(session_, "faultline done");
    libssh2_session_free(session_);
  }
  if (fd_ >= 0) ::close(fd_);
}

std::string Session::last_error() const { return session_error(session_); }

Result<ExecResult> Session::exec(const std::string& command) {
  LIBSSH2_CHANNEL* channel = libssh2_channel_open_session(session_);
  if (!channel) return io_error(fmt::format("{}: cannot open a channel: {}", where_, last_error()));
  if (libssh2_channel_exec(channel, command.c_str()) != 0) {
    auto e = io_error(fmt::format("{}: cannot run '{}': {}", where_, command, last_error()));
    libssh2_channel_free(channel);
    return e;
  }
  ExecResult out;
  char buffer[4096];
  for (int stream : {0, SSH_EXTENDED_DATA_STDERR}) {
    for (;;) {
      auto n = libssh2_channel_read_ex(channel, stream, buffer, sizeof buffer);
      if (n > 0) { out.output.append(buffer, static_cast<std::size_t>(n)); continue; }
      break;
    }
  }
  libssh2_channel_close(channel);
  libssh2_channel_wait_closed(channel);
  out.exit_status = libssh2_channel_get_exit_status(channel);
  libssh2_channel_free(channel);
  return out;
}

Result<void> Session::upload_data(const std::string& data, const std::string& remote, int mode) {
  LIBSSH2_SFTP* sftp = libssh2_sftp_init(session_);
  if (!sftp) return io_error(fmt::format("{}: cannot start SFTP: {}", where_, last_error()));
  LIBSSH2_SFTP_HANDLE* handle = libssh2_sftp_open(sftp, remote.c_str(), LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, mode);
  if (!handle) {
    auto e = io_error(fmt::format("{}: SFTP cannot create {} (error {})", where_, remote, libssh2_sftp_last_error(sftp)));
    libssh2_sftp_shutdown(sftp);
    return e;
  }
  std::size_t done = 0;
  while (done < data.size()) {
    auto n = libssh2_sftp_write(handle, data.data() + done, std::min<std::size_t>(data.size() - done, 32768));
    if (n < 0) {
      libssh2_sftp_close(handle);
      libssh2_sftp_shutdown(sftp);
      return io_error(fmt::format("{}: SFTP write to {} failed: {}", where_, remote, last_error()));
    }
    done += static_cast<std::size_t>(n);
  }
  libssh2_sftp_close(handle);
  // The server applies its umask on create; set the mode explicitly.
  LIBSSH2_SFTP_ATTRIBUTES attrs{};
  attrs.flags = LIBSSH2_SFTP_ATTR_PERMISSIONS;
  attrs.permissions = static_cast<unsigned long>(mode);
  libssh2_sftp_setstat(sftp, remote.c_str(), &attrs);
  libssh2_sftp_shutdown(sftp);
  return ok_result();
}

Result<void> Session::upload(const std::filesystem::path& local, const std::string& remote, int mode) {
  std::ifstream in(local, std::ios::binary);
  if (!in) return io_error(fmt::format("{}: cannot read", local.string()));
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return upload_data(data, remote, mode);
}

Result<LIBSSH2_CHANNEL*> Session::open_direct_tcpip(const std::string& host, std::uint16_t port) {
  LIBSSH2_CHANNEL* channel = libssh2_channel_direct_tcpip_ex(session_, host.c_str(), port, "127.0.0.1", 0);
  if (!channel) return unavailable(fmt::format("{}: cannot open a channel to {}:{} on the remote side: {}", where_, host, port, last_error()));
  return channel;
}

void Session::close_channel(LIBSSH2_CHANNEL* channel) {
  if (!channel) return;
  libssh2_channel_close(channel);
  libssh2_channel_free(channel);
}

}  // namespace faultline::controller::ssh
#endif  // FAULTLINE_HAVE_LIBSSH2
