#include "faults/net/ifb.h"

#include "faults/net/libnl_route.h"

#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/tc_act/tc_mirred.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/action.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>
#include <sched.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

namespace faultline::faults::net {
namespace {

constexpr std::uint32_t kIngressHandle = 0xffff0000u;  // ffff:

using namespace libnl;  // owning pointers, connect_route, ifindex_of

Error tc_error(const std::string& part, const std::string& what, int nl_error) {
  if (nl_error == -NLE_OBJ_NOTFOUND || nl_error == -NLE_OPNOTSUPP || nl_error == -NLE_NOATTR)
    return unavailable(fmt::format("{} not available in this kernel ({}: {})", part, what, nl_geterror(nl_error)));
  return io_error(fmt::format("{}: {}", what, nl_geterror(nl_error)));
}

Result<bool> ingress_present(nl_sock* sock, int ifindex) {
  nl_cache* raw = nullptr;
  if (int err = rtnl_qdisc_alloc_cache(sock, &raw); err < 0)
    return io_error(fmt::format("netlink: cannot list qdiscs: {}", nl_geterror(err)));
  std::unique_ptr<nl_cache, CacheDeleter> cache(raw);
  rtnl_qdisc* q = rtnl_qdisc_get_by_parent(cache.get(), ifindex, TC_H_INGRESS);
  if (!q) return false;
  rtnl_qdisc_put(q);
  return true;
}

// Whether the interface's ingress qdisc carries our filter redirecting to
// ifb_index (0: to a device that no longer exists).
Result<bool> carries_our_redirect(nl_sock* sock, int ifindex, int ifb_index) {
  nl_cache* raw = nullptr;
  if (int err = rtnl_cls_alloc_cache(sock, ifindex, kIngressHandle, &raw); err < 0)
    return io_error(fmt::format("netlink: cannot list ingress filters: {}", nl_geterror(err)));
  std::unique_ptr<nl_cache, CacheDeleter> cache(raw);
  bool ours = false;
  for (nl_object* o = nl_cache_get_first(cache.get()); o && !ours; o = nl_cache_get_next(o)) {
    auto* cls = reinterpret_cast<rtnl_cls*>(o);
    if (rtnl_cls_get_prio(cls) != kOurIngressPrio) continue;
    const char* kind = rtnl_tc_get_kind(TC_CAST(cls));
    if (!kind || std::strcmp(kind, "u32") != 0) continue;
    rtnl_act* act = rtnl_u32_get_action(cls);
    if (!act) continue;  // u32's hash table node: no action
    const char* act_kind = rtnl_tc_get_kind(TC_CAST(act));
    if (!act_kind || std::strcmp(act_kind, "mirred") != 0) continue;
    auto target = static_cast<int>(rtnl_mirred_get_ifindex(act));
    if (ifb_index != 0) ours = target == ifb_index;
    else {
      char name[IF_NAMESIZE] = {};
      ours = ::if_indextoname(static_cast<unsigned>(target), name) == nullptr;
    }
  }
  return ours;
}

Result<void> delete_ingress(nl_sock* sock, int ifindex) {
  std::unique_ptr<rtnl_qdisc, QdiscDeleter> q(rtnl_qdisc_alloc());
  if (!q) return internal_error("libnl: cannot allocate qdisc");
  rtnl_tc_set_ifindex(TC_CAST(q.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(q.get()), TC_H_INGRESS);
  rtnl_tc_set_handle(TC_CAST(q.get()), kIngressHandle);
  int err = rtnl_qdisc_delete(sock, q.get());
  if (err < 0 && err != -NLE_OBJ_NOTFOUND && err != -NLE_NOADDR && err != -NLE_INVAL)
    return io_error(fmt::format("cannot delete ingress qdisc: {}", nl_geterror(err)));
  return ok_result();
}

}  // namespace

std::string ifb_name_for(const std::string& id) {
  std::uint32_t hash = 2166136261u;  // FNV-1a: 8 hex digits fit IFNAMSIZ with the prefix
  for (unsigned char c : id) hash = (hash ^ c) * 16777619u;
  return fmt::format("{}{:08x}", kIfbPrefix, hash);
}

bool is_our_ifb(const std::string& name) { return name.rfind(kIfbPrefix, 0) == 0; }

Result<void> create_ifb(const std::string& name) {
  if (!is_our_ifb(name) || name.size() >= IF_NAMESIZE)
    return invalid_input(fmt::format("'{}' is not a name for one of our ifb devices", name));
  auto sock = connect_route();
  if (!sock) return sock.error();
  std::unique_ptr<rtnl_link, LinkDeleter> link(rtnl_link_alloc());
  if (!link) return internal_error("libnl: cannot allocate link");
  rtnl_link_set_name(link.get(), name.c_str());
  if (int err = rtnl_link_set_type(link.get(), "ifb"); err < 0)
    return internal_error(fmt::format("libnl: link type ifb: {}", nl_geterror(err)));
  rtnl_link_set_flags(link.get(), IFF_UP);
  if (int err = rtnl_link_add(sock->get(), link.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0) {
    if (err == -NLE_EXIST) return invalid_input(fmt::format("a link named {} exists already", name));
    return tc_error("ifb (CONFIG_IFB)", fmt::format("cannot add ifb device {}", name), err);
  }
  return ok_result();
}

Result<void> delete_link(const std::string& name) {
  if (::if_nametoindex(name.c_str()) == 0) return ok_result();
  auto sock = connect_route();
  if (!sock) return sock.error();
  std::unique_ptr<rtnl_link, LinkDeleter> link(rtnl_link_alloc());
  if (!link) return internal_error("libnl: cannot allocate link");
  rtnl_link_set_name(link.get(), name.c_str());
  int err = rtnl_link_delete(sock->get(), link.get());
  if (err < 0 && err != -NLE_NODEV && err != -NLE_OBJ_NOTFOUND)
    return io_error(fmt::format("cannot delete link {}: {}", name, nl_geterror(err)));
  return ok_result();
}

Result<bool> has_ingress_qdisc(const std::string& interface) {
  auto index = ifindex_of(interface);
  if (!index) return index.error();
  auto sock = connect_route();
  if (!sock) return sock.error();
  return ingress_present(sock->get(), *index);
}

Result<void> redirect_ingress(const std::string& interface, const std::string& ifb) {
  auto index = ifindex_of(interface);
  if (!index) return index.error();
  auto ifb_index = ifindex_of(ifb);
  if (!ifb_index) return ifb_index.error();
  auto sock = connect_route();
  if (!sock) return sock.error();
  auto present = ingress_present(sock->get(), *index);
  if (!present) return present.error();
  if (*present)
    return invalid_input(fmt::format("interface {} already has an ingress qdisc (another ingress fault of faultline, "
                                     "or one faultline did not install): heal or remove it first",
                                     interface));

  std::unique_ptr<rtnl_qdisc, QdiscDeleter> q(rtnl_qdisc_alloc());
  if (!q) return internal_error("libnl: cannot allocate qdisc");
  rtnl_tc_set_ifindex(TC_CAST(q.get()), *index);
  rtnl_tc_set_parent(TC_CAST(q.get()), TC_H_INGRESS);
  rtnl_tc_set_handle(TC_CAST(q.get()), kIngressHandle);
  if (int err = rtnl_tc_set_kind(TC_CAST(q.get()), "ingress"); err < 0)
    return internal_error(fmt::format("libnl does not know qdisc ingress: {}", nl_geterror(err)));
  if (int err = rtnl_qdisc_add(sock->get(), q.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return tc_error("sch_ingress", fmt::format("cannot add ingress qdisc on {}", interface), err);

  auto undo = [&](Error error) -> Result<void> {
    (void)delete_ingress(sock->get(), *index);
    return error;
  };
  std::unique_ptr<rtnl_cls, ClsDeleter> cls(rtnl_cls_alloc());
  std::unique_ptr<rtnl_act, ActDeleter> act(rtnl_act_alloc());
  if (!cls || !act) return undo(internal_error("libnl: cannot allocate classifier/action"));
  rtnl_tc_set_ifindex(TC_CAST(cls.get()), *index);
  rtnl_tc_set_parent(TC_CAST(cls.get()), kIngressHandle);
  if (int err = rtnl_tc_set_kind(TC_CAST(cls.get()), "u32"); err < 0)
    return undo(internal_error(fmt::format("libnl: u32 classifier: {}", nl_geterror(err))));
  rtnl_cls_set_prio(cls.get(), kOurIngressPrio);
  rtnl_cls_set_protocol(cls.get(), ETH_P_ALL);
  rtnl_u32_add_key_uint32(cls.get(), 0, 0, 0, 0);  // every packet ("match u32 0 0")
  rtnl_u32_set_cls_terminal(cls.get());
  if (int err = rtnl_tc_set_kind(TC_CAST(act.get()), "mirred"); err < 0)
    return undo(internal_error(fmt::format("libnl: mirred action: {}", nl_geterror(err))));
  rtnl_mirred_set_action(act.get(), TCA_EGRESS_REDIR);
  rtnl_mirred_set_policy(act.get(), TC_ACT_STOLEN);
  rtnl_mirred_set_ifindex(act.get(), static_cast<std::uint32_t>(*ifb_index));
  if (int err = rtnl_u32_add_action(cls.get(), act.get()); err < 0)
    return undo(internal_error(fmt::format("libnl: u32 action: {}", nl_geterror(err))));
  if (int err = rtnl_cls_add(sock->get(), cls.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return undo(tc_error("cls_u32/act_mirred", fmt::format("cannot add the redirect filter on {}", interface), err));
  return ok_result();
}

Result<void> remove_ingress_redirect(const std::string& interface, const std::string& ifb) {
  if (!is_our_ifb(ifb)) return invalid_input(fmt::format("'{}' is not one of our ifb devices", ifb));
  if (unsigned index = ::if_nametoindex(interface.c_str()); index != 0) {
    auto sock = connect_route();
    if (!sock) return sock.error();
    auto present = ingress_present(sock->get(), static_cast<int>(index));
    if (!present) return present.error();
    if (*present) {
      auto ours = carries_our_redirect(sock->get(), static_cast<int>(index),
                                       static_cast<int>(::if_nametoindex(ifb.c_str())));
      if (!ours) return ours.error();
      if (*ours)
        if (auto deleted = delete_ingress(sock->get(), static_cast<int>(index)); !deleted) return deleted;
    }
  }
  return delete_link(ifb);
}

Result<void> kernel_supports_ingress_redirect() {
  static std::mutex mutex;
  static std::optional<Result<void>> cached;
  std::lock_guard lock(mutex);
  if (cached) return *cached;
  Result<void> result = ok_result();
  std::thread([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      result = unavailable("cannot probe for ifb: unshare(CLONE_NEWNET) failed (needs root)");
      return;
    }
    const std::string ifb = ifb_name_for("probe");
    if (auto created = create_ifb(ifb); !created) {
      result = created.error();
      return;
    }
    result = redirect_ingress("lo", ifb);  // the throwaway namespace's loopback
  }).join();
  cached = result;
  return result;
}

}  // namespace faultline::faults::net
