// "reorder" through the NFQUEUE shaper: the fallback when netem (preference 0) is
// unavailable. All behaviour lives in faults/net/shaper/shaper_mechanism.h.
#include "faults/net/shaper/shaper_mechanism.h"
#include "faults/registry.h"

namespace faultline::faults::shaper {
namespace {

class ShaperReorderMechanism final : public ShaperMechanism {
 public:
  ShaperReorderMechanism() : ShaperMechanism("reorder") {}
};

FAULTLINE_REGISTER_MECHANISM("reorder", 10, ShaperReorderMechanism);

}  // namespace
}  // namespace faultline::faults::shaper
