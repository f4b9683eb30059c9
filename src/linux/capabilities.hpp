// Capabilities of the container process. The bounding set is cut first (it needs
// CAP_SETPCAP, still held), PR_SET_KEEPCAPS lets the permitted set survive the switch to a
// non-root uid, and the final effective/permitted/inheritable sets (and ambient, for a
// non-root user given added caps) are set after it.
#pragma once

#include "sys/sys.hpp"

#include <barco/capabilities.hpp>

namespace barco {

// Drops every capability up to the kernel's cap_last_cap that `keep` lacks.
Result<void> drop_bounding_caps(Sys& sys, CapMask keep, int last_cap);
Result<void> set_capabilities(Sys& sys, const Capabilities& caps);
Result<void> set_no_new_privs(Sys& sys);

}  // namespace barco
