#include "agent/core/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

namespace faultline::agent {

namespace {
Result<void> pwrite_all(int fd, std::string_view data, off_t offset, const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, offset + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(fmt::format("journal {}: write: {}", path.string(), std::strerror(errno)));
    }
    done += static_cast<std::size_t>(n);
  }
  return ok_result();
}

Result<void> fsync_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error(fmt::format("journal dir {}: open: {}", dir.string(), std::strerror(errno)));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return io_error(fmt::format("journal dir {}: fsync: {}", dir.string(), std::strerror(errno)));
  return ok_result();
}

// Where the next line goes: after the last byte that is not a newline and the
// one newline that ends it (a torn last line stays ended by the padding).
// Returns the offset and whether a newline must be written first (the file
// ends without one: a torn line written before padding existed).
std::pair<off_t, bool> next_line_offset(const std::string& content) {
  std::size_t end = content.size();
  while (end > 0 && content[end - 1] == '\n') --end;
  if (end == 0) return {0, false};
  if (end == content.size()) return {static_cast<off_t>(end), true};
  return {static_cast<off_t>(end + 1), false};
}
}  // namespace

nlohmann::json journal_entry_to_json(const JournalEntry& entry) {
  return {{"op", "applied"},
          {"id", entry.id},
          {"record", entry.record},
          {"spec", entry.spec},
          {"applied_at_unix_ms", entry.applied_at_unix_ms}};
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

Result<JournalLoad> Journal::load() const {
  std::lock_guard lock(mutex_);
  JournalLoad out;
  std::ifstream in(path_);
  if (!in) {
    if (!std::filesystem::exists(path_)) return out;
    return io_error(fmt::format("journal {}: cannot open for reading", path_.string()));
  }
  std::vector<std::string> order;
  std::map<std::string, JournalEntry> open_entries;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;  // the preallocated tail is blank lines
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("op") || !j.contains("id") || !j["id"].is_string()) {
      ++out.skipped_lines;
      continue;
    }
    const auto id = j["id"].get<std::string>();
    const auto op = j.value("op", std::string());
    if (op == "applied") {
      if (!j.contains("record") || !j["record"].is_object()) {
        ++out.skipped_lines;
        continue;
      }
      JournalEntry entry{id, j["record"], j.value("spec", nlohmann::json::object()),
                         j.value("applied_at_unix_ms", std::int64_t{0})};
      if (!open_entries.count(id)) order.push_back(id);
      open_entries[id] = std::move(entry);
    } else if (op == "healed") {
      open_entries.erase(id);
    } else {
      ++out.skipped_lines;
    }
  }
  for (const auto& id : order)
    if (auto it = open_entries.find(id); it != open_entries.end()) {
      out.still_applied.push_back(std::move(it->second));
      open_entries.erase(it);
    }
  return out;
}

Result<void> Journal::open() {
  std::lock_guard lock(mutex_);
  if (fd_ >= 0) return ok_result();
  return open_locked();
}

Result<void> Journal::open_locked() {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) return io_error(fmt::format("journal {}: open: {}", path_.string(), std::strerror(errno)));
  std::ifstream in(path_, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  const auto text = content.str();
  size_ = static_cast<off_t>(text.size());
  auto [offset, needs_newline] = next_line_offset(text);
  offset_ = offset;
  if (needs_newline) {
    if (auto ended = pwrite_all(fd_, "\n", offset_, path_); !ended) return ended;
    offset_ += 1;
    size_ = std::max(size_, offset_);
  }
  if (auto room = preallocate(0); !room) return room;
  return sync_locked();
}

Result<void> Journal::sync_locked() {
  if (::fdatasync(fd_) != 0)
    return io_error(fmt::format("journal {}: fdatasync: {}", path_.string(), std::strerror(errno)));
  return ok_result();
}

// Makes sure `bytes` more fit before the end of the file, growing it by whole
// chunks of newlines written (not just reserved) now, so that appending
// later changes no metadata and the sync of a record flushes its data alone.
// The padding is synced with the record that needed it (append_line) or by
// open_locked.
Result<void> Journal::preallocate(std::size_t bytes) {
  const off_t needed = offset_ + static_cast<off_t>(bytes);
  if (needed < size_) return ok_result();
  off_t grown = size_;
  while (grown <= needed) grown += static_cast<off_t>(kPreallocateBytes);
  std::string padding(static_cast<std::size_t>(grown - size_), '\n');
  if (auto written = pwrite_all(fd_, padding, size_, path_); !written) return written;
  size_ = grown;
  return ok_result();
}

Result<void> Journal::append_line(const std::string& line, Durability durability) {
  std::lock_guard lock(mutex_);
  if (fd_ < 0) return internal_error("journal is not open");
  // The line keeps one newline of the padding after it as its end.
  if (auto room = preallocate(line.size() + 1); !room) return room;
  if (auto written = pwrite_all(fd_, line, offset_, path_); !written) return written;
  offset_ += static_cast<off_t>(line.size()) + 1;
  // fdatasync also flushes the crash-safe records written before this one.
  return durability == Durability::kSynced ? sync_locked() : ok_result();
}

Result<void> Journal::append_applied(const JournalEntry& entry, Durability durability) {
  return append_line(journal_entry_to_json(entry).dump(), durability);
}

Result<void> Journal::append_healed(const std::string& id, Durability durability) {
  return append_line(nlohmann::json{{"op", "healed"}, {"id", id}}.dump(), durability);
}

Result<void> Journal::compact(const std::vector<JournalEntry>& still_applied) {
  std::lock_guard lock(mutex_);
  auto temp = path_;
  temp += ".compact";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error(fmt::format("journal {}: open: {}", temp.string(), std::strerror(errno)));
  std::string content;
  for (const auto& entry : still_applied) content += journal_entry_to_json(entry).dump() + "\n";
  auto written = pwrite_all(fd, content, 0, temp);
  if (written && ::fsync(fd) != 0)
    written = io_error(fmt::format("journal {}: fsync: {}", temp.string(), std::strerror(errno)));
  ::close(fd);
  if (!written) return written;
  if (::rename(temp.c_str(), path_.c_str()) != 0)
    return io_error(fmt::format("journal {}: rename: {}", path_.string(), std::strerror(errno)));
  if (auto synced = fsync_dir(path_.parent_path().empty() ? "." : path_.parent_path()); !synced) return synced;
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
    if (auto reopened = open_locked(); !reopened) return reopened.error().with_context("journal reopen");
  }
  return ok_result();
}

}  // namespace faultline::agent
