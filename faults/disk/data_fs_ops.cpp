// The FUSE low-level handlers of DataFs: a passthrough to the backing
// directory (after libfuse's passthrough_ll example: an O_PATH fd per inode,
// *at() calls, reads spliced from the backing fd), with every handler first
// asking the rules (Impl::gate) and the data handlers honouring held writes.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <vector>

#include "faults/disk/data_fs_impl.h"

namespace faultline::faults::disk {
namespace {

using Impl = DataFs::Impl;

Impl& impl_of(fuse_req_t req) { return *static_cast<Impl*>(fuse_req_userdata(req)); }
FileHandle* handle_of(fuse_file_info* fi) { return reinterpret_cast<FileHandle*>(fi->fh); }

std::string proc_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

// Attributes with the logical size of a file whose writes are held.
void held_size(Impl& fs, Inode* inode, struct stat* st) {
  if (!fs.holding.load(std::memory_order_acquire)) return;
  std::lock_guard lock(fs.held_mutex);
  if (auto* held = fs.held_file(inode, false)) st->st_size = held->writes.size();
}

void op_init(void* userdata, fuse_conn_info* conn) {
  (void)userdata;
  // O_TRUNC arrives as a setattr(size 0), so held writes see it.
  conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  if (conn->capable & FUSE_CAP_SPLICE_WRITE) conn->want |= FUSE_CAP_SPLICE_WRITE;
  if (conn->capable & FUSE_CAP_SPLICE_MOVE) conn->want |= FUSE_CAP_SPLICE_MOVE;
  if (conn->capable & FUSE_CAP_FLOCK_LOCKS) conn->want |= FUSE_CAP_FLOCK_LOCKS;
  conn->max_write = 1 << 20;
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  auto& fs = impl_of(req);
  if (int e = fs.gate(DiskOp::kLookup, fs.inode(parent), name)) return (void)fuse_reply_err(req, e);
  fuse_entry_param e{};
  if (int err = fs.do_lookup(parent, name, &e)) return (void)fuse_reply_err(req, err);
  fuse_reply_entry(req, &e);
}

void op_forget(fuse_req_t req, fuse_ino_t ino, std::uint64_t nlookup) {
  auto& fs = impl_of(req);
  fs.forget(fs.inode(ino), nlookup);
  fuse_reply_none(req);
}

void op_forget_multi(fuse_req_t req, std::size_t count, fuse_forget_data* forgets) {
  auto& fs = impl_of(req);
  for (std::size_t i = 0; i < count; ++i) fs.forget(fs.inode(forgets[i].ino), forgets[i].nlookup);
  fuse_reply_none(req);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  auto& fs = impl_of(req);
  Inode* inode = fs.inode(ino);
  if (int e = fs.gate(DiskOp::kGetattr, inode)) return (void)fuse_reply_err(req, e);
  struct stat st {};
  if (::fstatat(inode->fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) return (void)fuse_reply_err(req, errno);
  held_size(fs, inode, &st);
  fuse_reply_attr(req, &st, fs.cache_timeout());
}

void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int valid, fuse_file_info* fi) {
  auto& fs = impl_of(req);
  Inode* inode = fs.inode(ino);
  if (int e = fs.gate(valid & FUSE_SET_ATTR_SIZE ? DiskOp::kTruncate : DiskOp::kSetattr, inode))
    return (void)fuse_reply_err(req, e);
  const int fd = fi ? handle_of(fi)->fd : -1;
  const std::string proc = proc_path(inode->fd);
  if (valid & FUSE_SET_ATTR_MODE) {
    if ((fd >= 0 ? ::fchmod(fd, attr->st_mode) : ::chmod(proc.c_str(), attr->st_mode)) != 0)
      return (void)fuse_reply_err(req, errno);
  }
  if (valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
    uid_t uid = (valid & FUSE_SET_ATTR_UID) ? attr->st_uid : static_cast<uid_t>(-1);
    gid_t gid = (valid & FUSE_SET_ATTR_GID) ? attr->st_gid : static_cast<gid_t>(-1);
    if (::fchownat(inode->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0)
      return (void)fuse_reply_err(req, errno);
  }
  if (valid & FUSE_SET_ATTR_SIZE) {
    bool held = false;
    if (fs.holding.load(std::memory_order_acquire)) {
      std::lock_guard lock(fs.held_mutex);
      if (auto* file = fs.held_file(inode, true)) {
        file->writes.truncate(attr->st_size);
        held = true;
      }
    }
    if (!held && (fd >= 0 ? ::ftruncate(fd, attr->st_size) : ::truncate(proc.c_str(), attr->st_size)) != 0)
      return (void)fuse_reply_err(req, errno);
  }
  if (valid & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)) {
    timespec tv[2];
    tv[0].tv_sec = tv[1].tv_sec = 0;
    tv[0].tv_nsec = tv[1].tv_nsec = UTIME_OMIT;
    if (valid & FUSE_SET_ATTR_ATIME_NOW) tv[0].tv_nsec = UTIME_NOW;
    else if (valid & FUSE_SET_ATTR_ATIME) tv[0] = attr->st_atim;
    if (valid & FUSE_SET_ATTR_MTIME_NOW) tv[1].tv_nsec = UTIME_NOW;
    else if (valid & FUSE_SET_ATTR_MTIME) tv[1] = attr->st_mtim;
    if ((fd >= 0 ? ::futimens(fd, tv) : ::utimensat(AT_FDCWD, proc.c_str(), tv, 0)) != 0)
      return (void)fuse_reply_err(req, errno);
  }
  struct stat st {};
  if (::fstatat(inode->fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) return (void)fuse_reply_err(req, errno);
  held_size(fs, inode, &st);
  fuse_reply_attr(req, &st, fs.cache_timeout());
}

void op_readlink(fuse_req_t req, fuse_ino_t ino) {
  auto& fs = impl_of(req);
  Inode* inode = fs.inode(ino);
  if (int e = fs.gate(DiskOp::kReadlink, inode)) return (void)fuse_reply_err(req, e);
  char buf[PATH_MAX + 1];
  ssize_t n = ::readlinkat(inode->fd, "", buf, sizeof buf);
  if (n < 0) return (void)fuse_reply_err(req, errno);
  if (n == static_cast<ssize_t>(sizeof buf)) return (void)fuse_reply_err(req, ENAMETOOLONG);
  buf[n] = '\0';
  fuse_reply_readlink(req, buf);
}

// mknod, mkdir and symlink: make the node, then look it up.
void make_node(fuse_req_t req, DiskOp op, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev,
               const char* link) {
  auto& fs = impl_of(req);
  Inode* dir = fs.inode(parent);
  if (int e = fs.gate(op, dir, name)) return (void)fuse_reply_err(req, e);
  int r;
  if (S_ISDIR(mode)) r = ::mkdirat(dir->fd, name, mode);
  else if (S_ISLNK(mode)) r = ::symlinkat(link, dir->fd, name);
  else r = ::mknodat(dir->fd, name, mode, rdev);
  if (r != 0) return (void)fuse_reply_err(req, errno);
  fuse_entry_param e{};
  if (int err = fs.do_lookup(parent, name, &e)) return (void)fuse_reply_err(req, err);
  fuse_reply_entry(req, &e);
}

void op_mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  make_node(req, DiskOp::kMknod, parent, name, mode, rdev, nullptr);
}
void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  make_node(req, DiskOp::kMkdir, parent, name, S_IFDIR | mode, 0, nullptr);
}
void op_symlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name) {
  make_node(req, DiskOp::kSymlink, parent, name, S_IFLNK, 0, link);
}

void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t parent, const char* name) {
  auto& fs = impl_of(req);
  Inode* inode = fs.inode(ino);
  if (int e = fs.gate(DiskOp::kLink, fs.inode(parent), name)) return (void)fuse_reply_err(req, e);
  if (::linkat(AT_FDCWD, proc_path(inode->fd).c_str(), fs.inode(parent)->fd, name, AT_SYMLINK_FOLLOW) != 0)
    return (void)fuse_reply_err(req, errno);
  fuse_entry_param e{};
  if (int err = fs.do_lookup(parent, name, &e)) return (void)fuse_reply_err(req, err);
  fuse_reply_entry(req, &e);
}

void op_unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  auto& fs = impl_of(req);
  if (int e = fs.gate(DiskOp::kUnlink, fs.inode(parent), name)) return (void)fuse_reply_err(req, e);
  fuse_reply_err(req, ::unlinkat(fs.inode(parent)->fd, name, 0) == 0 ? 0 : errno);
}

void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  auto& fs = impl_of(req);
  if (int e = fs.gate(DiskOp::kRmdir, fs.inode(parent), name)) return (void)fuse_reply_err(req, e);
  fuse_reply_err(req, ::unlinkat(fs.inode(parent)->fd, name, AT_REMOVEDIR) == 0 ? 0 : errno);
}

void op_rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent, const char* newname,
               unsigned int flags) {
  auto& fs = impl_of(req);
  if (int e = fs.gate(DiskOp::kRename, fs.inode(parent), name)) return (void)fuse_reply_err(req, e);
  Inode* to = fs.inode(newparent);
  if (::renameat2(fs.inode(parent)->fd, name, to->fd, newname, flags) != 0) return (void)fuse_reply_err(req, errno);
  // The moved node's path, for the rules' globs.
  struct stat st {};
  if (::fstatat(to->fd, newname, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    std::lock_guard lock(fs.inodes_mutex);
    if (auto it = fs.inodes.find(DevIno{st.st_dev, st.st_ino}); it != fs.inodes.end()) {
      std::string path = fs.path_of(to, newname);
      std::lock_guard inode_lock(it->second->mutex);
      it->second->path = std::move(path);
    }
  }
  fuse_reply_err(req, 0);
}

struct DirHandle {
  DIR* dp = nullptr;
  dirent* entry = nullptr;
  off_t offset = 0;
};

void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto& fs = impl_of(req);
  Inode* inode = fs.inode(ino);
  if (int e = fs.gate(DiskOp::kOpen, inode)) return (void)fuse_reply_err(req, e);
  int fd = ::openat(inode->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return (void)fuse_reply_err(req, errno);
  auto* d = new DirHandle;
  d->dp = ::fdopendir(fd);
  if (!d->dp) {
    int err = errno;
    ::close(fd);
    delete d;
    return (void)fuse_reply_err(req, err);
  }
  fi->fh = reinterpret_cast<std::uint64_t>(d);
  if (fuse_reply_open(req, fi) == -ENOENT) {
    ::closedir(d->dp);
    delete d;
  }
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, std::size_t size, off_t offset, fuse_file_info* fi) {
  auto& fs = impl_of(req);
  if (int e = fs.gate(DiskOp::kReaddir, fs.inode(ino))) return (void)fuse_reply_err(req, e);
  auto* d = reinterpret_cast<DirHandle*>(fi->fh);
  std::vector<char> buf(size);
  std::size_t used = 0;
  if (offset != d->offset) {
    ::seekdir(d->dp, offset);
    d->entry = nullptr;
    d->offset = offset;
  }
  for (;;) {
    if (!d->entry) {
      errno = 0;
      d->entry = ::readdir(d->dp);
      if (!d->entry) {
        if (errno && used == 0) return (void)fuse_reply_err(req, errno);
        break;
      }
    }
    struct stat st {};
    st.st_ino = d->entry->d_ino;
    st.st_mode = static_cast<mode_t>(d->entry->d_type) << 12;
    std::size_t entry = fuse_add_direntry(req, buf.data() + used, size - used, d->entry->d_name, &st, d->entry->d_off);
    if (entry > size - used) break;
    used += entry;
    d->offset = d->entry->d_off;
    d->entry = nullptr;
  }
  fuse_reply_buf(req, buf.data(), used);
}

void op_releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  auto* d = reinterpret_cast<DirHandle*>(fi->fh);
  ::closedir(d->dp);
  delete d;
  fuse_reply_err(req, 0);
}

void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) {
  auto& fs = impl_of(req);
  if (int e = fs.gate(DiskOp::kFsync, fs.inode(ino))) return (void)fuse_reply_err(req, e);
  int fd = ::dirfd(reinterpret_cast<DirHandle*>(fi->fh)->dp);
  fuse_reply_err(req, (datasync ? ::fdatasync(fd) : ::fsync(fd)) == 0 ? 0 : errno);
}

// The backing fd of an open: exact offsets (no O_APPEND: the kernel already
// gives appends the end of file), never following a symlink.
int backing_flags(int flags) { return (flags & ~(O_NOFOLLOW | O_APPEND | O_CREAT | O_EXCL | O_TRUNC)) | O_CLOEXEC; }

FileHandle* new_handle(int fd, int flags) {
  auto* h = new FileHandle;
  h->fd = fd;
  h->sync = (flags & (O_SYNC | O_DSYNC)) != 0;
  return h;
}

void op_create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  auto& fs = impl_of(req);
  Inode* dir = fs.inode(parent);
  if (int e = fs.gate(DiskOp::kCreate, dir, name)) return (void)fuse_reply_err(req, e);
  int fd = ::openat(dir->fd, name, ((fi->flags | O_CREAT) & ~(O_NOFOLLOW | O_APPEND)) | O_CLOEXEC, mode);
  if (fd < 0) return (void)fuse_reply_err(req, errno);
  fuse_entry_param e{};
  if (int err = fs.do_lookup(parent, name, &e)) {
    ::close(fd);
    return (void)fuse_reply_err(req, err);
  }
  auto* h = new_handle(fd, fi->flags);
  fi->fh = reinterpret_cast<std::uint64_t>(h);
  if (fuse_reply_create(req, &e, fi) == -ENOENT) {
    ::close(fd);
    delete h;
  }
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto& fs = impl_of(req);
  Inode* inode = fs.inode(ino);
  if (int e = fs.gate(DiskOp::kOpen, inode)) return (void)fuse_reply_err(req, e);
  int fd = ::open(proc_path(inode->fd).c_str(), backing_flags(fi->flags));
  if (fd < 0) return (void)fuse_reply_err(req, errno);
  auto* h = new_handle(fd, fi->flags);
  fi->fh = reinterpret_cast<std::uint64_t>(h);
  if (fuse_reply_open(req, fi) == -ENOENT) {
    ::close(fd);
    delete h;
  }
}

constexpr std::size_t kSmallRead = 64 * 1024;

void op_read(fuse_req_t req, fuse_ino_t ino, std::size_t size, off_t offset, fuse_file_info* fi) {
  auto& fs = impl_of(req);
  Inode* inode = fs.inode(ino);
  if (int e = fs.gate(DiskOp::kRead, inode)) return (void)fuse_reply_err(req, e);
  const int fd = handle_of(fi)->fd;
  if (fs.holding.load(std::memory_order_acquire)) {
    std::unique_lock lock(fs.held_mutex);
    if (auto* held = fs.held_file(inode, false)) {
      std::vector<char> buf(size);
      auto n = held->writes.read(fd, offset, size, buf.data());
      lock.unlock();
      if (!n) return (void)fuse_reply_err(req, EIO);
      return (void)fuse_reply_buf(req, buf.data(), *n);
    }
  }
  if (size <= kSmallRead) {
    // Small reads: one pread and one reply write beat splicing through a pipe.
    thread_local std::vector<char> small(kSmallRead);
    ssize_t n;
    do n = ::pread(fd, small.data(), size, offset);
    while (n < 0 && errno == EINTR);
    if (n < 0) return (void)fuse_reply_err(req, errno);
    return (void)fuse_reply_buf(req, small.data(), static_cast<std::size_t>(n));
  }
  fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
  buf.buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
  buf.buf[0].fd = fd;
  buf.buf[0].pos = offset;
  fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

// Writes what a file holds to the backing file (fsync, or an O_SYNC write);
// held_mutex held.
int flush_held(Impl& fs, Inode* inode) {
  auto it = fs.held.find(DevIno{inode->dev, inode->ino});
  if (it == fs.held.end()) return 0;
  int fd = ::open(proc_path(it->second.path_fd).c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  auto flushed = it->second.writes.flush(fd);
  ::close(fd);
  if (!flushed) return EIO;
  ::close(it->second.path_fd);
  fs.held.erase(it);
  return 0;
}

void op_write_buf(fuse_req_t req, fuse_ino_t ino, fuse_bufvec* in, off_t offset, fuse_file_info* fi) {
  auto& fs = impl_of(req);
  Inode* inode = fs.inode(ino);
  if (int e = fs.gate(DiskOp::kWrite, inode)) return (void)fuse_reply_err(req, e);
  const std::size_t size = fuse_buf_size(in);
  FileHandle* h = handle_of(fi);
  if (fs.holding.load(std::memory_order_acquire)) {
    std::unique_lock lock(fs.held_mutex);
    if (auto* held = fs.held_file(inode, true)) {
      std::vector<char> data(size);
      fuse_bufvec mem = FUSE_BUFVEC_INIT(size);
      mem.buf[0].mem = data.data();
      ssize_t copied = fuse_buf_copy(&mem, in, static_cast<fuse_buf_copy_flags>(0));
      if (copied < 0) return (void)fuse_reply_err(req, static_cast<int>(-copied));
      held->writes.write(offset, data.data(), static_cast<std::size_t>(copied));
      if (h->sync)
        if (int err = flush_held(fs, inode)) return (void)fuse_reply_err(req, err);
      lock.unlock();
      return (void)fuse_reply_write(req, static_cast<std::size_t>(copied));
    }
  }
  fuse_bufvec out = FUSE_BUFVEC_INIT(size);
  out.buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
  out.buf[0].fd = h->fd;
  out.buf[0].pos = offset;
  ssize_t n = fuse_buf_copy(&out, in, static_cast<fuse_buf_copy_flags>(0));
  if (n < 0) return (void)fuse_reply_err(req, static_cast<int>(-n));
  fuse_reply_write(req, static_cast<std::size_t>(n));
}

void op_flush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto& fs = impl_of(req);
  if (int e = fs.gate(DiskOp::kFlush, fs.inode(ino))) return (void)fuse_reply_err(req, e);
  fuse_reply_err(req, ::close(::dup(handle_of(fi)->fd)) == 0 ? 0 : errno);
}

void op_release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto& fs = impl_of(req);
  (void)fs.gate(DiskOp::kRelease, fs.inode(ino));  // delays only: the kernel ignores a release's error
  FileHandle* h = handle_of(fi);
  ::close(h->fd);
  delete h;
  fuse_reply_err(req, 0);
}

void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) {
  auto& fs = impl_of(req);
  Inode* inode = fs.inode(ino);
  if (int e = fs.gate(DiskOp::kFsync, inode)) return (void)fuse_reply_err(req, e);
  if (fs.holding.load(std::memory_order_acquire)) {
    std::lock_guard lock(fs.held_mutex);
    if (int err = flush_held(fs, inode)) return (void)fuse_reply_err(req, err);
  }
  const int fd = handle_of(fi)->fd;
  fuse_reply_err(req, (datasync ? ::fdatasync(fd) : ::fsync(fd)) == 0 ? 0 : errno);
}

void op_statfs(fuse_req_t req, fuse_ino_t ino) {
  auto& fs = impl_of(req);
  Inode* inode = fs.inode(ino);
  if (int e = fs.gate(DiskOp::kStatfs, inode)) return (void)fuse_reply_err(req, e);
  struct statvfs st {};
  if (::fstatvfs(inode->fd, &st) != 0) return (void)fuse_reply_err(req, errno);
  fuse_reply_statfs(req, &st);
}

void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length, fuse_file_info* fi) {
  auto& fs = impl_of(req);
  if (int e = fs.gate(DiskOp::kFallocate, fs.inode(ino))) return (void)fuse_reply_err(req, e);
  fuse_reply_err(req, ::fallocate(handle_of(fi)->fd, mode, offset, length) == 0 ? 0 : errno);
}

void op_flock(fuse_req_t req, fuse_ino_t, fuse_file_info* fi, int op) {
  fuse_reply_err(req, ::flock(handle_of(fi)->fd, op) == 0 ? 0 : errno);
}

}  // namespace

const fuse_lowlevel_ops& data_fs_operations() {
  static const fuse_lowlevel_ops ops = [] {
    fuse_lowlevel_ops o{};
    o.init = op_init;
    o.lookup = op_lookup;
    o.forget = op_forget;
    o.forget_multi = op_forget_multi;
    o.getattr = op_getattr;
    o.setattr = op_setattr;
    o.readlink = op_readlink;
    o.mknod = op_mknod;
    o.mkdir = op_mkdir;
    o.symlink = op_symlink;
    o.link = op_link;
    o.unlink = op_unlink;
    o.rmdir = op_rmdir;
    o.rename = op_rename;
    o.opendir = op_opendir;
    o.readdir = op_readdir;
    o.releasedir = op_releasedir;
    o.fsyncdir = op_fsyncdir;
    o.create = op_create;
    o.open = op_open;
    o.read = op_read;
    o.write_buf = op_write_buf;
    o.flush = op_flush;
    o.release = op_release;
    o.fsync = op_fsync;
    o.statfs = op_statfs;
    o.fallocate = op_fallocate;
    o.flock = op_flock;
    return o;
  }();
  return ops;
}

}  // namespace faultline::faults::disk
