// Reads a history file in whichever format it is written.
//
// Contract: read_history_file opens `path` and parses it as faultline's JSONL
// (jsonl_reader.h), as a Jepsen/Knossos EDN history (edn_reader.h) or as the
// op lines of a Jepsen log (jepsen_log_reader.h). The format is chosen by
// extension (.jsonl/.json -> JSONL, .edn -> EDN), and otherwise by content: a
// first non-blank character of '[', '(', ';' or '#', or a '{' followed by a
// keyword, means EDN; a '{' followed by '"' or '}' means JSONL; a first line
// that starts otherwise and mentions "jepsen" means a Jepsen log. Errors: kIo "PATH: cannot open: reason" when the file cannot
// be read, and the readers' kInvalidInput "PATH:LINE: reason" otherwise.
// A JSONL file is streamed line by line; an EDN file, a Jepsen log (or a
// pipe) is read whole first.
#pragma once

#include <string>
#include <string_view>

#include "checkers/history/event.h"
#include "common/result.h"

namespace faultline::history {

enum class HistoryFormat { kJsonl, kEdn, kJepsenLog };

// The format of `text` by the rules above (`path` only for its extension).
HistoryFormat detect_history_format(const std::string& path, std::string_view text);

Result<History> read_history_file(const std::string& path);

}  // namespace faultline::history
