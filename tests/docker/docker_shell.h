// Shell helpers for the docker tests: run a command with its output, find
// the compose command, say why docker cannot be used here, and list what a
// compose project left behind.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace faultline::testing::docker {

struct Run {
  int status = -1;
  std::string output;  // stdout and stderr together
};

inline Run run(const std::string& command) {
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

inline std::string compose_cmd() {
  return run("docker compose version").status == 0 ? "docker compose" : "docker-compose";
}

// Why docker cannot be used here, or empty.
inline std::string docker_unavailable() {
  auto info = run("docker info --format '{{.ServerVersion}}'");
  if (info.status != 0) return "docker info failed: " + info.output.substr(0, 300);
  if (run("docker compose version").status != 0 && run("docker-compose version").status != 0)
    return "neither `docker compose` nor `docker-compose` is installed";
  return "";
}

// The ids of the project's containers (also a controller container named
// <project>-controller), networks and volumes: empty when nothing is left.
inline std::string project_resources(const std::string& project) {
  std::string filter = "--filter label=com.docker.compose.project=" + project;
  return run("docker ps -aq " + filter).output + run("docker ps -aq --filter name=^" + project + "-controller$").output +
         run("docker network ls -q " + filter).output + run("docker volume ls -q " + filter).output;
}

}  // namespace faultline::testing::docker
