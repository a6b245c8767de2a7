// DataFs::Impl: the state the FUSE handlers (data_fs_ops.cpp) share with the
// mount and rule code (data_fs.cpp). Internal to faults/disk.
//
// Contract: an Inode is the filesystem's node id (its address is the FUSE
// inode number); it holds an O_PATH fd of the backing file, its path
// relative to the root (for rule globs; the last name it was looked up or
// renamed by) and its lookup count, freed when the kernel forgets it. Rules
// are an immutable RuleSet swapped atomically; held writes are keyed by the
// backing (dev, ino) so they outlive a forgotten inode, under held_mutex.
#pragma once

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include <sys/stat.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

#include "faults/disk/data_fs.h"
#include "faults/disk/disk_rules.h"
#include "faults/disk/held_writes.h"

namespace faultline::faults::disk {

struct Inode {
  int fd = -1;  // O_PATH
  dev_t dev = 0;
  ino_t ino = 0;
  std::uint64_t nlookup = 0;  // under Impl::inodes_mutex
  mutable std::mutex mutex;   // guards path
  std::string path;           // relative to the root, "" for the root
};

struct FileHandle {
  int fd = -1;
  bool sync = false;  // opened O_SYNC / O_DSYNC: every write is synced
};

struct DevIno {
  dev_t dev;
  ino_t ino;
  bool operator==(const DevIno&) const = default;
  auto operator<=>(const DevIno&) const = default;
};
struct DevInoHash {
  std::size_t operator()(const DevIno& k) const { return std::hash<std::uint64_t>{}(k.ino * 1000003u ^ k.dev); }
};

struct HeldFile {
  int path_fd = -1;  // O_PATH dup, to reopen for writing at flush
  HeldWrites writes;
};

struct DataFs::Impl {
  std::filesystem::path mountpoint;
  DataFs::Options options;
  Inode root;
  fuse_session* session = nullptr;
  std::thread loop;
  std::atomic<bool> loop_done{false};
  dev_t mounted_dev = 0;  // st_dev of the mount (the fusectl connection id)

  std::mutex inodes_mutex;
  std::unordered_map<DevIno, Inode*, DevInoHash> inodes;

  std::mutex rules_mutex;  // writers of `rules`
  std::atomic<std::shared_ptr<const RuleSet>> rules{std::make_shared<const RuleSet>()};
  std::atomic<bool> any_rules{false};

  std::mutex held_mutex;
  std::atomic<bool> holding{false};
  LoseUnsyncedRule hold_rule;  // under held_mutex
  std::map<DevIno, HeldFile> held;

  ~Impl();

  Inode* inode(fuse_ino_t ino) { return ino == FUSE_ROOT_ID ? &root : reinterpret_cast<Inode*>(ino); }
  std::string path_of(const Inode* inode, const char* name = nullptr) const;
  // The errno an op gets from the rules (after sleeping its delay), 0 to go on.
  int gate(DiskOp op, const Inode* inode, const char* name = nullptr);
  double cache_timeout() const;
  // Looks up name in parent and counts a lookup; fills e. Returns errno or 0.
  int do_lookup(fuse_ino_t parent, const char* name, fuse_entry_param* e);
  void forget(Inode* inode, std::uint64_t n);
  // The held writes of a file when holding applies to it (held_mutex held).
  HeldFile* held_file(Inode* inode, bool create);
  void publish(RuleSet next);
  // Edits a copy of the rules under rules_mutex; publishes it when edit says so.
  void edit_rules(const std::function<bool(RuleSet&)>& edit);
};

const fuse_lowlevel_ops& data_fs_operations();

}  // namespace faultline::faults::disk
