// faultline-agent: the daemon on each target host (agent/PROTOCOL.md).
#include "agent/core/agent_main.h"

int main(int argc, char** argv) { return faultline::agent::run_agent(argc, argv); }
