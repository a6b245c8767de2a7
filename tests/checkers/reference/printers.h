// GoogleTest printers for the reference library's value types, so failures
// show "n2 dead@0 by me at 5s" instead of bytes.
#pragma once

#include <ostream>

#include "checkers/reference/detector_status.h"
#include "checkers/reference/swim_message.h"

namespace faultline::reference {

inline void PrintTo(Status s, std::ostream* os) { *os << to_string(s); }
inline void PrintTo(const StatusChange& c, std::ostream* os) {
  *os << c.subject << " " << to_string(c.status) << "@" << c.incarnation << " by " << c.observer << " at "
      << c.time << "ns";
}
inline void PrintTo(const Gossip& g, std::ostream* os) {
  *os << to_string(g.kind) << "{" << g.node << "@" << g.incarnation << " from " << g.from << "}";
}
inline void PrintTo(const Message& m, std::ostream* os) { *os << encode(m); }

}  // namespace faultline::reference
