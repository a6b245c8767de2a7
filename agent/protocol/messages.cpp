#include "agent/protocol/messages.h"

#include <array>
#include <utility>

#include <fmt/format.h>

namespace faultline::agent::protocol {

namespace {
constexpr std::array<std::pair<ErrorCode, const char*>, 7> kNames = {{
    {ErrorCode::kInvalidInput, "invalid_input"},
    {ErrorCode::kUnavailable, "unavailable"},
    {ErrorCode::kNotFound, "not_found"},
    {ErrorCode::kIo, "io"},
    {ErrorCode::kTimeout, "timeout"},
    {ErrorCode::kUnauthenticated, "unauthenticated"},
    {ErrorCode::kInternal, "internal"},
}};
}  // namespace

std::string error_code_name(ErrorCode code) {
  for (const auto& [c, name] : kNames)
    if (c == code) return name;
  return "internal";
}

ErrorCode error_code_from_name(const std::string& name) {
  for (const auto& [c, n] : kNames)
    if (name == n) return c;
  return ErrorCode::kInternal;
}

nlohmann::json ok_response(const nlohmann::json& id, nlohmann::json result) {
  return {{"id", id}, {"ok", true}, {"result", std::move(result)}};
}

nlohmann::json error_response(const nlohmann::json& id, const Error& error) {
  return {{"id", id},
          {"ok", false},
          {"error", {{"code", error_code_name(error.code)}, {"message", error.message}}}};
}

Error error_from_response(const nlohmann::json& response) {
  auto it = response.find("error");
  if (it == response.end() || !it->is_object()) return internal_error("agent sent a malformed error response");
  Error error;
  error.code = error_code_from_name(it->value("code", std::string("internal")));
  error.message = it->value("message", std::string("(no message)"));
  return error;
}

nlohmann::json sut_to_json(const SutSpec& sut) {
  nlohmann::json out = {{"command", sut.command},
                        {"env", sut.env},
                        {"working_dir", sut.working_dir},
                        {"per_process_clock", sut.per_process_clock}};
  if (sut.monotonic_offset) out["monotonic_offset_ns"] = *sut.monotonic_offset;
  if (!sut.data_fs.empty()) out["data_fs"] = sut.data_fs;
  return out;
}

Result<SutSpec> sut_from_json(const nlohmann::json& object) {
  if (!object.is_object()) return invalid_input("sut: must be a JSON object");
  SutSpec sut;
  auto command = object.find("command");
  if (command == object.end() || !command->is_array() || command->empty())
    return invalid_input("sut field \"command\" must be a non-empty array of strings");
  for (const auto& arg : *command) {
    if (!arg.is_string()) return invalid_input("sut field \"command\" must be a non-empty array of strings");
    sut.command.push_back(arg.get<std::string>());
  }
  if (auto env = object.find("env"); env != object.end() && !env->is_null()) {
    if (!env->is_object()) return invalid_input("sut field \"env\" must be an object of strings");
    for (auto it = env->begin(); it != env->end(); ++it) {
      if (!it.value().is_string()) return invalid_input(fmt::format("sut field \"env.{}\" must be a string", it.key()));
      sut.env[it.key()] = it.value().get<std::string>();
    }
  }
  if (auto wd = object.find("working_dir"); wd != object.end() && !wd->is_null()) {
    if (!wd->is_string()) return invalid_input("sut field \"working_dir\" must be a string");
    sut.working_dir = wd->get<std::string>();
  }
  if (auto clock = object.find("per_process_clock"); clock != object.end() && !clock->is_null()) {
    if (!clock->is_boolean()) return invalid_input("sut field \"per_process_clock\" must be a boolean");
    sut.per_process_clock = clock->get<bool>();
  }
  if (auto offset = object.find("monotonic_offset_ns"); offset != object.end() && !offset->is_null()) {
    if (!offset->is_number_integer()) return invalid_input("sut field \"monotonic_offset_ns\" must be an integer");
    sut.monotonic_offset = offset->get<Nanos>();
  }
  if (auto data_fs = object.find("data_fs"); data_fs != object.end()) {
    if (!data_fs->is_string() || data_fs->get<std::string>().empty() || data_fs->get<std::string>()[0] != '/')
      return invalid_input("sut field \"data_fs\" must be an absolute directory path");
    sut.data_fs = data_fs->get<std::string>();
  }
  return sut;
}

}  // namespace faultline::agent::protocol
