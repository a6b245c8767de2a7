// `faultline check HISTORY [--checker NAME]... [--config FILE] [--model M]
//  [--initial JSON] [--json] [--timeout DUR]` (docs/checkers.md).
//
// Reads a JSONL or EDN history, runs the named checkers (every checker that
// has events in the history when none is named) and prints each checker's
// findings, then the verdict. Exit codes: 0 valid, 1 invalid, 2 unknown (a
// checker timed out or could not decide), 254 bad arguments, history or
// config (the message names the file, line and reason), 255 internal error
// (including failing to write the verdict to stdout).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <regex>
#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "checkers/checker.h"
#include "checkers/history/reader.h"
#include "common/units.h"
#include "controller/cli/command.h"

namespace faultline::cli {
namespace {

struct CheckArgs {
  std::string history;
  std::vector<std::string> checkers;
  std::string config;
  std::string model;
  std::string initial;
  bool json = false;
  std::string timeout;
};

// A YAML scalar as JSON: quoted scalars stay strings; plain ones become
// null, booleans, integers or floats when they read as such.
nlohmann::json scalar_to_json(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  try {
    std::size_t used = 0;
    long long i = std::stoll(text, &used, 10);
    if (used == text.size()) return i;
  } catch (const std::exception&) {
  }
  try {
    std::size_t used = 0;
    double d = std::stod(text, &used);
    if (used == text.size() && text.find_first_of("0123456789") != std::string::npos) return d;
  } catch (const std::exception&) {
  }
  return text;
}

nlohmann::json yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      return scalar_to_json(node);
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : node) out.push_back(yaml_to_json(item));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = yaml_to_json(kv.second);
      return out;
    }
  }
  return nullptr;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The 1-based line of `key` (as a map key) in `text`, searching from `from`;
// 0 if not found.
std::size_t find_key_line(const std::string& text, const std::string& key, std::size_t& from) {
  std::regex pattern("[\"']?\\b" + key + "\\b[\"']?\\s*:");
  std::smatch m;
  std::string rest = text.substr(from);
  if (!std::regex_search(rest, m, pattern)) return 0;
  from += static_cast<std::size_t>(m.position(0));
  return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(from), '\n'));
}

// "PATH:LINE: message" for a config error that names a section/field.
std::string locate_config_error(const std::string& path, const std::string& text, const std::string& message) {
  std::smatch m;
  std::string section, field;
  static const std::regex dotted("config ([A-Za-z_]+)\\.([A-Za-z_]+):");
  static const std::regex unknown_field("config ([A-Za-z_]+): unknown field \"([^\"]+)\"");
  static const std::regex unknown_section("unknown section \"([^\"]+)\"");
  if (std::regex_search(message, m, dotted) || std::regex_search(message, m, unknown_field)) {
    section = m[1];
    field = m[2];
  } else if (std::regex_search(message, m, unknown_section)) {
    section = m[1];
  }
  std::size_t from = 0, line = 0;
  if (!section.empty()) line = find_key_line(text, section, from);
  if (line && !field.empty()) line = find_key_line(text, field, from);
  return line ? fmt::format("{}:{}: {}", path, line, message) : fmt::format("{}: {}", path, message);
}

// The --config document: JSON (.json, or content starting with '{') or YAML.
Result<nlohmann::json> load_config(const std::string& path, std::string& text_out) {
  std::ifstream in(path);
  if (!in) return invalid_input(fmt::format("{}: cannot open config: {}", path, std::strerror(errno)));
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  text_out = text;
  const auto first = text.find_first_not_of(" \t\r\n");
  const bool json = ends_with(path, ".json") || (first != std::string::npos && text[first] == '{');
  nlohmann::json doc;
  if (json) {
    try {
      doc = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      // "... parse error at line L, column C: reason"
      std::string what = e.what();
      auto at = what.find("line ");
      return invalid_input(fmt::format("{}: not valid JSON: {}", path, at == std::string::npos ? what : what.substr(at)));
    }
  } else {
    try {
      doc = yaml_to_json(YAML::Load(text));
    } catch (const YAML::Exception& e) {
      return invalid_input(fmt::format("{}:{}: not valid YAML: {}", path, e.mark.line + 1, e.msg));
    }
  }
  if (doc.is_null()) doc = nlohmann::json::object();
  if (!doc.is_object())
    return invalid_input(fmt::format("{}: the config must be a map with a section per checker (detector, breaker, retry, linearizable, availability)", path));
  return doc;
}

int exit_code_for(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidInput:
    case ErrorCode::kNotFound:
    case ErrorCode::kIo:
      return kExitBadInput;
    case ErrorCode::kTimeout:
      return kExitUnknown;
    default:
      return kExitInternal;
  }
}

int run_check(const CheckArgs& args) {
  auto fail = [](const Error& error) {
    std::fprintf(stderr, "faultline check: %s\n", error.message.c_str());
    return exit_code_for(error);
  };
  checkers::RunOptions options;
  options.names = args.checkers;
  options.model = args.model;
  if (!args.initial.empty()) {
    try {
      options.initial = nlohmann::json::parse(args.initial);
    } catch (const nlohmann::json::parse_error& e) {
      return fail(invalid_input(fmt::format("--initial: not valid JSON: {}", e.what())));
    }
  }
  if (!args.timeout.empty()) {
    auto timeout = parse_duration(args.timeout);
    if (!timeout) return fail(timeout.error().with_context("--timeout"));
    options.timeout = *timeout;
  }
  std::string config_text;
  if (!args.config.empty()) {
    auto config = load_config(args.config, config_text);
    if (!config) return fail(config.error());
    options.config = std::move(config).value();
  }
  auto history = history::read_history_file(args.history);
  if (!history) return fail(history.error());

  auto report = checkers::run_checkers(*history, options);
  // Nothing checked is not a pass: a release gate must not turn green on it.
  if (report && report->results.empty()) report->valid = checkers::Validity::kUnknown;
  if (!report) {
    const Error& e = report.error();
    if (!args.config.empty() && e.message.find("config") != std::string::npos)
      return fail(Error{e.code, locate_config_error(args.config, config_text, e.message)});
    return fail(e);
  }

  if (args.json) {
    std::cout << report->to_json().dump(2) << "\n";
  } else {
    for (const auto& [name, result] : report->results) std::cout << result.text << "\n";
    if (report->results.empty())
      std::cout << "no checker applies to this history (no detector, breaker, retry or client events; name one with --checker)\n";
    std::cout << "verdict: " << checkers::to_string(report->valid) << "\n";
  }
  std::cout.flush();
  if (!std::cout || std::fflush(stdout) != 0) {
    std::fprintf(stderr, "faultline check: internal error: cannot write the verdict to stdout\n");
    return kExitInternal;
  }
  switch (report->valid) {
    case checkers::Validity::kValid: return kExitValid;
    case checkers::Validity::kInvalid: return kExitInvalid;
    case checkers::Validity::kUnknown: return kExitUnknown;
  }
  return kExitInternal;
}

Command setup_check(CLI::App& app) {
  auto args = std::make_shared<CheckArgs>();
  auto* cmd = app.add_subcommand("check", "Check a recorded history (JSONL or Jepsen EDN) and print the verdict");
  cmd->add_option("history", args->history, "History file (.jsonl or .edn)")->required();
  cmd->add_option("--checker", args->checkers,
                  "Checker to run: detector, breaker, retry, linearizable, availability (repeatable; default: every checker with events)");
  cmd->add_option("--config", args->config, "YAML or JSON file with a section per checker");
  cmd->add_option("--model", args->model, "Model for the linearizable checker: register, cas-register, kv");
  cmd->add_option("--initial", args->initial, "Initial model value as JSON (linearizable)");
  cmd->add_flag("--json", args->json, "Print one JSON object: {\"valid\": ..., \"checkers\": {...}}");
  cmd->add_option("--timeout", args->timeout, "Give up after this long (e.g. 30s); the verdict is then unknown");
  return Command{cmd, [args] { return run_check(*args); }};
}

FAULTLINE_REGISTER_COMMAND(setup_check);

}  // namespace
}  // namespace faultline::cli
