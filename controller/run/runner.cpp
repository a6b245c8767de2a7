// run_suite: one test as a chain of named phases, each in its own file.
#include "controller/run/runner.h"

#include <memory>

#include <unistd.h>

#include <fmt/format.h>

#include "controller/run/begin_history.h"
#include "controller/run/client_workload.h"
#include "controller/run/connect_nodes.h"
#include "controller/run/finish.h"
#include "controller/run/lease_renewer.h"
#include "controller/run/nemesis_driver.h"
#include "controller/run/preflight.h"
#include "controller/run/progress_reporter.h"
#include "controller/run/run_context.h"
#include "controller/run/signals.h"
#include "controller/run/start_sut.h"

namespace faultline::controller {
namespace {

// The part of the run that has hosts to clean up after it: up to the end
// of the schedule, or to the first phase that cannot go on. Whatever
// happened, the workload is stopped and every fault healed and verified
// before it returns.
void run_on_cluster(RunContext& ctx) {
  std::unique_ptr<PeriodicTask> renewer, progress;
  ClientWorkload clients(ctx);
  NemesisDriver nemesis(ctx);

  bool up = connect_nodes(ctx) && begin_history(ctx) && (renewer = renew_leases(ctx), start_sut(ctx));
  if (up) {
    if (ctx.suite.client) clients.start();
    progress = report_progress(ctx);
    nemesis.run();
  }

  if (progress) progress->stop();
  ctx.console.finish();
  if (interrupted()) {
    ctx.summary.interrupted = true;
    ctx.console.line(fmt::format("interrupted by signal {}: healing everything and writing what there is",
                                 interrupting_signal()));
    ctx.log(fmt::format("interrupted by signal {}", interrupting_signal()));
  }
  clients.stop();
  nemesis.heal_active();
  verify_healed(ctx);
  tear_down_sut(ctx);
  if (renewer) renewer->stop();
}

}  // namespace

int run_suite(const Suite& suite, const RunnerOptions& options) {
  SignalScope signals;
  Console console(options.progress_tty.value_or(::isatty(2) == 1), options.quiet);
  RunContext ctx(suite, options, console);
  if (int refused = preflight(ctx); refused != 0) return refused;
  run_on_cluster(ctx);
  return finish(ctx);
}

}  // namespace faultline::controller
