// Small file helpers for the parent side (state records, id maps, rootfs lookups).
#pragma once

#include <barco/result.hpp>

#include <cstddef>
#include <optional>
#include <string>

namespace barco {

Result<std::string> read_file(const std::string& path);
// One write(2) call: /proc/<pid>/uid_map accepts its content only that way.
Result<void> write_file(const std::string& path, const std::string& content);
// A new file (O_CREAT|O_EXCL, 0600) with `content`: files of a record not yet visible, and
// files written once.
Result<void> create_file(const std::string& path, const std::string& content);
// temp + rename in the same directory, so a reader sees the old or the new content, never half.
Result<void> write_file_atomic(const std::string& path, const std::string& content);
// Reads `path` of the rootfs with every component resolved inside it (a symlink in the image
// cannot make barco read a host file). Only a regular file of at most kMaxImageFileBytes is
// read, opened non-blocking: a FIFO, a device (/dev/zero) or a huge file in the image is an
// error, never a hang or an exhausted memory.
inline constexpr size_t kMaxImageFileBytes = size_t{4} << 20;
Result<std::string> read_file_in_root(const std::string& root, const std::string& path);

// A file of the image (/etc/passwd, /etc/group): nullopt when absent, ConfigError when it is
// a FIFO, a device or too large.
[[nodiscard]] std::optional<std::string> read_image_file(const std::string& root, const std::string& path);

}  // namespace barco
