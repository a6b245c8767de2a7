// HeldWrites against a real backing file: what reads see while writes are
// held, that nothing reaches the file until flush, and what flush leaves.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "faults/disk/held_writes.h"

namespace faultline::faults::disk {
namespace {

class Backing {
 public:
  explicit Backing(const std::string& content) {
    char name[] = "/tmp/held-writes-XXXXXX";
    fd_ = ::mkstemp(name);
    path_ = name;
    EXPECT_EQ(::write(fd_, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  }
  ~Backing() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  std::string content() const {
    std::string out(static_cast<std::size_t>(::lseek(fd_, 0, SEEK_END)), '\0');
    EXPECT_EQ(::pread(fd_, out.data(), out.size(), 0), static_cast<ssize_t>(out.size()));
    return out;
  }

 private:
  int fd_ = -1;
  std::string path_;
};

std::string read_all(const HeldWrites& held, int fd) {
  std::string out(static_cast<std::size_t>(held.size()) + 16, '?');
  auto n = held.read(fd, 0, out.size(), out.data());
  EXPECT_TRUE(n);
  out.resize(*n);
  return out;
}

TEST(HeldWrites, WritesOverlayTheBackingUntilFlushed) {
  Backing file("0123456789");
  HeldWrites held(10);
  held.write(2, "ab", 2);
  held.write(8, "XYZW", 4);
  held.write(3, "c", 1);  // overlaps the first write
  EXPECT_EQ(held.size(), 12);
  EXPECT_EQ(read_all(held, file.fd()), "01ac4567XYZW");
  EXPECT_EQ(file.content(), "0123456789") << "nothing reached the backing file";
  std::string mid(4, '?');
  ASSERT_EQ(*held.read(file.fd(), 1, 4, mid.data()), 4u);
  EXPECT_EQ(mid, "1ac4");
  ASSERT_TRUE(held.flush(file.fd()));
  EXPECT_EQ(file.content(), "01ac4567XYZW");
  EXPECT_TRUE(held.empty());
}

TEST(HeldWrites, TruncateHidesBackingBytesAndFlushCutsThem) {
  Backing file("0123456789");
  HeldWrites held(10);
  held.write(0, "AB", 2);
  held.truncate(4);
  EXPECT_EQ(read_all(held, file.fd()), "AB23");
  held.write(6, "Z", 1);  // grows past the cut: the gap reads as zeros, not "45"
  EXPECT_EQ(read_all(held, file.fd()), std::string("AB23\0\0Z", 7));
  EXPECT_EQ(file.content(), "0123456789");
  ASSERT_TRUE(held.flush(file.fd()));
  EXPECT_EQ(file.content(), std::string("AB23\0\0Z", 7));
}

TEST(HeldWrites, DroppingLosesEverythingHeld) {
  Backing file("keep");
  {
    HeldWrites held(4);
    held.write(0, "lost!", 5);
    held.truncate(2);
    EXPECT_EQ(held.held_bytes(), 2u);
  }
  EXPECT_EQ(file.content(), "keep");
}

}  // namespace
}  // namespace faultline::faults::disk
