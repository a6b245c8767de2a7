// corrupt-file: flip bits in, or truncate, chunks of a file
// (a StorageCorruption fault), with Jepsen's chunk selection:
//   {"kind":"corrupt-file","path":FILE,"mode":"bitflip"|"truncate",
//    "start":0,"end":<file size>,"chunk_size":"1MiB","modulus":1,"index":0,
//    "probability":0.001,"seed":N}
// The region [start, end) is cut into chunk_size chunks numbered from 0; the
// chunks whose number % modulus == index are affected. bitflip flips each bit
// of the affected chunks with the given probability (seeded, so a record
// replays the same flips; the seed is random when not given); truncate cuts
// the file at the start of the first affected chunk.
// plan() copies the bytes it will touch into <state_dir>/corrupt-file/<id>.orig
// (fsynced) before anything changes; apply() computes the corruption from
// that copy (so it is idempotent); heal() writes the original bytes back and
// restores the original length, then drops the copy. HealRecord:
// {"id","path","mode","size","start","end","chunk_size","modulus","index",
//  "probability","seed","backup"}.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "faults/process/fault_id.h"
#include "faults/registry.h"

namespace faultline::faults {
namespace {

struct Chunk {
  std::uint64_t offset, length;
};

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() { if (fd >= 0) ::close(fd); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

std::string err() { return std::strerror(errno); }

// The affected chunks of a record (file size at plan time).
std::vector<Chunk> chunks_of(const HealRecord& r) {
  std::vector<Chunk> out;
  std::uint64_t size = r.value("size", std::uint64_t{0});
  std::uint64_t start = r.value("start", std::uint64_t{0});
  std::uint64_t end = std::min(r.value("end", size), size);
  std::uint64_t cs = r.value("chunk_size", std::uint64_t{1});
  std::uint64_t mod = r.value("modulus", std::uint64_t{1}), index = r.value("index", std::uint64_t{0});
  if (r.value("mode", "") == "truncate") {
    for (std::uint64_t i = 0, off = start; off < end; ++i, off += cs)
      if (i % mod == index) return {Chunk{off, size - off}};  // everything from the cut on
    return out;
  }
  for (std::uint64_t i = 0, off = start; off < end; ++i, off += cs)
    if (i % mod == index) out.push_back(Chunk{off, std::min(cs, end - off)});
  return out;
}

Result<std::uint64_t> size_field(const FaultSpec& spec, const char* field, std::uint64_t fallback) {
  auto it = spec.params.find(field);
  if (it == spec.params.end()) return fallback;
  if (it->is_number_unsigned() || (it->is_number_integer() && it->get<std::int64_t>() >= 0))
    return it->get<std::uint64_t>();
  if (it->is_string()) {
    auto parsed = parse_size(it->get<std::string>());
    if (!parsed) return parsed.error().with_context(fmt::format("corrupt-file field \"{}\"", field));
    return *parsed;
  }
  return invalid_input(fmt::format("corrupt-file field \"{}\" must be a byte count or a size such as \"4KiB\"", field));
}

Result<void> pread_all(int fd, char* buf, std::uint64_t len, std::uint64_t off) {
  while (len > 0) {
    ssize_t n = ::pread(fd, buf, len, static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error(n < 0 ? err() : "unexpected end of file");
    buf += n, len -= static_cast<std::uint64_t>(n), off += static_cast<std::uint64_t>(n);
  }
  return ok_result();
}

Result<void> pwrite_all(int fd, const char* buf, std::uint64_t len, std::uint64_t off) {
  while (len > 0) {
    ssize_t n = ::pwrite(fd, buf, len, static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error(err());
    buf += n, len -= static_cast<std::uint64_t>(n), off += static_cast<std::uint64_t>(n);
  }
  return ok_result();
}

class CorruptFile : public Mechanism {
 public:
  std::string_view name() const override { return "pwrite"; }
  Availability probe(const HostContext&) const override { return Availability{true, "pwrite", ""}; }

  Result<HealRecord> plan(const FaultSpec& spec, const HostContext& host) override {
    auto path_it = spec.params.find("path");
    if (path_it == spec.params.end() || !path_it->is_string())
      return invalid_input("corrupt-file needs a string field \"path\" (the file to corrupt)");
    std::string path = path_it->get<std::string>();
    std::string mode = spec.params.value("mode", std::string("bitflip"));
    if (mode != "bitflip" && mode != "truncate")
      return invalid_input(fmt::format("corrupt-file field \"mode\" '{}' must be \"bitflip\" or \"truncate\"", mode));
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      return invalid_input(fmt::format("corrupt-file field \"path\": {} is not a regular file", path));
    auto size = static_cast<std::uint64_t>(st.st_size);
    auto start = size_field(spec, "start", 0);
    auto end = size_field(spec, "end", size);
    auto chunk = size_field(spec, "chunk_size", 1 << 20);
    auto modulus = size_field(spec, "modulus", 1);
    auto index = size_field(spec, "index", 0);
    for (auto* r : {&start, &end, &chunk, &modulus, &index})
      if (!*r) return r->error();
    if (*chunk == 0) return invalid_input("corrupt-file field \"chunk_size\" must be > 0");
    if (*modulus == 0) return invalid_input("corrupt-file field \"modulus\" must be > 0");
    if (*index >= *modulus) return invalid_input("corrupt-file field \"index\" must be < \"modulus\"");
    if (*start > *end) return invalid_input("corrupt-file field \"start\" must not be after \"end\"");
    double probability = 0.001;
    if (auto p = spec.params.find("probability"); p != spec.params.end()) {
      if (!p->is_number() || p->get<double>() < 0 || p->get<double>() > 1)
        return invalid_input("corrupt-file field \"probability\" must be a number in [0, 1]");
      probability = p->get<double>();
    }
    std::uint64_t seed = std::random_device{}();
    if (auto s = spec.params.find("seed"); s != spec.params.end()) {
      if (!s->is_number_unsigned() && !(s->is_number_integer() && s->get<std::int64_t>() >= 0)) return invalid_input("corrupt-file field \"seed\" must be a non-negative integer");
      seed = s->get<std::uint64_t>();
    }
    auto id = fault_id_for(spec);
    if (!id) return id.error();
    if (host.state_dir.empty()) return unavailable("corrupt-file: the agent has no state directory for the original bytes");
    std::filesystem::path dir = host.state_dir / "corrupt-file";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return io_error(fmt::format("corrupt-file: cannot create {}: {}", dir.string(), ec.message()));
    HealRecord record{{"id", *id},     {"path", std::filesystem::absolute(path).string()},
                      {"mode", mode},  {"size", size},
                      {"start", *start}, {"end", std::min(*end, size)},
                      {"chunk_size", *chunk}, {"modulus", *modulus},
                      {"index", *index}, {"probability", probability},
                      {"seed", seed},  {"backup", (dir / (*id + ".orig")).string()}};
    if (auto saved = save_original(record); !saved) return saved.error();
    return record;
  }

  Result<void> apply(const HealRecord& record, const HostContext&) override {
    std::string path = record.value("path", ""), backup_path = record.value("backup", "");
    Fd file(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (file.fd < 0) return io_error(fmt::format("corrupt-file: open {}: {}", path, err()));
    auto chunks = chunks_of(record);
    if (record.value("mode", "") == "truncate") {
      if (!chunks.empty() && ::ftruncate(file.fd, static_cast<off_t>(chunks[0].offset)) != 0)
        return io_error(fmt::format("corrupt-file: truncate {}: {}", path, err()));
      ::fsync(file.fd);
      return ok_result();
    }
    Fd backup(::open(backup_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (backup.fd < 0) return io_error(fmt::format("corrupt-file: open saved bytes {}: {}", backup_path, err()));
    std::mt19937_64 rng(record.value("seed", std::uint64_t{0}));
    double p = record.value("probability", 0.001);
    std::uint64_t backup_off = 0;
    std::vector<char> buf;
    for (const auto& c : chunks) {
      buf.resize(c.length);
      if (auto r = pread_all(backup.fd, buf.data(), c.length, backup_off); !r)
        return r.error().with_context(fmt::format("corrupt-file: reading {}", backup_path));
      backup_off += c.length;
      flip_bits(buf, p, rng);
      if (auto r = pwrite_all(file.fd, buf.data(), c.length, c.offset); !r)
        return r.error().with_context(fmt::format("corrupt-file: writing {}", path));
    }
    ::fsync(file.fd);
    return ok_result();
  }

  Result<void> heal(const HealRecord& record, const HostContext&) override {
    std::string path = record.value("path", ""), backup_path = record.value("backup", "");
    Fd backup(::open(backup_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (backup.fd < 0) {
      if (errno == ENOENT) return ok_result();  // healed already
      return io_error(fmt::format("corrupt-file heal: open saved bytes {}: {}", backup_path, err()));
    }
    Fd file(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (file.fd < 0) return io_error(fmt::format("corrupt-file heal: open {}: {}", path, err()));
    std::uint64_t backup_off = 0;
    std::vector<char> buf;
    for (const auto& c : chunks_of(record)) {
      buf.resize(c.length);
      if (auto r = pread_all(backup.fd, buf.data(), c.length, backup_off); !r)
        return r.error().with_context(fmt::format("corrupt-file heal: reading {}", backup_path));
      backup_off += c.length;
      if (auto r = pwrite_all(file.fd, buf.data(), c.length, c.offset); !r)
        return r.error().with_context(fmt::format("corrupt-file heal: writing {}", path));
    }
    if (::ftruncate(file.fd, static_cast<off_t>(record.value("size", std::uint64_t{0}))) != 0)
      return io_error(fmt::format("corrupt-file heal: restore length of {}: {}", path, err()));
    if (::fsync(file.fd) != 0) return io_error(fmt::format("corrupt-file heal: fsync {}: {}", path, err()));
    ::unlink(backup_path.c_str());
    return ok_result();
  }

  std::string describe(const HealRecord& record) const override {
    auto chunks = chunks_of(record);
    if (record.value("mode", "") == "truncate")
      return fmt::format("corrupt-file: truncate {} at byte {}", record.value("path", ""),
                         chunks.empty() ? record.value("size", std::uint64_t{0}) : chunks[0].offset);
    std::uint64_t bytes = 0;
    for (const auto& c : chunks) bytes += c.length;
    return fmt::format("corrupt-file: flip bits with probability {} in {} chunk(s), {} bytes of {}",
                       record.value("probability", 0.0), chunks.size(), bytes, record.value("path", ""));
  }

 private:
  // Geometric skipping: the gap to the next flipped bit is Geometric(p).
  static void flip_bits(std::vector<char>& buf, double p, std::mt19937_64& rng) {
    if (p <= 0 || buf.empty()) return;
    std::uint64_t bits = static_cast<std::uint64_t>(buf.size()) * 8;
    auto uniform = [&] { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; };
    double log_q = std::log1p(-std::min(p, 1.0 - 1e-12));
    for (std::uint64_t bit = 0;;) {
      std::uint64_t skip = p >= 1 ? 0 : static_cast<std::uint64_t>(std::floor(std::log(uniform()) / log_q));
      if (skip >= bits - bit) return;
      bit += skip;
      buf[bit / 8] = static_cast<char>(buf[bit / 8] ^ (1 << (bit % 8)));
      if (++bit >= bits) return;
    }
  }

  static Result<void> save_original(const HealRecord& record) {
    std::string path = record.value("path", ""), backup_path = record.value("backup", "");
    Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (file.fd < 0) return io_error(fmt::format("corrupt-file: open {}: {}", path, err()));
    Fd backup(::open(backup_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (backup.fd < 0) return io_error(fmt::format("corrupt-file: create {}: {}", backup_path, err()));
    std::uint64_t backup_off = 0;
    std::vector<char> buf;
    for (const auto& c : chunks_of(record)) {
      buf.resize(c.length);
      if (auto r = pread_all(file.fd, buf.data(), c.length, c.offset); !r)
        return r.error().with_context(fmt::format("corrupt-file: reading {}", path));
      if (auto r = pwrite_all(backup.fd, buf.data(), c.length, backup_off); !r)
        return r.error().with_context(fmt::format("corrupt-file: saving to {}", backup_path));
      backup_off += c.length;
    }
    if (::fsync(backup.fd) != 0) return io_error(fmt::format("corrupt-file: fsync {}: {}", backup_path, err()));
    return ok_result();
  }
};

FAULTLINE_REGISTER_MECHANISM("corrupt-file", 0, CorruptFile);

}  // namespace
}  // namespace faultline::faults
