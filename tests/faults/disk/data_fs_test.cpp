// The faultable data fs mounted for real (private mount namespace, tmpfs
// backing) with real programs on it: plain passthrough, disk-error seen by a
// program on exactly the chosen ops and paths at the chosen rate, disk-slow
// seen by fio, and lose-unsynced with a writer killed mid-fault and with
// sqlite3.
#include <fcntl.h>
#include <signal.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cmath>
#include <functional>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/faults/disk/data_fs_fixture.h"

namespace faultline::storage_test {
namespace {

using ::testing::AddGlobalTestEnvironment;

const bool g_env = (AddGlobalTestEnvironment(new PrivateMounts), true);

class Passthrough : public DataFsTest {
 protected:
  void seed_before_mount() override { std::ofstream(dir_ / "before.txt") << "from before the mount\n"; }
};

TEST_F(Passthrough, ShowsTheBackingDirectoryAndKeepsWhatIsWritten) {
  EXPECT_TRUE(faults::disk::data_fs_mounted_at(dir_));
  EXPECT_EQ(slurp(dir_ / "before.txt"), "from before the mount\n");
  std::filesystem::create_directories(dir_ / "a" / "b");
  std::ofstream(dir_ / "a" / "b" / "f.txt") << "hello";
  std::filesystem::rename(dir_ / "a" / "b" / "f.txt", dir_ / "a" / "g.txt");
  std::filesystem::resize_file(dir_ / "a" / "g.txt", 4);
  EXPECT_EQ(slurp(dir_ / "a" / "g.txt"), "hell");
  std::filesystem::create_symlink("g.txt", dir_ / "a" / "link");
  EXPECT_EQ(std::filesystem::read_symlink(dir_ / "a" / "link"), "g.txt");
  std::filesystem::remove(dir_ / "before.txt");
  std::size_t entries = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_)) (void)e, ++entries;
  EXPECT_EQ(entries, 4u);  // a, a/b, a/g.txt, a/link
  struct statvfs fs {};
  ASSERT_EQ(::statvfs(dir_.c_str(), &fs), 0);
  EXPECT_GT(fs.f_blocks, 0u);
  ASSERT_TRUE(fs_->unmount());
  fs_.reset();
  // Unmounted: the same files, in the backing directory itself.
  EXPECT_EQ(slurp(dir_ / "a" / "g.txt"), "hell");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "before.txt"));
}

// Errors per (file, op) from `fs_workload ops`.
struct OpsReport {
  nlohmann::json json;
  long calls(const std::string& file, const std::string& op) const { return json[file][op].value("calls", 0L); }
  long errors(const std::string& file, const std::string& op, const std::string& name = "") const {
    long total = 0;
    for (auto& [errno_name, n] : json[file][op]["errors"].items())
      if (name.empty() || errno_name == name) total += n.get<long>();
    return total;
  }
};

OpsReport run_ops(const std::filesystem::path& dir, int rounds) {
  auto r = run(std::string(FAULTLINE_FS_WORKLOAD) + " ops " + dir.string() + " " + std::to_string(rounds) +
               " target.dat other.dat");
  EXPECT_EQ(r.status, 0) << r.out;
  OpsReport report;
  report.json = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(report.json.is_discarded()) << r.out;
  return report;
}

// |observed - n p| within 5 standard deviations of a binomial(n, p).
void expect_rate(long observed, long n, double p, const std::string& what) {
  const double mean = static_cast<double>(n) * p, sd = std::sqrt(static_cast<double>(n) * p * (1 - p));
  EXPECT_NEAR(static_cast<double>(observed), mean, 5 * sd) << what << ": " << observed << " of " << n;
}

TEST_F(DataFsTest, DiskErrorHitsExactlyTheChosenOpsAndPathsAtTheRate) {
  const int rounds = 1500;
  auto write_fault = apply({{"kind", "disk-error"}, {"errno", "EROFS"}, {"ops", {"write"}}, {"path", "target*"},
                            {"percent", 30}});
  auto report = run_ops(dir_, rounds);
  heal(write_fault);
  ASSERT_EQ(report.calls("target.dat", "write"), rounds);
  expect_rate(report.errors("target.dat", "write", "EROFS"), rounds, 0.30, "EROFS on target.dat writes");
  EXPECT_EQ(report.errors("target.dat", "write"), report.errors("target.dat", "write", "EROFS")) << "only EROFS";
  EXPECT_EQ(report.errors("target.dat", "open"), 0);
  EXPECT_EQ(report.errors("target.dat", "read"), 0);
  for (const char* op : {"open", "write", "read"}) EXPECT_EQ(report.errors("other.dat", op), 0) << op;

  auto read_fault = apply({{"kind", "disk-error"}, {"errno", "EIO"}, {"ops", {"read"}}, {"path", "target.dat"},
                           {"percent", 10}});
  report = run_ops(dir_, rounds);
  heal(read_fault);
  expect_rate(report.errors("target.dat", "read", "EIO"), rounds, 0.10, "EIO on target.dat reads");
  EXPECT_EQ(report.errors("target.dat", "write"), 0);
  EXPECT_EQ(report.errors("target.dat", "open"), 0);
  for (const char* op : {"open", "write", "read"}) EXPECT_EQ(report.errors("other.dat", op), 0) << op;

  auto open_fault = apply({{"kind", "disk-error"}, {"errno", "EACCES"}, {"ops", {"open"}}, {"path", "other.dat"}});
  report = run_ops(dir_, 50);
  heal(open_fault);
  EXPECT_EQ(report.errors("other.dat", "open", "EACCES"), 100) << "every open of other.dat, and only those";
  EXPECT_EQ(report.errors("target.dat", "open"), 0);

  report = run_ops(dir_, rounds);  // healed: nothing fails
  for (const char* file : {"target.dat", "other.dat"})
    for (const char* op : {"open", "write", "read"}) EXPECT_EQ(report.errors(file, op), 0) << file << " " << op;
}

// fio's p50 completion latency (µs) of 4 KiB random reads, O_DIRECT.
double fio_read_p50_us(const std::filesystem::path& file) {
  auto r = run("fio --name=p50 --filename=" + file.string() +
               " --size=16M --rw=randread --bs=4k --direct=1 --ioengine=psync --runtime=2 --time_based"
               " --output-format=json 2>&1");
  EXPECT_EQ(r.status, 0) << r.out;
  auto json = nlohmann::json::parse(r.out.substr(std::min(r.out.find('{'), r.out.size())), nullptr, false);
  if (json.is_discarded()) {
    ADD_FAILURE() << "fio output: " << r.out;
    return 0;
  }
  return json["jobs"][0]["read"]["clat_ns"]["percentile"]["50.000000"].get<double>() / 1000.0;
}

TEST_F(DataFsTest, FioReadLatencyRisesByTheDelayAndComesBack) {
  if (run("command -v fio").status != 0) GTEST_SKIP() << "fio is not installed (scripts/install-deps.sh)";
  const auto file = dir_ / "fio.dat";
  const double before = fio_read_p50_us(file);
  const double delay_us = 2000;
  auto fault = apply({{"kind", "disk-slow"}, {"delay", "2ms"}, {"ops", {"read"}}});
  const double during = fio_read_p50_us(file);
  heal(fault);
  const double after = fio_read_p50_us(file);
  std::printf("fio 4 KiB randread p50: %.1f us before, %.1f us with disk-slow 2ms, %.1f us after heal\n", before,
              during, after);
  EXPECT_NEAR(during - before, delay_us, 0.2 * delay_us);
  EXPECT_LT(after, before + 0.2 * delay_us) << "back to the no-fault figure after heal";
}

class LoseUnsynced : public DataFsTest {
 protected:
  void seed_before_mount() override { std::ofstream(dir_ / "existing") << "synced before the fault\n"; }
};

TEST_F(LoseUnsynced, KilledWriterKeepsWhatItFsyncedAndLosesTheRest) {
  auto fault = apply({{"kind", "lose-unsynced"}});
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  pid_t writer = ::fork();
  if (writer == 0) {
    ::dup2(out[1], 1);
    ::execl(FAULTLINE_FS_WORKLOAD, "fs_workload", "writer", dir_.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  char ready[16] = {};
  ASSERT_GT(::read(out[0], ready, sizeof ready - 1), 0);
  ::close(out[0]);
  EXPECT_STREQ(ready, "ready\n");
  // While the fault holds: the writer's data reads back through the mount.
  EXPECT_EQ(std::filesystem::file_size(dir_ / "unsynced-2"), 8194u);
  EXPECT_EQ(slurp(dir_ / "existing"), "synced before the fault\nappended, never synced\n");
  EXPECT_GT(fs_->held().bytes, 4u * 8192);
  ::kill(writer, SIGKILL);
  ::waitpid(writer, nullptr, 0);
  heal(fault);  // the crash: everything not fsynced is dropped
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ(slurp(dir_ / ("synced-" + std::to_string(k))), std::string(8192 + k, static_cast<char>('a' + k))) << k;
    // The file was created (metadata reaches the disk at once), its data is gone.
    ASSERT_TRUE(std::filesystem::exists(dir_ / ("unsynced-" + std::to_string(k))));
    EXPECT_EQ(std::filesystem::file_size(dir_ / ("unsynced-" + std::to_string(k))), 0u) << k;
  }
  EXPECT_EQ(slurp(dir_ / "existing"), "synced before the fault\n");
  EXPECT_EQ(fs_->held().bytes, 0u);
  // The backing directory says the same once unmounted.
  ASSERT_TRUE(fs_->unmount());
  fs_.reset();
  EXPECT_EQ(std::filesystem::file_size(dir_ / "synced-3"), 8195u);
  EXPECT_EQ(std::filesystem::file_size(dir_ / "unsynced-3"), 0u);
  EXPECT_EQ(slurp(dir_ / "existing"), "synced before the fault\n");
}

TEST_F(LoseUnsynced, CrashNoneWritesTheHeldDataThrough) {
  auto fault = apply({{"kind", "lose-unsynced"}, {"crash", "none"}});
  std::ofstream(dir_ / "existing", std::ios::app) << "kept\n";
  std::ofstream(dir_ / "new") << "also kept\n";
  EXPECT_EQ(slurp(dir_ / "existing"), "synced before the fault\nkept\n");
  heal(fault);
  EXPECT_EQ(slurp(dir_ / "existing"), "synced before the fault\nkept\n");
  EXPECT_EQ(slurp(dir_ / "new"), "also kept\n");
}

// sqlite3 inserts 200 committed rows during the fault; after the crash the
// rows are there only when SQLite fsynced (synchronous=FULL).
long sqlite_rows_after_crash(DataFsTest& t, const std::filesystem::path& db, const std::string& synchronous,
                             const std::function<faults::HealRecord()>& apply, const std::function<void(const faults::HealRecord&)>& heal) {
  std::string inserts;
  for (int i = 0; i < 20; ++i) {
    inserts += "BEGIN;";
    for (int j = 0; j < 10; ++j) inserts += "INSERT INTO t(v) VALUES(" + std::to_string(i * 10 + j) + ");";
    inserts += "COMMIT;";
  }
  auto setup = run("sqlite3 " + db.string() + " 'PRAGMA synchronous=FULL; CREATE TABLE t(v INTEGER);' 2>&1");
  EXPECT_EQ(setup.status, 0) << setup.out;
  auto fault = apply();
  auto insert = run("sqlite3 " + db.string() + " 'PRAGMA synchronous=" + synchronous + ";" + inserts + "' 2>&1");
  EXPECT_EQ(insert.status, 0) << insert.out;
  auto during = run("sqlite3 " + db.string() + " 'SELECT count(*) FROM t;' 2>&1");
  EXPECT_EQ(during.out, "200\n") << "committed rows are visible while the fault holds them";
  heal(fault);
  auto count = run("sqlite3 " + db.string() + " 'PRAGMA integrity_check; SELECT count(*) FROM t;' 2>&1");
  EXPECT_EQ(count.status, 0) << count.out;
  EXPECT_EQ(count.out.rfind("ok\n", 0), 0u) << "the database is intact: " << count.out;
  (void)t;
  return std::atol(count.out.substr(count.out.find('\n') + 1).c_str());
}

TEST_F(DataFsTest, SqliteSynchronousOffLosesCommitsFullKeepsThem) {
  if (run("command -v sqlite3").status != 0) GTEST_SKIP() << "sqlite3 is not installed (scripts/install-deps.sh)";
  auto applier = [&] { return apply({{"kind", "lose-unsynced"}}); };
  auto healer = [&](const faults::HealRecord& r) { heal(r); };
  const long off = sqlite_rows_after_crash(*this, dir_ / "off.db", "OFF", applier, healer);
  const long full = sqlite_rows_after_crash(*this, dir_ / "full.db", "FULL", applier, healer);
  std::printf("sqlite3 rows after the crash: synchronous=OFF %ld of 200, FULL %ld of 200\n", off, full);
  EXPECT_EQ(off, 0) << "synchronous=OFF never fsyncs: every commit of the fault is lost";
  EXPECT_EQ(full, 200) << "synchronous=FULL fsyncs each commit: none is lost";
}

}  // namespace
}  // namespace faultline::storage_test
