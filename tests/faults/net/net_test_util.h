// Helpers for the network mechanism tests: run a mechanism inside a node's
// namespace, round-trip a heal record through JSON text (as the journal does).
#pragma once

#include <sys/socket.h>
#include <poll.h>
#include <netinet/in.h>

#include <gtest/gtest.h>

#include "faults/fault_spec.h"
#include "faults/mechanism.h"
#include "tests/support/netns.h"
#include "tests/support/traffic.h"

namespace faultline::net_test {

inline faults::FaultSpec spec_of(const std::string& json) {
  auto spec = faults::FaultSpec::parse_text(json);
  EXPECT_TRUE(spec.ok()) << (spec.ok() ? "" : spec.error().message);
  return spec.ok() ? *spec : faults::FaultSpec{};
}

// What the journal stores and reads back: the record as JSON text.
inline faults::HealRecord through_journal(const faults::HealRecord& record) {
  return nlohmann::json::parse(record.dump());
}

// Plans and applies in namespace ns (the calling thread enters it meanwhile).
inline Result<faults::HealRecord> plan_apply_in(const std::string& ns, faults::Mechanism& m, const std::string& json,
                                                const faults::HostContext& host = {}) {
  testing::ScopedNetns scope(ns);
  if (!scope.ok()) return io_error(scope.error());
  auto record = m.plan(spec_of(json), host);
  if (!record) return record.error();
  auto applied = m.apply(through_journal(*record), host);
  if (!applied) return applied.error();
  return *record;
}

inline Result<void> heal_in(const std::string& ns, faults::Mechanism& m, const faults::HealRecord& record,
                            const faults::HostContext& host = {}) {
  testing::ScopedNetns scope(ns);
  if (!scope.ok()) return io_error(scope.error());
  return m.heal(through_journal(record), host);
}

// One byte from `from` to `to` (connected TCP sockets), read within timeout.
inline bool tcp_byte(int from, int to, int timeout_ms) {
  char byte = 'x';
  if (::send(from, &byte, 1, MSG_NOSIGNAL) != 1) return false;
  pollfd p{to, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return false;
  return ::recv(to, &byte, 1, MSG_DONTWAIT) == 1;
}

inline std::uint16_t local_port(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  return ntohs(sa.sin_port);
}

inline std::string iptables_save(const std::string& ns) {
  return testing::NetnsCluster::exec(ns, {"iptables-save"}).output;
}

}  // namespace faultline::net_test
