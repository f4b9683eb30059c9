// Programs barco carries inside itself (BuiltinProgram): each is a small static program
// linked into barco by a generated .S file and executed from a sealed memfd, so it needs
// nothing from the rootfs and the host's barco binary never becomes a container process.
#pragma once

#include "sys/exec.hpp"

#include <barco/config.hpp>
#include <barco/result.hpp>

namespace barco {

// Only returns on failure.
Error execute_builtin(BuiltinProgram program, const ExecArgs& args);

}  // namespace barco
