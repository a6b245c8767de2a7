// The storage fault kinds and their fields (field.h). disk-slow, disk-error
// and lose-unsynced act on the faultable data fs (sut.data_fs: faultable).
#include "faults/spec/disk_ops.h"
#include "faults/spec/field.h"

namespace faultline::faults::spec {
namespace {

using T = FieldType;

FieldSpec ops_field() {
  return field("ops", T::kEnumList, "only these file operations").defaults("every operation").one_of(disk_op_names());
}

FieldSpec glob_field() {
  return field("path", T::kString, "only files matching this glob (relative to the data fs; without '/' it matches the "
                                   "file name)")
      .defaults("every file");
}

FieldSpec share_field() {
  return field("percent", T::kPercent, "share of matching operations affected").defaults("100").between(0, 100);
}

}  // namespace

const std::vector<std::string>& disk_op_names() {
  static const std::vector<std::string> names{
      "lookup", "getattr", "setattr", "truncate", "open",    "create",  "read",    "write",
      "flush",  "fsync",   "release", "mkdir",    "mknod",   "unlink",  "rmdir",   "rename",
      "link",   "symlink", "readlink", "readdir", "statfs",  "fallocate"};
  return names;
}

std::vector<KindSpec> disk_kinds() {
  std::vector<KindSpec> kinds;
  kinds.push_back(kind_spec(
      "corrupt-file", "disk", "flip bits in, or truncate, chunks of a file (the original bytes are saved for heal)",
      {field("path", T::kString, "the file").needed(),
       field("mode", T::kEnum, "what to do to each chosen chunk").defaults("bitflip").one_of({"bitflip", "truncate"}),
       field("start", T::kSize, "first byte considered").defaults("0"),
       field("end", T::kSize, "end of the range considered").defaults("the file's size"),
       field("chunk_size", T::kSize, "chunk size").defaults("1MiB").above(0),
       field("modulus", T::kSize, "take every modulus-th chunk...").defaults("1").above(0),
       field("index", T::kSize, "...starting at this one (< modulus)").defaults("0"),
       field("probability", T::kNumber, "bitflip: chance per bit").defaults("0.001").between(0, 1),
       field("seed", T::kInteger, "random seed").defaults("random").at_least(0)},
      {R"({"kind":"corrupt-file","path":"/data/wal.log","mode":"bitflip","probability":0.01})"}));
  KindSpec fill = kind_spec(
      "disk-fill", "disk", "fill a filesystem with a ballast file (fallocate)",
      {field("path", T::kString, "a directory on the filesystem to fill").needed(),
       field("leave", T::kSize, "bytes to leave free"),
       field("percent", T::kNumber, "fill to this percent of the filesystem").above(0).at_most(100)},
      {R"({"kind":"disk-fill","path":"{data}","leave":"1MiB"})"});
  fill.exactly_one_of = {{"leave", "percent"}};
  kinds.push_back(fill);
  kinds.push_back(kind_spec(
      "disk-slow", "disk", "add latency to file operations on the faultable data fs",
      {field("delay", T::kDuration, "added latency").needed().above(0),
       field("jitter", T::kDuration, "random extra latency, 0..jitter").defaults("0"), ops_field(), glob_field(),
       share_field()},
      {R"({"kind":"disk-slow","delay":"50ms","jitter":"10ms","ops":["write","fsync"]})"}));
  kinds.push_back(kind_spec("disk-error", "disk", "fail file operations on the faultable data fs with an errno",
                            {field("errno", T::kErrno, "the error returned").defaults("EIO"), ops_field(), glob_field(),
                             share_field()},
                            {R"({"kind":"disk-error","errno":"EIO","ops":["fsync"],"percent":50})"}));
  kinds.push_back(kind_spec(
      "lose-unsynced", "disk",
      "hold writes not yet fsynced on the faultable data fs; at the fault's end, the crash action fires",
      {field("crash", T::kEnum,
             "at the end: drop (discard what was not fsynced, as a power loss would), kill (SIGKILL the SUT, drop, "
             "restart it: a power loss of the node), none (write the held data through)")
           .defaults("drop")
           .one_of({"drop", "kill", "none"}),
       glob_field()},
      {R"({"kind":"lose-unsynced","crash":"drop"})"}));
  return kinds;
}

}  // namespace faultline::faults::spec
