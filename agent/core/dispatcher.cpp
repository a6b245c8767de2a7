#include "agent/core/dispatcher.h"

#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "agent/core/probe.h"
#include "agent/protocol/messages.h"
#include "common/process/launch.h"

namespace faultline::agent {

namespace {
// A duration argument: an integer of nanoseconds ("lease_ns") or a string
// ("lease": "30s").
Result<std::optional<Nanos>> duration_arg(const nlohmann::json& body, const char* name) {
  const std::string ns_name = std::string(name) + "_ns";
  if (auto it = body.find(ns_name); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<Nanos>() <= 0)
      return invalid_input(fmt::format("field \"{}\" must be a positive integer of nanoseconds", ns_name));
    return std::optional<Nanos>(it->get<Nanos>());
  }
  if (auto it = body.find(name); it != body.end() && !it->is_null()) {
    if (!it->is_string()) return invalid_input(fmt::format("field \"{}\" must be a duration string such as \"30s\"", name));
    auto parsed = parse_duration(it->get<std::string>());
    if (!parsed) return parsed.error().with_context(fmt::format("field \"{}\"", name));
    if (*parsed <= 0) return invalid_input(fmt::format("field \"{}\" must be positive", name));
    return std::optional<Nanos>(*parsed);
  }
  return std::optional<Nanos>();
}

constexpr const char* kOps = "hello, apply, heal, heal_all, list, renew, sut_start, sut_stop, sut_restart, "
                             "sut_status, exec, clock, subscribe_events, stats";
constexpr std::size_t kExecOutputLimit = 64 * 1024;

// The last `limit` bytes of a command's output.
std::string tail_of(std::string text, std::size_t limit) {
  return text.size() <= limit ? text : "[...]" + text.substr(text.size() - limit);
}
}  // namespace

const nlohmann::json& Dispatcher::capabilities() {
  std::call_once(probe_once_, [this] { capabilities_ = probe_capabilities(faults_.registry(), faults_.host()); });
  return capabilities_;
}

bool Dispatcher::may_block(const nlohmann::json& body) {
  auto it = body.find("op");
  if (it == body.end() || !it->is_string()) return false;
  const auto& op = it->get_ref<const std::string&>();
  return op == "apply" || op == "heal" || op == "heal_all" || op == "hello" || op == "exec" || op.rfind("sut_", 0) == 0;
}

nlohmann::json Dispatcher::handle(const nlohmann::json& body, const ConnectionContext& connection) {
  nlohmann::json id = nullptr;
  if (auto it = body.find("id"); it != body.end() &&
      (it->is_number_unsigned() || it->is_string() || (it->is_number_integer() && it->get<std::int64_t>() >= 0)))
    id = *it;
  if (id.is_null()) return protocol::error_response(nullptr, invalid_input("request needs an \"id\" (unsigned integer or string)"));
  auto op_it = body.find("op");
  if (op_it == body.end() || !op_it->is_string())
    return protocol::error_response(id, invalid_input("request needs a string field \"op\""));
  const auto op = op_it->get<std::string>();
  try {
    auto result = run(op, body, connection);
    if (!result) {
      spdlog::info("request {} ({}) from connection {} failed: {}", id.dump(), op, connection.id, result.error().message);
      return protocol::error_response(id, result.error());
    }
    return protocol::ok_response(id, std::move(*result));
  } catch (const std::exception& e) {  // a bug in a mechanism must not take the agent down
    spdlog::error("request {} ({}) raised: {}", id.dump(), op, e.what());
    return protocol::error_response(id, internal_error(fmt::format("{} failed: {}", op, e.what())));
  }
}

Result<nlohmann::json> Dispatcher::run(const std::string& op, const nlohmann::json& body,
                                       const ConnectionContext& connection) {
  if (op == "hello") {
    return nlohmann::json{{"version", info_.version},
                          {"protocol", protocol::kProtocolVersion},
                          {"hostname", info_.hostname},
                          {"capabilities", capabilities()},
                          {"events_socket", info_.events_socket},
                          {"state_dir", info_.state_dir},
                          {"connection", connection.id}};
  }
  if (op == "apply") {
    auto spec_it = body.find("spec");
    if (spec_it == body.end()) return invalid_input("apply needs a field \"spec\" (a fault spec object)");
    auto spec = faults::FaultSpec::parse(*spec_it);
    if (!spec) return spec.error().with_context("apply: spec");
    auto lease = duration_arg(body, "lease");
    if (!lease) return lease.error().with_context("apply");
    auto applied = faults_.apply(*spec, *lease, connection.id);
    if (!applied) return applied.error();
    return nlohmann::json{{"id", applied->id}, {"mechanism", applied->mechanism}, {"description", applied->description}};
  }
  if (op == "heal") {
    auto it = body.find("fault");
    if (it == body.end() || !it->is_string()) return invalid_input("heal needs a string field \"fault\" (the fault id)");
    if (auto healed = faults_.heal(it->get<std::string>()); !healed) return healed.error();
    return nlohmann::json::object();
  }
  if (op == "heal_all") {
    auto healed = faults_.heal_all();
    if (!healed) return healed.error();
    return nlohmann::json{{"healed", *healed}};
  }
  if (op == "list") return faults_.list();
  if (op == "renew") return nlohmann::json{{"renewed", faults_.renew(connection.id)}};
  if (op == "clock") return nlohmann::json{{"agent_mono", monotonic_now()}};
  if (op == "stats") return nlohmann::json{{"events", events_.stats()}, {"faults", faults_.size()}};
  if (op == "subscribe_events") {
    if (!connection.send_event) return unavailable("this connection cannot receive events");
    events_.subscribe(connection.id, connection.send_event);
    return nlohmann::json{{"subscribed", true}, {"events", events_.stats()}};
  }
  if (op == "exec") return exec(body);
  if (op.rfind("sut_", 0) == 0) {
    if (!supervisor_) return unavailable("this agent has no SUT supervisor");
    if (op == "sut_start") {
      auto it = body.find("sut");
      if (it == body.end()) return invalid_input("sut_start needs a field \"sut\"");
      auto sut = protocol::sut_from_json(*it);
      if (!sut) return sut.error();
      bool mounted_here = false;
      if (!sut->data_fs.empty()) {
        if (!data_fs_) return unavailable("this agent cannot mount a data fs");
        mounted_here = !data_fs_->mounted();
        if (auto mounted = data_fs_->mount(sut->data_fs); !mounted) return mounted.error();
      }
      auto pid = supervisor_->start(*sut);
      if (!pid) {
        if (mounted_here) (void)data_fs_->unmount();
        return pid.error();
      }
      return nlohmann::json{{"pid", *pid}};
    }
    if (op == "sut_stop") {
      if (auto stopped = supervisor_->stop(); !stopped) return stopped.error();
      if (data_fs_)
        if (auto unmounted = data_fs_->unmount(); !unmounted) return unmounted.error();
      return supervisor_->status();
    }
    if (op == "sut_restart") {
      if (auto restarted = supervisor_->restart(); !restarted) return restarted.error();
      return supervisor_->status();
    }
    if (op == "sut_status") return supervisor_->status();
  }
  return invalid_input(fmt::format("unknown op '{}' (known: {})", op, kOps));
}

Result<nlohmann::json> Dispatcher::exec(const nlohmann::json& body) {
  if (!info_.allow_exec) return unavailable("exec is turned off on this agent (--no-exec)");
  auto it = body.find("command");
  if (it == body.end() || !it->is_array() || it->empty())
    return invalid_input("exec needs \"command\": a non-empty array of strings (argv)");
  process::LaunchOptions options;
  for (const auto& arg : *it) {
    if (!arg.is_string()) return invalid_input("exec: \"command\" must be an array of strings");
    options.argv.push_back(arg.get<std::string>());
  }
  auto timeout = duration_arg(body, "timeout");
  if (!timeout) return timeout.error().with_context("exec");
  options.env["FAULTLINE_EVENTS"] = info_.events_socket;
  options.working_dir = info_.state_dir;
  options.group = process::Group::kNewSession;  // the timeout kills all of it
  options.out = process::Stream::capture();
  options.err = process::Stream::capture();
  options.capture_limit = 16 * kExecOutputLimit;
  spdlog::info("exec: {}", fmt::join(options.argv, " "));
  auto finished = process::run(options, timeout->value_or(60'000'000'000));
  if (!finished) return finished.error().with_context("exec");
  return nlohmann::json{{"exit_code", finished->exit_code},
                        {"timed_out", finished->timed_out},
                        {"output", tail_of(finished->out, kExecOutputLimit) + tail_of(finished->err, kExecOutputLimit)}};
}

}  // namespace faultline::agent
