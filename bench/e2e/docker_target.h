// DockerTarget: one container of the faultline node image (agent + iptables +
// iproute2) as the target host, and the two ways a docker-driven tool runs a
// command in it.
//
// Contract:
//  - unavailable_reason() is empty when docker answers and `image` exists,
//    else says why (the bench then skips the docker rows, visibly).
//  - start() runs the container detached with NET_ADMIN only (as
//    docker/compose.yaml does), the agent token bind-mounted as the compose
//    secret, name "faultline-e2e-bench-<pid>" and label
//    io.faultline.bench=e2e; it returns once the agent accepts TCP on the
//    container's address:7070. The destructor removes the container
//    (docker rm -f); remove_leftovers() removes containers with that label
//    whose bench process is gone.
//  - cli(argv) is one `docker exec NAME argv...` (a docker CLI process per
//    command); api(argv) is what a tool linked against the Docker Engine API
//    does per command (Pumba): POST /containers/ID/exec, POST
//    /exec/EID/start (attached, until the command ends), GET /exec/EID/json
//    for its exit code, each on a fresh connection to /var/run/docker.sock
//    (not privileged: Pumba asks for a privileged exec, which some docker
//    hosts refuse; the container's NET_ADMIN is what tc/iptables need).
//    Both return an Error unless the exit code is 0 (or in `allowed`).
//  - in_netns(argv) is argv run by the host in the container's network
//    namespace (nsenter -n), for observing it from outside.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"

namespace faultline::bench {

class DockerTarget {
 public:
  static std::string unavailable_reason(const std::string& image);
  static void remove_leftovers();
  static Result<std::unique_ptr<DockerTarget>> start(const std::string& image, const std::string& token_file);
  ~DockerTarget();
  DockerTarget(const DockerTarget&) = delete;
  DockerTarget& operator=(const DockerTarget&) = delete;

  Result<void> cli(const std::vector<std::string>& argv, const std::set<int>& allowed = {});
  Result<void> api(const std::vector<std::string>& argv, const std::set<int>& allowed = {});
  std::vector<std::string> in_netns(const std::vector<std::string>& argv) const;

  const std::string& address() const { return address_; }
  const std::string& name() const { return name_; }

 private:
  DockerTarget() = default;
  std::string name_;
  std::string id_;
  std::string address_;
  pid_t pid_ = -1;
};

}  // namespace faultline::bench
