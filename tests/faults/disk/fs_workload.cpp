// fs_workload: the real programs the data fs integration tests run on the
// mounted filesystem.
//
//   fs_workload ops DIR N FILE...   N rounds, for each FILE: open+pwrite 4 KiB
//       +close, then open(O_DIRECT)+pread 4 KiB+close (so the read reaches
//       the filesystem, not the page cache). Prints one JSON object: {FILE: {OP: {"calls": n,
//       "errors": {ERRNO_NAME: n}}}} for OP in open, write, read.
//   fs_workload writer DIR          writes synced-K (write + fsync) and
//       unsynced-K (write only) for K in 0..3, appends to DIR/existing
//       without fsync, prints "ready" and sleeps until killed.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

std::string name_of(int err) {
  const char* n = ::strerrorname_np(err);
  return n ? n : std::to_string(err);
}

int ops(const std::string& dir, int rounds, const std::vector<std::string>& files) {
  nlohmann::json out = nlohmann::json::object();
  std::map<std::string, std::map<std::string, std::pair<long, std::map<std::string, long>>>> stats;
  auto count = [&](const std::string& file, const char* op, int result_errno) {
    auto& s = stats[file][op];
    ++s.first;
    if (result_errno) ++s.second[name_of(result_errno)];
  };
  std::vector<char> block(4096, 'w');
  alignas(4096) static char back[4096];
  for (int round = 0; round < rounds; ++round) {
    for (const auto& file : files) {
      const std::string path = dir + "/" + file;
      int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      count(file, "open", fd < 0 ? errno : 0);
      if (fd >= 0) {
        count(file, "write", ::pwrite(fd, block.data(), block.size(), 0) < 0 ? errno : 0);
        ::close(fd);
      }
      // O_DIRECT: the read reaches the filesystem, not the page cache the
      // write just filled (as a database reading its own pages would).
      fd = ::open(path.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
      count(file, "open", fd < 0 ? errno : 0);
      if (fd >= 0) {
        count(file, "read", ::pread(fd, back, 4096, 0) < 0 ? errno : 0);
        ::close(fd);
      }
    }
  }
  for (auto& [file, per_op] : stats)
    for (auto& [op, s] : per_op) out[file][op] = {{"calls", s.first}, {"errors", s.second}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

bool write_file(const std::string& path, const std::string& text, bool sync, int flags = O_TRUNC) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (sync) ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

int writer(const std::string& dir) {
  for (int k = 0; k < 4; ++k) {
    std::string text(8192 + k, static_cast<char>('a' + k));
    if (!write_file(dir + "/synced-" + std::to_string(k), text, true)) return 2;
    if (!write_file(dir + "/unsynced-" + std::to_string(k), text, false)) return 3;
  }
  if (!write_file(dir + "/existing", "appended, never synced\n", false, O_APPEND)) return 4;
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) ::pause();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && std::string(argv[1]) == "ops")
    return ops(argv[2], std::atoi(argv[3]), std::vector<std::string>(argv + 4, argv + argc));
  if (argc == 3 && std::string(argv[1]) == "writer") return writer(argv[2]);
  std::fprintf(stderr, "usage: fs_workload ops DIR N FILE... | fs_workload writer DIR\n");
  return 254;
}
