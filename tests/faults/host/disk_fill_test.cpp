// disk-fill on a small tmpfs mounted in a private mount namespace of this
// test process: a writer gets ENOSPC while the ballast is there, and gets
// its space back after a fresh mechanism heals from the record.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "faults/registry.h"
#include "tests/faults/host/fresh_mechanism.h"

namespace faultline::faults {
namespace {

// A private mount namespace with an 8 MiB tmpfs; unmounted and removed on exit.
class SmallTmpfs {
 public:
  SmallTmpfs() {
    path_ = std::filesystem::temp_directory_path() / ("hostfaults-fill-" + std::to_string(::getpid()));
    if (::unshare(CLONE_NEWNS) != 0) { error_ = "unshare(CLONE_NEWNS)"; return; }
    if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) { error_ = "make / private"; return; }
    std::filesystem::create_directories(path_);
    if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, "size=8m") != 0) { error_ = "mount tmpfs"; return; }
    mounted_ = true;
  }
  ~SmallTmpfs() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  bool ok() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  bool mounted_ = false;
  std::string error_;
};

// Writes up to `bytes` to a new file; returns the errno that stopped it (0 = all written).
int write_bytes(const std::filesystem::path& file, std::size_t bytes) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return errno;
  std::vector<char> block(64 * 1024, 'x');
  int result = 0;
  for (std::size_t done = 0; done < bytes;) {
    ssize_t n = ::write(fd, block.data(), std::min(block.size(), bytes - done));
    if (n < 0) { result = errno; break; }
    done += static_cast<std::size_t>(n);
  }
  if (result == 0 && ::fsync(fd) != 0) result = errno;
  ::close(fd);
  ::unlink(file.c_str());
  return result;
}

std::uint64_t available(const std::filesystem::path& dir) {
  struct statvfs fs {};
  ::statvfs(dir.c_str(), &fs);
  return static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
}

TEST(DiskFill, WriterGetsEnospcUntilFreshHeal) {
  SmallTmpfs fs;
  ASSERT_TRUE(fs.ok()) << fs.error() << ": " << std::strerror(errno);
  HostContext host;
  host.state_dir = fs.path();
  ASSERT_EQ(write_bytes(fs.path() / "probe", 2 << 20), 0) << "the empty tmpfs takes 2 MiB";

  auto spec = FaultSpec::parse(nlohmann::json{{"kind", "disk-fill"}, {"path", fs.path().string()}, {"leave", "1MiB"}});
  auto record = MechanismRegistry::instance().plan(*spec, host);
  ASSERT_TRUE(record) << record.error().message;
  auto mechanism = MechanismRegistry::instance().find("disk-fill", (*record)["mechanism"]);
  ASSERT_TRUE((*mechanism)->apply(*record, host));
  std::uint64_t left = available(fs.path());
  EXPECT_LE(left, (1u << 20) + 64 * 1024);
  EXPECT_GE(left, (1u << 20) - 64 * 1024);
  EXPECT_TRUE(std::filesystem::exists(fs.path() / (".faultline-ballast-" + (*record)["id"].get<std::string>())));
  EXPECT_EQ(write_bytes(fs.path() / "writer", 2 << 20), ENOSPC);
  ASSERT_TRUE((*mechanism)->apply(*record, host));  // idempotent: counts its own ballast
  EXPECT_LE(available(fs.path()), (1u << 20) + 64 * 1024);

  auto fresh = test::fresh_mechanism("disk-fill", *record);
  ASSERT_TRUE(fresh);
  ASSERT_TRUE(fresh->heal(*record, host));
  EXPECT_EQ(write_bytes(fs.path() / "writer", 2 << 20), 0);
  EXPECT_GT(available(fs.path()), 7u << 20);
  EXPECT_TRUE(fresh->heal(*record, host));  // idempotent
}

TEST(DiskFill, PercentFillsToThatShare) {
  SmallTmpfs fs;
  ASSERT_TRUE(fs.ok()) << fs.error();
  HostContext host;
  auto spec = FaultSpec::parse(nlohmann::json{{"kind", "disk-fill"}, {"path", fs.path().string()}, {"percent", 75}});
  auto record = MechanismRegistry::instance().plan(*spec, host);
  ASSERT_TRUE(record) << record.error().message;
  auto mechanism = test::fresh_mechanism("disk-fill", *record);
  ASSERT_TRUE(mechanism->apply(*record, host));
  struct statvfs st {};
  ::statvfs(fs.path().c_str(), &st);
  double used = 1.0 - static_cast<double>(st.f_bfree) / static_cast<double>(st.f_blocks);
  EXPECT_NEAR(used, 0.75, 0.02);
  ASSERT_TRUE(mechanism->heal(*record, host));
  ::statvfs(fs.path().c_str(), &st);
  EXPECT_LT(1.0 - static_cast<double>(st.f_bfree) / static_cast<double>(st.f_blocks), 0.02);
}

TEST(DiskFill, SpecNeedsExactlyOneTarget) {
  HostContext host;
  // Both targets at once is refused by the spec itself (the strict schema),
  // or else by the plan; either way naming the fields.
  auto spec = FaultSpec::parse(nlohmann::json{{"kind", "disk-fill"}, {"path", "/tmp"}, {"leave", "1MiB"}, {"percent", 5}});
  const std::string both = !spec ? spec.error().message
                                 : [&] { auto r = MechanismRegistry::instance().plan(*spec, host); return r ? std::string() : r.error().message; }();
  ASSERT_FALSE(both.empty());
  EXPECT_TRUE(both.find("leave") != std::string::npos || both.find("percent") != std::string::npos) << both;
  auto nodir = MechanismRegistry::instance().plan(
      *FaultSpec::parse(nlohmann::json{{"kind", "disk-fill"}, {"path", "/nonexistent-dir"}, {"leave", "1MiB"}}), host);
  ASSERT_FALSE(nodir);
  EXPECT_NE(nodir.error().message.find("/nonexistent-dir"), std::string::npos);
}

}  // namespace
}  // namespace faultline::faults
