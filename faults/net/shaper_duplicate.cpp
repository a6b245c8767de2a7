// "duplicate" through the NFQUEUE shaper: the fallback when netem (preference 0) is
// unavailable. All behaviour lives in faults/net/shaper/shaper_mechanism.h.
#include "faults/net/shaper/shaper_mechanism.h"
#include "faults/registry.h"

namespace faultline::faults::shaper {
namespace {

class ShaperDuplicateMechanism final : public ShaperMechanism {
 public:
  ShaperDuplicateMechanism() : ShaperMechanism("duplicate") {}
};

FAULTLINE_REGISTER_MECHANISM("duplicate", 10, ShaperDuplicateMechanism);

}  // namespace
}  // namespace faultline::faults::shaper
