#include "controller/shrink/suite_writer.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "controller/suite/yaml_set.h"

namespace faultline::controller::shrink {
namespace {

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

void substitute(YAML::Node node, const std::string& suite_dir) {
  if (node.IsScalar()) {
    auto text = node.Scalar();
    if (text.find("{suite_dir}") == std::string::npos) return;
    replace_all(text, "{suite_dir}", suite_dir);
    node = text;
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) substitute(node[i], suite_dir);
  } else if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) substitute(it->second, suite_dir);
  }
}

}  // namespace

std::string millis(Nanos ns) { return fmt::format("{}ms", (ns + 500'000) / 1'000'000); }

std::string short_duration(Nanos ns) { return format_duration((ns + 500'000) / 1'000'000 * 1'000'000); }

Result<std::string> schedule_suite_yaml(const std::filesystem::path& suite_file, const std::vector<std::string>& sets,
                                        const std::vector<ScheduledFault>& faults, Nanos duration, std::uint64_t seed,
                                        const nlohmann::json& metadata) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(suite_file.string());
  } catch (const YAML::Exception& e) {
    return invalid_input(fmt::format("{}: {}", suite_file.string(), e.what()));
  }
  if (!root.IsMap()) return invalid_input(fmt::format("{}: not a suite (a YAML map)", suite_file.string()));
  for (const auto& set : sets)
    if (auto r = apply_set(root, set); !r) return r.error();
  std::error_code ec;
  substitute(root, std::filesystem::absolute(suite_file, ec).parent_path().string());
  root.remove("duration");
  root.remove("nemesis");
  if (metadata.is_object() && !metadata.empty()) {
    if (!root["metadata"].IsMap()) root["metadata"] = YAML::Node(YAML::NodeType::Map);
    for (const auto& [key, value] : metadata.items())
      root["metadata"][key] = value.is_string() ? value.get<std::string>() : value.dump();
  }

  YAML::Emitter emitter;
  emitter << root;
  if (!emitter.good()) return internal_error(fmt::format("writing the suite: {}", emitter.GetLastError()));
  std::string out = emitter.c_str();
  out += "\n";
  // The schedule is written by hand: fault specs as JSON (valid YAML flow),
  // so every string stays a string and every number a number.
  out += fmt::format("duration: {}\n", millis(duration));
  out += fmt::format("nemesis:\n  seed: {}\n  schedule:\n", seed);
  if (faults.empty()) out += "    []\n";
  for (const auto& f : faults) {
    out += fmt::format("    - at: {}  # {}\n", millis(f.start), f.id);
    // The end rounded as the start is, so back-to-back faults stay back to back.
    const Nanos start_ms = (f.start + 500'000) / 1'000'000, end_ms = (f.end + 500'000) / 1'000'000;
    out += fmt::format("      duration: {}ms\n", std::max<Nanos>(end_ms - start_ms, 1));
    if (f.kind() == "partition") {
      // The grudge as recorded (one-way where it was), with what the nodes
      // were told beside their peers.
      nlohmann::json spec{{"kind", "partition"}, {"mode", "grudge"}, {"grudge", f.grudge}};
      for (const char* field : {"keep_established", "ports", "protocol"})
        if (f.spec.is_object() && f.spec.contains(field)) spec[field] = f.spec[field];
      out += fmt::format("      fault: {}\n", spec.dump());
    } else {
      out += fmt::format("      fault: {}\n", f.spec.dump());
      out += fmt::format("      targets: {}\n", nlohmann::json(f.targets).dump());
    }
  }
  return out;
}

}  // namespace faultline::controller::shrink
