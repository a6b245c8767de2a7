// --set overrides and YAML helpers for suite files.
//
// Contract: apply_set(root, "a.b.2.c=value") sets the field at the dotted
// path (map keys, or sequence indices as numbers), creating missing map
// levels; the value is parsed as YAML ("3" is a number, "[a, b]" a list,
// "{kind: kill}" a map, "true" a bool). It returns kInvalidInput naming the
// override when the text has no '=', the path is empty, walks through a
// scalar, or indexes a sequence out of range. yaml_to_json converts a YAML
// node with YAML typing (ints, floats, bools, null, strings).
#pragma once

#include <string>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "common/result.h"

namespace faultline::controller {

// Applies one override; on success returns the dotted path it set.
Result<std::string> apply_set(YAML::Node& root, const std::string& assignment);

nlohmann::json yaml_to_json(const YAML::Node& node);

}  // namespace faultline::controller
