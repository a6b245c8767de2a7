#include "faults/clock/preload_library.h"

#include <unistd.h>

#include <cstdlib>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "faults/clock/clock_page.h"
#include "faults/clock/clock_page_file.h"

namespace faultline::faults::clock {

Result<std::filesystem::path> find_clock_preload() {
  std::vector<std::filesystem::path> places;
  if (const char* env = std::getenv("FAULTLINE_CLOCK_PRELOAD"); env && *env) places.emplace_back(env);
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    places.push_back(exe.parent_path() / kClockPreloadName);
    places.push_back(exe.parent_path().parent_path() / "lib" / kClockPreloadName);
  }
  places.push_back(std::filesystem::path("/usr/local/lib/faultline") / kClockPreloadName);
  places.push_back(std::filesystem::path("/usr/lib/faultline") / kClockPreloadName);
  std::string looked;
  for (const auto& p : places) {
    if (std::filesystem::is_regular_file(p, ec)) return std::filesystem::absolute(p, ec).lexically_normal();
    looked += (looked.empty() ? "" : ", ") + p.string();
  }
  return unavailable(fmt::format("{} not found (looked at {}; set FAULTLINE_CLOCK_PRELOAD)", kClockPreloadName, looked));
}

std::map<std::string, std::string> clock_preload_env(const std::filesystem::path& library,
                                                     const std::filesystem::path& state_dir,
                                                     const std::string& existing_ld_preload) {
  std::string preload = library.string();
  if (!existing_ld_preload.empty()) preload += ":" + existing_ld_preload;
  return {{"LD_PRELOAD", preload}, {kClockShmEnv, clock_page_path(state_dir).string()}};
}

Result<void> ensure_clock_page(const std::filesystem::path& state_dir) {
  auto page = ClockPageFile::open(clock_page_path(state_dir));
  if (!page) return page.error();
  return ok_result();
}

}  // namespace faultline::faults::clock
