// IptablesFileLock: the flock on /run/faultline-iptables.lock that every
// read-modify-write of faultline's iptables rules holds (IptablesChains'
// apply/heal, the shaper's NFQUEUE fast path), so two processes (an agent and
// a test, two agents in one namespace) do not interleave their batches.
//
// Contract:
//  - The constructor blocks until the lock is held; the destructor releases
//    it. If the file cannot be opened, it holds nothing: the callers go on
//    unserialised rather than fail.
//  - A file lock is shared across network namespaces but not across mount
//    namespaces with a private /run.
//  - Each instance opens its own descriptor, so it also excludes other
//    threads of the same process.
#pragma once

namespace faultline::faults::net {

class IptablesFileLock {
 public:
  IptablesFileLock();
  ~IptablesFileLock();
  IptablesFileLock(const IptablesFileLock&) = delete;
  IptablesFileLock& operator=(const IptablesFileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace faultline::faults::net
