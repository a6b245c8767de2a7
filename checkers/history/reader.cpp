#include "checkers/history/reader.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "checkers/history/edn_reader.h"
#include "checkers/history/jepsen_log_reader.h"
#include "checkers/history/jsonl_reader.h"

namespace faultline::history {
namespace {
bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ','; }
}  // namespace

HistoryFormat detect_history_format(const std::string& path, std::string_view text) {
  if (ends_with(path, ".jsonl") || ends_with(path, ".json")) return HistoryFormat::kJsonl;
  if (ends_with(path, ".edn")) return HistoryFormat::kEdn;
  std::size_t i = 0;
  while (i < text.size() && blank(text[i])) ++i;
  if (i == text.size()) return HistoryFormat::kJsonl;
  char c = text[i];
  if (c != '{' && c != '[' && c != '(' && c != ';' && c != '#') {
    const std::string_view first_line = text.substr(i, text.find('\n', i) - i);
    if (first_line.find("jepsen") != std::string_view::npos) return HistoryFormat::kJepsenLog;
  }
  if (c == '[' || c == '(' || c == ';' || c == '#') return HistoryFormat::kEdn;
  if (c == '{') {
    ++i;
    while (i < text.size() && blank(text[i])) ++i;
    if (i < text.size() && (text[i] == '"' || text[i] == '}')) return HistoryFormat::kJsonl;
    return HistoryFormat::kEdn;
  }
  return HistoryFormat::kJsonl;  // let the JSONL reader name the bad line
}

Result<History> read_history_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error(path + ": cannot open: " + std::strerror(errno));
  // Enough of the start to tell the format: up to its second non-blank
  // character, and the rest of that line (detect_history_format looks no
  // further), at most kHeadBytes.
  constexpr std::size_t kHeadBytes = 64 * 1024;
  std::string head;
  std::size_t significant = 0;
  char first = 0, c;
  while (head.size() < kHeadBytes && in.get(c)) {
    head.push_back(c);
    if (!blank(c) && significant++ == 0) first = c;
    if (significant >= 2 && (c == '\n' || std::string_view("{[(;#").find(first) != std::string_view::npos)) break;
  }
  if (in.bad()) return io_error(path + ": read failed: " + std::strerror(errno));
  in.clear();
  const bool seekable = static_cast<bool>(in.seekg(0));
  if (!seekable) in.clear();  // a pipe: `head` is already consumed
  const HistoryFormat format = detect_history_format(path, head);
  if (format != HistoryFormat::kJsonl || !seekable) {
    std::string text = seekable ? std::string() : head;
    text.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) return io_error(path + ": read failed: " + std::strerror(errno));
    if (format == HistoryFormat::kEdn) return read_edn_history(text, path);
    if (format == HistoryFormat::kJepsenLog) return read_jepsen_log_history(text, path);
    std::istringstream stream(std::move(text));
    return read_jsonl_history(stream, path);
  }
  // A JSONL file is read line by line, never held whole.
  return read_jsonl_history(in, path);
}

}  // namespace faultline::history
