#include "bench/e2e/docker_target.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/process/launch.h"
#include "controller/cluster/tcp_wait.h"

namespace faultline::bench {
namespace {

const std::string kLabel = "io.faultline.bench=e2e";

struct Ran {
  int exit_code = -1;
  std::string out;
};

Result<Ran> run(const std::vector<std::string>& argv) {
  process::LaunchOptions o;
  o.argv = argv;
  o.out = process::Stream::capture();
  o.err = process::Stream::capture();
  auto r = process::run(o, 60'000'000'000);
  if (!r) return r.error();
  return Ran{r->exit_code, r->out + r->err};
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

// One HTTP/1.1 request on a new connection to the Docker socket; the whole
// response (headers and body) as read until the daemon closes it.
Result<std::string> docker_http(const std::string& method, const std::string& path, const std::string& body) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return io_error("socket: " + std::string(std::strerror(errno)));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", "/var/run/docker.sock");
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return unavailable("cannot connect to /var/run/docker.sock");
  }
  std::string request = fmt::format(
      "{} {} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
      method, path, body.size(), body);
  for (std::size_t done = 0; done < request.size();) {
    auto n = ::write(fd, request.data() + done, request.size() - done);
    if (n <= 0) {
      ::close(fd);
      return io_error("write to the docker socket failed");
    }
    done += static_cast<std::size_t>(n);
  }
  std::string response;
  char buffer[8192];
  for (;;) {
    auto n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      response.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  ::close(fd);
  return response;
}

int http_status(const std::string& response) {
  // "HTTP/1.1 201 Created"
  if (response.size() < 12) return -1;
  return std::atoi(response.c_str() + 9);
}

}  // namespace

std::string DockerTarget::unavailable_reason(const std::string& image) {
  auto info = run({"docker", "version", "--format", "{{.Server.Version}}"});
  if (!info) return "no docker CLI (" + info.error().message + ")";
  if (info->exit_code != 0) return "docker daemon not reachable: " + trim(info->out);
  auto inspect = run({"docker", "image", "inspect", "--format", "{{.Id}}", image});
  if (!inspect || inspect->exit_code != 0)
    return "image " + image +
           " not found (build it: docker/prepare-prebuilt.sh CTX build/default && "
           "docker build -f CTX/docker/Dockerfile --build-arg PREBUILT=prebuilt --target node -t " +
           image + " CTX)";
  return "";
}

void DockerTarget::remove_leftovers() {
  auto ps = run({"docker", "ps", "-a", "--filter", "label=" + kLabel, "--format", "{{.ID}} {{.Names}}"});
  if (!ps || ps->exit_code != 0) return;
  std::istringstream in(ps->out);
  std::string id, name;
  while (in >> id >> name) {
    auto dash = name.rfind('-');
    const pid_t owner = dash == std::string::npos ? 0 : static_cast<pid_t>(std::atol(name.c_str() + dash + 1));
    if (owner > 0 && (::kill(owner, 0) == 0 || errno != ESRCH)) continue;
    (void)run({"docker", "rm", "-f", id});
  }
}

Result<std::unique_ptr<DockerTarget>> DockerTarget::start(const std::string& image, const std::string& token_file) {
  std::unique_ptr<DockerTarget> t(new DockerTarget());
  t->name_ = "faultline-e2e-bench-" + std::to_string(::getpid());
  (void)run({"docker", "rm", "-f", t->name_});
  auto started = run({"docker", "run", "-d", "--name", t->name_, "--label", kLabel, "--cap-add", "NET_ADMIN", "--init",
                      "-v", token_file + ":/run/secrets/agent_token:ro", image});
  if (!started) return started.error();
  if (started->exit_code != 0) return io_error("docker run: " + trim(started->out));
  t->id_ = trim(started->out);
  auto inspect = run({"docker", "inspect", "--format", "{{.State.Pid}} {{.NetworkSettings.IPAddress}}", t->name_});
  if (!inspect || inspect->exit_code != 0) return io_error("docker inspect failed");
  std::istringstream in(inspect->out);
  in >> t->pid_ >> t->address_;
  if (t->pid_ <= 0 || t->address_.empty()) return io_error("docker inspect: no pid/address: " + inspect->out);
  if (!controller::wait_for_tcp(t->address_, 7070, 20'000'000'000)) {
    auto logs = run({"docker", "logs", "--tail", "20", t->name_});
    return unavailable("the agent in " + t->name_ + " did not listen on :7070: " + (logs ? logs->out : ""));
  }
  return t;
}

DockerTarget::~DockerTarget() {
  if (!name_.empty()) (void)run({"docker", "rm", "-f", name_});
}

Result<void> DockerTarget::cli(const std::vector<std::string>& argv, const std::set<int>& allowed) {
  std::vector<std::string> full = {"docker", "exec", name_};
  full.insert(full.end(), argv.begin(), argv.end());
  auto r = run(full);
  if (!r) return r.error();
  if (r->exit_code != 0 && !allowed.count(r->exit_code))
    return io_error(fmt::format("docker exec {}: exit {}: {}", argv[0], r->exit_code, trim(r->out)));
  return ok_result();
}

Result<void> DockerTarget::api(const std::vector<std::string>& argv, const std::set<int>& allowed) {
  nlohmann::json create = {{"AttachStdout", true}, {"AttachStderr", true}, {"Cmd", argv}};
  auto created = docker_http("POST", "/containers/" + id_ + "/exec", create.dump());
  if (!created) return created.error();
  std::smatch m;
  static const std::regex id_re("\"Id\":\"([0-9a-f]+)\"");
  if (http_status(*created) != 201 || !std::regex_search(*created, m, id_re))
    return io_error("docker exec create: " + created->substr(0, 300));
  const std::string exec_id = m[1];
  auto started = docker_http("POST", "/exec/" + exec_id + "/start", R"({"Detach":false,"Tty":false})");
  if (!started) return started.error();
  if (http_status(*started) != 200) return io_error("docker exec start: " + started->substr(0, 300));
  auto inspected = docker_http("GET", "/exec/" + exec_id + "/json", "");
  if (!inspected) return inspected.error();
  static const std::regex exit_re("\"ExitCode\":(-?[0-9]+)");
  static const std::regex running_re("\"Running\":true");
  if (http_status(*inspected) != 200 || !std::regex_search(*inspected, m, exit_re) ||
      std::regex_search(*inspected, running_re))
    return io_error("docker exec inspect: " + inspected->substr(0, 300));
  const int code = std::stoi(m[1]);
  if (code != 0 && !allowed.count(code)) return io_error(fmt::format("docker API exec {}: exit {}", argv[0], code));
  return ok_result();
}

std::vector<std::string> DockerTarget::in_netns(const std::vector<std::string>& argv) const {
  std::vector<std::string> full = {"nsenter", "-t", std::to_string(pid_), "-n"};
  full.insert(full.end(), argv.begin(), argv.end());
  return full;
}

}  // namespace faultline::bench
