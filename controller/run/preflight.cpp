#include "controller/run/preflight.h"

#include <cstdio>
#include <ctime>

#include <fmt/format.h>

#include "controller/output/exit_codes.h"

namespace faultline::controller {
namespace {

Result<std::filesystem::path> make_output_dir(const std::filesystem::path& root, const std::string& suite) {
  std::error_code ec;
  auto base = root / suite;
  std::filesystem::create_directories(base, ec);
  if (ec) return io_error(fmt::format("{}: {}", base.string(), ec.message()));
  // create_directory() is true only for the run that made it, so two runs
  // of one suite started in the same second get a directory each.
  auto stamp = utc_timestamp(true);
  auto dir = base / stamp;
  for (int i = 2; !std::filesystem::create_directory(dir, ec); ++i) {
    if (ec) return io_error(fmt::format("{}: {}", dir.string(), ec.message()));
    dir = base / fmt::format("{}-{}", stamp, i);
  }
  auto latest = base / "latest";
  std::filesystem::remove(latest, ec);
  std::filesystem::create_directory_symlink(dir.filename(), latest, ec);
  return dir;
}

int refuse(const std::string& message) {
  std::fprintf(stderr, "faultline: %s\n", message.c_str());
  return kExitBadInput;
}

}  // namespace

std::string utc_timestamp(bool compact) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, compact ? "%Y%m%dT%H%M%SZ" : "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

int preflight(RunContext& ctx) {
  const Suite& suite = ctx.suite;
  if (ctx.options.schedule) {
    auto fitted = fit_schedule(*ctx.options.schedule, suite);
    if (!fitted) return refuse(fmt::format("{}: {}", suite.file.string(), fitted.error().message));
    ctx.schedule = std::move(*fitted);
  } else {
    auto schedule = build_schedule(suite);
    if (!schedule) return refuse(schedule.error().message);
    ctx.schedule = std::move(*schedule);
  }
  ctx.provider = make_provider(suite.cluster.provider);
  if (!ctx.provider) {
    std::string names;
    for (const auto& n : provider_names()) names += (names.empty() ? "" : ", ") + n;
    return refuse(fmt::format("{}: cluster.provider: unknown provider '{}' (available: {})", suite.file.string(),
                              suite.cluster.provider, names));
  }
  if (auto v = ctx.provider->validate(suite.cluster); !v)
    return refuse(fmt::format("{}: {}", suite.file.string(), v.error().message));
  for (const auto& f : ctx.schedule) {
    auto kind = f.kind();
    if (kind.rfind("clock-", 0) == 0 && !suite.sut.per_process_clock && f.spec.value("mechanism", "") != "system")
      return refuse(fmt::format(
          "{}: {} faults act on the SUT's per-process clock: set sut.per_process_clock: true "
          "(or \"mechanism\": \"system\" to move the host clock)",
          f.where, kind));
  }

  RunSummary& summary = ctx.summary;
  summary.suite = suite.name;
  summary.suite_file = suite.file.string();
  {
    std::error_code ec;
    summary.suite_path = std::filesystem::absolute(suite.file, ec).lexically_normal().string();
  }
  summary.sets = ctx.options.sets;
  summary.replay_of = ctx.options.replay_of;
  summary.started_at = utc_timestamp(false);
  summary.nodes = suite.cluster.nodes;
  summary.seed = suite.nemesis.seed;
  summary.provider = suite.cluster.provider;

  auto dir = make_output_dir(ctx.options.out_root, suite.name);
  if (!dir) {
    std::fprintf(stderr, "faultline: %s\n", dir.error().message.c_str());
    return kExitInternal;
  }
  ctx.dir = *dir;
  std::error_code ec;
  ctx.suite_dir = std::filesystem::absolute(suite.file, ec).parent_path().string();
  ctx.console.line(fmt::format("suite {} ({} nodes, {} faults scheduled, {}), output in {}", suite.name,
                               suite.cluster.nodes.size(), ctx.schedule.size(), format_duration(suite.duration),
                               ctx.dir.string()));
  return 0;
}

}  // namespace faultline::controller
