// runc's checkpoint and restore, through CRIU: what barco checks before CRIU would run.
#pragma once

#include "sys/sys.hpp"

#include <barco/runtime.hpp>

#include <optional>

namespace barco {

enum class CriuVerb { checkpoint, restore };

// `existing`: the container under that id, if any. checkpoint needs it running, restore
// needs the id free; then `criu check` (the program `criu`) must pass.
Result<void> check_criu_can_run(Sys& sys, CriuVerb verb, const std::string& id,
                                const std::optional<ContainerView>& existing, const std::string& criu);

}  // namespace barco
