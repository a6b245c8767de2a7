#include "faults/net/iptables_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace faultline::faults::net {

IptablesFileLock::IptablesFileLock() {
  fd_ = ::open("/run/faultline-iptables.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ >= 0) ::flock(fd_, LOCK_EX);
}

IptablesFileLock::~IptablesFileLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

}  // namespace faultline::faults::net
