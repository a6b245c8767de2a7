#include "agent/core/data_fs_lifecycle.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/process/launch.h"
#include "faults/disk/data_fs.h"

namespace faultline::agent {
namespace {

std::string mount_namespace(const std::string& pid = "self") {
  std::error_code ec;
  auto target = std::filesystem::read_symlink("/proc/" + pid + "/ns/mnt", ec);
  return ec ? std::string() : target.string();
}

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Unmounts dir in the mount namespace `ns` from a child that enters it
// through a process living there. False when no process lives there (then
// the namespace, and the mount with it, is gone).
Result<bool> unmount_in_namespace(const std::filesystem::path& dir, const std::string& ns) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const auto pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (mount_namespace(pid) != ns) continue;
    int ns_fd = ::open(("/proc/" + pid + "/ns/mnt").c_str(), O_RDONLY | O_CLOEXEC);
    if (ns_fd < 0) continue;
    process::LaunchOptions options;
    options.argv = {"umount", "--lazy", dir.string()};
    options.env = {{"LC_ALL", "C"}};  // its messages are read below
    options.err = process::Stream::capture();
    options.out = process::Stream::null();
    options.exec_setup = [ns_fd] { return ::setns(ns_fd, CLONE_NEWNS) == 0 ? 0 : errno; };
    auto done = process::run(options);
    ::close(ns_fd);
    if (!done) return done.error().with_context(fmt::format("unmounting {} in mount namespace {}", dir.string(), ns));
    const bool already_gone = done->err.find("not mounted") != std::string::npos ||
                              done->err.find("No such file") != std::string::npos;
    if (done->exit_code != 0 && !already_gone)
      return io_error(fmt::format("unmounting {} in mount namespace {} (through pid {}) failed (exit {}): {}",
                                  dir.string(), ns, pid, done->exit_code, done->err));
    return true;
  }
  return false;
}

}  // namespace

DataFsLifecycle::DataFsLifecycle(const std::filesystem::path& state_dir) : journal_(state_dir / "data-fs.jsonl") {}

DataFsLifecycle::~DataFsLifecycle() { (void)unmount(); }

Result<std::size_t> DataFsLifecycle::recover() {
  std::lock_guard lock(mutex_);
  auto loaded = journal_.load();
  if (!loaded) return loaded.error();
  std::size_t removed = 0;
  std::vector<JournalEntry> failed;
  const std::string here = mount_namespace();
  for (const auto& entry : loaded->still_applied) {
    const std::filesystem::path dir = entry.record.value("mountpoint", std::string());
    const std::string ns = entry.record.value("mnt_ns", std::string());
    if (dir.empty()) continue;
    if (ns.empty() || ns == here) {
      if (!faults::disk::data_fs_mounted_at(dir)) continue;
      if (::umount2(dir.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0) {
        spdlog::error("recovery: cannot unmount the data fs at {}: {}", dir.string(), std::strerror(errno));
        failed.push_back(entry);
        continue;
      }
      ++removed;
    } else {
      auto done = unmount_in_namespace(dir, ns);
      if (!done) {
        spdlog::error("recovery: {}", done.error().message);
        failed.push_back(entry);
        continue;
      }
      if (*done) ++removed;
    }
    spdlog::info("recovery: unmounted the data fs a previous agent left at {}", dir.string());
  }
  if (auto compacted = journal_.compact(failed); !compacted) return compacted.error();
  if (auto opened = journal_.open(); !opened) return opened.error();
  if (!failed.empty()) return io_error(fmt::format("{} data fs mount(s) left by a previous agent could not be removed", failed.size()));
  return removed;
}

Result<void> DataFsLifecycle::mount(const std::filesystem::path& dir) {
  std::lock_guard lock(mutex_);
  if (fs_) {
    if (fs_->mountpoint() == std::filesystem::weakly_canonical(dir)) return ok_result();
    return invalid_input(fmt::format("a data fs is already mounted at {}", fs_->mountpoint().string()));
  }
  auto availability = faults::disk::DataFs::availability();
  if (!availability.available) return unavailable("sut data_fs: " + availability.reason);
  std::error_code ec;
  const auto canonical = std::filesystem::weakly_canonical(dir, ec);
  if (ec || !std::filesystem::is_directory(canonical, ec))
    return invalid_input(fmt::format("sut data_fs: {} is not a directory", dir.string()));
  if (auto opened = journal_.open(); !opened) return opened.error();
  JournalEntry entry{fmt::format("data-fs-{}-{}", ::getpid(), next_++),
                     {{"mountpoint", canonical.string()}, {"mnt_ns", mount_namespace()}, {"pid", ::getpid()}},
                     nlohmann::json::object(),
                     unix_ms()};
  if (auto journaled = journal_.append_applied(entry); !journaled)
    return journaled.error().with_context("data fs not mounted: cannot journal it");
  auto mounted = faults::disk::DataFs::mount(canonical);
  if (!mounted) {
    (void)journal_.append_healed(entry.id);
    return mounted.error();
  }
  fs_ = *mounted;
  entry_id_ = entry.id;
  return ok_result();
}

Result<void> DataFsLifecycle::unmount() {
  std::lock_guard lock(mutex_);
  if (!fs_) return ok_result();
  auto result = fs_->unmount();
  fs_.reset();
  if (result) (void)journal_.append_healed(entry_id_);
  return result;
}

bool DataFsLifecycle::mounted() const {
  std::lock_guard lock(mutex_);
  return fs_ != nullptr;
}

}  // namespace faultline::agent
