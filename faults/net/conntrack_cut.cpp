#include "faults/net/conntrack_cut.h"

#include <arpa/inet.h>
// The kernel's nfnetlink.h before libnfnetlink's older copy: both use the
// include guard _NFNETLINK_H, so in a unity batch whichever comes first wins,
// and only the kernel's has the nf_tables names other files in the batch need.
#include <linux/netfilter/nfnetlink.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <memory>

namespace faultline::faults::net {
namespace {

struct DumpState {
  const std::vector<Ipv4Prefix>* prefixes = nullptr;
  std::vector<std::unique_ptr<nf_conntrack, void (*)(nf_conntrack*)>> matches;
};

bool in_any(const std::vector<Ipv4Prefix>& prefixes, std::uint32_t network_order) {
  std::uint32_t a = ntohl(network_order);
  for (const auto& p : prefixes)
    if ((a & p.mask()) == p.address) return true;
  return false;
}

int on_entry(enum nf_conntrack_msg_type, struct nf_conntrack* ct, void* data) {
  auto* state = static_cast<DumpState*>(data);
  if (nfct_get_attr_u8(ct, ATTR_L3PROTO) != AF_INET) return NFCT_CB_CONTINUE;
  const auto& prefixes = *state->prefixes;
  if (in_any(prefixes, nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_SRC)) ||
      in_any(prefixes, nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_DST)) ||
      in_any(prefixes, nfct_get_attr_u32(ct, ATTR_REPL_IPV4_SRC)) ||
      in_any(prefixes, nfct_get_attr_u32(ct, ATTR_REPL_IPV4_DST)))
    state->matches.emplace_back(nfct_clone(ct), nfct_destroy);
  return NFCT_CB_CONTINUE;
}

}  // namespace

Result<int> cut_conntrack_flows(const std::vector<Ipv4Prefix>& prefixes) {
  if (prefixes.empty()) return 0;
  // A dump walks the kernel's whole (global) conntrack hash, ~100 ms on a busy
  // host; when this namespace tracks no flow at all there is nothing to cut.
  {
    std::ifstream count_file("/proc/sys/net/netfilter/nf_conntrack_count");
    long count = -1;
    if (!(count_file >> count) || count == 0) return 0;
  }
  std::unique_ptr<nfct_handle, int (*)(nfct_handle*)> handle(nfct_open(CONNTRACK, 0), nfct_close);
  if (!handle) {
    if (errno == EPROTONOSUPPORT || errno == ENOENT) return 0;  // no conntrack in this kernel
    return io_error(fmt::format("conntrack: cannot open netlink: {}", std::strerror(errno)));
  }
  DumpState state;
  state.prefixes = &prefixes;
  nfct_callback_register(handle.get(), NFCT_T_ALL, on_entry, &state);
  std::uint32_t family = AF_INET;
  if (nfct_query(handle.get(), NFCT_Q_DUMP, &family) < 0) {
    if (errno == EPROTONOSUPPORT || errno == ENOENT) return 0;
    return io_error(fmt::format("conntrack: dump failed: {}", std::strerror(errno)));
  }
  nfct_callback_unregister(handle.get());
  int deleted = 0;
  for (auto& ct : state.matches) {
    if (nfct_query(handle.get(), NFCT_Q_DESTROY, ct.get()) == 0) ++deleted;
    // ENOENT: the flow ended meanwhile; nothing to cut.
  }
  return deleted;
}

}  // namespace faultline::faults::net
