// libnl route-socket plumbing shared by the tc mechanisms (tc_qdisc.cpp,
// ifb.cpp): owning pointers for libnl objects and the two lookups every tc
// operation starts with.
//
// Contract: connect_route() returns a socket connected to NETLINK_ROUTE in
// the calling thread's network namespace, or an io_error. ifindex_of() returns
// the interface's index, or invalid_input naming the interface when it does
// not exist. The *Ptr types free their object with its libnl put/free call.
#pragma once

#include <netlink/netlink.h>
#include <netlink/route/action.h>
#include <netlink/route/class.h>
#include <netlink/route/classifier.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>

#include <memory>
#include <string>

#include "common/result.h"

namespace faultline::faults::net::libnl {

struct SockDeleter {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct LinkDeleter {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct QdiscDeleter {
  void operator()(rtnl_qdisc* q) const { rtnl_qdisc_put(q); }
};
struct ClassDeleter {
  void operator()(rtnl_class* c) const { rtnl_class_put(c); }
};
struct ClsDeleter {
  void operator()(rtnl_cls* c) const { rtnl_cls_put(c); }
};
struct ActDeleter {
  void operator()(rtnl_act* a) const { rtnl_act_put(a); }
};
struct CacheDeleter {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};
using SockPtr = std::unique_ptr<nl_sock, SockDeleter>;
using LinkPtr = std::unique_ptr<rtnl_link, LinkDeleter>;
using QdiscPtr = std::unique_ptr<rtnl_qdisc, QdiscDeleter>;
using ClassPtr = std::unique_ptr<rtnl_class, ClassDeleter>;
using ClsPtr = std::unique_ptr<rtnl_cls, ClsDeleter>;
using ActPtr = std::unique_ptr<rtnl_act, ActDeleter>;
using CachePtr = std::unique_ptr<nl_cache, CacheDeleter>;

Result<SockPtr> connect_route();
Result<int> ifindex_of(const std::string& interface);

}  // namespace faultline::faults::net::libnl
