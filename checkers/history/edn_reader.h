// Jepsen/Knossos EDN histories -> History.
//
// Contract: the text is either one EDN vector or list of op maps, or a
// sequence of op maps (typically one per line); `;` comments, `#_` discards
// and commas are ignored (edn.h). Each op map has :process (an integer; ops of
// the :nemesis process are skipped), :type (:invoke, :ok, :fail or :info),
// :f (keyword or string, stored without its colon), and optionally :value
// (nil when absent; for cas it is [expected new]), :key (P-compositional
// models), :time (integer nanoseconds >= 0, else 0), :index and :node (a
// string). Other keys (:error, :index, ...) are kept in `extra`, with the
// colons dropped from their names ({"error": ":timeout"}). Events keep the
// file order (Jepsen's order), their 1-based source `line` (where the map
// starts) and position `index`; their JSON (jsonl_writer.h to_json) is the op
// as faultline writes it ("type":"ok","f":"read", "value" null when absent).
// Values keep the EDN -> JSON mapping of edn.h (keywords as ":name" strings).
// Errors are kInvalidInput "SOURCE:LINE: reason" (syntax errors also name the
// column) for the first bad form; nothing is guessed.
#pragma once

#include <istream>
#include <string>
#include <string_view>

#include "checkers/history/event.h"
#include "common/result.h"

namespace faultline::history {

Result<History> read_edn_history(std::string_view text, const std::string& source);
Result<History> read_edn_history(std::istream& in, const std::string& source);

}  // namespace faultline::history
