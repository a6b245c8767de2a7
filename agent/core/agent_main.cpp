#include "agent/core/agent_main.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "agent/core/data_fs_lifecycle.h"
#include "agent/core/dispatcher.h"
#include "agent/core/event_hub.h"
#include "agent/core/event_sources.h"
#include "agent/core/fault_manager.h"
#include "agent/core/journal.h"
#include "agent/core/probe.h"
#include "agent/core/server.h"
#include "agent/core/supervisor.h"
#include "agent/protocol/auth.h"

namespace faultline::agent {

namespace {
constexpr const char* kVersion = "0.1.0";

std::string hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

void setup_logging(const std::string& log_file, const std::string& level) {
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (!log_file.empty()) sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(log_file));
  auto logger = std::make_shared<spdlog::logger>("faultline-agent", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}
}  // namespace

namespace {
int run_agent_unguarded(int argc, char** argv) {
  CLI::App app{"faultline-agent: applies real faults on this host for a faultline controller, "
               "journaled, leased, authenticated, and always healed"};
  std::string listen, token_file, state_dir, log_file, events_file, clock_lib, interface, log_level = "info";
  bool probe = false, json = false, no_exec = false;
  std::size_t event_buffer = 10000;
  app.add_option("--listen", listen, "ADDR:PORT to serve the control protocol on (port 0: any free port)");
  app.add_option("--token-file", token_file, "file holding the shared secret (mode 600)");
  app.add_option("--state-dir", state_dir, "directory for the journal, SUT logs, the event socket");
  app.add_flag("--probe", probe, "print which fault kinds work on this host, and exit");
  app.add_flag("--no-exec", no_exec, "refuse the controller's exec requests (suite ready/teardown commands in the node)");
  app.add_flag("--json", json, "with --probe: print JSON");
  app.add_option("--log-file", log_file, "also log to this file");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
  app.add_option("--events-file", events_file, "also collect SUT events appended to this JSONL file");
  app.add_option("--clock-lib", clock_lib, "path of libfaultline_clock.so for per-process clocks");
  app.add_option("--interface", interface, "default interface for network faults");
  app.add_option("--event-buffer", event_buffer, "events kept while no client is subscribed (oldest dropped)")
      ->capture_default_str();
  app.set_version_flag("--version", std::string("faultline-agent ") + kVersion);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 254;
  }
  setup_logging(log_file, log_level);

  faults::HostContext host;
  host.default_interface = interface;
  auto clock_library = find_clock_library(clock_lib);
  if (!clock_lib.empty() && clock_library.empty()) {
    std::fprintf(stderr, "faultline-agent: --clock-lib %s does not exist\n", clock_lib.c_str());
    return 254;
  }

  if (probe) {
    host.state_dir = state_dir.empty() ? std::filesystem::temp_directory_path() / "faultline-probe" : std::filesystem::path(state_dir);
    // The process kinds are served through the supervisor the agent would run.
    Supervisor supervisor(host.state_dir, clock_library);
    host.process = &supervisor;
    auto capabilities = probe_capabilities(faults::MechanismRegistry::instance(), host);
    if (json) std::cout << capabilities.dump(2) << std::endl;
    else std::cout << format_probe_table(capabilities);
    return 0;
  }

  if (listen.empty() || token_file.empty() || state_dir.empty()) {
    std::fprintf(stderr, "faultline-agent: --listen, --token-file and --state-dir are required (or --probe)\n");
    return 254;
  }
  auto listen_address = parse_listen_address(listen);
  if (!listen_address) {
    std::fprintf(stderr, "faultline-agent: %s\n", listen_address.error().message.c_str());
    return 254;
  }
  auto token = protocol::read_token_file(token_file);
  if (!token) {
    spdlog::critical("refusing to start: {}", token.error().message);
    return 1;
  }

  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) {
    spdlog::critical("state dir {}: {}", state_dir, ec.message());
    return 1;
  }
  host.state_dir = std::filesystem::absolute(state_dir);
  const auto lock_path = host.state_dir / "agent.lock";
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    spdlog::critical("state dir {} is in use by another faultline-agent (cannot lock {})", host.state_dir.string(),
                     lock_path.string());
    return 1;
  }

  // Signals are handled by the io_context; block them in every thread we start.
  ::signal(SIGPIPE, SIG_IGN);
  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  boost::asio::thread_pool workers(4);

  Supervisor supervisor(host.state_dir, clock_library);
  host.process = &supervisor;
  EventHub events(event_buffer);
  Journal journal(host.state_dir / "journal.jsonl");

  // Bind first: the control port must be in the exemptions before any fault
  // is applied (docs/design.md "Safety rules").
  Server server(io, workers, *token, events);
  const auto listen_host = listen_address->first;
  if (auto bound = server.bind(listen_host, listen_address->second); !bound) {
    spdlog::critical("{}", bound.error().message);
    return 1;
  }
  faults::HostContext bound_host = host;
  bound_host.exemptions.push_back(faults::Exemption{listen_host, server.port()});
  auto faults = std::make_unique<FaultManager>(faults::MechanismRegistry::instance(), bound_host, journal);
  auto dispatcher = std::make_unique<Dispatcher>(
      *faults, &supervisor, events,
      AgentInfo{kVersion, hostname(), supervisor.events_socket_path().string(), host.state_dir.string(), !no_exec});
  server.set_dispatcher(dispatcher.get());
  DataFsLifecycle data_fs(host.state_dir);
  dispatcher->set_data_fs(&data_fs);
  if (auto unmounted = data_fs.recover(); !unmounted) spdlog::error("data fs recovery: {}", unmounted.error().message);

  auto recovered = faults->recover();
  if (!recovered) {
    spdlog::critical("journal recovery failed: {}", recovered.error().message);
    return 1;
  }
  spdlog::info("journal {}: healed {} fault(s) left by a previous run, {} failed", journal.path().string(),
               recovered->healed, recovered->failed);
  faults->start();

  EventSocket event_socket(io, events);
  if (auto opened = event_socket.open(supervisor.events_socket_path()); !opened)
    spdlog::error("SUT events disabled: {}", opened.error().message);
  std::unique_ptr<FileTail> tail;
  if (!events_file.empty()) {
    tail = std::make_unique<FileTail>(events_file, events);
    tail->start();
  }

  server.accept();
  {
    std::ofstream port_file(host.state_dir / "agent.port", std::ios::trunc);
    port_file << server.port() << "\n";
  }
  spdlog::info("faultline-agent {} listening on {}:{} (state dir {}, events {})", kVersion,
               listen_host.empty() ? "*" : listen_host, server.port(), host.state_dir.string(),
               supervisor.events_socket_path().string());

  signals.async_wait([&](boost::system::error_code ec, int signo) {
    if (ec) return;
    spdlog::info("signal {}: healing every fault, stopping the SUT, exiting", signo);
    server.stop();
    faults->shutdown();
    if (auto stopped = supervisor.stop(); !stopped) spdlog::error("stopping the SUT: {}", stopped.error().message);
    if (auto unmounted = data_fs.unmount(); !unmounted) spdlog::error("data fs: {}", unmounted.error().message);
    event_socket.close();
    io.stop();
  });
  io.run();
  if (tail) tail->stop();
  workers.join();
  std::filesystem::remove(host.state_dir / "agent.port", ec);
  spdlog::info("faultline-agent exited cleanly");
  ::close(lock_fd);
  return 0;
}

}  // namespace

int run_agent(int argc, char** argv) {
  try {
    return run_agent_unguarded(argc, argv);
  } catch (const std::exception& e) {
    spdlog::critical("faultline-agent: internal error: {}", e.what());
    std::fprintf(stderr, "faultline-agent: internal error: %s\n", e.what());
    return 255;
  }
}

}  // namespace faultline::agent
