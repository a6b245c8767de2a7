// faultline-agent-testmech: the real faultline-agent program plus the
// test-only marker mechanism, preferred for kind kMarkerKind. Integration
// tests use it to exercise journal, leases and shutdown with real processes.
#include "agent/core/agent_main.h"
#include "faults/registry.h"
#include "tests/agent/marker_mechanism.h"

FAULTLINE_REGISTER_MECHANISM(faultline::testing::kMarkerKind, -1000, faultline::testing::MarkerMechanism);

int main(int argc, char** argv) { return faultline::agent::run_agent(argc, argv); }
