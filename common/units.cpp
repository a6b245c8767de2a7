#include "common/units.h"

#include <cmath>
#include <ctime>
#include <fmt/format.h>
#include <charconv>

namespace faultline {
namespace {

struct NumberAndUnit {
  double number = 0;
  std::string_view unit;
};

Result<NumberAndUnit> split_number(std::string_view text, std::string_view what) {
  auto trimmed = text;
  while (!trimmed.empty() && trimmed.front() == ' ') trimmed.remove_prefix(1);
  while (!trimmed.empty() && trimmed.back() == ' ') trimmed.remove_suffix(1);
  size_t i = 0;
  while (i < trimmed.size() && (std::isdigit(static_cast<unsigned char>(trimmed[i])) || trimmed[i] == '.')) ++i;
  if (i == 0) return invalid_input(fmt::format("invalid {} '{}': expected a number and a unit", what, text));
  double number = 0;
  auto [ptr, ec] = std::from_chars(trimmed.data(), trimmed.data() + i, number);
  if (ec != std::errc() || ptr != trimmed.data() + i || !std::isfinite(number) || number < 0)
    return invalid_input(fmt::format("invalid {} '{}': bad number", what, text));
  return NumberAndUnit{number, trimmed.substr(i)};
}

}  // namespace

Result<Nanos> parse_duration(std::string_view text, bool allow_bare_seconds) {
  auto parsed = split_number(text, "duration");
  if (!parsed) return parsed.error();
  double scale = 0;
  auto unit = parsed->unit;
  if (unit == "ns") scale = 1;
  else if (unit == "us" || unit == "µs") scale = 1e3;
  else if (unit == "ms") scale = 1e6;
  else if (unit == "s") scale = 1e9;
  else if (unit == "m" || unit == "min") scale = 60e9;
  else if (unit == "h") scale = 3600e9;
  else if (unit.empty() && allow_bare_seconds) scale = 1e9;
  else
    return invalid_input(fmt::format("invalid duration '{}': unit must be one of ns, us, ms, s, m, h", text));
  double ns = parsed->number * scale;
  if (ns > 9.2e18) return invalid_input(fmt::format("invalid duration '{}': too large", text));
  return static_cast<Nanos>(std::llround(ns));
}

Result<std::uint64_t> parse_size(std::string_view text) {
  auto parsed = split_number(text, "size");
  if (!parsed) return parsed.error();
  double scale = 0;
  auto unit = parsed->unit;
  if (unit.empty() || unit == "B") scale = 1;
  else if (unit == "KB" || unit == "kB") scale = 1e3;
  else if (unit == "MB") scale = 1e6;
  else if (unit == "GB") scale = 1e9;
  else if (unit == "TB") scale = 1e12;
  else if (unit == "KiB") scale = 1024.0;
  else if (unit == "MiB") scale = 1024.0 * 1024;
  else if (unit == "GiB") scale = 1024.0 * 1024 * 1024;
  else if (unit == "TiB") scale = 1024.0 * 1024 * 1024 * 1024;
  else
    return invalid_input(fmt::format("invalid size '{}': unit must be one of B, KB, MB, GB, TB, KiB, MiB, GiB, TiB", text));
  double bytes = parsed->number * scale;
  if (bytes > 1.8e19) return invalid_input(fmt::format("invalid size '{}': too large", text));
  return static_cast<std::uint64_t>(std::llround(bytes));
}

std::string format_duration(Nanos ns) {
  struct Unit { Nanos scale; const char* name; };
  static constexpr Unit kUnits[] = {{3600'000'000'000, "h"}, {60'000'000'000, "m"}, {1'000'000'000, "s"},
                                    {1'000'000, "ms"}, {1'000, "us"}};
  if (ns == 0) return "0s";
  for (const auto& u : kUnits) {
    if (ns % u.scale == 0) return fmt::format("{}{}", ns / u.scale, u.name);
  }
  // Not a whole number of any unit: use the largest unit below the value with decimals.
  for (const auto& u : kUnits) {
    if (ns >= u.scale && u.scale <= 1'000'000'000) return fmt::format("{}{}", static_cast<double>(ns) / u.scale, u.name);
  }
  return fmt::format("{}ns", ns);
}

std::string format_size(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"TiB", "GiB", "MiB", "KiB"};
  static constexpr std::uint64_t kScales[] = {1ull << 40, 1ull << 30, 1ull << 20, 1ull << 10};
  for (int i = 0; i < 4; ++i) {
    if (bytes != 0 && bytes % kScales[i] == 0) return fmt::format("{}{}", bytes / kScales[i], kUnits[i]);
  }
  return fmt::format("{}B", bytes);
}

Nanos monotonic_now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<Nanos>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace faultline
