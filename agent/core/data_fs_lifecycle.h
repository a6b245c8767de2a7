// DataFsLifecycle: the agent's faultable data filesystem (faults/disk/data_fs.h)
// from mount to unmount, surviving an agent crash.
//
// Contract:
//  - mount(dir) journals {"mountpoint", "mnt_ns", "pid"} (fsynced, in
//    <state-dir>/data-fs.jsonl) BEFORE mounting the data fs over dir, so a
//    restarted agent can always find it. Mounting the same dir again is a
//    no-op; another dir while one is mounted is refused.
//  - unmount() unmounts it and journals that; idempotent. The agent calls it
//    when the SUT is stopped (sut_stop) and on SIGTERM, after the SUT.
//  - recover() (once, before serving) unmounts every data fs the journal
//    says a previous agent left mounted: in this mount namespace, or in the
//    one it was mounted in (entered from a child process) while any process
//    still lives there; a namespace nobody lives in has taken the mount with
//    it. A mount that is already gone is not an error, so a stale record
//    never blocks the next run. Returns how many mounts it removed.
//  Thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "agent/core/journal.h"
#include "common/result.h"

namespace faultline::faults::disk {
class DataFs;
}

namespace faultline::agent {

// What the dispatcher needs of it (so the request path links without FUSE).
class DataFsControl {
 public:
  virtual ~DataFsControl() = default;
  virtual Result<void> mount(const std::filesystem::path& dir) = 0;
  virtual Result<void> unmount() = 0;
  virtual bool mounted() const = 0;
};

class DataFsLifecycle : public DataFsControl {
 public:
  explicit DataFsLifecycle(const std::filesystem::path& state_dir);
  ~DataFsLifecycle() override;

  Result<std::size_t> recover();
  Result<void> mount(const std::filesystem::path& dir) override;
  Result<void> unmount() override;
  bool mounted() const override;

 private:
  mutable std::mutex mutex_;
  Journal journal_;
  std::shared_ptr<faults::disk::DataFs> fs_;
  std::string entry_id_;
  std::uint64_t next_ = 1;
};

}  // namespace faultline::agent
