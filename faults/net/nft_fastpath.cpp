#include "faults/net/nft_fastpath.h"

#include <algorithm>
#include <fmt/format.h>
#include <set>
#include <utility>

#include "faults/net/nft_netlink.h"

namespace faultline::faults::net {
namespace {

const char* base_of(Hook h) { return h == Hook::kInput ? "INPUT" : "OUTPUT"; }

Result<void> on_nf_tables(const IptablesOptions& options) {
  if (options.restore_program != "iptables-restore" || !nft::iptables_on_nf_tables())
    return unavailable("iptables is not on the nf_tables backend");
  return ok_result();
}

}  // namespace

Result<void> nft_fast_apply(const IptablesOptions& options, std::string_view fault_id, const std::vector<Rule>& rules,
                            const std::vector<Rule>& exemptions, netlink::Socket& nl) {
  if (auto on = on_nf_tables(options); !on) return on;
  if (rules.empty()) return invalid_input("no rules");
  auto chain_of = [&](Hook h) { return h == Hook::kInput ? options.in_chain : options.out_chain; };
  const std::string comment = IptablesChains::tag(fault_id);
  std::set<Hook> hooks;
  for (const auto& r : rules) hooks.insert(r.hook);

  nft::NftBatch batch(options.table);
  std::vector<std::pair<std::string, std::uint64_t>> old_rules;
  std::set<Hook> need_jump, need_base;
  for (Hook h : hooks) {
    auto base = nft::get_chain(nl, options.table, base_of(h));
    if (!base) return base.error();
    if (base->exists && !base->base)
      return unavailable(fmt::format("{} {} is not a base chain", options.table, base_of(h)));
    if (!base->exists) {  // a fresh host, or one whose `iptables -X` removed the empty built-in chains
      need_base.insert(h);
      need_jump.insert(h);
      continue;  // nor any chain or rule of ours
    }
    auto jumps = nft::dump_chain(nl, options.table, base_of(h));
    if (!jumps) return jumps.error();
    if (std::none_of(jumps->begin(), jumps->end(), [&](const nft::SeenRule& r) { return r.jump == chain_of(h); }))
      need_jump.insert(h);
    auto ours = nft::dump_chain(nl, options.table, chain_of(h));
    if (!ours) return ours.error();
    for (const auto& r : *ours)
      if (r.comment == comment) old_rules.emplace_back(r.chain, r.handle);
  }
  // As iptables-nft does on first use: the table and the built-in chains.
  if (!need_base.empty()) batch.new_table();
  for (Hook h : need_base)
    if (auto made = batch.new_base_chain(h); !made) return made;
  // Replace: this id's previous rules go in the same transaction.
  for (Hook h : hooks) batch.new_chain(chain_of(h));  // created if missing, left alone if there
  for (const auto& [chain, handle] : old_rules) batch.delete_rule(chain, handle);
  for (Hook h : need_jump) {  // -I INPUT|OUTPUT 1 -m comment --comment faultline:jump -j CHAIN
    Rule jump;
    jump.hook = h;
    jump.target = Rule::Target::kJump;
    jump.jump = chain_of(h);
    if (auto added = batch.new_rule(base_of(h), jump, {"faultline:jump", /*append=*/false}); !added) return added;
  }
  for (const auto& e : exemptions) {  // -I CHAIN 1 each; only the hooks this fault uses, as the batch
    if (!hooks.count(e.hook)) continue;
    if (auto added = batch.new_rule(chain_of(e.hook), e, {comment, /*append=*/false}); !added)
      return added.error().with_context("exemption");
  }
  for (const auto& r : rules)  // -A CHAIN
    if (auto added = batch.new_rule(chain_of(r.hook), r, {comment, /*append=*/true}); !added) return added;
  return nft::commit(nl, batch);
}

Result<void> nft_fast_heal(const IptablesOptions& options, std::string_view fault_id, netlink::Socket& nl) {
  if (auto on = on_nf_tables(options); !on) return on;
  const std::string comment = IptablesChains::tag(fault_id);
  nft::NftBatch batch(options.table);
  std::vector<std::string> emptied;
  for (const std::string& chain : {options.in_chain, options.out_chain}) {
    auto info = nft::get_chain(nl, options.table, chain);
    if (!info) return info.error();
    if (!info->exists) continue;
    if (info->base) return unavailable(fmt::format("{} is a base chain: not ours", chain));
    auto seen = nft::dump_chain(nl, options.table, chain);
    if (!seen) return seen.error();
    std::size_t others = 0;
    for (const auto& r : *seen) {
      if (r.comment == comment) batch.delete_rule(chain, r.handle);
      else ++others;
    }
    if (others == 0) emptied.push_back(chain);
  }
  if (!emptied.empty()) {
    // Our jumps are in INPUT/OUTPUT; a jump from anywhere else makes the
    // chain delete fail (EBUSY) and the batch heal, which reads all, runs.
    for (const char* base : {"INPUT", "OUTPUT"}) {
      auto seen = nft::dump_chain(nl, options.table, base);
      if (!seen) return seen.error();
      for (const auto& r : *seen)
        if (std::find(emptied.begin(), emptied.end(), r.jump) != emptied.end()) batch.delete_rule(base, r.handle);
    }
    for (const auto& chain : emptied) batch.delete_chain(chain);
  }
  auto committed = nft::commit(nl, batch);
  if (!committed) return committed.error().with_context("heal");
  return ok_result();
}

}  // namespace faultline::faults::net
