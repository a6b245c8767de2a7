// libFuzzer target over the agent's request path: framing, authentication
// and the dispatcher (agent/core/session.h, dispatcher.h), exactly as a
// connection drives them, against a private registry whose mechanism for
// every kind does nothing (so fuzzing never touches the host) and no SUT.
//
// Input: the first byte picks the mode. Even: the rest is fed raw to the
// session, as bytes from an unauthenticated peer. Odd: the rest is split at
// newlines and every piece is sent as a correctly signed body, so the
// dispatcher sees arbitrary authenticated requests.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "agent/core/dispatcher.h"
#include "agent/core/session.h"
#include "agent/protocol/auth.h"

namespace {

using namespace faultline;

class NoopMechanism : public faults::Mechanism {
 public:
  std::string_view name() const override { return "noop"; }
  faults::Availability probe(const faults::HostContext&) const override { return {true, "noop", ""}; }
  Result<faults::HealRecord> plan(const faults::FaultSpec& spec, const faults::HostContext&) override {
    if (spec.params.contains("reject")) return invalid_input("noop: rejected");
    return faults::HealRecord{{"params", spec.params}};
  }
  Result<void> apply(const faults::HealRecord& record, const faults::HostContext&) override {
    if (record["params"].contains("fail")) return io_error("noop: failing as asked");
    return ok_result();
  }
  Result<void> heal(const faults::HealRecord&, const faults::HostContext&) override { return ok_result(); }
  std::string describe(const faults::HealRecord&) const override { return "noop"; }
};

struct World {
  std::filesystem::path dir;
  faults::MechanismRegistry registry;
  faults::HostContext host;
  agent::EventHub hub{16};
  std::unique_ptr<agent::Journal> journal;
  std::unique_ptr<agent::FaultManager> faults;
  std::unique_ptr<agent::Dispatcher> dispatcher;

  World() {
    auto base = std::filesystem::exists("/dev/shm") ? std::filesystem::path("/dev/shm") : std::filesystem::temp_directory_path();
    dir = base / ("faultline-fuzz-agent-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    for (const auto& kind : faults::all_fault_kinds())
      registry.add(kind, 0, [] { return std::make_unique<NoopMechanism>(); });
    host.state_dir = dir;
    journal = std::make_unique<agent::Journal>(dir / "journal.jsonl");
    faults = std::make_unique<agent::FaultManager>(registry, host, *journal);
    (void)faults->recover();
    dispatcher = std::make_unique<agent::Dispatcher>(*faults, nullptr, hub, agent::AgentInfo{"fuzz", "fuzz", "", dir.string(), /*allow_exec=*/false});
  }
};

World& world() {
  static World w;
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  auto& w = world();
  const std::string token = "fuzz-token";
  std::size_t replies = 0;
  agent::ConnectionContext context{1, [](Nanos, const nlohmann::json&) {}};
  agent::Session session(
      token, "fuzzer", [&](std::string line) { replies += line.size(); },
      [&](nlohmann::json body) { replies += w.dispatcher->handle(body, context).dump().size(); },
      /*max_line=*/4096);
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    // Raw bytes, fed in two pieces to exercise reassembly.
    session.feed(rest.substr(0, rest.size() / 2));
    session.feed(rest.substr(rest.size() / 2));
  } else {
    const auto nonce = nlohmann::json::parse(session.greeting())["nonce"].get<std::string>();
    std::uint64_t counter = 0;
    std::size_t start = 0;
    while (start <= rest.size()) {
      auto end = rest.find('\n', start);
      auto piece = rest.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
      // A JSON string carries only UTF-8; a real client signs the dump of a
      // JSON value, so non-ASCII bytes are mapped away here.
      std::string body(piece);
      for (auto& c : body)
        if (static_cast<unsigned char>(c) >= 0x80) c = '?';
      session.feed(agent::protocol::make_envelope(token, nonce, ++counter, body) + "\n");
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
  }
  w.hub.unsubscribe(1);
  (void)w.faults->heal_all();
  // Keep the journal small between inputs.
  if (w.journal->load().ok()) (void)w.journal->compact({});
  return 0;
}
