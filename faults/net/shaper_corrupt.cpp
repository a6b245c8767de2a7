// "corrupt" through the NFQUEUE shaper: the fallback when netem (preference 0) is
// unavailable. All behaviour lives in faults/net/shaper/shaper_mechanism.h.
#include "faults/net/shaper/shaper_mechanism.h"
#include "faults/registry.h"

namespace faultline::faults::shaper {
namespace {

class ShaperCorruptMechanism final : public ShaperMechanism {
 public:
  ShaperCorruptMechanism() : ShaperMechanism("corrupt") {}
};

FAULTLINE_REGISTER_MECHANISM("corrupt", 10, ShaperCorruptMechanism);

}  // namespace
}  // namespace faultline::faults::shaper
