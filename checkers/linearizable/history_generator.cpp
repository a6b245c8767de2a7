#include "checkers/linearizable/history_generator.h"

#include <algorithm>
#include <map>
#include <queue>
#include <random>
#include <set>

#include <fmt/format.h>

namespace faultline::checkers::linearizable {
namespace {

using history::ClientEvent;
using history::OpType;
using nlohmann::json;

struct Client {
  std::int64_t process = 0;
  bool holds = false;  // mutex
  json last_seen;      // register: the value this client last read or wrote (null: none yet)
  std::size_t op = 0;  // the op in flight
};

struct Sim {
  enum Kind { kInvoke, kLin, kReturn };
  std::int64_t time;
  std::uint64_t seq;
  Kind kind;
  std::size_t client;
  bool operator>(const Sim& o) const { return time != o.time ? time > o.time : seq > o.seq; }
};

struct PendingOp {
  std::string f;
  json input;
  json output;
  std::optional<json> key;
  bool ok = true;
};

// The sequential model the clients run against.
struct World {
  const GeneratorOptions& options;
  json reg = nullptr;
  std::vector<std::string> kv;
  std::vector<std::int64_t> set;  // sorted
  bool locked = false;
  std::uint64_t counter = 0;

  explicit World(const GeneratorOptions& o) : options(o), kv(std::max<std::size_t>(1, o.keys)) {
    if (o.model == "cas-register" || o.model == "register") reg = 0;
  }

  PendingOp choose(std::mt19937_64& rng, Client& client) {
    PendingOp op;
    std::uniform_int_distribution<int> value(0, std::max(1, options.values) - 1);
    std::uniform_int_distribution<int> pct(0, 99);
    int roll = pct(rng);
    const std::string& m = options.model;
    if (m == "register" || m == "cas-register") {
      bool cas = m == "cas-register";
      if (roll < 40) op.f = "read";
      else if (!cas || roll < 70) op.f = "write", op.input = value(rng);
      else {
        // A read-modify-write client: cas from the value it last saw (a fresh
        // client, or every other time, guesses), to a new random value.
        json expected = client.last_seen.is_null() || pct(rng) < 50 ? json(value(rng)) : client.last_seen;
        op.f = "cas", op.input = json::array({expected, value(rng)});
      }
    } else if (m == "kv") {
      std::uniform_int_distribution<std::size_t> key(0, kv.size() - 1);
      op.key = std::to_string(key(rng));
      if (roll < 40) op.f = "get";
      else if (roll < 55) op.f = "put", op.input = fmt::format("x {} {} y", client.process, counter++);
      else op.f = "append", op.input = fmt::format("x {} {} y", client.process, counter++);
    } else if (m == "set") {
      if (roll < 30) op.f = "read";
      else op.f = "add", op.input = static_cast<std::int64_t>(counter++);
    } else {  // mutex
      op.f = client.holds ? "release" : "acquire";
    }
    return op;
  }

  // Applies op at its linearization point; sets output/ok. `effect` false = a
  // crashed op that never takes effect.
  void apply(PendingOp& op, Client& client, bool effect) {
    const std::string& f = op.f;
    if (!effect) return;
    if (f == "read" && options.model != "set") op.output = client.last_seen = reg;
    else if (f == "write") reg = client.last_seen = op.input;
    else if (f == "cas") {
      op.ok = reg == op.input[0];
      if (op.ok) reg = client.last_seen = op.input[1];
    } else if (f == "get") op.output = kv[std::stoul(op.key->get<std::string>())];
    else if (f == "put") kv[std::stoul(op.key->get<std::string>())] = op.input.get<std::string>();
    else if (f == "append") kv[std::stoul(op.key->get<std::string>())] += op.input.get<std::string>();
    else if (f == "add") {
      auto v = op.input.get<std::int64_t>();
      set.insert(std::lower_bound(set.begin(), set.end(), v), v);
    } else if (f == "read") op.output = set;
    else if (f == "acquire") {
      op.ok = !locked;
      if (op.ok) locked = true, client.holds = true;
    } else if (f == "release") {
      locked = false;
      client.holds = false;
    }
  }
};

history::Event make_event(std::int64_t time, OpType type, std::int64_t process, const std::string& f, json value,
                          const std::optional<json>& key) {
  history::Event e;
  e.time = time;
  ClientEvent c;
  c.type = type;
  c.process = process;
  c.f = f;
  c.value = std::move(value);
  c.key = key;
  e.body = std::move(c);
  return e;
}

}  // namespace

Result<GeneratedHistory> generate_history(const GeneratorOptions& options) {
  static const std::set<std::string> kModels{"register", "cas-register", "kv", "set", "mutex"};
  if (!kModels.count(options.model)) return invalid_input("generator: unknown model \"" + options.model + "\"");
  if (options.clients == 0) return invalid_input("generator: clients must be > 0");
  if (options.max_latency < 2) return invalid_input("generator: max_latency must be >= 2");
  std::mt19937_64 rng(options.seed);
  World world(options);
  GeneratedHistory out;
  out.history.source = fmt::format("generated {} ({} ops, {} clients, seed {})", options.model, options.ops,
                                   options.clients, options.seed);
  out.history.events.reserve(options.ops * 2);
  out.ops.reserve(options.ops);
  std::vector<Client> clients(options.clients);
  std::vector<PendingOp> inflight(options.clients);
  for (std::size_t c = 0; c < clients.size(); ++c) clients[c].process = static_cast<std::int64_t>(c);
  std::priority_queue<Sim, std::vector<Sim>, std::greater<Sim>> queue;
  std::uint64_t seq = 0;
  std::uniform_int_distribution<std::int64_t> gap(0, options.max_latency / 4 + 1);
  std::uniform_int_distribution<std::int64_t> latency(2, options.max_latency);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (std::size_t c = 0; c < clients.size(); ++c) queue.push(Sim{gap(rng), seq++, Sim::kInvoke, c});
  std::size_t started = 0;
  while (!queue.empty()) {
    Sim ev = queue.top();
    queue.pop();
    Client& client = clients[ev.client];
    PendingOp& op = inflight[ev.client];
    switch (ev.kind) {
      case Sim::kInvoke: {
        if (started >= options.ops) break;
        ++started;
        op = world.choose(rng, client);
        GeneratedOp g;
        g.invoke = out.history.events.size();
        g.info = unit(rng) < options.info_rate;
        g.applied = !g.info || unit(rng) < 0.5;
        std::int64_t d = latency(rng);
        g.lin_time = ev.time + 1 + static_cast<std::int64_t>(unit(rng) * static_cast<double>(d - 1));
        g.lin_time = std::min(g.lin_time, ev.time + d - 1);
        client.op = out.ops.size();
        out.ops.push_back(g);
        out.history.events.push_back(make_event(ev.time, OpType::kInvoke, client.process, op.f, op.input, op.key));
        queue.push(Sim{g.lin_time, seq++, Sim::kLin, ev.client});
        queue.push(Sim{ev.time + d, seq++, Sim::kReturn, ev.client});
        break;
      }
      case Sim::kLin: {
        GeneratedOp& g = out.ops[client.op];
        world.apply(op, client, g.applied);
        if (!op.ok) g.applied = false;
        break;
      }
      case Sim::kReturn: {
        GeneratedOp& g = out.ops[client.op];
        g.complete = out.history.events.size();
        OpType type = g.info ? OpType::kInfo : (op.ok ? OpType::kOk : OpType::kFail);
        json value = op.output.is_null() || g.info ? op.input : op.output;
        if (op.f == "read" || op.f == "get") value = g.info ? json() : op.output;
        out.history.events.push_back(make_event(ev.time, type, client.process, op.f, std::move(value), op.key));
        if (g.info) {
          client.process += static_cast<std::int64_t>(options.clients);  // a crashed client gets a new process
          client.holds = false;
          client.last_seen = json();
        }
        queue.push(Sim{ev.time + gap(rng), seq++, Sim::kInvoke, ev.client});
        break;
      }
    }
  }
  for (std::size_t i = 0; i < out.history.events.size(); ++i) {
    out.history.events[i].index = i;
    out.history.events[i].line = i + 1;
  }
  return out;
}

std::optional<std::size_t> corrupt_one_result(GeneratedHistory& generated, const std::string& model, std::uint64_t seed) {
  auto& events = generated.history.events;
  auto client = [&](std::size_t event) -> ClientEvent& { return std::get<ClientEvent>(events[event].body); };
  std::vector<std::size_t> candidates;
  for (std::size_t i = 0; i < generated.ops.size(); ++i) {
    const auto& g = generated.ops[i];
    if (g.info) continue;
    const ClientEvent& done = client(g.complete);
    if (model == "mutex") {
      if (done.f == "acquire" && done.type == OpType::kFail) candidates.push_back(i);
    } else if (done.type == OpType::kOk && (done.f == "read" || done.f == "get") && !done.value.is_null()) {
      candidates.push_back(i);
    }
  }
  if (model == "mutex") {
    // Keep failed acquires whose whole window lies inside another client's
    // hold: after its acquire returned and before its release was invoked.
    std::vector<std::pair<std::int64_t, std::int64_t>> holds;
    std::map<std::int64_t, std::size_t> acquired;  // process -> ok acquire op
    for (std::size_t i = 0; i < generated.ops.size(); ++i) {
      const auto& g = generated.ops[i];
      const ClientEvent& done = client(g.complete);
      if (done.f == "acquire" && done.type == OpType::kOk) acquired[done.process] = i;
      if (done.f == "release" && done.type == OpType::kOk && acquired.count(done.process)) {
        holds.push_back({events[generated.ops[acquired[done.process]].complete].time, events[g.invoke].time});
        acquired.erase(done.process);
      }
    }
    std::erase_if(candidates, [&](std::size_t i) {
      std::int64_t inv = events[generated.ops[i].invoke].time, ret = events[generated.ops[i].complete].time;
      return std::none_of(holds.begin(), holds.end(), [&](auto h) { return h.first < inv && ret < h.second; });
    });
  }
  if (candidates.empty()) return std::nullopt;
  std::mt19937_64 rng(seed);
  std::size_t pick = candidates[std::uniform_int_distribution<std::size_t>(0, candidates.size() - 1)(rng)];
  ClientEvent& done = client(generated.ops[pick].complete);
  if (model == "mutex") done.type = OpType::kOk;
  else if (model == "kv") done.value = "#corrupted#";
  else if (model == "set") done.value.push_back(-1);  // never added
  else done.value = 1000000;                          // never written
  return pick;
}

}  // namespace faultline::checkers::linearizable
