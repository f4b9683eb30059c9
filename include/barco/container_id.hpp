// Container ids: docker-compatible names, and random 12-hex ids when none is given.
#pragma once

#include <barco/result.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace barco {

// A new id from random bytes, which the caller draws (core makes no syscalls): 12 hex digits.
inline constexpr size_t kContainerIdBytes = 6;
[[nodiscard]] std::string container_id_from_bytes(const std::array<unsigned char, kContainerIdBytes>& bytes);

// [a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}, runc's rule: the id is a path component under the state
// root, so "..", "/" and an empty id can never name a directory outside it.
[[nodiscard]] bool is_valid_container_id(std::string_view id);
// Throws ConfigError for an invalid id (run/create's --name).
void validate_container_id(std::string_view id);
// Every command that turns an id into a path (ps, logs, stop, kill, rm, exec, state, start,
// delete): an Error naming the id, or nothing.
[[nodiscard]] std::optional<Error> container_id_error(std::string_view id);

}  // namespace barco
