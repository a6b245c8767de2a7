#include "faults/net/iptables_chain.h"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <spdlog/spdlog.h>

#include "faults/net/command.h"
#include "faults/net/iptables_lock.h"
#include "faults/net/netlink/socket.h"
#include "faults/net/nft_fastpath.h"

namespace faultline::faults::net {
namespace {

std::mutex& process_mutex() {
  static std::mutex mutex;
  return mutex;
}

// Splits an iptables-save rule line into words, honouring double quotes.
std::vector<std::string> split_words(std::string_view line) {
  std::vector<std::string> words;
  std::string current;
  bool in_quotes = false, have = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (in_quotes) {
      if (c == '\\' && i + 1 < line.size()) { current += line[++i]; continue; }
      if (c == '"') { in_quotes = false; continue; }
      current += c;
    } else if (c == '"') {
      in_quotes = true;
      have = true;
    } else if (c == ' ' || c == '\t') {
      if (have || !current.empty()) words.push_back(current);
      current.clear();
      have = false;
    } else {
      current += c;
    }
  }
  if (have || !current.empty()) words.push_back(current);
  return words;
}

struct SavedRule {
  std::string chain;
  std::string line;  // as saved: "-A CHAIN ..."
  std::vector<std::string> words;
};

struct SavedTable {
  std::set<std::string> chains;
  std::vector<SavedRule> rules;
};

// Parses the section of `table` from iptables-save output.
SavedTable parse_save(std::string_view text, std::string_view table) {
  SavedTable result;
  bool in_table = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '*') { in_table = line.substr(1) == table; continue; }
    if (!in_table) continue;
    if (line == "COMMIT") { in_table = false; continue; }
    if (line[0] == ':') {
      auto space = line.find(' ');
      result.chains.insert(std::string(line.substr(1, space == std::string_view::npos ? line.size() - 1 : space - 1)));
      continue;
    }
    auto words = split_words(line);
    if (words.size() >= 2 && words[0] == "-A") result.rules.push_back({words[1], std::string(line), words});
  }
  return result;
}

bool has_comment(const SavedRule& rule, std::string_view tag) {
  for (std::size_t i = 0; i + 1 < rule.words.size(); ++i)
    if (rule.words[i] == "--comment" && rule.words[i + 1] == tag) return true;
  return false;
}

bool jumps_to(const SavedRule& rule, std::string_view chain) {
  for (std::size_t i = 0; i + 1 < rule.words.size(); ++i)
    if ((rule.words[i] == "-j" || rule.words[i] == "-g") && rule.words[i + 1] == chain) return true;
  return false;
}

std::string delete_line(const SavedRule& rule) { return "-D" + rule.line.substr(2); }

std::string join_args(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) {
    out += ' ';
    // iptables-restore splits on blanks and understands double quotes.
    if (a.empty() || a.find_first_of(" \t\"") != std::string::npos) {
      out += '"';
      for (char c : a) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    } else {
      out += a;
    }
  }
  return out;
}

}  // namespace

IptablesChains::IptablesChains(IptablesOptions options) : options_(std::move(options)) {}

std::string IptablesChains::tag(std::string_view fault_id) { return fmt::format("faultline:{}", fault_id); }

Result<void> IptablesChains::validate_id(std::string_view fault_id) {
  if (fault_id.empty() || fault_id.size() > 200)
    return invalid_input(fmt::format("fault id '{}' must be 1..200 characters", fault_id));
  for (char c : fault_id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == ':' || c == '@' || c == '/' || c == '-';
    if (!ok)
      return invalid_input(fmt::format(
          "fault id '{}' has a character iptables comments cannot carry safely (allowed: A-Z a-z 0-9 _ . : @ / -)",
          fault_id));
  }
  if (fault_id == "jump") return invalid_input("fault id 'jump' is reserved");
  return ok_result();
}

Result<std::string> IptablesChains::save() const {
  auto out = check_command({options_.save_program, "-t", options_.table});
  if (!out) return out.error();
  return std::move(out->out);
}

Result<void> IptablesChains::check_available() const {
  if (!program_in_path(options_.restore_program))
    return unavailable(fmt::format("{} not found in PATH", options_.restore_program));
  if (!program_in_path(options_.save_program))
    return unavailable(fmt::format("{} not found in PATH", options_.save_program));
  auto saved = save();
  if (!saved) return unavailable(fmt::format("cannot read iptables table '{}': {}", options_.table, saved.error().message));
  return ok_result();
}

std::vector<Rule> IptablesChains::exemption_rules(const std::vector<Exemption>& exemptions) {
  std::vector<Rule> rules;
  for (const auto& e : exemptions) {
    std::optional<Ipv4Prefix> address;
    if (!e.local_address.empty())
      if (auto parsed = parse_ipv4_prefix(e.local_address)) address = *parsed;
    if (e.local_port == 0 && !address) continue;
    // Incoming: packets to our control port. Outgoing: packets from it.
    Rule in, out;
    in.hook = Hook::kInput;
    out.hook = Hook::kOutput;
    in.destination = out.source = address;
    if (e.local_port != 0) {
      in.protocol = out.protocol = Protocol::kTcp;
      in.destination_port = out.source_port = e.local_port;
    }
    in.target = out.target = Rule::Target::kReturn;
    rules.push_back(std::move(in));
    rules.push_back(std::move(out));
  }
  return rules;
}

std::string IptablesChains::build_apply_batch(std::string_view current_save, std::string_view fault_id,
                                              const std::vector<Rule>& rules,
                                              const std::vector<Exemption>& exemptions) const {
  auto saved = parse_save(current_save, options_.table);
  const std::string comment = tag(fault_id);
  auto chain_of = [&](Hook h) { return h == Hook::kInput ? options_.in_chain : options_.out_chain; };
  auto builtin_of = [](Hook h) { return h == Hook::kInput ? "INPUT" : "OUTPUT"; };

  std::set<Hook> hooks;
  for (const auto& r : rules) hooks.insert(r.hook);

  std::string batch = fmt::format("*{}\n", options_.table);
  for (Hook h : hooks)
    if (!saved.chains.count(chain_of(h))) batch += fmt::format(":{} - [0:0]\n", chain_of(h));
  // Replace: the rules this id already has go in the same batch.
  for (const auto& r : saved.rules)
    if (has_comment(r, comment)) batch += delete_line(r) + "\n";
  for (Hook h : hooks) {
    bool jump_present = std::any_of(saved.rules.begin(), saved.rules.end(), [&](const SavedRule& r) {
      return r.chain == builtin_of(h) && jumps_to(r, chain_of(h));
    });
    if (!jump_present)
      batch += fmt::format("-I {} 1 -m comment --comment faultline:jump -j {}\n", builtin_of(h), chain_of(h));
  }
  for (const auto& e : exemption_rules(exemptions))
    if (hooks.count(e.hook))
      batch += fmt::format("-I {} 1 -m comment --comment {}{}\n", chain_of(e.hook), comment, join_args(rule_words(e)));
  for (const auto& r : rules)
    batch += fmt::format("-A {} -m comment --comment {}{}\n", chain_of(r.hook), comment, join_args(rule_words(r)));
  batch += "COMMIT\n";
  return batch;
}

std::string IptablesChains::build_heal_batch(std::string_view current_save, std::string_view fault_id) const {
  auto saved = parse_save(current_save, options_.table);
  const std::string comment = tag(fault_id);
  std::string body;
  std::map<std::string, int> remaining;  // our chain -> rules left after heal
  for (const auto& chain : {options_.in_chain, options_.out_chain})
    if (saved.chains.count(chain)) remaining[chain] = 0;
  for (const auto& r : saved.rules) {
    if (has_comment(r, comment)) {
      body += delete_line(r) + "\n";
    } else if (remaining.count(r.chain)) {
      remaining[r.chain]++;
    }
  }
  for (const auto& [chain, left] : remaining) {
    if (left != 0) continue;
    for (const auto& r : saved.rules)
      if (r.chain != chain && jumps_to(r, chain)) body += delete_line(r) + "\n";
    body += fmt::format("-X {}\n", chain);
  }
  if (body.empty()) return {};
  return fmt::format("*{}\n{}COMMIT\n", options_.table, body);
}

Result<void> IptablesChains::apply(std::string_view fault_id, const std::vector<Rule>& rules,
                                   const std::vector<Exemption>& exemptions) {
  if (auto valid = validate_id(fault_id); !valid) return valid;
  if (rules.empty()) return heal(fault_id);
  for (const auto& r : rules)
    if (auto checked = r.check(); !checked)
      return checked.error().with_context(fmt::format("iptables rules of fault '{}' not applied (nothing changed)",
                                                      fault_id));
  // Made before the locks, so destroyed after them: closing it can wait for
  // an RCU grace period (nft_netlink.h), which must not hold the lock.
  auto socket = netlink::Socket::open();
  std::lock_guard guard(process_mutex());
  IptablesFileLock lock;
  // In-process nf_tables transaction where possible (no program started);
  // anything it cannot render goes through iptables-restore below.
  if (socket) {
    auto fast = nft_fast_apply(options_, fault_id, rules, exemption_rules(exemptions), *socket);
    if (fast) return ok_result();
    spdlog::debug("iptables rules of {} through iptables-restore: {}", fault_id, fast.error().message);
  }
  auto current = save();
  if (!current) return current.error().with_context("iptables apply");
  auto batch = build_apply_batch(*current, fault_id, rules, exemptions);
  auto result = check_command({options_.restore_program, "-w", "--noflush"}, batch);
  if (!result)
    return Error{result.error().code,
                 fmt::format("iptables rules of fault '{}' not applied (nothing changed): {}", fault_id,
                             result.error().message)};
  return ok_result();
}

Result<void> IptablesChains::heal(std::string_view fault_id) {
  if (auto valid = validate_id(fault_id); !valid) return valid;
  auto socket = netlink::Socket::open();  // closed after the locks are released (see apply)
  std::lock_guard guard(process_mutex());
  IptablesFileLock lock;
  // In-process nf_tables transaction where possible (reads only our chains
  // and the jumps to them); otherwise iptables-save + iptables-restore.
  if (socket) {
    auto fast = nft_fast_heal(options_, fault_id, *socket);
    if (fast) return ok_result();
    spdlog::debug("iptables heal of {} through iptables-restore: {}", fault_id, fast.error().message);
  }
  auto current = save();
  if (!current) return current.error().with_context("iptables heal");
  auto batch = build_heal_batch(*current, fault_id);
  if (batch.empty()) return ok_result();
  auto result = check_command({options_.restore_program, "-w", "--noflush"}, batch);
  if (!result)
    return Error{result.error().code,
                 fmt::format("iptables rules of fault '{}' not removed: {}", fault_id, result.error().message)};
  return ok_result();
}

Result<std::vector<std::string>> IptablesChains::rules_of(std::string_view fault_id) const {
  auto current = save();
  if (!current) return current.error();
  std::vector<std::string> lines;
  for (const auto& r : parse_save(*current, options_.table).rules)
    if (has_comment(r, tag(fault_id))) lines.push_back(r.line);
  return lines;
}

}  // namespace faultline::faults::net
