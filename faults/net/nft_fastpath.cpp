#include "faults/net/nft_fastpath.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <optional>
#include <set>

#include "faults/net/ipset.h"
#include "faults/net/nft_netlink.h"

namespace faultline::faults::net {
namespace {

bool safe_word(const std::string& w) {
  if (w.empty() || w.size() > 64) return false;
  for (char c : w)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '/' || c == '-' || c == '_' || c == ':' || c == '@'))
      return false;
  return true;
}

std::optional<std::pair<std::uint32_t, int>> parse_prefix(const std::string& text) {
  std::string addr = text;
  int length = 32;
  if (auto slash = addr.find('/'); slash != std::string::npos) {
    std::string len = addr.substr(slash + 1);
    if (len.empty() || len.size() > 2 || len.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    length = std::stoi(len);
    if (length > 32) return std::nullopt;
    addr.resize(slash);
  }
  in_addr a{};
  if (inet_pton(AF_INET, addr.c_str(), &a) != 1) return std::nullopt;
  return std::make_pair(a.s_addr, length);
}

std::optional<std::uint16_t> parse_port(const std::string& text) {
  if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  int port = std::stoi(text);
  if (port <= 0 || port > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(port);
}

bool interface_ok(const std::string& name) {
  return !name.empty() && name.size() < 16 && name.find('+') == std::string::npos && safe_word(name);
}

// iptables words -> the rule iptables-nft would build, or nullopt.
std::optional<nft::RuleSpec> parse_rule(const std::vector<std::string>& args) {
  nft::RuleSpec r;
  bool negate = false, have_verdict = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    const bool has_next = i + 1 < args.size();
    if (a == "!") {
      if (negate) return std::nullopt;
      negate = true;
      continue;
    }
    if ((a == "-o" || a == "-i") && has_next) {
      const auto& name = args[++i];
      if (!interface_ok(name)) return std::nullopt;
      (a == "-o" ? r.oif : r.iif) = name;
      (a == "-o" ? r.oif_negated : r.iif_negated) = negate;
      negate = false;
      continue;
    }
    if (negate) return std::nullopt;  // only interfaces may be negated here
    if ((a == "-s" || a == "-d") && has_next) {
      auto prefix = parse_prefix(args[++i]);
      if (!prefix) return std::nullopt;
      (a == "-s" ? r.saddr : r.daddr) = prefix;
    } else if (a == "-p" && has_next) {
      const auto& proto = args[++i];
      if (r.proto || (proto != "tcp" && proto != "udp")) return std::nullopt;
      r.proto = proto == "tcp" ? IPPROTO_TCP : IPPROTO_UDP;
    } else if ((a == "--sport" || a == "--dport") && has_next && r.proto) {
      auto port = parse_port(args[++i]);
      auto& slot = a == "--sport" ? r.sport : r.dport;
      if (!port || slot) return std::nullopt;
      slot = port;
    } else if (a == "-m" && has_next && args[i + 1] == "statistic" && i + 5 < args.size() && args[i + 2] == "--mode" &&
               args[i + 3] == "random" && args[i + 4] == "--probability" && !r.statistic_probability) {
      char* end = nullptr;
      double p = std::strtod(args[i + 5].c_str(), &end);
      if (!end || *end != '\0' || !(p >= 0.0 && p <= 1.0)) return std::nullopt;
      r.statistic_probability = static_cast<std::uint32_t>(std::lround(0x80000000 * p));  // as libxt_statistic
      i += 5;
    } else if (a == "-m" && has_next && args[i + 1] == "set" && i + 4 < args.size() && args[i + 2] == "--match-set" &&
               (args[i + 4] == "src" || args[i + 4] == "dst") && !r.match_set) {
      // The set must exist: the kernel takes a reference by index, as iptables does.
      auto index = ipset_index(args[i + 3]);
      if (!index) return std::nullopt;
      r.match_set = nft::RuleSpec::MatchSet{*index, args[i + 4] == "src"};
      i += 4;
    } else if (a == "-j" && has_next && !have_verdict) {
      const auto& v = args[++i];
      if (v == "DROP") r.verdict = NF_DROP;
      else if (v == "ACCEPT") r.verdict = NF_ACCEPT;
      else if (v == "RETURN") r.verdict = NFT_RETURN;
      else return std::nullopt;
      have_verdict = true;
    } else {
      return std::nullopt;
    }
  }
  if (negate || !have_verdict) return std::nullopt;
  if ((r.sport || r.dport) && !r.proto) return std::nullopt;
  return r;
}

bool fail(std::string* why_not, std::string why) {
  *why_not = std::move(why);
  return false;
}

const char* base_of(Hook h) { return h == Hook::kInput ? "INPUT" : "OUTPUT"; }

}  // namespace

bool translate_to_nft(const std::vector<std::string>& args, std::string* out) {
  std::string expr, verdict, proto;
  bool negate = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    auto next = [&](std::string* value) {
      if (i + 1 >= args.size() || !safe_word(args[i + 1])) return false;
      *value = args[++i];
      return true;
    };
    std::string v;
    if (a == "!") {
      negate = true;
      continue;
    }
    if (a == "-s" || a == "-d") {
      if (!next(&v)) return false;
      expr += fmt::format("ip {} {}{} ", a == "-s" ? "saddr" : "daddr", negate ? "!= " : "", v);
    } else if (a == "-o" || a == "-i") {
      if (!next(&v)) return false;
      expr += fmt::format("{} {}\"{}\" ", a == "-o" ? "oifname" : "iifname", negate ? "!= " : "", v);
    } else if (a == "-p") {
      if (negate || !next(&proto) || (proto != "tcp" && proto != "udp")) return false;
    } else if (a == "--dport" || a == "--sport") {
      if (negate || proto.empty() || !next(&v)) return false;
      expr += fmt::format("{} {} {} ", proto, a == "--dport" ? "dport" : "sport", v);
      proto.clear();  // consumed
    } else if (a == "-j") {
      if (negate || !next(&v)) return false;
      if (v == "DROP") verdict = "drop";
      else if (v == "RETURN") verdict = "return";
      else if (v == "ACCEPT") verdict = "accept";
      else return false;
    } else {
      return false;
    }
    negate = false;
  }
  if (verdict.empty() || !proto.empty() || negate) return false;
  *out = expr + "counter " + verdict;
  return true;
}

bool nft_fast_apply(const IptablesOptions& options, std::string_view fault_id, const std::vector<IptablesRule>& rules,
                    const std::vector<IptablesRule>& exemptions, std::string* why_not, nft::NftSocket& nl) {
  if (options.restore_program != "iptables-restore" || !nft::iptables_on_nf_tables())
    return fail(why_not, "iptables is not on the nf_tables backend");
  auto chain_of = [&](Hook h) { return h == Hook::kInput ? options.in_chain : options.out_chain; };
  const std::string comment = IptablesChains::tag(fault_id);

  std::set<Hook> hooks;
  std::vector<std::pair<Hook, nft::RuleSpec>> parsed_rules, parsed_exemptions;
  for (const auto& r : rules) {
    auto p = parse_rule(r.args);
    if (!p) return fail(why_not, "rule outside the nf_tables fast-path vocabulary");
    hooks.insert(r.hook);
    parsed_rules.emplace_back(r.hook, std::move(*p));
  }
  for (const auto& e : exemptions) {
    if (!hooks.count(e.hook)) continue;  // as the batch: only the hooks this fault uses
    auto p = parse_rule(e.args);
    if (!p) return fail(why_not, "exemption outside the nf_tables fast-path vocabulary");
    parsed_exemptions.emplace_back(e.hook, std::move(*p));
  }
  if (parsed_rules.empty()) return fail(why_not, "no rules");

  if (!nl.ok()) return fail(why_not, fmt::format("nf_tables netlink socket: {}", std::strerror(errno)));
  nft::NftBatch batch(options.table);
  std::vector<std::pair<std::string, std::uint64_t>> old_rules;
  std::set<Hook> need_jump;
  for (Hook h : hooks) {
    bool exists = false, base = false;
    int rc = nl.get_chain(options.table, base_of(h), &exists, &base);
    if (rc != 0) return fail(why_not, fmt::format("nf_tables get chain {}: {}", base_of(h), std::strerror(-rc)));
    if (!exists || !base) return fail(why_not, fmt::format("no {} {} base chain yet", options.table, base_of(h)));
    std::vector<nft::SeenRule> seen;
    rc = nl.dump_chain(options.table, base_of(h), &seen);
    if (rc != 0) return fail(why_not, fmt::format("nf_tables dump of {}: {}", base_of(h), std::strerror(-rc)));
    bool jump_present = false;
    for (const auto& r : seen) jump_present = jump_present || r.jump == chain_of(h);
    if (!jump_present) need_jump.insert(h);
    seen.clear();
    rc = nl.dump_chain(options.table, chain_of(h), &seen);
    if (rc != 0) return fail(why_not, fmt::format("nf_tables dump of {}: {}", chain_of(h), std::strerror(-rc)));
    for (const auto& r : seen)
      if (r.comment == comment) old_rules.emplace_back(r.chain, r.handle);
  }
  // Replace: this id's previous rules go in the same transaction.
  for (Hook h : hooks) batch.new_chain(chain_of(h));  // created if missing, left alone if there
  for (const auto& [chain, handle] : old_rules) batch.delete_rule(chain, handle);
  for (Hook h : need_jump) {  // -I INPUT|OUTPUT 1 -m comment --comment faultline:jump -j CHAIN
    nft::RuleSpec jump;
    jump.jump = chain_of(h);
    batch.new_rule(base_of(h), jump, "faultline:jump", /*append=*/false);
  }
  for (const auto& [h, e] : parsed_exemptions) batch.new_rule(chain_of(h), e, comment, false);  // -I CHAIN 1 each
  for (const auto& [h, r] : parsed_rules) batch.new_rule(chain_of(h), r, comment, true);        // -A CHAIN
  int rc = nl.commit(batch);
  if (rc != 0) return fail(why_not, fmt::format("nf_tables refused the batch: {}", std::strerror(-rc)));
  return true;
}

bool nft_fast_heal(const IptablesOptions& options, std::string_view fault_id, std::string* why_not,
                   nft::NftSocket& nl) {
  if (options.restore_program != "iptables-restore" || !nft::iptables_on_nf_tables())
    return fail(why_not, "iptables is not on the nf_tables backend");
  const std::string comment = IptablesChains::tag(fault_id);
  if (!nl.ok()) return fail(why_not, fmt::format("nf_tables netlink socket: {}", std::strerror(errno)));
  nft::NftBatch batch(options.table);
  std::vector<std::string> emptied;
  for (Hook h : {Hook::kInput, Hook::kOutput}) {
    const std::string& chain = h == Hook::kInput ? options.in_chain : options.out_chain;
    bool exists = false, base = false;
    int rc = nl.get_chain(options.table, chain, &exists, &base);
    if (rc != 0) return fail(why_not, fmt::format("nf_tables get chain {}: {}", chain, std::strerror(-rc)));
    if (!exists) continue;
    if (base) return fail(why_not, fmt::format("{} is a base chain: not ours", chain));
    std::vector<nft::SeenRule> seen;
    rc = nl.dump_chain(options.table, chain, &seen);
    if (rc != 0) return fail(why_not, fmt::format("nf_tables dump of {}: {}", chain, std::strerror(-rc)));
    std::size_t others = 0;
    for (const auto& r : seen) {
      if (r.comment == comment) batch.delete_rule(chain, r.handle);
      else ++others;
    }
    if (others == 0) emptied.push_back(chain);
  }
  if (!emptied.empty()) {
    // Our jumps are in INPUT/OUTPUT; a jump from anywhere else makes the
    // chain delete fail (EBUSY) and the batch heal, which reads all, runs.
    for (const char* base : {"INPUT", "OUTPUT"}) {
      std::vector<nft::SeenRule> seen;
      int rc = nl.dump_chain(options.table, base, &seen);
      if (rc != 0) return fail(why_not, fmt::format("nf_tables dump of {}: {}", base, std::strerror(-rc)));
      for (const auto& r : seen)
        if (std::find(emptied.begin(), emptied.end(), r.jump) != emptied.end()) batch.delete_rule(base, r.handle);
    }
    for (const auto& chain : emptied) batch.delete_chain(chain);
  }
  int rc = nl.commit(batch);
  if (rc != 0) return fail(why_not, fmt::format("nf_tables refused the heal batch: {}", std::strerror(-rc)));
  return true;
}

}  // namespace faultline::faults::net
