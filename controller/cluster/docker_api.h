// A minimal Docker Engine API client: GET requests over the engine's unix
// socket, JSON replies. It lets the docker provider find a compose project's
// containers without the docker CLI (a controller in a container needs only
// the socket mounted).
//
// Contract: docker_get(path) sends `GET /v1.41<path>` (HTTP/1.0, so the reply
// is never chunked) to the socket named by $DOCKER_HOST (unix://PATH), else
// /var/run/docker.sock, and returns the parsed JSON body of a 200 reply.
// Errors are values: kUnavailable when the socket cannot be reached or the
// engine answers another status (the message carries the engine's own).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace faultline::controller {

std::string docker_socket_path();
Result<nlohmann::json> docker_get(const std::string& path);
// Percent-encodes a query parameter value.
std::string url_encode(const std::string& text);

}  // namespace faultline::controller
