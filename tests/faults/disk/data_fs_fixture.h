// Test support for the data fs integration tests: the test process moves
// into a private mount namespace with its own tmpfs (so nothing it mounts is
// seen by, or left to, the host; the namespace goes when the process does,
// also on failure), runs commands, and mounts a fresh data fs per test.
#pragma once

#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "common/process/launch.h"
#include "faults/disk/data_fs.h"
#include "faults/registry.h"

namespace faultline::storage_test {

// Once per process: a private mount namespace and a 256 MiB tmpfs at root().
class PrivateMounts : public ::testing::Environment {
 public:
  static const std::filesystem::path& root() { return root_; }
  static const std::string& error() { return error_; }
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() / ("fl-storage-" + std::to_string(::getpid()));
    if (::unshare(CLONE_NEWNS) != 0) { error_ = std::string("unshare(CLONE_NEWNS): ") + std::strerror(errno); return; }
    if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) { error_ = "make / private"; return; }
    std::filesystem::create_directories(root_);
    if (::mount("faultline-test", root_.c_str(), "tmpfs", 0, "size=256m") != 0) { error_ = "mount tmpfs"; return; }
  }
  void TearDown() override {
    ::umount2(root_.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove(root_, ec);
  }

 private:
  static inline std::filesystem::path root_;
  static inline std::string error_;
};

struct CommandResult {
  int status = -1;  // exit code, or -1
  std::string out;
};

// `sh -c command`, its stdout captured (stderr as the command redirects it).
inline CommandResult run(const std::string& command) {
  process::LaunchOptions options;
  options.argv = {"/bin/sh", "-c", command};
  options.out = process::Stream::capture();
  CommandResult r;
  auto finished = process::run(options, 120'000'000'000);
  if (!finished) return r;
  r.status = finished->timed_out ? -1 : finished->exit_code;
  r.out = std::move(finished->out);
  return r;
}

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A fresh directory on the tmpfs with a data fs mounted over it.
class DataFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(PrivateMounts::error().empty()) << PrivateMounts::error();
    auto availability = faults::disk::DataFs::availability();
    ASSERT_TRUE(availability.available) << availability.reason;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = PrivateMounts::root() / info->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    seed_before_mount();
    auto fs = faults::disk::DataFs::mount(dir_);
    ASSERT_TRUE(fs) << fs.error().message;
    fs_ = *fs;
  }
  void TearDown() override {
    if (fs_) {
      EXPECT_TRUE(fs_->unmount());
    }
    fs_.reset();
    EXPECT_FALSE(faults::disk::data_fs_mounted_at(dir_));
  }
  // Files made in the backing directory before the mount.
  virtual void seed_before_mount() {}

  // Plans and applies a fault through the registry, as the agent does.
  faults::HealRecord apply(const nlohmann::json& spec) {
    auto parsed = faults::FaultSpec::parse(spec);
    EXPECT_TRUE(parsed) << spec.dump();
    auto record = faults::MechanismRegistry::instance().plan(*parsed, host_);
    EXPECT_TRUE(record) << (record ? "" : record.error().message);
    if (!record) return {};
    auto mechanism = faults::MechanismRegistry::instance().find(parsed->kind, record->value("mechanism", ""));
    EXPECT_TRUE(mechanism);
    auto applied = (*mechanism)->apply(*record, host_);
    EXPECT_TRUE(applied) << (applied ? "" : applied.error().message);
    return *record;
  }
  void heal(const faults::HealRecord& record) {
    auto mechanism = faults::MechanismRegistry::instance().find(record.value("kind", ""), record.value("mechanism", ""));
    ASSERT_TRUE(mechanism);
    auto healed = (*mechanism)->heal(record, host_);
    EXPECT_TRUE(healed) << (healed ? "" : healed.error().message);
  }

  std::filesystem::path dir_;
  std::shared_ptr<faults::disk::DataFs> fs_;
  faults::HostContext host_;
};

}  // namespace faultline::storage_test
