// Networking of the container: with --network none a fresh namespace whose only interface,
// lo, is brought up; --network host shares the host's namespace and needs nothing here.
#pragma once

#include "sys/sys.hpp"

namespace barco {

Result<void> bring_up_loopback(Sys& sys);

}  // namespace barco
