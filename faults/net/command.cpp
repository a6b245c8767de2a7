#include "faults/net/command.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>

#include "common/process/launch.h"

namespace faultline::faults::net {

Result<CommandOutput> run_command(const std::vector<std::string>& argv, std::string_view stdin_data) {
  if (argv.empty()) return internal_error("run_command: empty argv");
  process::LaunchOptions options;
  options.argv = argv;
  options.in = stdin_data.empty() ? process::Stream::null() : process::Stream::input();
  options.input = std::string(stdin_data);
  options.out = process::Stream::capture();
  options.err = process::Stream::capture();
  auto finished = process::run(options);
  if (!finished) return unavailable(fmt::format("cannot run {}: {}", argv[0], finished.error().message));
  return CommandOutput{finished->exit_code, std::move(finished->out), std::move(finished->err)};
}

Result<CommandOutput> check_command(const std::vector<std::string>& argv, std::string_view stdin_data) {
  auto result = run_command(argv, stdin_data);
  if (!result) return result;
  if (result->exit_code != 0) {
    std::string err = result->err.empty() ? result->out : result->err;
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    return io_error(fmt::format("{} failed (exit {}): {}", argv[0], result->exit_code, err));
  }
  return result;
}

bool program_in_path(std::string_view name) {
  if (name.find('/') != std::string_view::npos) return ::access(std::string(name).c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    auto end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    auto candidate = std::filesystem::path(dirs.substr(start, end - start)) / std::string(name);
    if (::access(candidate.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace faultline::faults::net
