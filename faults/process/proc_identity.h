// The process mechanisms name processes by ProcIdentity (common/proc_identity.h).
#pragma once

#include "common/proc_identity.h"

namespace faultline::faults {
using faultline::ProcIdentity;
}  // namespace faultline::faults
