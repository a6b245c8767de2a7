// The NFQUEUE shaper's registrations: one ShaperMechanism per kind it serves
// (kShaperKinds), each the fallback at preference 10 when netem (preference 0)
// is unavailable. All behaviour lives in shaper_mechanism.h.
#include "faults/net/shaper/shaper_mechanism.h"
#include "faults/registry.h"

namespace faultline::faults::shaper {
namespace {

constexpr int kShaperPreference = 10;

struct ShaperRegistrations {
  ShaperRegistrations() {
    for (const char* kind : kShaperKinds)
      MechanismRegistry::instance().add(kind, kShaperPreference,
                                        [kind] { return std::make_unique<ShaperMechanism>(kind); });
  }
};

const ShaperRegistrations registrations;

}  // namespace
}  // namespace faultline::faults::shaper
