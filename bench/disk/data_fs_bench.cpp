// data_fs_bench: what the faultable data fs costs when no fault is on.
//
//   data_fs_bench [--dir DIR] [--runtime SECONDS]
//
// In a private mount namespace (nothing is left mounted, also on a crash) it
// runs fio on a plain directory and then on the same directory with the data
// fs mounted over it, and prints one table: 4 KiB random reads and writes
// (O_DIRECT, one job, queue depth 1: IOPS, p50 and p99 completion latency)
// and 1 MiB sequential reads and writes (MiB/s), plain beside data fs, with
// the p50 latency the data fs adds per 4 KiB op (target: < 100 us).
// DIR defaults to a fresh 1 GiB tmpfs; give a directory on a disk to measure
// there. Needs root and fio.
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/process/launch.h"
#include "faults/disk/data_fs.h"

namespace {

struct Figures {
  double iops = 0, p50_us = 0, p99_us = 0, mib_s = 0;
};

std::string capture(const std::string& command) {
  faultline::process::LaunchOptions options;
  options.argv = {"/bin/sh", "-c", command};
  options.out = faultline::process::Stream::capture();
  auto finished = faultline::process::run(options);
  return finished ? finished->out : std::string();
}

Figures fio(const std::filesystem::path& dir, const std::string& rw, const std::string& bs, int runtime) {
  const std::string cmd = "fio --name=bench --directory=" + dir.string() + " --filename=bench.dat --size=256M --rw=" +
                          rw + " --bs=" + bs + " --direct=1 --ioengine=psync --numjobs=1 --time_based --runtime=" +
                          std::to_string(runtime) + " --ramp_time=1 --output-format=json 2>/dev/null";
  auto text = capture(cmd);
  auto json = nlohmann::json::parse(text.substr(std::min(text.find('{'), text.size())), nullptr, false);
  Figures f;
  if (json.is_discarded() || !json.contains("jobs")) {
    std::fprintf(stderr, "data_fs_bench: fio failed: %s\n", cmd.c_str());
    return f;
  }
  const auto& job = json["jobs"][0][rw.find("read") != std::string::npos ? "read" : "write"];
  f.iops = job.value("iops", 0.0);
  f.mib_s = job.value("bw_bytes", 0.0) / (1024.0 * 1024.0);
  const auto& pct = job["clat_ns"]["percentile"];
  f.p50_us = pct.value("50.000000", 0.0) / 1000.0;
  f.p99_us = pct.value("99.000000", 0.0) / 1000.0;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path dir;
  int runtime = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    if (arg == "--dir") dir = argv[i + 1];
    else if (arg == "--runtime") runtime = std::atoi(argv[i + 1]);
  }
  if (std::system("command -v fio >/dev/null") != 0) {
    std::fprintf(stderr, "data_fs_bench: fio is not installed (scripts/install-deps.sh)\n");
    return 2;
  }
  if (::unshare(CLONE_NEWNS) != 0 || ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    std::perror("data_fs_bench: private mount namespace (needs root)");
    return 2;
  }
  const bool own_tmpfs = dir.empty();
  if (own_tmpfs) {
    dir = std::filesystem::temp_directory_path() / ("data-fs-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    if (::mount("bench", dir.c_str(), "tmpfs", 0, "size=1g") != 0) {
      std::perror("data_fs_bench: mount tmpfs");
      return 2;
    }
  }
  struct Case {
    const char* label;
    const char* rw;
    const char* bs;
    bool latency;
  };
  const std::vector<Case> cases{{"4 KiB random read", "randread", "4k", true},
                                {"4 KiB random write", "randwrite", "4k", true},
                                {"1 MiB sequential read", "read", "1m", false},
                                {"1 MiB sequential write", "write", "1m", false}};
  std::vector<Figures> plain, fuse;
  for (const auto& c : cases) plain.push_back(fio(dir, c.rw, c.bs, runtime));
  {
    auto fs = faultline::faults::disk::DataFs::mount(dir);
    if (!fs) {
      std::fprintf(stderr, "data_fs_bench: %s\n", fs.error().message.c_str());
      return 2;
    }
    for (const auto& c : cases) fuse.push_back(fio(dir, c.rw, c.bs, runtime));
    (void)(*fs)->unmount();
  }
  std::printf("data fs no-fault overhead, fio psync O_DIRECT iodepth 1, %ds per job, backing: %s\n", runtime,
              own_tmpfs ? "tmpfs" : dir.c_str());
  std::printf("%-24s %12s %12s %12s | %12s %12s %12s | %14s\n", "workload", "plain", "p50 us", "p99 us", "data fs",
              "p50 us", "p99 us", "p50 added us");
  for (std::size_t i = 0; i < cases.size(); ++i) {
    if (cases[i].latency)
      std::printf("%-24s %8.0f IOPS %12.1f %12.1f | %7.0f IOPS %12.1f %12.1f | %14.1f\n", cases[i].label, plain[i].iops,
                  plain[i].p50_us, plain[i].p99_us, fuse[i].iops, fuse[i].p50_us, fuse[i].p99_us,
                  fuse[i].p50_us - plain[i].p50_us);
    else
      std::printf("%-24s %7.0f MiB/s %12.1f %12.1f | %6.0f MiB/s %12.1f %12.1f | %14s\n", cases[i].label,
                  plain[i].mib_s, plain[i].p50_us, plain[i].p99_us, fuse[i].mib_s, fuse[i].p50_us, fuse[i].p99_us, "");
  }
  if (own_tmpfs) {
    ::umount2(dir.c_str(), MNT_DETACH);
    std::filesystem::remove(dir);
  }
  return 0;
}
