// EDN export: a History as Jepsen writes its histories, so Jepsen's own
// tools (Knossos, Elle) and anything that reads Jepsen histories can check
// a faultline run.
//
// Contract: write_edn_history() writes one op map per line, in the
// history's order (which is time order), each with :index (0-based, counting
// the maps written), :time (nanoseconds since the test began), :process,
// :type (:invoke :ok :fail :info), :f (a keyword), :value (nil when absent),
// and :key and :node when the op has them, plus its other fields as
// keywords. Faults become Jepsen nemesis ops: {:process :nemesis, :type
// :info, :f :start-<kind> or :stop-<kind>, :value {:id .. :targets ..
// :grudge ..}} unless client_only. Other events (detector, breaker, retry,
// log) are not Jepsen ops and are left out. read_edn_history() of the
// output gives back the same client operations (process, type, f, value,
// key, node, time, order).
#pragma once

#include <ostream>

#include "checkers/history/event.h"

namespace faultline::history {

struct EdnExportOptions {
  bool client_only = false;
};

void write_edn_history(std::ostream& out, const History& history, const EdnExportOptions& options = {});

}  // namespace faultline::history
