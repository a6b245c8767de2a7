// netlink::Socket: one netfilter netlink socket (NETLINK_NETFILTER) of this
// process, and the request/answer exchange every user of it needs: ip_set
// (ipset.h) and nf_tables (nft_netlink.h) requests alike.
//
// Contract:
//  - open() makes the socket in the calling thread's network namespace (fixed
//    for the socket's life). Needs CAP_NET_ADMIN for anything that changes.
//  - exchange() sends the messages of `request` (one, or an nf_tables batch)
//    in one sendto(), then reads answers until the kernel is done with it: an
//    ack or NLMSG_DONE is success; an error answer to any of its messages is
//    an Error whose sys_errno is the kernel's (positive) errno — for ip_set
//    also its private IPSET_ERR_* codes — and whose message is strerror's.
//    Data answers (dumps, GET replies) go to on_reply in order. Answers that
//    carry another request's sequence number (left by an earlier exchange
//    that failed midway) are skipped; whatever is still unread is drained
//    before each send.
//  - Every exchange answers within ~2 s (a receive timeout is an Error with
//    sys_errno EAGAIN) or fails; it never hangs the agent.
//  - Closing a socket that committed nf_tables deletions waits, in the
//    kernel, for their destruction (an RCU grace period): callers close
//    sockets after releasing their locks (nft_netlink.h).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "common/result.h"
#include "faults/net/netlink/message.h"

namespace faultline::faults::net::netlink {

class Socket {
 public:
  static Result<Socket> open();
  Socket(Socket&& other) noexcept;
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket();

  Result<void> exchange(const Messages& request, const std::function<void(const nlmsghdr*)>& on_reply = {});

 private:
  explicit Socket(int fd);
  void drain();
  int fd_ = -1;
  std::vector<std::uint64_t> buffer_;  // aligned receive buffer
};

}  // namespace faultline::faults::net::netlink
