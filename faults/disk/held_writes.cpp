#include "faults/disk/held_writes.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace faultline::faults::disk {

void HeldWrites::write(off_t offset, const char* data, std::size_t length) {
  if (length == 0) return;
  const off_t end = offset + static_cast<off_t>(length);
  // Cut the extents that overlap [offset, end), keeping their outside parts.
  auto it = extents_.lower_bound(offset);
  if (it != extents_.begin()) {
    auto prev = std::prev(it);
    if (prev->first + static_cast<off_t>(prev->second.size()) > offset) it = prev;
  }
  while (it != extents_.end() && it->first < end) {
    const off_t start = it->first;
    const off_t stop = start + static_cast<off_t>(it->second.size());
    std::string text = std::move(it->second);
    it = extents_.erase(it);
    if (start < offset) extents_.emplace(start, text.substr(0, static_cast<std::size_t>(offset - start)));
    if (stop > end) extents_.emplace(end, text.substr(static_cast<std::size_t>(end - start)));
  }
  extents_.emplace(offset, std::string(data, length));
  size_ = std::max(size_, end);
}

void HeldWrites::truncate(off_t length) {
  auto it = extents_.lower_bound(length);
  if (it != extents_.begin()) {
    auto prev = std::prev(it);
    if (prev->first + static_cast<off_t>(prev->second.size()) > length)
      prev->second.resize(static_cast<std::size_t>(length - prev->first));
  }
  extents_.erase(it, extents_.end());
  cut_ = std::min(cut_, length);
  size_ = length;
  truncated_ = true;
}

std::size_t HeldWrites::held_bytes() const {
  std::size_t total = 0;
  for (const auto& [offset, text] : extents_) total += text.size();
  return total;
}

Result<std::size_t> HeldWrites::read(int backing_fd, off_t offset, std::size_t length, char* out) const {
  if (offset >= size_) return std::size_t{0};
  length = std::min<std::size_t>(length, static_cast<std::size_t>(size_ - offset));
  const off_t end = offset + static_cast<off_t>(length);
  std::memset(out, 0, length);
  // Backing bytes below the cut.
  if (offset < cut_) {
    std::size_t want = static_cast<std::size_t>(std::min(end, cut_) - offset);
    std::size_t done = 0;
    while (done < want) {
      ssize_t n = ::pread(backing_fd, out + done, want - done, offset + static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return io_error(fmt::format("pread: {}", std::strerror(errno)));
      if (n == 0) break;  // the rest reads as zeros
      done += static_cast<std::size_t>(n);
    }
  }
  // Held bytes on top.
  auto it = extents_.lower_bound(offset);
  if (it != extents_.begin()) --it;
  for (; it != extents_.end() && it->first < end; ++it) {
    const off_t start = std::max(offset, it->first);
    const off_t stop = std::min(end, it->first + static_cast<off_t>(it->second.size()));
    if (start >= stop) continue;
    std::memcpy(out + (start - offset), it->second.data() + (start - it->first), static_cast<std::size_t>(stop - start));
  }
  return length;
}

Result<void> HeldWrites::flush(int backing_fd) {
  if (truncated_ && ::ftruncate(backing_fd, cut_) != 0) return io_error(fmt::format("ftruncate: {}", std::strerror(errno)));
  for (const auto& [offset, text] : extents_) {
    std::size_t done = 0;
    while (done < text.size()) {
      ssize_t n = ::pwrite(backing_fd, text.data() + done, text.size() - done, offset + static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return io_error(fmt::format("pwrite: {}", std::strerror(errno)));
      done += static_cast<std::size_t>(n);
    }
  }
  if (::ftruncate(backing_fd, size_) != 0) return io_error(fmt::format("ftruncate: {}", std::strerror(errno)));
  if (::fdatasync(backing_fd) != 0) return io_error(fmt::format("fdatasync: {}", std::strerror(errno)));
  extents_.clear();
  cut_ = size_;
  truncated_ = false;
  return ok_result();
}

}  // namespace faultline::faults::disk
