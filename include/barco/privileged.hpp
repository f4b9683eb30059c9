// --privileged, as ONE pure function: docker's transformation of a default container, so a
// lab can diff the two configs field by field.
#pragma once

#include <barco/config.hpp>

#include <vector>

namespace barco {

// What the transformation needs to know about the machine.
struct PrivilegedHost {
  CapMask caller_bounding = 0;       // "all capabilities" = all that barco itself may hold
  std::vector<Device> host_devices;  // every char/block device node under the host's /dev
};

// All capabilities barco holds in every set but ambient; seccomp unconfined unless a profile
// was given explicitly; no masked or read-only paths; /sys writable; every host device in
// /dev. Namespaces are untouched: --network host and --pid host stay separate choices.
[[nodiscard]] ContainerConfig make_privileged(ContainerConfig config, const PrivilegedHost& host);

}  // namespace barco
