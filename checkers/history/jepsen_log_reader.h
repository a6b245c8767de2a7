// Jepsen log histories (the op lines of a `jepsen.log`) -> History.
//
// Contract: Jepsen logs every client operation through `jepsen.util` as one
// line "... jepsen.util - PROCESS<TAB>TYPE<TAB>F<TAB>VALUE[<TAB>ERROR]"
// (older log layouts, e.g. "INFO  jepsen.util - 0\t:invoke\t:read\tnil"), or
// "... jepsen.util: PROCESS ..." (newer ones); fields are separated by tabs or
// runs of spaces. read_jepsen_log_history keeps exactly those lines: PROCESS
// is an integer (lines of the :nemesis process are skipped), TYPE one of
// :invoke :ok :fail :info, F a keyword (stored without its colon), VALUE one
// EDN form (edn.h; nil when absent). What follows VALUE (Jepsen's error, such
// as :timed-out) is kept in `extra` as "error". Every other line (other
// loggers, other jepsen.util messages) is skipped. An op line whose VALUE is
// not EDN is kInvalidInput "SOURCE:LINE: reason". Events keep file order,
// time 0 (the log has no op times; file order is real-time order), their
// 1-based source line and position `index`.
#pragma once

#include <string>
#include <string_view>

#include "checkers/history/event.h"
#include "common/result.h"

namespace faultline::history {

Result<History> read_jepsen_log_history(std::string_view text, const std::string& source);

// True when `line` (one line, no newline) is a jepsen.util op line.
bool is_jepsen_log_op_line(std::string_view line);

}  // namespace faultline::history
