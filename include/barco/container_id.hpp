// Container ids: docker-compatible names, and random 12-hex ids when none is given.
#pragma once

#include <string>
#include <string_view>

namespace barco {

[[nodiscard]] std::string random_container_id();

// [a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}; throws ConfigError otherwise (the id is a path component).
void validate_container_id(std::string_view id);

}  // namespace barco
