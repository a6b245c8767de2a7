// `faultline fault apply|heal|list`: ad-hoc fault control of one agent, for
// exploring by hand (agent/PROTOCOL.md).
//
//   faultline fault apply --agent HOST:PORT --token-file FILE [--duration DUR] [--lease DUR] SPEC
//       prints the fault id on stdout (mechanism and description on stderr).
//       The fault's lease is not renewed after the command exits: it is
//       healed when the lease runs out (default: the agent's 30s, or
//       duration + 30s when --duration is given), or after --duration.
//   faultline fault heal --agent HOST:PORT --token-file FILE (--id ID | --all)
//   faultline fault list --agent HOST:PORT --token-file FILE     (JSON array)
//   faultline fault kinds [KIND] [--markdown]   the fault schema (faults/spec/)
// Exit codes: 0 done, 1 the agent refused or could not be reached, 254 bad
// arguments, spec or token file. A SPEC is checked against its kind's schema
// before any agent is contacted: an unknown kind or field, or a value out of
// range, exits 254 with nothing applied.
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "agent/client/agent_client.h"
#include "agent/protocol/auth.h"
#include "common/host_port.h"
#include "common/units.h"
#include "controller/cli/command.h"
#include "faults/fault_spec.h"
#include "faults/spec/markdown.h"
#include "faults/spec/validate.h"

namespace faultline::cli {
namespace {

struct FaultOptions {
  std::string agent;
  std::string token_file;
  std::string duration;
  std::string lease;
  std::string spec;
  std::string id;
  bool all = false;
  std::string kind;
  bool markdown = false;
};

Result<agent::AgentEndpoint> endpoint_from(const FaultOptions& options) {
  auto parsed = parse_host_port(options.agent);
  if (!parsed) return parsed.error().with_context("--agent");
  agent::AgentEndpoint endpoint;
  endpoint.host = parsed->host;
  endpoint.port = parsed->port;
  auto token = agent::protocol::read_token_file(options.token_file);
  if (!token) return invalid_input(token.error().message);  // a bad --token-file is bad input
  endpoint.token = *token;
  return endpoint;
}

int fail(const Error& error) {
  std::fprintf(stderr, "faultline fault: %s\n", error.message.c_str());
  return error.code == ErrorCode::kInvalidInput ? kExitBadInput : kExitInvalid;
}

Result<std::unique_ptr<agent::AgentClient>> connect(const FaultOptions& options) {
  auto endpoint = endpoint_from(options);
  if (!endpoint) return endpoint.error();
  return agent::AgentClient::connect(*endpoint);
}

int run_apply(const FaultOptions& options) {
  auto object = nlohmann::json::parse(options.spec, nullptr, false);
  if (object.is_discarded()) return fail(invalid_input("SPEC is not valid JSON (expected an object such as {\"kind\":\"pause\"})"));
  std::optional<Nanos> duration;
  if (!options.duration.empty()) {
    auto parsed = parse_duration(options.duration);
    if (!parsed) return fail(parsed.error().with_context("--duration"));
    duration = *parsed;
    if (object.is_object()) object["duration"] = options.duration;
  }
  auto spec = faults::FaultSpec::parse(object);
  if (!spec) return fail(spec.error().with_context("SPEC"));
  std::optional<Nanos> lease;
  if (!options.lease.empty()) {
    auto parsed = parse_duration(options.lease);
    if (!parsed) return fail(parsed.error().with_context("--lease"));
    if (*parsed <= 0) return fail(invalid_input("--lease must be positive"));
    lease = *parsed;
  } else if (spec->duration) {
    lease = *spec->duration + 30'000'000'000;  // outlive the duration: heal by duration, not by lease
  }
  auto client = connect(options);
  if (!client) return fail(client.error());
  auto applied = (*client)->apply(*spec, lease);
  if (!applied) return fail(applied.error());
  std::cout << applied->id << std::endl;
  std::fprintf(stderr, "applied %s via %s: %s; healed %s\n", applied->id.c_str(), applied->mechanism.c_str(),
               applied->description.c_str(),
               spec->duration ? fmt::format("after {}", format_duration(*spec->duration)).c_str()
                              : fmt::format("when its lease ends in {} (not renewed)",
                                            format_duration(lease.value_or(30'000'000'000))).c_str());
  return kExitValid;
}

int run_heal(const FaultOptions& options) {
  if (options.all == !options.id.empty()) return fail(invalid_input("give exactly one of --id ID or --all"));
  auto client = connect(options);
  if (!client) return fail(client.error());
  auto healed = options.all ? (*client)->heal_all() : (*client)->heal(options.id);
  if (!healed) return fail(healed.error());
  return kExitValid;
}

int run_list(const FaultOptions& options) {
  auto client = connect(options);
  if (!client) return fail(client.error());
  auto list = (*client)->list();
  if (!list) return fail(list.error());
  std::cout << list->dump(2) << std::endl;
  return kExitValid;
}

// `faultline fault kinds [KIND] [--markdown]`: the schema, for humans or for docs/faults.md.
int run_kinds(const FaultOptions& options) {
  if (options.markdown) {
    std::cout << faults::spec::kinds_markdown();
    return kExitValid;
  }
  if (!options.kind.empty()) {
    auto text = faults::spec::kind_text(options.kind);
    if (text.empty()) {
      auto problem = faults::spec::check(nlohmann::json{{"kind", options.kind}}, faults::spec::Scope::kAgent);
      return fail(invalid_input(problem ? problem->reason : "unknown fault kind"));
    }
    std::cout << text;
    return kExitValid;
  }
  for (const auto& kind : faults::spec::all_kinds())
    std::cout << fmt::format("{:<14} {:<8} {}\n", kind.kind, kind.family, kind.doc);
  return kExitValid;
}

void add_connection_options(CLI::App* app, FaultOptions& options) {
  app->add_option("--agent", options.agent, "the agent, HOST:PORT")->required();
  app->add_option("--token-file", options.token_file, "file holding the agent's shared secret (mode 600)")->required();
}

Command setup(CLI::App& root) {
  auto options = std::make_shared<FaultOptions>();
  auto* fault = root.add_subcommand("fault", "apply, heal or list faults on one agent by hand");
  fault->require_subcommand(1);
  auto* apply = fault->add_subcommand("apply", "apply a fault; prints its id");
  add_connection_options(apply, *options);
  apply->add_option("--duration", options->duration, "heal by itself after this long (e.g. 10s)");
  apply->add_option("--lease", options->lease, "heal when not renewed for this long (default 30s, or duration + 30s)");
  apply->add_option("SPEC", options->spec, R"(fault spec JSON, e.g. {"kind":"disk-fill","path":"/data","leave":"1MiB"})")
      ->required();
  auto* heal = fault->add_subcommand("heal", "heal one fault (--id) or every fault (--all)");
  add_connection_options(heal, *options);
  heal->add_option("--id", options->id, "the fault id apply printed");
  heal->add_flag("--all", options->all, "heal every fault on the agent");
  auto* list = fault->add_subcommand("list", "list the faults applied on the agent (JSON)");
  add_connection_options(list, *options);
  auto* kinds = fault->add_subcommand("kinds", "list the fault kinds, or one kind's fields (no agent needed)");
  kinds->add_option("KIND", options->kind, "show this kind's fields, types, ranges and defaults");
  kinds->add_flag("--markdown", options->markdown, "print the reference docs/faults.md holds");
  return Command{fault, [options, apply, heal, list, kinds]() -> int {
                   if (kinds->parsed()) return run_kinds(*options);
                   if (apply->parsed()) return run_apply(*options);
                   if (heal->parsed()) return run_heal(*options);
                   if (list->parsed()) return run_list(*options);
                   return kExitBadInput;
                 }};
}

FAULTLINE_REGISTER_COMMAND(setup);

}  // namespace
}  // namespace faultline::cli
