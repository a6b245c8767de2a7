// "delay" through the NFQUEUE shaper: the fallback when netem (preference 0) is
// unavailable. All behaviour lives in faults/net/shaper/shaper_mechanism.h.
#include "faults/net/shaper/shaper_mechanism.h"
#include "faults/registry.h"

namespace faultline::faults::shaper {
namespace {

class ShaperDelayMechanism final : public ShaperMechanism {
 public:
  ShaperDelayMechanism() : ShaperMechanism("delay") {}
};

FAULTLINE_REGISTER_MECHANISM("delay", 10, ShaperDelayMechanism);

}  // namespace
}  // namespace faultline::faults::shaper
