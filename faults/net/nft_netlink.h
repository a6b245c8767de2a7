// nf_tables over raw netlink, as iptables-nft speaks it: just enough to read
// the rules of a chain (or of a table) and to send one batch (transaction) of
// new/deleted rules and chains, from this process, with no program started.
// Shared by the partition/loss fast path (nft_fastpath.h) and the shaper's
// NFQUEUE rules (shaper/nfqueue_netlink.h).
//
// Contract:
//  - NftSocket acts on the calling thread's network namespace (the socket's
//    namespace is fixed when it is made). Every call answers within ~2 s
//    (receive timeout) or fails; it never hangs the agent.
//  - dump_chain() lists only the rules of the named chain (the kernel filters
//    by table and chain), so its cost is that chain's size, never the table's.
//    dump_table() lists every rule of the table (cost: the table's size).
//    A missing table or chain gives an empty list.
//  - NftBatch collects messages; NftSocket::commit() sends them as ONE
//    nf_tables transaction (NFNL_MSG_BATCH_BEGIN..END): all or nothing, and
//    returns 0 or the kernel's -errno.
//  - The rule builders produce the expressions iptables-nft 1.8 builds for the
//    same iptables words (payload/cmp for addresses, interfaces and ports,
//    counter, verdict, xt "statistic" and "set" (rev 4) matches, xt NFQUEUE rev 3 target). By
//    default the comment is rule user data (as nft writes comments), not an xt
//    "comment" match expression, which cost the kernel ~20% more per rule;
//    RuleSpec::comment_match asks for the xt "comment" match instead (placed
//    after the addresses, as iptables-nft 1.8 builds -m comment). Either way
//    iptables-save shows the same rule with "-m comment --comment ...", and
//    iptables-restore -D of that line removes it.
//  - Closing a socket that committed deletions waits, in the kernel, for
//    their destruction (an RCU grace period, 4-20 ms on a loaded VM); while
//    it is pending, the next commit waits for it instead. So a caller makes
//    its socket before taking its locks and closes it at the end of each
//    apply/heal, after releasing them. Stale replies of an earlier failed
//    exchange are drained before each request.
//  - iptables_on_nf_tables(): whether `iptables-restore --version` says
//    nf_tables (asked once per process).
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace faultline::faults::net::nft {

bool iptables_on_nf_tables();

// One rule as read back from the kernel.
struct SeenRule {
  std::string chain;
  std::uint64_t handle = 0;
  std::string comment;  // xt comment match or nftnl udata comment
  std::string jump;     // target chain of a jump/goto, if any
};

// xt NFQUEUE revision 3 target: -j NFQUEUE --queue-num N [--queue-bypass].
struct NfqueueTarget {
  std::uint16_t queue = 0;
  bool bypass = false;
};

// One rule to create, in iptables terms (already validated).
struct RuleSpec {
  std::string iif, oif;  // exact names (no '+')
  bool iif_negated = false, oif_negated = false;
  std::optional<std::pair<std::uint32_t, int>> saddr, daddr;  // network-order address, prefix length 1..32
  std::uint8_t proto = 0;                                     // 0, IPPROTO_TCP or IPPROTO_UDP
  std::optional<std::uint16_t> sport, dport;
  std::optional<std::uint32_t> statistic_probability;  // xt_statistic random mode, as iptables computes it
  // xt "set" match revision 4 (-m set --match-set NAME src|dst): the set's
  // kernel index (ipset.h) and whether it matches the source address.
  struct MatchSet {
    std::uint16_t index = 0;
    bool source = false;
  };
  std::optional<MatchSet> match_set;
  int verdict = 0;                                     // NF_DROP, NF_ACCEPT or NFT_RETURN (when jump empty)
  std::string jump;                                    // NFT_JUMP to this chain
  std::optional<NfqueueTarget> nfqueue;                // this target instead of verdict/jump
  bool comment_match = false;  // comment as an xt "comment" match expression, not user data
};

class NftBatch {
 public:
  explicit NftBatch(std::string table);
  void new_chain(const std::string& chain);  // user chain; left alone if it exists
  void delete_chain(const std::string& chain);
  void delete_rule(const std::string& chain, std::uint64_t handle);
  // append: -A (end of chain); otherwise -I CHAIN 1 (head of chain).
  void new_rule(const std::string& chain, const RuleSpec& rule, const std::string& comment, bool append);
  bool empty() const { return messages_ == 0; }

 private:
  friend class NftSocket;
  void begin(int type, std::uint16_t flags);
  std::string table_;
  std::vector<std::uint8_t> buf_;
  std::size_t start_ = 0, last_ = 0;
  int messages_ = 0;
};

class NftSocket {
 public:
  NftSocket();
  ~NftSocket();
  NftSocket(const NftSocket&) = delete;
  NftSocket& operator=(const NftSocket&) = delete;
  bool ok() const { return fd_ >= 0; }

  // 0 and *exists/*base set, or -errno. A missing table/chain is exists=false.
  int get_chain(const std::string& table, const std::string& chain, bool* exists, bool* base);
  // 0 with the chain's rules in order, or -errno.
  int dump_chain(const std::string& table, const std::string& chain, std::vector<SeenRule>* rules);
  // 0 with all the table's rules, chain by chain, or -errno.
  int dump_table(const std::string& table, std::vector<SeenRule>* rules);
  int commit(NftBatch& batch);

 private:
  bool send(const std::vector<std::uint8_t>& bytes);
  template <typename F>
  int receive(F on_message);
  template <typename F>
  int query(int get_type, std::uint16_t flags, const std::string& table, const std::string& chain, F on_reply);
  void drain();
  int fd_ = -1;
  std::vector<std::uint64_t> buffer_;  // aligned receive buffer
};

}  // namespace faultline::faults::net::nft
