#include "linux/capabilities.hpp"

namespace barco {

Result<void> drop_bounding_caps(Sys& sys, CapMask keep, int last_cap) {
  for (int cap = 0; cap <= last_cap; ++cap) {
    if ((keep & cap_bit(cap)) == 0) {
      if (auto r = sys.drop_bounding_cap(cap); !r) {
        return r;
      }
    }
  }
  return {};
}

Result<void> set_capabilities(Sys& sys, const Capabilities& caps) {
  if (auto r = sys.set_capabilities(caps.effective, caps.permitted, caps.inheritable); !r) {
    return r;
  }
  for (int cap = 0; cap < 64; ++cap) {
    if ((caps.ambient & cap_bit(cap)) != 0) {
      if (auto r = sys.raise_ambient_cap(cap); !r) {
        return r;
      }
    }
  }
  return {};
}

Result<void> set_no_new_privs(Sys& sys) {
  return sys.set_no_new_privs();
}

}  // namespace barco
