// Disk fault rules: what the faultable data filesystem (data_fs.h) does to
// each operation while disk-slow, disk-error and lose-unsynced faults are on.
//
// Contract:
//  - DiskOp names the filesystem operations a rule can select ("read",
//    "write", "fsync", "open", ...; op_names() lists them). "fsync" covers
//    fsync, fdatasync and a directory fsync; "truncate" is a size change
//    (ftruncate, open with O_TRUNC), every other attribute change is
//    "setattr"; "open" covers opening a file or directory.
//  - parse_*_rule() validate a spec's fields (every other field is refused
//    by name) and return the rule; to_json()/from_json() round-trip a rule
//    through a HealRecord, so a restarted agent rebuilds it exactly.
//  - A rule matches an operation when the op is in its set (empty set: every
//    op) and the path matches its glob (empty: every path). Paths are
//    relative to the data fs root ("demo/store.log"); a glob with no '/'
//    matches the file's name, one with '/' the whole relative path (fnmatch,
//    '*' crossing '/').
//  - RuleSet is an immutable snapshot the filesystem reads on every op;
//    decide() picks the delay and errno one op gets (delays of all matching
//    slow rules add up; the first matching error rule that fires wins).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "common/units.h"
#include "faults/fault_spec.h"

namespace faultline::faults::disk {

enum class DiskOp : std::uint8_t {
  kLookup, kGetattr, kSetattr, kTruncate, kOpen, kCreate, kRead, kWrite, kFlush, kFsync, kRelease,
  kMkdir, kMknod, kUnlink, kRmdir, kRename, kLink, kSymlink, kReadlink, kReaddir, kStatfs, kFallocate,
  kCount
};
using OpSet = std::uint32_t;  // bit per DiskOp; 0 = every op
inline constexpr OpSet op_bit(DiskOp op) { return OpSet{1} << static_cast<unsigned>(op); }
inline constexpr OpSet kAllOps = (OpSet{1} << static_cast<unsigned>(DiskOp::kCount)) - 1;
// Ops whose results the kernel caches (entry and attribute timeouts).
inline constexpr OpSet kMetadataOps = op_bit(DiskOp::kLookup) | op_bit(DiskOp::kGetattr);

const std::vector<std::string>& op_names();
std::string_view op_name(DiskOp op);

// An errno given by name ("EIO") or number; names are the <errno.h> ones.
Result<int> parse_errno(const nlohmann::json& value);
std::string errno_name(int errnum);

struct Selector {
  OpSet ops = 0;      // 0: every op
  std::string path;   // glob; empty: every path
  bool matches(DiskOp op, std::string_view relative_path) const;
  bool covers(OpSet ops) const { return this->ops == 0 || (this->ops & ops) != 0; }
};

struct SlowRule {
  std::string id;
  Selector where;
  Nanos delay = 0, jitter = 0;  // each op sleeps uniform [delay - jitter, delay + jitter]
  double percent = 100;
};

struct ErrorRule {
  std::string id;
  Selector where;
  int errnum = 5;  // EIO
  double percent = 100;
};

enum class CrashAction { kDrop, kKill, kNone };
struct LoseUnsyncedRule {
  std::string id;
  std::string path;  // glob of the files whose writes are held; empty: all
  CrashAction crash = CrashAction::kDrop;
};
std::string_view crash_name(CrashAction action);

Result<SlowRule> parse_slow_rule(const FaultSpec& spec);
Result<ErrorRule> parse_error_rule(const FaultSpec& spec);
Result<LoseUnsyncedRule> parse_lose_unsynced_rule(const FaultSpec& spec);

nlohmann::json to_json(const SlowRule& rule);
nlohmann::json to_json(const ErrorRule& rule);
nlohmann::json to_json(const LoseUnsyncedRule& rule);
Result<SlowRule> slow_rule_from_json(const nlohmann::json& record);
Result<ErrorRule> error_rule_from_json(const nlohmann::json& record);
Result<LoseUnsyncedRule> lose_unsynced_rule_from_json(const nlohmann::json& record);

std::string describe(const SlowRule& rule);
std::string describe(const ErrorRule& rule);
std::string describe(const LoseUnsyncedRule& rule);

struct Decision {
  Nanos delay = 0;
  int errnum = 0;
};

struct RuleSet {
  std::vector<SlowRule> slow;
  std::vector<ErrorRule> errors;
  std::optional<LoseUnsyncedRule> lose_unsynced;
  OpSet faulted_ops = 0;  // union of the slow and error rules' ops (kAllOps for an empty selector)

  bool empty() const { return slow.empty() && errors.empty() && !lose_unsynced; }
  void recompute();
  Decision decide(DiskOp op, std::string_view relative_path, std::mt19937_64& rng) const;
};

}  // namespace faultline::faults::disk
