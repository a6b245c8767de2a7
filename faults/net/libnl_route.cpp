#include "faults/net/libnl_route.h"

#include <net/if.h>
#include <netlink/errno.h>

#include <fmt/format.h>

namespace faultline::faults::net::libnl {

Result<SockPtr> connect_route() {
  SockPtr sock(nl_socket_alloc());
  if (!sock) return io_error("netlink: cannot allocate socket");
  if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0)
    return io_error(fmt::format("netlink: cannot connect: {}", nl_geterror(err)));
  return sock;
}

Result<int> ifindex_of(const std::string& interface) {
  unsigned index = ::if_nametoindex(interface.c_str());
  if (index == 0) return invalid_input(fmt::format("interface '{}' does not exist on this host", interface));
  return static_cast<int>(index);
}

}  // namespace faultline::faults::net::libnl
