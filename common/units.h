// Durations and sizes as users write them (docs/suites.md, "Durations and sizes").
//
// Contract: parse_duration accepts a non-negative decimal number followed by
// one of ns, us, ms, s, m, h ("250ms", "1.5s", "2m"); a bare number is
// rejected (ambiguous) unless allow_bare_seconds is set. parse_size accepts a
// non-negative number with B, KB, MB, GB, TB (powers of 1000) or KiB, MiB,
// GiB, TiB (powers of 1024), or a bare byte count. Both return an
// kInvalidInput Error naming the text on anything else, including overflow.
// Durations are int64 nanoseconds, the unit of histories.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace faultline {

using Nanos = std::int64_t;

// Nanosecond multiples, for code and tests that write durations as numbers.
inline constexpr Nanos kNanosecond = 1;
inline constexpr Nanos kMicrosecond = 1'000;
inline constexpr Nanos kMillisecond = 1'000'000;
inline constexpr Nanos kSecond = 1'000'000'000;

Result<Nanos> parse_duration(std::string_view text, bool allow_bare_seconds = false);
Result<std::uint64_t> parse_size(std::string_view text);

// "1.5s", "250ms", "12us", "0s": the shortest exact form with the largest unit.
std::string format_duration(Nanos ns);
// "1MiB", "1536B": the largest binary unit that divides exactly.
std::string format_size(std::uint64_t bytes);

// CLOCK_MONOTONIC now, in nanoseconds. The one place most code reads a clock.
Nanos monotonic_now();

}  // namespace faultline
