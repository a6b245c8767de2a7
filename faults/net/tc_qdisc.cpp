#include "faults/net/tc_qdisc.h"

#include "faults/net/libnl_route.h"

#include <linux/if_ether.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/class.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/qdisc/prio.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>
#include <sched.h>

#include <fmt/format.h>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace faultline::faults::net {
namespace {

using namespace libnl;  // owning pointers, connect_route, ifindex_of

std::string handle_text(std::uint32_t handle) { return fmt::format("{:x}:", TC_H_MAJ(handle) >> 16); }

QdiscPtr new_qdisc(int ifindex, std::uint32_t parent, std::uint32_t handle, const std::string& kind) {
  QdiscPtr q(rtnl_qdisc_alloc());
  if (!q) return q;
  rtnl_tc_set_ifindex(TC_CAST(q.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(q.get()), parent);
  rtnl_tc_set_handle(TC_CAST(q.get()), handle);
  if (rtnl_tc_set_kind(TC_CAST(q.get()), kind.c_str()) < 0) q.reset();
  return q;
}

Result<std::string> add_classful_root(nl_sock* sock, int ifindex, std::uint32_t* leaf_parent) {
  const std::uint32_t root = TC_HANDLE(kOurMajor, 0);
  // prio first (Jepsen's layout), where the kernel has it.
  if (kernel_supports_qdisc("prio").ok()) {
    auto q = new_qdisc(ifindex, TC_H_ROOT, root, "prio");
    if (!q) return internal_error("libnl does not know qdisc prio");
    rtnl_qdisc_prio_set_bands(q.get(), 4);
    std::uint8_t map[] = {1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
    rtnl_qdisc_prio_set_priomap(q.get(), map, sizeof map);
    if (int err = rtnl_qdisc_add(sock, q.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
      return qdisc_error("prio", "cannot add root qdisc prio", err);
    *leaf_parent = TC_HANDLE(kOurMajor, 4);
    return std::string("prio");
  }
  auto q = new_qdisc(ifindex, TC_H_ROOT, root, "htb");
  if (!q) return internal_error("libnl does not know qdisc htb");
  rtnl_htb_set_defcls(q.get(), 0);  // unclassified traffic: htb's direct queue, unshaped
  if (int err = rtnl_qdisc_add(sock, q.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return qdisc_error("htb", "cannot add root qdisc htb (sch_prio is missing too)", err);
  std::unique_ptr<rtnl_class, ClassDeleter> cls(rtnl_class_alloc());
  rtnl_tc_set_ifindex(TC_CAST(cls.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(cls.get()), root);
  rtnl_tc_set_handle(TC_CAST(cls.get()), TC_HANDLE(kOurMajor, 1));
  rtnl_tc_set_kind(TC_CAST(cls.get()), "htb");
  rtnl_htb_set_rate(cls.get(), 4000000000u);  // ~32 Gbit/s: the class itself must not shape
  rtnl_htb_set_ceil(cls.get(), 4000000000u);
  if (int err = rtnl_class_add(sock, cls.get(), NLM_F_CREATE); err < 0)
    return qdisc_error("htb", "cannot add htb class fa17:1", err);
  *leaf_parent = TC_HANDLE(kOurMajor, 1);
  return std::string("htb");
}

Result<void> add_u32_filter(nl_sock* sock, int ifindex, const Ipv4Prefix& destination, std::uint32_t flowid,
                            bool match_source) {
  std::unique_ptr<rtnl_cls, ClsDeleter> cls(rtnl_cls_alloc());
  if (!cls) return io_error("libnl: cannot allocate classifier");
  rtnl_tc_set_ifindex(TC_CAST(cls.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(cls.get()), TC_HANDLE(kOurMajor, 0));
  if (int err = rtnl_tc_set_kind(TC_CAST(cls.get()), "u32"); err < 0)
    return internal_error(fmt::format("libnl: u32 classifier: {}", nl_geterror(err)));
  rtnl_cls_set_prio(cls.get(), 1);
  rtnl_cls_set_protocol(cls.get(), ETH_P_IP);
  // IPv4 destination address: offset 16 of the IP header; the source: 12.
  rtnl_u32_add_key_uint32(cls.get(), destination.address, destination.mask(), match_source ? 12 : 16, 0);
  rtnl_u32_set_classid(cls.get(), flowid);
  rtnl_u32_set_cls_terminal(cls.get());
  if (int err = rtnl_cls_add(sock, cls.get(), NLM_F_CREATE); err < 0)
    return io_error(fmt::format("cannot add u32 filter for {}: {}", destination.text(), nl_geterror(err)));
  return ok_result();
}

Result<void> delete_root(nl_sock* sock, int ifindex) {
  // No kind: the kernel would refuse a delete whose TCA_KIND differs from the qdisc's.
  QdiscPtr q(rtnl_qdisc_alloc());
  if (!q) return internal_error("libnl: cannot allocate qdisc");
  rtnl_tc_set_ifindex(TC_CAST(q.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(q.get()), TC_H_ROOT);
  rtnl_tc_set_handle(TC_CAST(q.get()), TC_HANDLE(kOurMajor, 0));
  int err = rtnl_qdisc_delete(sock, q.get());
  if (err < 0 && err != -NLE_OBJ_NOTFOUND && err != -NLE_NOADDR)
    return io_error(fmt::format("cannot delete qdisc fa17:: {}", nl_geterror(err)));
  return ok_result();
}

}  // namespace

Error qdisc_error(const std::string& kind, const std::string& what, int nl_error) {
  if (nl_error == -NLE_OBJ_NOTFOUND || nl_error == -NLE_OPNOTSUPP)
    return unavailable(fmt::format("sch_{} not available in this kernel (netlink: {})", kind, nl_geterror(nl_error)));
  return io_error(fmt::format("{}: {}", what, nl_geterror(nl_error)));
}

Result<RootQdisc> read_root_qdisc(const std::string& interface) {
  auto index = ifindex_of(interface);
  if (!index) return index.error();
  auto sock = connect_route();
  if (!sock) return sock.error();
  nl_cache* cache = nullptr;
  if (int err = rtnl_qdisc_alloc_cache(sock->get(), &cache); err < 0)
    return io_error(fmt::format("netlink: cannot list qdiscs: {}", nl_geterror(err)));
  RootQdisc root;
  if (rtnl_qdisc* q = rtnl_qdisc_get_by_parent(cache, *index, TC_H_ROOT)) {
    root.present = true;
    root.handle = rtnl_tc_get_handle(TC_CAST(q));
    if (const char* kind = rtnl_tc_get_kind(TC_CAST(q))) root.kind = kind;
    rtnl_qdisc_put(q);
  }
  nl_cache_free(cache);
  return root;
}

Result<std::string> install_qdisc(const std::string& interface, const std::string& kind,
                                  const ConfigureQdisc& configure, const std::vector<Ipv4Prefix>& destinations,
                                  bool match_source) {
  auto index = ifindex_of(interface);
  if (!index) return index.error();
  auto root = read_root_qdisc(interface);
  if (!root) return root.error();
  if (root->present && TC_H_MAJ(root->handle) != 0) {
    if (TC_H_MAJ(root->handle) == TC_HANDLE(kOurMajor, 0))
      return Error{ErrorCode::kInvalidInput,
                   fmt::format("interface {} already carries a faultline qdisc ({} {}): another network fault is "
                               "active there; heal it first",
                               interface, root->kind, handle_text(root->handle))};
    return Error{ErrorCode::kInvalidInput,
                 fmt::format("interface {} has a root qdisc '{}' (handle {}) that faultline did not install; "
                             "refusing to replace it (remove it or choose another interface)",
                             interface, root->kind, handle_text(root->handle))};
  }
  auto sock = connect_route();
  if (!sock) return sock.error();

  std::uint32_t leaf_parent = TC_H_ROOT;
  std::uint32_t leaf_handle = TC_HANDLE(kOurMajor, 0);
  std::string root_kind = kind;
  if (!destinations.empty()) {
    auto classful = add_classful_root(sock->get(), *index, &leaf_parent);
    if (!classful) return classful.error();
    root_kind = *classful;
    leaf_handle = TC_HANDLE(kOurLeafMajor, 0);
  }
  auto undo = [&](Error error) -> Result<std::string> {
    if (!destinations.empty()) (void)delete_root(sock->get(), *index);
    return error;
  };
  auto leaf = new_qdisc(*index, leaf_parent, leaf_handle, kind);
  if (!leaf) return undo(internal_error(fmt::format("libnl does not know qdisc {}", kind)));
  if (auto configured = configure(leaf.get()); !configured) return undo(configured.error());
  if (int err = rtnl_qdisc_add(sock->get(), leaf.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return undo(qdisc_error(kind, fmt::format("cannot add qdisc {} on {}", kind, interface), err));
  for (const auto& d : destinations)
    if (auto added = add_u32_filter(sock->get(), *index, d, leaf_parent, match_source); !added)
      return undo(added.error());
  return root_kind;
}

Result<void> remove_our_qdisc(const std::string& interface, const std::vector<std::string>& kinds) {
  if (::if_nametoindex(interface.c_str()) == 0) return ok_result();  // interface gone: nothing of ours left
  auto root = read_root_qdisc(interface);
  if (!root) return root.error();
  if (!root->present || TC_H_MAJ(root->handle) != TC_HANDLE(kOurMajor, 0)) return ok_result();
  bool ours = false;
  for (const auto& k : kinds) ours = ours || k == root->kind;
  if (!ours) return ok_result();  // another fault of ours owns it now: not this record's to remove
  auto sock = connect_route();
  if (!sock) return sock.error();
  return delete_root(sock->get(), static_cast<int>(::if_nametoindex(interface.c_str())));
}

Result<void> kernel_supports_qdisc(const std::string& kind) {
  static std::mutex mutex;
  static std::map<std::string, Result<void>> cache;
  std::lock_guard lock(mutex);
  if (auto it = cache.find(kind); it != cache.end()) return it->second;
  Result<void> result = ok_result();
  std::thread([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      result = unavailable(fmt::format("cannot probe for sch_{}: unshare(CLONE_NEWNET) failed (needs root)", kind));
      return;
    }
    auto sock = connect_route();
    if (!sock) {
      result = sock.error();
      return;
    }
    auto q = new_qdisc(1 /* lo */, TC_H_ROOT, TC_HANDLE(kOurMajor, 0), kind);
    if (!q) {
      result = internal_error(fmt::format("libnl does not know qdisc {}", kind));
      return;
    }
    if (kind == "tbf") {
      rtnl_qdisc_tbf_set_rate(q.get(), 125000, 10000, 0);
      rtnl_qdisc_tbf_set_limit(q.get(), 10000);
    } else if (kind == "netem") {
      rtnl_netem_set_delay(q.get(), 1000);
    } else if (kind == "prio") {
      rtnl_qdisc_prio_set_bands(q.get(), 3);
      std::uint8_t map[] = {1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
      rtnl_qdisc_prio_set_priomap(q.get(), map, sizeof map);  // libnl asserts without one
    }
    if (int err = rtnl_qdisc_add(sock->get(), q.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
      result = qdisc_error(kind, fmt::format("probe of qdisc {} failed", kind), err);
  }).join();
  cache.emplace(kind, result);
  return result;
}

}  // namespace faultline::faults::net
