// disk-fill: fill the filesystem holding a directory with a ballast file
// (the StorageFull fault). {"kind":"disk-fill","path":DIR,"leave":"1MiB"}
// leaves that many bytes available to unprivileged writers (df's "Avail");
// {"kind":"disk-fill","path":DIR,"percent":95} fills it to 95% used. The
// ballast is DIR/.faultline-ballast-<id>, allocated with fallocate (written
// with zeros where the filesystem has no fallocate); heal removes it.
// Re-applying first counts the existing ballast as free space, so apply is
// idempotent. HealRecord: {"id","path","ballast","leave"|"percent"}.
#include <fcntl.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "faults/process/fault_id.h"
#include "faults/registry.h"

namespace faultline::faults {
namespace {

Result<void> write_zeros(int fd, std::uint64_t bytes) {
  std::vector<char> zeros(1 << 20, 0);
  std::uint64_t done = 0;
  while (done < bytes) {
    std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), bytes - done));
    ssize_t n = ::write(fd, zeros.data(), chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOSPC) break;  // as full as it gets
      return io_error(fmt::format("disk-fill: writing ballast: {}", std::strerror(errno)));
    }
    done += static_cast<std::uint64_t>(n);
  }
  ::fsync(fd);
  return ok_result();
}

class DiskFill : public Mechanism {
 public:
  std::string_view name() const override { return "fallocate"; }

  Availability probe(const HostContext&) const override { return Availability{true, "fallocate", ""}; }

  Result<HealRecord> plan(const FaultSpec& spec, const HostContext&) override {
    auto path_it = spec.params.find("path");
    if (path_it == spec.params.end() || !path_it->is_string())
      return invalid_input("disk-fill needs a string field \"path\" (a directory on the filesystem to fill)");
    std::filesystem::path dir = path_it->get<std::string>();
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
      return invalid_input(fmt::format("disk-fill field \"path\": {} is not a directory", dir.string()));
    auto id = fault_id_for(spec);
    if (!id) return id.error();
    HealRecord record{{"id", *id},
                      {"path", dir.string()},
                      {"ballast", (dir / (".faultline-ballast-" + *id)).string()}};
    auto leave = spec.params.find("leave");
    auto percent = spec.params.find("percent");
    if ((leave != spec.params.end()) == (percent != spec.params.end()))
      return invalid_input("disk-fill needs exactly one of \"leave\" (bytes to leave free, e.g. \"1MiB\") or \"percent\"");
    if (leave != spec.params.end()) {
      Result<std::uint64_t> bytes = leave->is_number_integer() && leave->get<std::int64_t>() >= 0 ? Result<std::uint64_t>(leave->get<std::uint64_t>())
                                    : leave->is_string()        ? parse_size(leave->get<std::string>())
                                                                : invalid_input("must be a size such as \"1MiB\"");
      if (!bytes) return bytes.error().with_context("disk-fill field \"leave\"");
      record["leave"] = *bytes;
    } else {
      if (!percent->is_number() || percent->get<double>() <= 0 || percent->get<double>() > 100)
        return invalid_input("disk-fill field \"percent\" must be a number in (0, 100]");
      record["percent"] = percent->get<double>();
    }
    return record;
  }

  Result<void> apply(const HealRecord& record, const HostContext&) override {
    std::string dir = record.value("path", ""), ballast = record.value("ballast", "");
    if (dir.empty() || ballast.empty()) return invalid_input("disk-fill record has no \"path\"/\"ballast\"");
    struct statvfs fs {};
    if (::statvfs(dir.c_str(), &fs) != 0) return io_error(fmt::format("disk-fill: statvfs {}: {}", dir, std::strerror(errno)));
    std::uint64_t existing = 0;
    struct stat st {};
    if (::stat(ballast.c_str(), &st) == 0) existing = static_cast<std::uint64_t>(st.st_blocks) * 512;
    std::uint64_t unit = fs.f_frsize ? fs.f_frsize : fs.f_bsize;
    std::uint64_t avail = static_cast<std::uint64_t>(fs.f_bavail) * unit + existing;
    std::uint64_t total = static_cast<std::uint64_t>(fs.f_blocks) * unit;
    std::uint64_t used = total - (static_cast<std::uint64_t>(fs.f_bfree) * unit + existing);
    std::uint64_t want = 0;
    if (record.contains("leave")) {
      std::uint64_t leave = record.value("leave", std::uint64_t{0});
      want = avail > leave ? avail - leave : 0;
    } else {
      auto target = static_cast<std::uint64_t>(static_cast<double>(total) * record.value("percent", 100.0) / 100.0);
      want = target > used ? std::min(target - used, avail) : 0;
    }
    int fd = ::open(ballast.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return io_error(fmt::format("disk-fill: create {}: {}", ballast, std::strerror(errno)));
    Result<void> result = ok_result();
    if (::ftruncate(fd, 0) != 0) {
      result = io_error(fmt::format("disk-fill: truncate {}: {}", ballast, std::strerror(errno)));
    } else if (want > 0) {
      // fallocate may need a few blocks of metadata: back off until it fits.
      std::uint64_t size = want;
      int err = 0;
      while (size > 0) {
        if (::fallocate(fd, 0, 0, static_cast<off_t>(size)) == 0) { err = 0; break; }
        err = errno;
        if (err != ENOSPC) break;
        std::uint64_t step = std::max<std::uint64_t>(unit, size / 1024);
        size = size > step ? size - step : 0;
      }
      if (err == EOPNOTSUPP) result = write_zeros(fd, want);
      else if (err != 0 && err != ENOSPC)
        result = io_error(fmt::format("disk-fill: fallocate {} bytes in {}: {}", want, ballast, std::strerror(err)));
    }
    ::fsync(fd);
    ::close(fd);
    return result;
  }

  Result<void> heal(const HealRecord& record, const HostContext&) override {
    std::string ballast = record.value("ballast", "");
    if (ballast.empty()) return invalid_input("disk-fill record has no \"ballast\"");
    if (::unlink(ballast.c_str()) != 0 && errno != ENOENT)
      return io_error(fmt::format("disk-fill heal: unlink {}: {}", ballast, std::strerror(errno)));
    return ok_result();
  }

  std::string describe(const HealRecord& record) const override {
    std::string target = record.contains("leave")
                             ? fmt::format("leave {} free", format_size(record.value("leave", std::uint64_t{0})))
                             : fmt::format("fill to {}%", record.value("percent", 0.0));
    return fmt::format("disk-fill: {} on {} (ballast {})", target, record.value("path", ""), record.value("ballast", ""));
  }
};

FAULTLINE_REGISTER_MECHANISM("disk-fill", 0, DiskFill);

}  // namespace
}  // namespace faultline::faults
