// HeldWrites: one file's data written but not yet fsynced while a
// lose-unsynced fault is on (the "page cache" lazyfs keeps in memory).
//
// Contract: the object stands for the file's logical content on top of the
// backing file, which it never changes until flush(). write() keeps the bytes
// (later writes win where they overlap); truncate() sets the logical size
// (bytes past it read as zeros, even if the backing file still has them);
// size() is the logical size given the backing file's size. read() fills a
// buffer with the logical content (backing bytes below the lowest truncation,
// zeros past it, held bytes on top). flush() makes the backing file equal to
// the logical content (truncate, pwrite every held extent, fdatasync) and
// empties the object; dropping the object loses the held bytes, as a power
// loss would. Not thread-safe: the filesystem locks the inode.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/result.h"

namespace faultline::faults::disk {

class HeldWrites {
 public:
  // backing_size: the backing file's size when the first change is held.
  explicit HeldWrites(off_t backing_size) : size_(backing_size), cut_(backing_size) {}

  void write(off_t offset, const char* data, std::size_t length);
  void truncate(off_t length);
  off_t size() const { return size_; }
  bool empty() const { return extents_.empty() && size_ == cut_ && !truncated_; }
  std::size_t held_bytes() const;

  // Reads [offset, offset+length) of the logical file into out; the backing
  // file is read through backing_fd. Returns the bytes read (short at EOF).
  Result<std::size_t> read(int backing_fd, off_t offset, std::size_t length, char* out) const;

  // Writes everything held to backing_fd (which must be open for writing) and
  // fdatasyncs it; on success the object is empty (its size the backing size).
  Result<void> flush(int backing_fd);

 private:
  std::map<off_t, std::string> extents_;  // non-overlapping, keyed by offset
  off_t size_;                            // logical size
  off_t cut_;                             // backing bytes at or past cut_ read as zeros
  bool truncated_ = false;
};

}  // namespace faultline::faults::disk
