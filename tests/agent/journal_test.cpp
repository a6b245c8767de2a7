// Unit tests of the fault journal on a real file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

#include "agent/core/journal.h"

namespace faultline::agent {
namespace {

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("faultline-journal-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  JournalEntry entry(const std::string& id) {
    return JournalEntry{id, {{"kind", "disk-fill"}, {"mechanism", "m"}, {"x", id}}, {{"kind", "disk-fill"}}, 1};
  }
  std::filesystem::path dir_;
};

TEST_F(JournalTest, AppliedWithoutHealedIsStillApplied) {
  Journal journal(dir_ / "j.jsonl");
  ASSERT_TRUE(journal.open().ok());
  ASSERT_TRUE(journal.append_applied(entry("a")).ok());
  ASSERT_TRUE(journal.append_applied(entry("b")).ok());
  ASSERT_TRUE(journal.append_applied(entry("c")).ok());
  ASSERT_TRUE(journal.append_healed("b").ok());
  Journal reopened(dir_ / "j.jsonl");
  auto loaded = reopened.load();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->still_applied.size(), 2u);
  EXPECT_EQ(loaded->still_applied[0].id, "a");
  EXPECT_EQ(loaded->still_applied[1].id, "c");
  EXPECT_EQ(loaded->still_applied[1].record["x"], "c");
}

// A crash-safe record is the agent's guard against its own crash: the
// process dies (SIGKILL, nothing flushed on the way out) right after the
// append returned, and the record is there for the next run.
TEST_F(JournalTest, CrashSafeRecordsOutliveTheWritersDeath) {
  const auto path = dir_ / "j.jsonl";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Journal journal(path);
    if (!journal.open().ok()) ::_exit(3);
    if (!journal.append_applied(entry("synced"), Durability::kSynced).ok()) ::_exit(4);
    if (!journal.append_applied(entry("crash-safe"), Durability::kCrashSafe).ok()) ::_exit(5);
    if (!journal.append_applied(entry("healed"), Durability::kCrashSafe).ok()) ::_exit(6);
    if (!journal.append_healed("healed", Durability::kCrashSafe).ok()) ::_exit(7);
    ::kill(::getpid(), SIGKILL);
    ::_exit(8);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child exit " << WEXITSTATUS(status);
  auto loaded = Journal(path).load();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->still_applied.size(), 2u);
  EXPECT_EQ(loaded->still_applied[0].id, "synced");
  EXPECT_EQ(loaded->still_applied[1].id, "crash-safe");
  EXPECT_EQ(loaded->skipped_lines, 0u);
}

TEST_F(JournalTest, TornLastLineIsSkippedAndCounted) {
  Journal journal(dir_ / "j.jsonl");
  ASSERT_TRUE(journal.open().ok());
  ASSERT_TRUE(journal.append_applied(entry("a")).ok());
  std::ofstream(dir_ / "j.jsonl", std::ios::app) << R"({"op":"applied","id":"b","rec)";
  auto loaded = journal.load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->still_applied.size(), 1u);
  EXPECT_EQ(loaded->skipped_lines, 1u);
}

TEST_F(JournalTest, CompactKeepsOnlyGivenEntriesAndAppendsAfter) {
  Journal journal(dir_ / "j.jsonl");
  ASSERT_TRUE(journal.open().ok());
  for (auto id : {"a", "b", "c"}) ASSERT_TRUE(journal.append_applied(entry(id)).ok());
  ASSERT_TRUE(journal.compact({entry("b")}).ok());
  ASSERT_TRUE(journal.append_applied(entry("d")).ok());
  auto loaded = journal.load();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->still_applied.size(), 2u);
  EXPECT_EQ(loaded->still_applied[0].id, "b");
  EXPECT_EQ(loaded->still_applied[1].id, "d");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "j.jsonl.compact"));
}

TEST_F(JournalTest, FileIsPreallocatedWithBlankLinesAndRecordsOverwriteThemInOrder) {
  Journal journal(dir_ / "j.jsonl");
  ASSERT_TRUE(journal.open().ok());
  EXPECT_GE(std::filesystem::file_size(dir_ / "j.jsonl"), Journal::kPreallocateBytes);
  ASSERT_TRUE(journal.append_applied(entry("a")).ok());
  ASSERT_TRUE(journal.append_healed("a").ok());
  const auto size = std::filesystem::file_size(dir_ / "j.jsonl");
  std::ifstream in(dir_ / "j.jsonl");
  std::string first, second, third;
  std::getline(in, first);
  std::getline(in, second);
  std::getline(in, third);
  EXPECT_NE(first.find(R"("op":"applied")"), std::string::npos) << first;
  EXPECT_EQ(second, R"({"id":"a","op":"healed"})");
  EXPECT_EQ(third, "");
  // Many records: the file grows by whole chunks, every record still read.
  for (int i = 0; i < 100; ++i) {
    auto big = entry("n" + std::to_string(i));
    big.spec["pad"] = std::string(1000, 'x');  // 100 records of 1 kB: past the first chunk
    ASSERT_TRUE(journal.append_applied(big).ok());
  }
  EXPECT_GT(std::filesystem::file_size(dir_ / "j.jsonl"), size);
  auto loaded = Journal(dir_ / "j.jsonl").load();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->still_applied.size(), 100u);
  EXPECT_EQ(loaded->still_applied.back().id, "n99");
  EXPECT_EQ(loaded->skipped_lines, 0u);
}

TEST_F(JournalTest, ReopenAppendsAfterTheLastRecordAndLeavesATornLineEnded) {
  {
    Journal journal(dir_ / "j.jsonl");
    ASSERT_TRUE(journal.open().ok());
    ASSERT_TRUE(journal.append_applied(entry("a")).ok());
  }
  {
    // A crash mid-write: part of a record over the padding, no newline of its own.
    std::fstream file(dir_ / "j.jsonl", std::ios::in | std::ios::out);
    std::string content((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    file.seekp(static_cast<std::streamoff>(content.find_first_of('\n') + 1));
    file << R"({"op":"applied","id":"b","rec)";
  }
  Journal reopened(dir_ / "j.jsonl");
  ASSERT_TRUE(reopened.open().ok());
  ASSERT_TRUE(reopened.append_applied(entry("c")).ok());
  auto loaded = reopened.load();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->still_applied.size(), 2u);
  EXPECT_EQ(loaded->still_applied[0].id, "a");
  EXPECT_EQ(loaded->still_applied[1].id, "c");
  EXPECT_EQ(loaded->skipped_lines, 1u);
}

TEST_F(JournalTest, AFileWithoutPaddingEndingInATornLineGetsItEndedOnOpen) {
  std::ofstream(dir_ / "j.jsonl") << R"({"op":"applied","id":"a","record":{"kind":"k","mechanism":"m"}})" "\n"
                                  << R"({"op":"applied","id":"b","rec)";
  Journal journal(dir_ / "j.jsonl");
  ASSERT_TRUE(journal.open().ok());
  ASSERT_TRUE(journal.append_applied(entry("c")).ok());
  auto loaded = journal.load();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->still_applied.size(), 2u);
  EXPECT_EQ(loaded->still_applied[1].id, "c");
  EXPECT_EQ(loaded->skipped_lines, 1u);
}

TEST_F(JournalTest, MissingFileLoadsEmpty) {
  Journal journal(dir_ / "none.jsonl");
  auto loaded = journal.load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->still_applied.empty());
}

}  // namespace
}  // namespace faultline::agent
