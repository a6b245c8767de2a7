// nf_tables over netlink (netlink/socket.h), as iptables-nft speaks it: just
// enough to read the rules of a chain (or of a table) and to send one batch
// (transaction) of new/deleted rules and chains, from this process, with no
// program started. Shared by the partition/loss fast path (nft_fastpath.h)
// and the shaper's NFQUEUE rules (shaper/nfqueue_netlink.h).
//
// Contract:
//  - Every call acts on the socket's network namespace and answers within
//    ~2 s or fails (netlink/socket.h); errors carry the kernel's errno.
//  - dump_chain() lists only the rules of the named chain (the kernel filters
//    by table and chain), so its cost is that chain's size, never the table's.
//    dump_table() lists every rule of the table (cost: the table's size).
//    A missing table or chain gives an empty list (get_chain: exists false).
//  - NftBatch collects messages; commit() sends them as ONE nf_tables
//    transaction (NFNL_MSG_BATCH_BEGIN..END): all or nothing.
//  - NftBatch::new_rule renders a Rule (rule.h) into the expressions
//    iptables-nft 1.8 builds for the same iptables words, in its order:
//    interface, protocol (meta l4proto, != for "! -p tcp"), addresses
//    (payload/cmp, a bitwise mask when the prefix ends inside a byte), then
//    the matches in the order of the words — xt "set" (rev 4), xt
//    "multiport" (rev 1), ports as payload/cmp, --syn as payload/bitwise/cmp
//    of the TCP flags, xt "conntrack" (rev 3), xt "statistic" — then counter
//    and the verdict, jump or xt NFQUEUE rev 3 target. The rule's protocol
//    also goes into the compat attributes the xt matches check. By default
//    the comment is rule user data (as nft writes comments), not an xt
//    "comment" match expression, which cost the kernel ~20% more per rule;
//    comment_match asks for the xt match instead (placed after the
//    addresses, as iptables-nft 1.8 builds -m comment). Either way
//    iptables-save shows the rule the batch line would give (the user-data
//    comment printed last, before the target), and iptables-restore -D of
//    that line removes it. A set match needs its set's kernel index
//    (`set_index`, ipset_index by default). new_rule fails, adding nothing,
//    for what it cannot render (a '+' interface wildcard, a rule that fails
//    Rule::check, a missing set).
//  - Closing a socket that committed deletions waits, in the kernel, for
//    their destruction (an RCU grace period, 4-20 ms on a loaded VM); while
//    it is pending, the next commit waits for it instead. So a caller makes
//    its socket before taking its locks and closes it at the end of each
//    apply/heal, after releasing them.
//  - iptables_on_nf_tables(): whether `iptables-restore --version` says
//    nf_tables (asked once per process).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "faults/net/netlink/message.h"
#include "faults/net/netlink/socket.h"
#include "faults/net/rule.h"

namespace faultline::faults::net::nft {

bool iptables_on_nf_tables();

// One rule as read back from the kernel.
struct SeenRule {
  std::string chain;
  std::uint64_t handle = 0;
  std::string comment;  // xt comment match or nftnl udata comment
  std::string jump;     // target chain of a jump/goto, if any
};

struct ChainInfo {
  bool exists = false;
  bool base = false;  // a base chain (hooked), as iptables-nft makes INPUT/OUTPUT
};

// The kernel index of an ip set, by name.
using SetIndex = std::function<Result<std::uint16_t>(const std::string&)>;

struct NewRule {
  std::string comment;
  bool append = true;          // -A (end of chain); false: -I CHAIN 1 (head)
  bool comment_match = false;  // the comment as an xt "comment" match, not user data
};

class NftBatch {
 public:
  explicit NftBatch(std::string table);
  // The table and a built-in chain as iptables-nft makes them on first use
  // (filter: `type filter hook input|output priority filter; policy
  // accept`; mangle: priority mangle, OUTPUT of type route); each is left
  // alone if it exists. The chain is INPUT or OUTPUT, by hook. Other tables
  // are refused (adding nothing).
  void new_table();
  Result<void> new_base_chain(Hook hook);
  void new_chain(const std::string& chain);  // user chain; left alone if it exists
  void delete_chain(const std::string& chain);
  void delete_rule(const std::string& chain, std::uint64_t handle);
  Result<void> new_rule(const std::string& chain, const Rule& rule, const NewRule& how, const SetIndex& set_index = {});
  bool empty() const { return messages_.count() == 0; }
  // The messages so far (BATCH_BEGIN/END are added by commit). For tests.
  const netlink::Messages& messages() const { return messages_; }

 private:
  friend Result<void> commit(netlink::Socket& socket, const NftBatch& batch);
  void begin(int type, std::uint16_t flags);
  std::string table_;
  netlink::Messages messages_;
};

Result<ChainInfo> get_chain(netlink::Socket& socket, const std::string& table, const std::string& chain);
// The chain's rules in order.
Result<std::vector<SeenRule>> dump_chain(netlink::Socket& socket, const std::string& table, const std::string& chain);
// All the table's rules, chain by chain.
Result<std::vector<SeenRule>> dump_table(netlink::Socket& socket, const std::string& table);
Result<void> commit(netlink::Socket& socket, const NftBatch& batch);

}  // namespace faultline::faults::net::nft
