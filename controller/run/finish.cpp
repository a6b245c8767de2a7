#include "controller/run/finish.h"

#include <chrono>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "checkers/history/reader.h"
#include "controller/output/exit_codes.h"
#include "controller/output/validity.h"
#include "controller/report/report.h"
#include "controller/run/fan_out.h"
#include "controller/run/placeholders.h"

namespace faultline::controller {
namespace {

void collect_logs_and_tear_down(RunContext& ctx) {
  if (!ctx.cluster) return;
  std::error_code ec;
  for (const auto& node : ctx.cluster->nodes())
    for (const auto& [name, path] : node.logs) {
      if (!std::filesystem::exists(path)) continue;
      std::filesystem::create_directories(ctx.dir / "logs" / node.name, ec);
      std::filesystem::copy_file(path, ctx.dir / "logs" / node.name / name,
                                 std::filesystem::copy_options::overwrite_existing, ec);
    }
  ctx.console.line(fmt::format("tearing down cluster {}", ctx.cluster->id()));
  if (auto r = ctx.cluster->teardown(); !r) ctx.error(fmt::format("teardown: {}", r.error().message));
  ctx.cluster.reset();
}

// Reads the history back and runs the suite's checkers over it.
std::optional<history::History> check_history(RunContext& ctx) {
  auto& summary = ctx.summary;
  if (!ctx.history_begun()) {
    summary.check_error = "the run stopped before the history began";
    return std::nullopt;
  }
  auto read = history::read_history_file((ctx.dir / "history.jsonl").string());
  if (!read) {
    summary.check_error = read.error().message;
    ctx.error(fmt::format("reading back the history: {}", read.error().message));
    return std::nullopt;
  }
  const auto& checkers = ctx.suite.checkers;
  checkers::RunOptions ropts;
  ropts.names = checkers.names;
  ropts.config = checkers.config;
  ropts.model = checkers.model;
  ropts.initial = checkers.initial;
  ropts.timeout = checkers.timeout;
  auto report = checkers::run_checkers(*read, ropts);
  if (!report) {
    summary.check_error = report.error().message;
    ctx.error(fmt::format("checkers: {}", report.error().message));
  } else {
    summary.check = std::move(*report);
  }
  return std::move(*read);
}

void write_outputs(RunContext& ctx, const std::optional<history::History>& recorded) {
  const auto& suite = ctx.suite;
  const auto& summary = ctx.summary;
  if (auto r = write_results(ctx.dir / "results.json", summary); !r) ctx.console.line("error: " + r.error().message);
  if (auto r = write_junit(ctx.dir / "junit.xml", summary); !r) ctx.console.line("error: " + r.error().message);
  nlohmann::json metadata{{"suite", suite.name}, {"suite_file", suite.file.string()},
                          {"verdict", validity_json(summary.verdict())}, {"started_at", summary.started_at},
                          {"seed", suite.nemesis.seed}, {"provider", suite.cluster.provider},
                          {"nodes", suite.cluster.nodes}, {"duration", format_duration(suite.duration)}};
  for (auto& [k, v] : suite.metadata.items()) metadata[k] = v;
  if (!summary.errors.empty()) metadata["errors"] = summary.errors;
  history::History empty;
  empty.nodes = suite.cluster.nodes;
  if (auto r = write_report(ctx.dir / "report.html", recorded ? *recorded : empty,
                            summary.check ? &*summary.check : nullptr, metadata);
      !r)
    ctx.console.line("error: " + r.error().message);
}

}  // namespace

void verify_healed(RunContext& ctx) {
  auto& links = ctx.links;
  ctx.summary.healed_verified = !links.empty();
  std::vector<std::string> problems(links.size());
  fan_out(links.size(), [&](std::size_t i) {
    auto& link = links[i];
    if (!link.client) {
      problems[i] = fmt::format("node {}: not connected; cannot verify", link.info.name);
      return;
    }
    if (auto r = link.client->heal_all(); !r)
      problems[i] = fmt::format("node {}: heal_all: {}", link.info.name, r.error().message);
    auto list = link.client->list();
    if (!list) problems[i] = fmt::format("node {}: list after heal: {}", link.info.name, list.error().message);
    else if (!list->empty())
      problems[i] = fmt::format("node {}: still lists faults after heal: {}", link.info.name, list->dump());
  });
  bool any_connected = false;
  for (std::size_t i = 0; i < links.size(); ++i) {
    if (links[i].client) any_connected = true;
    if (!problems[i].empty()) {
      ctx.summary.healed_verified = false;
      ctx.error(problems[i]);
    }
  }
  if (!any_connected) return;
  ctx.log(ctx.summary.healed_verified ? "every fault healed; agents list none" : "heal could not be verified on every agent");
  fan_out(links.size(), [&](std::size_t i) {
    if (links[i].client) (void)links[i].client->stop_sut();
  });
}

void tear_down_sut(RunContext& ctx) {
  const auto& teardown = ctx.suite.sut.teardown;
  if (teardown.empty()) return;
  const auto infos = ctx.node_infos();
  std::vector<std::string> problems(infos.size());
  fan_out(infos.size(), [&](std::size_t i) {
    auto& link = ctx.links[i];
    if (!link.client) return;
    auto command = expand(teardown, node_values({ctx.suite, infos, ctx.suite_dir}, i));
    auto run = link.client->exec({"/bin/sh", "-c", command}, ctx.suite.sut.teardown_timeout);
    if (!run) problems[i] = fmt::format("node {}: teardown: {}", infos[i].name, run.error().message);
    else if (run->exit_code != 0 || run->timed_out)
      problems[i] = fmt::format("node {}: teardown exited {}{}: {}", infos[i].name, run->exit_code,
                                run->timed_out ? " (timed out)" : "", run->output);
  });
  for (const auto& p : problems)
    if (!p.empty()) ctx.warn(p);
}

int finish(RunContext& ctx) {
  if (ctx.history_begun()) {
    // Let events already on the wire arrive, then close the history.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ctx.log("run finished");
  }
  for (auto& link : ctx.links)
    if (link.client) link.client->close();
  if (auto late = ctx.history.late_count(); late > 0)
    ctx.log(fmt::format("{} events arrived later than the reorder window; the file is re-sorted at close", late));
  if (auto closed = ctx.history.close(); !closed) ctx.error(closed.error().message);
  ctx.summary.duration = ctx.history.last_time();

  collect_logs_and_tear_down(ctx);
  auto recorded = check_history(ctx);
  write_outputs(ctx, recorded);

  const auto& summary = ctx.summary;
  int code = summary.interrupted ? kExitUnknown : ctx.refused_code ? ctx.refused_code : summary.exit_code();
  if (summary.check)
    for (const auto& [name, result] : summary.check->results)
      ctx.console.line(fmt::format("checker {}: {} ({} events checked in {:.2f} s)", name, validity_text(result.valid),
                                   result.events, static_cast<double>(result.wall) / 1e9));
  ctx.console.line(fmt::format("verdict: {} (exit {})", validity_text(summary.verdict()), code));
  ctx.console.line(fmt::format("report: {}", (ctx.dir / "report.html").string()));
  std::printf("%s\n", (ctx.dir / "report.html").string().c_str());
  return code;
}

}  // namespace faultline::controller
