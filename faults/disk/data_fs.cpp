#include "faults/disk/data_fs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <time.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "faults/disk/data_fs_impl.h"

namespace faultline::faults::disk {
namespace {

std::mutex g_mounted_mutex;
std::map<std::filesystem::path, std::weak_ptr<DataFs>> g_mounted;

std::mt19937_64& thread_rng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

void sleep_for(Nanos ns) {
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  while (::clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
  }
}

bool has_cap_sys_admin() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("CapEff:", 0) == 0) return (std::stoull(line.substr(7), nullptr, 16) >> 21) & 1;
  return false;
}

}  // namespace

// ---- Impl -----------------------------------------------------------------

DataFs::Impl::~Impl() {
  for (auto& [key, inode] : inodes) {
    ::close(inode->fd);
    delete inode;
  }
  for (auto& [key, file] : held) ::close(file.path_fd);
  if (root.fd >= 0) ::close(root.fd);
}

std::string DataFs::Impl::path_of(const Inode* inode, const char* name) const {
  std::string path;
  {
    std::lock_guard lock(inode->mutex);
    path = inode->path;
  }
  if (name) path = path.empty() ? std::string(name) : path + "/" + name;
  return path;
}

int DataFs::Impl::gate(DiskOp op, const Inode* inode, const char* name) {
  if (!any_rules.load(std::memory_order_acquire)) return 0;
  auto set = rules.load(std::memory_order_acquire);
  if (!(set->faulted_ops & op_bit(op))) return 0;
  auto decision = set->decide(op, path_of(inode, name), thread_rng());
  if (decision.delay > 0) sleep_for(decision.delay);
  return decision.errnum;
}

double DataFs::Impl::cache_timeout() const {
  if (!any_rules.load(std::memory_order_acquire)) return options.cache_timeout;
  return (rules.load(std::memory_order_acquire)->faulted_ops & kMetadataOps) ? 0.0 : options.cache_timeout;
}

int DataFs::Impl::do_lookup(fuse_ino_t parent, const char* name, fuse_entry_param* e) {
  Inode* dir = inode(parent);
  e->attr_timeout = e->entry_timeout = cache_timeout();
  int fd = ::openat(dir->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno;
  if (::fstatat(fd, "", &e->attr, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) {
    int err = errno;
    ::close(fd);
    return err;
  }
  const std::string path = path_of(dir, name);
  Inode* node = nullptr;
  {
    std::lock_guard lock(inodes_mutex);
    auto [it, inserted] = inodes.try_emplace(DevIno{e->attr.st_dev, e->attr.st_ino}, nullptr);
    if (inserted) {
      it->second = new Inode;
      it->second->fd = fd;
      it->second->dev = e->attr.st_dev;
      it->second->ino = e->attr.st_ino;
      fd = -1;
    }
    node = it->second;
    ++node->nlookup;
  }
  if (fd >= 0) ::close(fd);
  {
    std::lock_guard lock(node->mutex);
    node->path = path;
  }
  if (holding.load(std::memory_order_acquire)) {
    std::lock_guard lock(held_mutex);
    if (auto* file = held_file(node, false)) e->attr.st_size = file->writes.size();
  }
  e->ino = reinterpret_cast<fuse_ino_t>(node);
  return 0;
}

void DataFs::Impl::forget(Inode* node, std::uint64_t n) {
  if (node == &root) return;
  std::lock_guard lock(inodes_mutex);
  node->nlookup -= std::min(node->nlookup, n);
  if (node->nlookup > 0) return;
  inodes.erase(DevIno{node->dev, node->ino});
  ::close(node->fd);
  delete node;
}

HeldFile* DataFs::Impl::held_file(Inode* node, bool create) {
  if (!holding.load(std::memory_order_relaxed)) return nullptr;
  const DevIno key{node->dev, node->ino};
  if (auto it = held.find(key); it != held.end()) return &it->second;
  if (!create) return nullptr;
  if (!hold_rule.path.empty() && !Selector{0, hold_rule.path}.matches(DiskOp::kWrite, path_of(node))) return nullptr;
  struct stat st {};
  if (::fstatat(node->fd, "", &st, AT_EMPTY_PATH) != 0 || !S_ISREG(st.st_mode)) return nullptr;
  int dup = ::fcntl(node->fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return nullptr;
  auto [it, inserted] = held.emplace(key, HeldFile{dup, HeldWrites(st.st_size)});
  return &it->second;
}

void DataFs::Impl::publish(RuleSet next) {
  next.recompute();
  const bool any = !next.slow.empty() || !next.errors.empty();
  rules.store(std::make_shared<const RuleSet>(std::move(next)), std::memory_order_release);
  any_rules.store(any, std::memory_order_release);
}

// ---- DataFs ---------------------------------------------------------------

Availability DataFs::availability() {
  Availability out{false, "fuse-passthrough", ""};
  if (::access("/dev/fuse", F_OK) != 0) {
    out.reason = "no /dev/fuse on this host (FUSE is not available; a container needs --device /dev/fuse and "
                 "--cap-add SYS_ADMIN)";
    return out;
  }
  int fd = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    out.reason = fmt::format("cannot open /dev/fuse: {} (a container needs --device /dev/fuse)", std::strerror(errno));
    return out;
  }
  ::close(fd);
  if (!has_cap_sys_admin()) {
    out.reason = "no CAP_SYS_ADMIN to mount the data filesystem (run the agent as root; a container needs "
                 "--cap-add SYS_ADMIN)";
    return out;
  }
  out.available = true;
  return out;
}

DataFs::DataFs(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

DataFs::~DataFs() {
  if (auto r = unmount(); !r) spdlog::error("data fs {}: {}", impl_->mountpoint.string(), r.error().message);
  if (detached_) (void)impl_.release();
}

bool data_fs_mounted_at(const std::filesystem::path& dir) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  const std::string want = dir.string();
  while (std::getline(in, line)) {
    // id parent major:minor root mountpoint options... - fstype source superopts
    std::istringstream words(line);
    std::string id, parent, devno, root, mountpoint;
    words >> id >> parent >> devno >> root >> mountpoint;
    std::string unescaped;
    for (std::size_t i = 0; i < mountpoint.size(); ++i) {
      if (mountpoint[i] == '\\' && i + 3 < mountpoint.size()) {
        unescaped += static_cast<char>(std::stoi(mountpoint.substr(i + 1, 3), nullptr, 8));
        i += 3;
      } else {
        unescaped += mountpoint[i];
      }
    }
    if (unescaped != want) continue;
    auto dash = line.find(" - ");
    if (dash != std::string::npos && line.compare(dash + 3, 14, "fuse.faultline") == 0) return true;
  }
  return false;
}

const std::filesystem::path& DataFs::mountpoint() const { return impl_->mountpoint; }

Result<std::shared_ptr<DataFs>> DataFs::mount(const std::filesystem::path& dir_in, Options options) {
  auto availability = DataFs::availability();
  if (!availability.available) return unavailable("data fs: " + availability.reason);
  std::error_code ec;
  const auto dir = std::filesystem::weakly_canonical(std::filesystem::absolute(dir_in), ec);
  if (ec || !std::filesystem::is_directory(dir, ec))
    return invalid_input(fmt::format("data fs: {} is not a directory", dir_in.string()));
  {
    std::lock_guard lock(g_mounted_mutex);
    if (auto it = g_mounted.find(dir); it != g_mounted.end() && it->second.lock())
      return invalid_input(fmt::format("data fs: {} is already mounted by this process", dir.string()));
  }
  auto impl = std::make_unique<Impl>();
  impl->mountpoint = dir;
  impl->options = options;
  // The backing directory: what is at `dir` now, reached through this fd
  // after the mount covers the path.
  impl->root.fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (impl->root.fd < 0) return io_error(fmt::format("data fs: open {}: {}", dir.string(), std::strerror(errno)));
  struct stat root_st {};
  ::fstat(impl->root.fd, &root_st);
  impl->root.dev = root_st.st_dev;
  impl->root.ino = root_st.st_ino;

  std::vector<std::string> argv_text{"faultline-data", "-o",
                                     "allow_other,default_permissions,fsname=faultline-data,subtype=faultline"};
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  const auto& ops = data_fs_operations();
  impl->session = fuse_session_new(&args, &ops, sizeof ops, impl.get());
  if (!impl->session) return io_error(fmt::format("data fs: fuse_session_new failed for {}", dir.string()));
  if (fuse_session_mount(impl->session, dir.c_str()) != 0) {
    fuse_session_destroy(impl->session);
    impl->session = nullptr;
    return io_error(fmt::format("data fs: mounting FUSE at {} failed (see the agent log)", dir.string()));
  }
  Impl* raw = impl.get();
  raw->loop = std::thread([raw] {
    fuse_loop_config* config = fuse_loop_cfg_create();
    fuse_loop_cfg_set_clone_fd(config, 1);
    fuse_loop_cfg_set_max_threads(config, raw->options.max_threads);
    fuse_loop_cfg_set_idle_threads(config, 4);
    fuse_session_loop_mt(raw->session, config);
    fuse_loop_cfg_destroy(config);
    raw->loop_done.store(true);
  });
  std::shared_ptr<DataFs> fs(new DataFs(std::move(impl)));
  // The first request (INIT, then getattr) proves the mount serves.
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    auto error = io_error(fmt::format("data fs: {} does not answer after mounting: {}", dir.string(), std::strerror(errno)));
    (void)fs->unmount();
    return error;
  }
  fs->impl_->mounted_dev = st.st_dev;
  {
    std::lock_guard lock(g_mounted_mutex);
    g_mounted[dir] = fs;
  }
  spdlog::info("data fs mounted at {} (fuse connection {})", dir.string(), minor(st.st_dev));
  return fs;
}

Result<void> DataFs::unmount() {
  Impl& fs = *impl_;
  if (!fs.session) return ok_result();
  {
    std::lock_guard lock(g_mounted_mutex);
    if (auto it = g_mounted.find(fs.mountpoint); it != g_mounted.end() && !it->second.lock()) g_mounted.erase(it);
    else if (it != g_mounted.end() && it->second.lock().get() == this) g_mounted.erase(it);
  }
  fuse_session_exit(fs.session);
  fuse_session_unmount(fs.session);  // lazy: detached now, gone when its last file closes
  if (data_fs_mounted_at(fs.mountpoint) && ::umount2(fs.mountpoint.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0)
    spdlog::warn("data fs {}: umount: {}", fs.mountpoint.string(), std::strerror(errno));
  // A process may still hold files open on the detached mount; abort the
  // connection so the loop ends (its requests fail with ENOTCONN).
  for (int i = 0; i < 100 && !fs.loop_done.load(); ++i) {
    if (i == 10 && fs.mounted_dev) {
      std::ofstream abort(fmt::format("/sys/fs/fuse/connections/{}/abort", minor(fs.mounted_dev)));
      if (abort) abort << "1" << std::endl;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!fs.loop_done.load()) {
    // No fusectl to abort through: leave the loop serving the detached mount.
    fs.loop.detach();
    detached_ = true;
    spdlog::warn("data fs {}: unmounted (detached), but open files keep its session alive", fs.mountpoint.string());
    fs.session = nullptr;
    return ok_result();
  }
  fs.loop.join();
  fuse_session_destroy(fs.session);
  fs.session = nullptr;
  spdlog::info("data fs unmounted from {}", fs.mountpoint.string());
  return ok_result();
}

std::shared_ptr<DataFs> DataFs::find(const std::filesystem::path& dir) {
  std::error_code ec;
  auto key = std::filesystem::weakly_canonical(std::filesystem::absolute(dir), ec);
  std::lock_guard lock(g_mounted_mutex);
  auto it = g_mounted.find(key);
  return it == g_mounted.end() ? nullptr : it->second.lock();
}

std::shared_ptr<DataFs> DataFs::only() {
  std::lock_guard lock(g_mounted_mutex);
  std::shared_ptr<DataFs> found;
  for (auto& [path, weak] : g_mounted)
    if (auto fs = weak.lock()) {
      if (found) return nullptr;
      found = fs;
    }
  return found;
}

namespace {
template <class Rule>
void add_once(std::vector<Rule>& list, const Rule& rule) {
  for (const auto& r : list)
    if (r.id == rule.id) return;
  list.push_back(rule);
}
}  // namespace

void DataFs::Impl::edit_rules(const std::function<bool(RuleSet&)>& edit) {
  std::lock_guard lock(rules_mutex);
  RuleSet next = *rules.load();
  if (edit(next)) publish(std::move(next));
}

Result<void> DataFs::add_rule(const SlowRule& rule) {
  impl_->edit_rules([&](RuleSet& set) { return add_once(set.slow, rule), true; });
  return ok_result();
}

Result<void> DataFs::add_rule(const ErrorRule& rule) {
  impl_->edit_rules([&](RuleSet& set) { return add_once(set.errors, rule), true; });
  return ok_result();
}

bool DataFs::remove_rule(const std::string& id) {
  bool removed = false;
  impl_->edit_rules([&](RuleSet& set) {
    removed = std::erase_if(set.slow, [&](const SlowRule& r) { return r.id == id; }) +
                  std::erase_if(set.errors, [&](const ErrorRule& r) { return r.id == id; }) > 0;
    return removed;
  });
  return removed;
}

Result<void> DataFs::hold(const LoseUnsyncedRule& rule) {
  std::lock_guard lock(impl_->held_mutex);
  if (impl_->holding.load()) {
    if (impl_->hold_rule.id == rule.id) return ok_result();
    return invalid_input(fmt::format("lose-unsynced: fault {} already holds the writes of {}", impl_->hold_rule.id,
                                     impl_->mountpoint.string()));
  }
  impl_->hold_rule = rule;
  impl_->holding.store(true, std::memory_order_release);
  return ok_result();
}

Result<HeldReport> DataFs::release_held(const std::string& id, bool drop) {
  Impl& fs = *impl_;
  std::map<DevIno, HeldFile> taken;
  HeldReport report;
  std::string failures;
  {
    std::lock_guard lock(fs.held_mutex);
    if (!fs.holding.load() || fs.hold_rule.id != id) return report;
    taken.swap(fs.held);
    for (auto& [key, file] : taken) {
      ++report.files;
      report.bytes += file.writes.held_bytes();
      if (!drop) {
        int fd = ::open(("/proc/self/fd/" + std::to_string(file.path_fd)).c_str(), O_WRONLY | O_CLOEXEC);
        auto flushed = fd >= 0 ? file.writes.flush(fd) : Result<void>(io_error(std::strerror(errno)));
        if (fd >= 0) ::close(fd);
        if (!flushed) failures += (failures.empty() ? "" : "; ") + flushed.error().message;
      }
    }
    fs.holding.store(false, std::memory_order_release);
  }
  // Outside the lock: the kernel may be waiting on a read we serve.
  std::vector<fuse_ino_t> stale;
  {
    std::lock_guard lock(fs.inodes_mutex);
    for (auto& [key, file] : taken)
      if (auto it = fs.inodes.find(key); it != fs.inodes.end()) stale.push_back(reinterpret_cast<fuse_ino_t>(it->second));
  }
  for (auto& [key, file] : taken) ::close(file.path_fd);
  if (drop && fs.session)
    for (auto ino : stale) fuse_lowlevel_notify_inval_inode(fs.session, ino, 0, 0);
  if (!failures.empty()) return io_error("lose-unsynced: writing held data through: " + failures);
  return report;
}

HeldReport DataFs::held() const {
  std::lock_guard lock(impl_->held_mutex);
  HeldReport report;
  for (auto& [key, file] : impl_->held) {
    ++report.files;
    report.bytes += file.writes.held_bytes();
  }
  return report;
}

}  // namespace faultline::faults::disk
