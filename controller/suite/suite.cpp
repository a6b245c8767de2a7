#include "controller/suite/suite.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "checkers/checker.h"
#include "controller/suite/placeholders.h"
#include "controller/suite/yaml_set.h"
#include "faults/disk/disk_rules.h"
#include "faults/fault_spec.h"
#include "faults/spec/validate.h"

namespace faultline::controller {
namespace {

struct SuiteError {
  std::string message;
};

class Parser {
 public:
  Parser(std::string file, std::vector<std::string> overridden)
      : file_(std::move(file)), overridden_(std::move(overridden)) {}

  struct Field {
    YAML::Node node;
    std::string path;
  };

  std::string where(const Field& field) const {
    for (const auto& set : overridden_)
      if (field.path == set || field.path.rfind(set + ".", 0) == 0 || field.path.rfind(set + "[", 0) == 0)
        return fmt::format("--set {}", set);
    auto mark = field.node.Mark();
    if (mark.is_null()) return file_;
    return fmt::format("{}:{}", file_, mark.line + 1);
  }

  [[noreturn]] void fail(const Field& field, const std::string& reason) const {
    throw SuiteError{fmt::format("{}: {}: {}", where(field), field.path.empty() ? "(suite)" : field.path, reason)};
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  Field child(const Field& map, const std::string& key) const {
    return Field{map.node[key], join(map.path, key)};
  }
  Field item(const Field& seq, std::size_t i) const {
    return Field{seq.node[i], fmt::format("{}[{}]", seq.path, i)};
  }
  static bool has(const Field& map, const std::string& key) {
    return map.node.IsMap() && map.node[key].IsDefined() && !map.node[key].IsNull();
  }

  void expect_map(const Field& field, std::initializer_list<const char*> allowed) const {
    if (!field.node.IsMap()) fail(field, "expected a map");
    std::set<std::string> keys(allowed.begin(), allowed.end());
    for (const auto& entry : field.node) {
      auto key = entry.first.as<std::string>();
      if (!keys.count(key)) {
        std::string list;
        for (const auto& k : allowed) list += std::string(list.empty() ? "" : ", ") + k;
        fail(Field{entry.first, join(field.path, key)}, fmt::format("unknown field (expected one of: {})", list));
      }
    }
  }

  std::string str(const Field& field) const {
    if (!field.node.IsScalar()) fail(field, "expected a string");
    return field.node.Scalar();
  }
  Nanos duration(const Field& field) const {
    auto text = str(field);
    auto parsed = parse_duration(text);
    if (!parsed) fail(field, parsed.error().message);
    return *parsed;
  }
  long long integer(const Field& field, long long min, long long max) const {
    auto json = yaml_to_json(field.node);
    if (!json.is_number_integer()) fail(field, "expected an integer");
    auto value = json.get<long long>();
    if (value < min || value > max) fail(field, fmt::format("must be between {} and {}", min, max));
    return value;
  }
  bool boolean(const Field& field) const {
    auto json = yaml_to_json(field.node);
    if (!json.is_boolean()) fail(field, "expected true or false");
    return json.get<bool>();
  }
  std::vector<std::string> strings(const Field& field) const {
    std::vector<std::string> out;
    if (field.node.IsScalar()) return {field.node.Scalar()};
    if (!field.node.IsSequence()) fail(field, "expected a list of strings");
    for (std::size_t i = 0; i < field.node.size(); ++i) out.push_back(str(item(field, i)));
    return out;
  }

  Suite parse(YAML::Node root) {
    Field top{root, ""};
    expect_map(top, {"name", "duration", "lease", "cluster", "sut", "client", "nemesis", "checkers", "metadata",
                     "description"});
    Suite suite;
    if (has(top, "name")) suite.name = str(child(top, "name"));
    if (!has(top, "duration")) fail(top, "missing required field 'duration' (total run time, e.g. 30s)");
    suite.duration = duration(child(top, "duration"));
    if (suite.duration <= 0) fail(child(top, "duration"), "must be positive");
    if (has(top, "lease")) {
      suite.lease = duration(child(top, "lease"));
      if (suite.lease < 1'000'000'000) fail(child(top, "lease"), "must be at least 1s");
    }
    if (has(top, "metadata")) suite.metadata = yaml_to_json(root["metadata"]);
    if (has(top, "description")) suite.metadata["description"] = str(child(top, "description"));
    if (!has(top, "cluster")) fail(top, "missing required field 'cluster'");
    parse_cluster(child(top, "cluster"), suite.cluster);
    if (!has(top, "sut")) fail(top, "missing required field 'sut'");
    parse_sut(child(top, "sut"), suite.sut);
    check_sut_placeholders(child(top, "sut"), suite);
    if (has(top, "client")) suite.client = parse_client(child(top, "client"), suite);
    if (has(top, "nemesis")) parse_nemesis(child(top, "nemesis"), suite);
    if (has(top, "checkers")) parse_checkers(child(top, "checkers"), suite.checkers);
    return suite;
  }

  void parse_cluster(const Field& field, ClusterConfig& cluster) {
    expect_map(field, {"provider", "nodes", "subnet", "options"});
    if (has(field, "provider")) cluster.provider = str(child(field, "provider"));
    if (!has(field, "nodes")) fail(field, "missing required field 'nodes' (a count or a list of names)");
    auto nodes = child(field, "nodes");
    if (nodes.node.IsScalar()) {
      auto count = integer(nodes, 1, 250);
      for (long long i = 1; i <= count; ++i) cluster.nodes.push_back(fmt::format("n{}", i));
    } else {
      cluster.nodes = strings(nodes);
      if (cluster.nodes.empty()) fail(nodes, "needs at least one node");
      std::set<std::string> seen;
      for (std::size_t i = 0; i < cluster.nodes.size(); ++i) {
        const auto& name = cluster.nodes[i];
        if (name.empty() || name.size() > 32 ||
            name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != std::string::npos)
          fail(item(nodes, i), fmt::format("node name '{}' must be 1-32 letters, digits, '-' or '_'", name));
        if (!seen.insert(name).second) fail(item(nodes, i), fmt::format("node '{}' listed twice", name));
      }
    }
    if (has(field, "subnet")) {
      cluster.subnet = str(child(field, "subnet"));
      cluster.subnet_given = true;
      if (!valid_subnet(cluster.subnet)) fail(child(field, "subnet"), fmt::format("'{}' is not an IPv4 /8-/24 subnet such as 198.18.0.0/24", cluster.subnet));
    }
    if (has(field, "options")) cluster.options = yaml_to_json(field.node["options"]);
  }

  static bool valid_subnet(const std::string& text) {
    unsigned a, b, c, d, prefix;
    char tail;
    if (std::sscanf(text.c_str(), "%u.%u.%u.%u/%u%c", &a, &b, &c, &d, &prefix, &tail) != 5) return false;
    return a < 256 && b < 256 && c < 256 && d < 256 && prefix >= 8 && prefix <= 24;
  }

  // A text with placeholders: every one must exist in `scope`.
  void check_text(const Field& field, const std::string& text, const Suite& suite, PlaceholderScope scope) const {
    if (auto r = check_placeholders(text, known_placeholders(suite, scope)); !r) fail(field, r.error().message);
  }
  void check_json(const Field& field, const nlohmann::json& value, const Suite& suite) const {
    if (value.is_string()) check_text(field, value.get<std::string>(), suite, PlaceholderScope::kNode);
    else if (value.is_object())
      for (auto& [key, nested] : value.items()) check_json(child(field, key), nested, suite);
    else if (value.is_array())
      for (std::size_t i = 0; i < value.size(); ++i) check_json(item(field, i), value[i], suite);
  }

  void check_sut_placeholders(const Field& field, const Suite& suite) const {
    const auto node = PlaceholderScope::kNode;
    auto command = child(field, "command");
    for (std::size_t i = 0; i < suite.sut.command.size(); ++i)
      check_text(command.node.IsSequence() ? item(command, i) : command, suite.sut.command[i], suite, node);
    for (const auto& [name, value] : suite.sut.env) check_text(child(child(field, "env"), name), value, suite, node);
    if (suite.sut.ready.kind == ReadyCheck::Kind::kCommand)
      check_text(child(child(field, "ready"), "command"), suite.sut.ready.command, suite, node);
    if (!suite.sut.teardown.empty()) check_text(child(field, "teardown"), suite.sut.teardown, suite, node);
    for (const auto& [name, list] : suite.sut.lists)
      for (const auto& used : placeholders_in(list.item))
        if (used.rfind("lists.", 0) == 0) fail(child(child(field, "lists"), name), "a list cannot use another list");
    for (const auto& [name, list] : suite.sut.lists) check_text(child(child(field, "lists"), name), list.item, suite, node);
  }

  void parse_sut(const Field& field, SutConfig& sut) {
    expect_map(field, {"command", "env", "port", "ports", "lists", "ready", "teardown", "teardown_timeout",
                       "per_process_clock", "data_fs"});
    if (!has(field, "command")) fail(field, "missing required field 'command'");
    auto command = child(field, "command");
    if (command.node.IsScalar())
      sut.command = {"/bin/sh", "-c", str(command)};
    else
      sut.command = strings(command);
    if (sut.command.empty() || sut.command[0].empty()) fail(command, "must not be empty");
    if (has(field, "env")) {
      auto env = child(field, "env");
      if (!env.node.IsMap()) fail(env, "expected a map of NAME: value");
      for (const auto& entry : env.node)
        sut.env[entry.first.as<std::string>()] = str(Field{entry.second, join(env.path, entry.first.as<std::string>())});
    }
    if (has(field, "port")) sut.port = static_cast<std::uint16_t>(integer(child(field, "port"), 1, 65535));
    if (has(field, "ports")) {
      auto ports = child(field, "ports");
      if (!ports.node.IsMap()) fail(ports, "expected a map of NAME: port (e.g. {client: 2379, peer: 2380})");
      for (const auto& entry : ports.node) {
        auto name = entry.first.as<std::string>();
        auto port = child(ports, name);
        if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != std::string::npos)
          fail(port, "a port name is letters, digits and '_'");
        sut.ports[name] = static_cast<std::uint16_t>(integer(port, 1, 65535));
      }
    }
    if (has(field, "lists")) {
      auto lists = child(field, "lists");
      if (!lists.node.IsMap()) fail(lists, "expected a map of NAME: template (or {item: template, separator: text})");
      for (const auto& entry : lists.node) {
        auto name = entry.first.as<std::string>();
        auto list = child(lists, name);
        NodeList out;
        if (list.node.IsMap()) {
          expect_map(list, {"item", "separator"});
          if (!has(list, "item")) fail(list, "missing 'item' (the template for each node)");
          out.item = str(child(list, "item"));
          if (has(list, "separator")) out.separator = str(child(list, "separator"));
        } else {
          out.item = str(list);
        }
        sut.lists[name] = out;
      }
    }
    if (has(field, "teardown")) sut.teardown = str(child(field, "teardown"));
    if (has(field, "teardown_timeout")) sut.teardown_timeout = duration(child(field, "teardown_timeout"));
    if (has(field, "per_process_clock")) sut.per_process_clock = boolean(child(field, "per_process_clock"));
    if (has(field, "data_fs")) {
      auto mode = str(child(field, "data_fs"));
      if (mode != "faultable" && mode != "none") fail(child(field, "data_fs"), "expected 'faultable' or 'none'");
      sut.data_fs = mode == "faultable";
    }
    if (has(field, "ready")) {
      auto ready = child(field, "ready");
      expect_map(ready, {"tcp", "command", "delay", "timeout"});
      int kinds = has(ready, "tcp") + has(ready, "command") + has(ready, "delay");
      if (kinds != 1) fail(ready, "give exactly one of 'tcp' (a port), 'command' or 'delay'");
      if (has(ready, "tcp")) {
        sut.ready.kind = ReadyCheck::Kind::kTcp;
        sut.ready.port = static_cast<std::uint16_t>(integer(child(ready, "tcp"), 1, 65535));
      } else if (has(ready, "command")) {
        sut.ready.kind = ReadyCheck::Kind::kCommand;
        sut.ready.command = str(child(ready, "command"));
      } else {
        sut.ready.kind = ReadyCheck::Kind::kDelay;
        sut.ready.delay = duration(child(ready, "delay"));
      }
      if (has(ready, "timeout")) sut.ready.timeout = duration(child(ready, "timeout"));
    }
  }

  ClientConfig parse_client(const Field& field, const Suite& suite) {
    expect_map(field, {"command", "concurrency", "nodes"});
    ClientConfig client;
    if (!has(field, "command")) fail(field, "missing required field 'command'");
    client.command = str(child(field, "command"));
    check_text(child(field, "command"), client.command, suite, PlaceholderScope::kClient);
    if (has(field, "concurrency")) client.concurrency = static_cast<int>(integer(child(field, "concurrency"), 1, 1000));
    if (has(field, "nodes")) {
      auto nodes = child(field, "nodes");
      if (!(nodes.node.IsScalar() && nodes.node.Scalar() == "round-robin")) {
        client.nodes = strings(nodes);
        for (std::size_t i = 0; i < client.nodes.size(); ++i)
          if (std::find(suite.cluster.nodes.begin(), suite.cluster.nodes.end(), client.nodes[i]) == suite.cluster.nodes.end())
            fail(nodes.node.IsSequence() ? item(nodes, i) : nodes, fmt::format("'{}' is not a node of the cluster", client.nodes[i]));
        if (client.nodes.empty()) fail(nodes, "needs at least one node (or round-robin)");
      }
    }
    return client;
  }

  TargetSelector parse_targets(const Field& field, const std::vector<std::string>& nodes) {
    TargetSelector selector;
    if (field.node.IsScalar()) {
      auto text = field.node.Scalar();
      if (text == "one") selector.kind = TargetSelector::Kind::kOne;
      else if (text == "minority") selector.kind = TargetSelector::Kind::kMinority;
      else if (text == "majority") selector.kind = TargetSelector::Kind::kMajority;
      else if (text == "all") selector.kind = TargetSelector::Kind::kAll;
      else if (std::find(nodes.begin(), nodes.end(), text) != nodes.end()) {
        selector.kind = TargetSelector::Kind::kList;
        selector.nodes = {text};
      } else
        fail(field, fmt::format("'{}' is not a selector (one, minority, majority, all, or a list of nodes)", text));
      return selector;
    }
    selector.kind = TargetSelector::Kind::kList;
    selector.nodes = strings(field);
    if (selector.nodes.empty()) fail(field, "empty target list");
    for (std::size_t i = 0; i < selector.nodes.size(); ++i)
      if (std::find(nodes.begin(), nodes.end(), selector.nodes[i]) == nodes.end())
        fail(item(field, i), fmt::format("'{}' is not a node of the cluster", selector.nodes[i]));
    return selector;
  }

  static TargetSelector default_targets(const std::string& kind, const std::string& mode) {
    TargetSelector selector;
    if (kind == "partition")
      selector.kind = mode == "isolate" ? TargetSelector::Kind::kOne : TargetSelector::Kind::kAll;
    else
      selector.kind = TargetSelector::Kind::kOne;
    return selector;
  }

  // A fault: {kind: ..., params..., targets: ..., duration: ...} or with the
  // spec nested under `fault:` beside targets/duration (schedule entries).
  FaultTemplate parse_fault(const Field& spec_field, const Field* entry, const Suite& suite, bool need_duration) {
    FaultTemplate fault;
    fault.where = where(spec_field);
    if (!spec_field.node.IsMap()) fail(spec_field, "expected a fault spec map with 'kind'");
    auto spec = yaml_to_json(spec_field.node);
    std::optional<Field> targets_field, duration_field;
    if (has(spec_field, "targets")) targets_field = child(spec_field, "targets");
    if (has(spec_field, "duration")) duration_field = child(spec_field, "duration");
    spec.erase("targets");
    spec.erase("duration");
    if (entry) {
      if (has(*entry, "targets")) targets_field = child(*entry, "targets");
      if (has(*entry, "duration")) duration_field = child(*entry, "duration");
    }
    if (!spec.contains("kind") || !spec["kind"].is_string()) fail(spec_field, "missing 'kind'");
    std::string kind = spec["kind"];
    // The kind's schema (faults/spec/): unknown kinds and fields, values out
    // of range, each reported at its own line with the kind's known fields.
    if (auto problem = faults::spec::check(spec, faults::spec::Scope::kSuite)) {
      if (!problem->field.empty() && has(spec_field, problem->field))
        fail(child(spec_field, problem->field), problem->reason);
      fail(spec_field, faults::spec::message(spec, *problem));
    }
    std::string mode;
    if (kind == "partition") {
      if (!spec.contains("mode")) spec["mode"] = spec.contains("grudge") ? "grudge" : "halves";
      if (!spec["mode"].is_string()) fail(child(spec_field, "mode"), "expected a string");
      mode = spec["mode"];
      static const std::set<std::string> modes{"isolate", "halves", "majority-ring", "bridge", "grudge"};
      if (!modes.count(mode))
        fail(child(spec_field, "mode"), fmt::format("unknown partition mode '{}' (isolate, halves, majority-ring, bridge, grudge)", mode));
      if (spec.contains("direction") && spec["direction"] != "both" && mode != "isolate")
        fail(child(spec_field, "direction"),
             fmt::format("direction {} needs mode isolate (mode {} cuts both ways; a grudge is one-way as written)",
                         spec["direction"].dump(), mode));
      if (mode == "grudge") {
        auto grudge_field = child(spec_field, "grudge");
        if (!spec.contains("grudge") || !spec["grudge"].is_object())
          fail(spec_field, "mode grudge needs 'grudge': a map of node -> nodes it drops");
        for (auto& [node, dropped] : spec["grudge"].items()) {
          if (std::find(suite.cluster.nodes.begin(), suite.cluster.nodes.end(), node) == suite.cluster.nodes.end())
            fail(grudge_field, fmt::format("'{}' is not a node of the cluster", node));
          if (!dropped.is_array()) fail(child(grudge_field, node), "expected a list of nodes");
          for (auto& other : dropped)
            if (!other.is_string() ||
                std::find(suite.cluster.nodes.begin(), suite.cluster.nodes.end(), other.get<std::string>()) == suite.cluster.nodes.end())
              fail(child(grudge_field, node), fmt::format("{} is not a node of the cluster", other.dump()));
        }
      }
    } else {
      faults::FaultSpec parsed{kind, spec, std::nullopt};
      if (auto data_fs_fault = check_data_fs_fault(parsed, suite); !data_fs_fault.empty()) fail(spec_field, data_fs_fault);
    }
    check_json(spec_field, spec, suite);
    fault.spec = spec;
    fault.targets = targets_field ? parse_targets(*targets_field, suite.cluster.nodes) : default_targets(kind, mode);
    if (kind == "partition" && mode == "grudge" && !targets_field) fault.targets.kind = TargetSelector::Kind::kAll;
    if (duration_field) {
      fault.duration = duration(*duration_field);
      if (fault.duration <= 0) fail(*duration_field, "must be positive");
    } else if (need_duration) {
      fail(entry ? *entry : spec_field, "missing 'duration' (how long the fault lasts)");
    }
    return fault;
  }

  // The faults of the faultable data fs: their fields, and that the suite has one.
  static std::string check_data_fs_fault(const faults::FaultSpec& spec, const Suite& suite) {
    Result<void> checked = ok_result();
    if (spec.kind == "disk-slow") {
      if (auto r = faults::disk::parse_slow_rule(spec); !r) checked = r.error();
    } else if (spec.kind == "disk-error") {
      if (auto r = faults::disk::parse_error_rule(spec); !r) checked = r.error();
    } else if (spec.kind == "lose-unsynced") {
      if (auto r = faults::disk::parse_lose_unsynced_rule(spec); !r) checked = r.error();
    } else {
      return "";
    }
    if (!checked) return checked.error().message;
    if (!suite.sut.data_fs) return spec.kind + " acts on the faultable data fs: set sut.data_fs: faultable";
    return "";
  }

  std::vector<FaultTemplate> package_variants(const std::string& name, const Field& field, const Suite& suite) {
    auto make = [&](nlohmann::json spec, TargetSelector::Kind targets) {
      FaultTemplate t;
      t.spec = std::move(spec);
      t.targets.kind = targets;
      t.where = where(field);
      return t;
    };
    using K = TargetSelector::Kind;
    std::vector<FaultTemplate> v;
    if (name == "partition") {
      v.push_back(make({{"kind", "partition"}, {"mode", "isolate"}}, K::kOne));
      v.push_back(make({{"kind", "partition"}, {"mode", "halves"}}, K::kAll));
      v.push_back(make({{"kind", "partition"}, {"mode", "majority-ring"}}, K::kAll));
      v.push_back(make({{"kind", "partition"}, {"mode", "bridge"}}, K::kAll));
    } else if (name == "kill") {
      v.push_back(make({{"kind", "kill"}}, K::kOne));
      v.push_back(make({{"kind", "kill"}}, K::kMinority));
    } else if (name == "pause") {
      v.push_back(make({{"kind", "pause"}}, K::kOne));
      v.push_back(make({{"kind", "pause"}}, K::kMinority));
    } else if (name == "clock") {
      v.push_back(make({{"kind", "clock-skew"}, {"offset", "2s"}}, K::kOne));
      v.push_back(make({{"kind", "clock-skew"}, {"offset", "-2s"}}, K::kOne));
      v.push_back(make({{"kind", "clock-skew"}, {"offset", "30s"}}, K::kMinority));
    } else if (name == "disk") {
      v.push_back(make({{"kind", "disk-fill"}, {"path", "{data}"}, {"leave", "1MiB"}}, K::kOne));
      if (suite.sut.data_fs) {  // the faults of the faultable data fs
        v.push_back(make({{"kind", "disk-slow"}, {"delay", "50ms"}, {"jitter", "10ms"}}, K::kOne));
        v.push_back(make({{"kind", "disk-error"}, {"errno", "EIO"}, {"ops", {"write", "fsync"}}, {"percent", 50}}, K::kOne));
        v.push_back(make({{"kind", "lose-unsynced"}, {"crash", "drop"}}, K::kOne));
      }
    } else if (name == "packet") {
      v.push_back(make({{"kind", "delay"}, {"delay", "100ms"}, {"jitter", "20ms"}}, K::kAll));
      v.push_back(make({{"kind", "loss"}, {"percent", 20}}, K::kOne));
    } else {
      std::string list;
      for (const auto& p : package_names()) list += (list.empty() ? "" : ", ") + p;
      fail(field, fmt::format("unknown package '{}' (known: {})", name, list));
    }
    return v;
  }

  std::pair<Nanos, Nanos> range(const Field& field) {
    if (field.node.IsSequence()) {
      if (field.node.size() != 2) fail(field, "expected [min, max]");
      auto lo = duration(item(field, 0)), hi = duration(item(field, 1));
      if (lo > hi) fail(field, "min is greater than max");
      return {lo, hi};
    }
    auto d = duration(field);
    return {d, d};
  }

  void parse_nemesis(const Field& field, Suite& suite) {
    // `nemesis:` is a map {seed, schedule} or directly the schedule list.
    Field schedule = field;
    if (field.node.IsMap()) {
      expect_map(field, {"seed", "schedule"});
      if (has(field, "seed"))
        suite.nemesis.seed = static_cast<std::uint64_t>(integer(child(field, "seed"), 0, INT64_MAX));
      if (!has(field, "schedule")) return;
      schedule = child(field, "schedule");
    }
    if (!schedule.node.IsSequence()) fail(schedule, "expected a list of schedule entries (at / every / random)");
    for (std::size_t i = 0; i < schedule.node.size(); ++i) {
      auto entry = item(schedule, i);
      if (!entry.node.IsMap()) fail(entry, "expected a map with 'at', 'every' or 'random'");
      ScheduleEntry out;
      out.where = where(entry);
      int kinds = has(entry, "at") + has(entry, "every") + has(entry, "random");
      if (kinds != 1) fail(entry, "give exactly one of 'at' (a time), 'every' (a period) or 'random'");
      auto until = [&](const Field& f) {
        if (has(f, "until")) out.until = duration(child(f, "until"));
        if (has(f, "from")) out.from = duration(child(f, "from"));
        if (out.until && *out.until <= out.from) fail(child(f, "until"), "must be after 'from'");
      };
      auto fault_of = [&](const Field& f) -> Field {
        if (has(f, "fault")) return child(f, "fault");
        fail(f, "missing 'fault' (a spec with 'kind')");
      };
      if (has(entry, "at")) {
        expect_map(entry, {"at", "fault", "targets", "duration"});
        out.kind = ScheduleEntry::Kind::kAt;
        out.at = duration(child(entry, "at"));
        if (out.at >= suite.duration) fail(child(entry, "at"), "is not before the end of the run ('duration')");
        auto f = fault_of(entry);
        out.fault = parse_fault(f, &entry, suite, true);
      } else if (has(entry, "every")) {
        expect_map(entry, {"every", "from", "until", "fault", "targets", "duration"});
        out.kind = ScheduleEntry::Kind::kEvery;
        out.every = duration(child(entry, "every"));
        if (out.every <= 0) fail(child(entry, "every"), "must be positive");
        until(entry);
        auto f = fault_of(entry);
        out.fault = parse_fault(f, &entry, suite, true);
        if (out.fault.duration > out.every)
          fail(entry, "the fault lasts longer than its period (it would overlap itself)");
      } else {
        auto random = child(entry, "random");
        expect_map(entry, {"random"});
        expect_map(random, {"seed", "from", "until", "gap", "duration", "packages", "faults", "targets"});
        out.kind = ScheduleEntry::Kind::kRandom;
        until(random);
        if (has(random, "seed")) out.seed = static_cast<std::uint64_t>(integer(child(random, "seed"), 0, INT64_MAX));
        if (!has(random, "duration")) fail(random, "missing 'duration' (a duration or [min, max])");
        std::tie(out.duration_min, out.duration_max) = range(child(random, "duration"));
        if (out.duration_min <= 0) fail(child(random, "duration"), "must be positive");
        out.gap_min = out.gap_max = 1'000'000'000;
        if (has(random, "gap")) std::tie(out.gap_min, out.gap_max) = range(child(random, "gap"));
        std::optional<TargetSelector> targets;
        if (has(random, "targets")) targets = parse_targets(child(random, "targets"), suite.cluster.nodes);
        if (has(random, "packages")) {
          auto packages = child(random, "packages");
          auto names = strings(packages);
          for (std::size_t p = 0; p < names.size(); ++p) {
            FaultPackage package{names[p], package_variants(names[p], packages.node.IsSequence() ? item(packages, p) : packages, suite)};
            if (targets)
              for (auto& v : package.variants) v.targets = *targets;
            out.packages.push_back(std::move(package));
          }
        }
        if (has(random, "faults")) {
          auto list = child(random, "faults");
          if (!list.node.IsSequence()) fail(list, "expected a list of fault specs");
          for (std::size_t p = 0; p < list.node.size(); ++p) {
            auto t = parse_fault(item(list, p), nullptr, suite, false);
            if (targets && !has(item(list, p), "targets")) t.targets = *targets;
            out.packages.push_back(FaultPackage{t.spec["kind"].get<std::string>(), {t}});
          }
        }
        if (out.packages.empty()) fail(random, "needs 'packages' or 'faults' to choose from");
      }
      suite.nemesis.schedule.push_back(std::move(out));
    }
  }

  void parse_checkers(const Field& field, CheckersConfig& checkers) {
    // `checkers:` is a list of names, or a map {names, config, model, initial, timeout}
    // or a map of name -> config section.
    if (field.node.IsSequence() || field.node.IsScalar()) {
      checkers.names = strings(field);
      return;
    }
    if (!field.node.IsMap()) fail(field, "expected a list of checker names or a map");
    if (has(field, "names") || has(field, "config") || has(field, "model") || has(field, "timeout")) {
      expect_map(field, {"names", "config", "model", "initial", "timeout"});
      if (has(field, "names")) checkers.names = strings(child(field, "names"));
      if (has(field, "config")) {
        checkers.config = yaml_to_json(field.node["config"]);
        if (!checkers.config.is_object()) fail(child(field, "config"), "expected a map with a section per checker");
      }
      if (has(field, "model")) checkers.model = str(child(field, "model"));
      if (has(field, "initial")) checkers.initial = yaml_to_json(field.node["initial"]);
      if (has(field, "timeout")) checkers.timeout = duration(child(field, "timeout"));
    } else {
      for (const auto& entry : field.node) {
        auto name = entry.first.as<std::string>();
        checkers.names.push_back(name);
        auto section = yaml_to_json(entry.second);
        checkers.config[name] = section.is_object() ? section : nlohmann::json::object();
      }
    }
    const auto known = checkers::checker_names();
    for (std::size_t i = 0; i < checkers.names.size(); ++i)
      if (std::find(known.begin(), known.end(), checkers.names[i]) == known.end())
        fail(field, fmt::format("unknown checker '{}' ({})", checkers.names[i], fmt::join(known, ", ")));
  }

 private:
  std::string file_;
  std::vector<std::string> overridden_;
};

}  // namespace

std::string to_string(const TargetSelector& selector) {
  switch (selector.kind) {
    case TargetSelector::Kind::kOne: return "one";
    case TargetSelector::Kind::kMinority: return "minority";
    case TargetSelector::Kind::kMajority: return "majority";
    case TargetSelector::Kind::kAll: return "all";
    case TargetSelector::Kind::kList: {
      std::string out;
      for (const auto& n : selector.nodes) out += (out.empty() ? "" : ",") + n;
      return "[" + out + "]";
    }
  }
  return "?";
}

const std::vector<std::string>& package_names() {
  static const std::vector<std::string> names{"partition", "kill", "pause", "clock", "disk", "packet"};
  return names;
}

Result<Suite> parse_suite(const std::string& text, const std::string& file_name, const std::vector<std::string>& sets) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return invalid_input(fmt::format("{}:{}: invalid YAML: {}", file_name, e.mark.line + 1, e.msg));
  }
  std::vector<std::string> overridden;
  for (const auto& set : sets) {
    auto path = apply_set(root, set);
    if (!path) return path.error();
    // The parser names list items as a[1]; --set names them a.1.
    std::string normalized;
    std::stringstream parts(*path);
    std::string part;
    while (std::getline(parts, part, '.')) {
      bool index = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
      normalized += index ? "[" + part + "]" : (normalized.empty() ? "" : ".") + part;
    }
    overridden.push_back(normalized);
  }
  if (!root.IsMap())
    return invalid_input(fmt::format("{}:1: expected a suite (a map with cluster, sut, nemesis, duration...)", file_name));
  try {
    Parser parser(file_name, overridden);
    auto suite = parser.parse(root);
    suite.file = file_name;
    if (suite.name.empty()) suite.name = std::filesystem::path(file_name).stem().string();
    return suite;
  } catch (const SuiteError& e) {
    return invalid_input(e.message);
  } catch (const YAML::Exception& e) {
    return invalid_input(fmt::format("{}:{}: {}", file_name, e.mark.line + 1, e.msg));
  }
}

Result<Suite> load_suite(const std::filesystem::path& file, const std::vector<std::string>& sets) {
  std::ifstream in(file);
  if (!in) return invalid_input(fmt::format("{}: cannot read suite file", file.string()));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_suite(buffer.str(), file.string(), sets);
}

}  // namespace faultline::controller
