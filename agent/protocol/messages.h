// Message shapes of the agent protocol shared by the agent and its client
// (agent/PROTOCOL.md): error codes on the wire, responses, SutSpec as JSON.
//
// Contract: error codes travel as lowercase names ("unauthenticated",
// "invalid_input", ...); unknown names map back to kInternal. A response is
// {"id": ID, "ok": true, "result": ...} or {"id": ID|null, "ok": false,
// "error": {"code": NAME, "message": TEXT}}; an event message is
// {"type": "event", "agent_mono": NS, "event": {...}}; the first line the
// agent sends is {"type": "challenge", "nonce": HEX, "version": V}.
// sut_from_json rejects ill-typed fields with an Error naming the field.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "agent/protocol/types.h"
#include "common/result.h"

namespace faultline::agent::protocol {

inline constexpr const char* kProtocolVersion = "faultline-agent/1";

std::string error_code_name(ErrorCode code);
ErrorCode error_code_from_name(const std::string& name);

nlohmann::json ok_response(const nlohmann::json& id, nlohmann::json result);
nlohmann::json error_response(const nlohmann::json& id, const Error& error);
// The Error carried by an error response (or kInternal if the shape is wrong).
Error error_from_response(const nlohmann::json& response);

nlohmann::json sut_to_json(const SutSpec& sut);
Result<SutSpec> sut_from_json(const nlohmann::json& object);

}  // namespace faultline::agent::protocol
