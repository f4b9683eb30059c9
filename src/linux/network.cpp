#include "linux/network.hpp"

namespace barco {

Result<void> bring_up_loopback(Sys& sys) {
  return sys.set_interface_up("lo");
}

}  // namespace barco
