// DataFs: the faultable data filesystem, a passthrough FUSE filesystem
// (libfuse3's low-level API) that the agent mounts over the SUT's data
// directory; the disk-slow, disk-error and lose-unsynced mechanisms act on it.
//
// Contract:
//  - mount(dir) opens `dir` (O_PATH) and mounts the filesystem over it: from
//    then on every file operation under `dir` passes through this process to
//    the directory underneath (the backing directory), whose contents it
//    shows unchanged. The mount is "fuse.faultline" with source
//    "faultline-data"; requests are served by a multithreaded loop (one
//    /dev/fuse clone per worker). unmount() (and the destructor) detaches the
//    mount and ends the session; what was written is in the backing
//    directory, visible at `dir` again.
//  - Kernel caching keeps the faults' meaning, with the kernel's page cache
//    above the data fs as it is above a disk: no writeback cache (every
//    write() reaches the filesystem before it returns), reads of pages the
//    page cache holds are served from it and never reach the filesystem (as
//    they would never reach a disk), O_DIRECT and cold reads always do;
//    entries and attributes are cached for 1 s, or not at all while a rule
//    selects lookup or getattr.
//  - With no rule, every operation only passes through. add_rule() adds a
//    disk-slow or disk-error rule, remove_rule(id) removes it; both take
//    effect for the next operation. hold() starts holding writes as lazyfs
//    does (held_writes.h); release_held(drop) ends it, dropping what was not
//    fsynced (drop = true, then the kernel's cached pages and attributes of
//    those files are invalidated) or writing it through (drop = false).
//  - find(dir) / only() return a filesystem mounted by this process.
//  - availability() says whether FUSE can be mounted here (/dev/fuse usable,
//    CAP_SYS_ADMIN) and if not why, naming what a container needs. It
//    changes nothing.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "common/result.h"
#include "faults/disk/disk_rules.h"
#include "faults/mechanism.h"

namespace faultline::faults::disk {

struct HeldReport {
  std::size_t files = 0;
  std::size_t bytes = 0;
};

class DataFs {
 public:
  struct Options {
    unsigned max_threads = 64;
    double cache_timeout = 1.0;  // seconds: entry and attribute cache
  };

  static Availability availability();
  static Result<std::shared_ptr<DataFs>> mount(const std::filesystem::path& dir, Options options);
  static Result<std::shared_ptr<DataFs>> mount(const std::filesystem::path& dir) { return mount(dir, Options{}); }
  static std::shared_ptr<DataFs> find(const std::filesystem::path& dir);
  static std::shared_ptr<DataFs> only();

  ~DataFs();
  DataFs(const DataFs&) = delete;
  DataFs& operator=(const DataFs&) = delete;

  const std::filesystem::path& mountpoint() const;
  Result<void> unmount();

  Result<void> add_rule(const SlowRule& rule);
  Result<void> add_rule(const ErrorRule& rule);
  bool remove_rule(const std::string& id);
  Result<void> hold(const LoseUnsyncedRule& rule);
  // Ends holding if `id` is the holding rule; a no-op otherwise.
  Result<HeldReport> release_held(const std::string& id, bool drop);
  HeldReport held() const;

  struct Impl;

 private:
  bool detached_ = false;  // the session outlived unmount(): Impl is leaked, not freed
  explicit DataFs(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Whether /proc/self/mountinfo (this mount namespace) shows a faultline data
// fs ("fuse.faultline") mounted at dir.
bool data_fs_mounted_at(const std::filesystem::path& dir);

}  // namespace faultline::faults::disk
