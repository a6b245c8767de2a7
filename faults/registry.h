// MechanismRegistry: which mechanisms serve which fault kind, in preference order.
//
// Contract: a mechanism file registers itself with a static
// `FAULTLINE_REGISTER_MECHANISM(kind, preference, Class)`; lower preference is
// tried first (netem 0 before its fallbacks 10, 20). select() returns the
// first mechanism that serves the direction (Mechanism::serves, egress unless
// asked) and whose probe() says it is available on this host, or an
// kUnavailable Error listing every candidate's reason. find() returns the
// mechanism named in a HealRecord, for heal after a restart. Mechanism
// instances are created once per registry and live as long as it does
// (a mechanism may own live state such as the NFQUEUE shaper's thread).
// Link faultline_faults with WHOLE_ARCHIVE (the target does it) so static
// registrations are kept.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/static_registration.h"
#include "faults/mechanism.h"

namespace faultline::faults {

class MechanismRegistry {
 public:
  using Factory = std::function<std::unique_ptr<Mechanism>()>;

  static MechanismRegistry& instance();

  void add(std::string kind, int preference, Factory factory);

  // All mechanisms for a kind, in preference order.
  std::vector<Mechanism*> candidates(const std::string& kind);
  Result<Mechanism*> select(const std::string& kind, const HostContext& host,
                            Direction direction = Direction::kEgress);
  Result<Mechanism*> find(const std::string& kind, const std::string& mechanism_name);

  // A new, separate instance of the named mechanism (not the registry's
  // long-lived one): what a restarted agent would have. For tests.
  Result<std::unique_ptr<Mechanism>> create_fresh(const std::string& kind, const std::string& mechanism_name);

  // Plans with the first available mechanism that serves the spec's
  // direction (direction_of) and whose plan() serves the spec (a plan that
  // answers kUnavailable passes it to the next candidate: netem cannot select
  // by port, the NFQUEUE shaper can) and stamps "kind" and "mechanism" into
  // the record.
  // A spec field "mechanism" (e.g. "system" for clock faults) names the one to
  // use instead of the preference order; unknown or unavailable is an error.
  Result<HealRecord> plan(const FaultSpec& spec, const HostContext& host);

 private:
  struct Entry {
    int preference;
    Factory factory;
    std::unique_ptr<Mechanism> instance;
  };
  std::mutex mutex_;
  std::map<std::string, std::vector<Entry>> entries_;
};

struct MechanismRegistration {
  MechanismRegistration(std::string kind, int preference, MechanismRegistry::Factory factory) {
    MechanismRegistry::instance().add(std::move(kind), preference, std::move(factory));
  }
};

#define FAULTLINE_REGISTER_MECHANISM(kind, preference, Class)                  \
  FAULTLINE_STATIC_REGISTRATION(::faultline::faults::MechanismRegistration, kind, preference, \
                                [] { return std::make_unique<Class>(); })

}  // namespace faultline::faults
