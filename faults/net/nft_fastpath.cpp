#include "faults/net/nft_fastpath.h"

#include <dlfcn.h>

#include <fmt/format.h>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "faults/net/command.h"

namespace faultline::faults::net {
namespace {

// The few libnftables entry points we use (libnftables.h, nftables 1.0.x).
struct Nft {
  void* (*ctx_new)(std::uint32_t) = nullptr;
  void (*ctx_free)(void*) = nullptr;
  int (*buffer_output)(void*) = nullptr;
  const char* (*get_output)(void*) = nullptr;
  int (*buffer_error)(void*) = nullptr;
  const char* (*get_error)(void*) = nullptr;
  void (*set_flags)(void*, unsigned) = nullptr;
  int (*run)(void*, const char*) = nullptr;
  bool loaded = false;
  bool nf_tables_backend = false;
};
constexpr unsigned kOutputJson = 1u << 4;
constexpr unsigned kOutputHandle = 1u << 3;

const Nft& nft() {
  static Nft lib;
  static std::once_flag once;
  std::call_once(once, [] {
    auto version = run_command({"iptables-restore", "--version"});
    lib.nf_tables_backend = version && version->out.find("nf_tables") != std::string::npos;
    if (!lib.nf_tables_backend) return;
    void* handle = ::dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!handle) return;
    auto sym = [&](auto& fn, const char* name) { fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(handle, name)); return fn != nullptr; };
    lib.loaded = sym(lib.ctx_new, "nft_ctx_new") && sym(lib.ctx_free, "nft_ctx_free") &&
                 sym(lib.buffer_output, "nft_ctx_buffer_output") && sym(lib.get_output, "nft_ctx_get_output_buffer") &&
                 sym(lib.buffer_error, "nft_ctx_buffer_error") && sym(lib.get_error, "nft_ctx_get_error_buffer") &&
                 sym(lib.set_flags, "nft_ctx_output_set_flags") && sym(lib.run, "nft_run_cmd_from_buffer");
  });
  return lib;
}

bool safe_word(const std::string& w) {
  if (w.empty() || w.size() > 64) return false;
  for (char c : w)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '/' || c == '-' || c == '_' || c == ':' || c == '@'))
      return false;
  return true;
}

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
                    const std::vector<IptablesRule>& exemptions, std::string* why_not) {
  const Nft& lib = nft();
  if (!lib.nf_tables_backend || !lib.loaded) {
    *why_not = "iptables is not on nf_tables or libnftables.so.1 is missing";
    return false;
  }
  if (options.table != "filter") {
    *why_not = "only the filter table";
    return false;
  }
  auto chain_of = [&](Hook h) { return h == Hook::kInput ? options.in_chain : options.out_chain; };
  auto base_of = [](Hook h) { return std::string(h == Hook::kInput ? "INPUT" : "OUTPUT"); };
  const std::string comment = IptablesChains::tag(fault_id);

  std::string body;
  std::set<Hook> hooks;
  for (const auto& r : rules) hooks.insert(r.hook);
  for (const auto& e : exemptions) {
    if (!hooks.count(e.hook)) continue;
    std::string expr;
    if (!translate_to_nft(e.args, &expr)) return (*why_not = "exemption outside the nft vocabulary", false);
    body += fmt::format("insert rule ip filter {} {} comment \"{}\"\n", chain_of(e.hook), expr, comment);
  }
  for (const auto& r : rules) {
    std::string expr;
    if (!translate_to_nft(r.args, &expr)) return (*why_not = "rule outside the nft vocabulary", false);
    body += fmt::format("add rule ip filter {} {} comment \"{}\"\n", chain_of(r.hook), expr, comment);
  }

  std::unique_ptr<void, void (*)(void*)> ctx(lib.ctx_new(0), lib.ctx_free);
  if (!ctx) return (*why_not = "nft_ctx_new failed", false);
  lib.buffer_output(ctx.get());
  lib.buffer_error(ctx.get());
  lib.set_flags(ctx.get(), kOutputJson | kOutputHandle);

  // What exists: base chains, our chains, jumps, this id's rules (to replace).
  std::set<std::string> chains;
  std::set<std::string> jumps;  // "INPUT>FAULTLINE-IN"
  std::string prelude;
  if (lib.run(ctx.get(), "list table ip filter") == 0) {
    auto listing = nlohmann::json::parse(lib.get_output(ctx.get()), nullptr, false);
    if (listing.is_discarded() || !listing.contains("nftables")) return (*why_not = "unreadable nft listing", false);
    for (const auto& item : listing["nftables"]) {
      if (item.contains("chain")) chains.insert(item["chain"].value("name", ""));
      if (!item.contains("rule")) continue;
      const auto& rule = item["rule"];
      std::string chain = rule.value("chain", "");
      if (rule.value("comment", "") == comment)
        prelude += fmt::format("delete rule ip filter {} handle {}\n", chain, rule.value("handle", 0));
      if (rule.contains("expr"))
        for (const auto& e : rule["expr"])
          if (e.contains("jump") && e["jump"].contains("target"))
            jumps.insert(chain + ">" + e["jump"]["target"].get<std::string>());
    }
  } else {
    prelude += "add table ip filter\n";
  }
  for (Hook h : hooks) {
    if (!chains.count(base_of(h)))
      prelude += fmt::format("add chain ip filter {} {{ type filter hook {} priority 0; policy accept; }}\n", base_of(h),
                             h == Hook::kInput ? "input" : "output");
    if (!chains.count(chain_of(h))) prelude += fmt::format("add chain ip filter {}\n", chain_of(h));
    if (!jumps.count(base_of(h) + ">" + chain_of(h)))
      prelude += fmt::format("insert rule ip filter {} counter jump {} comment \"faultline:jump\"\n", base_of(h),
                             chain_of(h));
  }
  // One buffer = one nf_tables transaction.
  if (lib.run(ctx.get(), (prelude + body).c_str()) != 0) {
    *why_not = fmt::format("nft refused the batch: {}", lib.get_error(ctx.get()));
    return false;
  }
  return true;
}

}  // namespace faultline::faults::net
