// IptablesChains: faultline's own iptables chains, and the rules of one fault
// applied and removed as one unit.
//
// Contract (docs/design.md "Safety rules"):
//  - Our rules live only in our chains: FAULTLINE-IN (jumped to from INPUT)
//    and FAULTLINE-OUT (jumped to from OUTPUT) of one table (filter by
//    default; the shaper may use mangle). Chains and jumps are created on
//    demand; the jumps are inserted first in INPUT/OUTPUT and tagged with the
//    comment "faultline:jump".
//  - A fault's rules are Rules (rule.h), data, never iptables words.
//  - Every rule of a fault carries the comment "faultline:<fault-id>". apply()
//    puts all of a fault's rules (and the chains/jumps if missing) in effect in
//    ONE atomic step: either all or none. Where iptables runs on nf_tables,
//    that step is one in-process nf_tables transaction (nft_fastpath.h, no
//    program started); otherwise, or when that cannot (an interface
//    wildcard, a missing base chain), one `iptables-restore --noflush -w`
//    batch. Both render the same Rules and leave the same rules, as
//    iptables-save shows them. Applying the same id again replaces its rules
//    in that same step.
//  - Exemptions (HostContext::exemptions, the agent's control connection) are
//    inserted at the TOP of our chains, as RETURN rules tagged with the same
//    fault id: exempt packets leave our chain untouched by any fault and go on
//    through the host's own rules (RETURN, not ACCEPT, so we never bypass the
//    host's firewall). Each fault carries its own exemption rules, so healing
//    one fault never removes another fault's exemptions.
//  - heal() deletes exactly the rules tagged with that id; when a chain of ours
//    is then empty it also removes its jump and the chain. It never flushes
//    anything, and healing an id with no rules succeeds (idempotent). On
//    nf_tables it is one in-process transaction that reads only our chains
//    and INPUT/OUTPUT (nft_fastpath.h); otherwise, or when that cannot, one
//    iptables-save + `iptables-restore --noflush -w` batch.
//  - A process-wide mutex plus an flock on /run/faultline-iptables.lock keep
//    read-modify-write batches of several faults/processes from interleaving.
// Needs root (CAP_NET_ADMIN) and iptables-restore/iptables-save in PATH; the
// commands act on the calling thread's network namespace.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "faults/mechanism.h"
#include "faults/net/rule.h"

namespace faultline::faults::net {

struct IptablesOptions {
  std::string table = "filter";
  std::string in_chain = "FAULTLINE-IN";
  std::string out_chain = "FAULTLINE-OUT";
  std::string restore_program = "iptables-restore";  // or iptables-legacy-restore
  std::string save_program = "iptables-save";
};

class IptablesChains {
 public:
  explicit IptablesChains(IptablesOptions options = {});

  // Whether iptables-restore/-save exist and the table can be read here.
  // Returns the reason when not. Changes nothing.
  Result<void> check_available() const;

  // The comment every rule of this fault carries: "faultline:<fault_id>".
  static std::string tag(std::string_view fault_id);
  // Fault ids become iptables comments: 1..200 chars of [A-Za-z0-9_.:@/-].
  static Result<void> validate_id(std::string_view fault_id);

  // Applies all rules of one fault in one atomic batch (see contract).
  Result<void> apply(std::string_view fault_id, const std::vector<Rule>& rules,
                     const std::vector<Exemption>& exemptions);

  // Removes exactly the rules tagged with fault_id (and our empty chains and their jumps).
  Result<void> heal(std::string_view fault_id);

  // The iptables-save lines ("-A FAULTLINE-OUT ...") tagged with fault_id.
  Result<std::vector<std::string>> rules_of(std::string_view fault_id) const;

  // The rules that exempt the control connection (RETURN rules, one per
  // hook): INPUT to the local address/port, OUTPUT from it. An address that
  // is not an IPv4 literal is left out (the port alone is matched); an
  // exemption with neither is skipped.
  static std::vector<Rule> exemption_rules(const std::vector<Exemption>& exemptions);

  // The iptables-restore text apply()/heal() would send, given the current
  // `iptables-save -t <table>` output. Exposed for unit tests.
  std::string build_apply_batch(std::string_view current_save, std::string_view fault_id,
                                const std::vector<Rule>& rules,
                                const std::vector<Exemption>& exemptions) const;
  std::string build_heal_batch(std::string_view current_save, std::string_view fault_id) const;

  const IptablesOptions& options() const { return options_; }

 private:
  Result<std::string> save() const;
  IptablesOptions options_;
};

}  // namespace faultline::faults::net
