// Exit codes of every `faultline` command (the same as Jepsen's CLI).
//
// Contract: 0 valid, 1 invalid, 2 unknown (e.g. a checker timed out, a run
// was interrupted), 254 bad arguments or input (refused before anything
// starts), 255 internal error.
#pragma once

namespace faultline {

inline constexpr int kExitValid = 0;
inline constexpr int kExitInvalid = 1;
inline constexpr int kExitUnknown = 2;
inline constexpr int kExitBadInput = 254;
inline constexpr int kExitInternal = 255;

}  // namespace faultline
