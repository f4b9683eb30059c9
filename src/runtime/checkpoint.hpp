// runc's checkpoint and restore through the `criu` program: what barco checks before CRIU
// runs, and the command lines it gives CRIU (pure, so they are unit tested).
#pragma once

#include "sys/sys.hpp"

#include <barco/config.hpp>
#include <barco/runtime.hpp>

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace barco {

enum class CriuVerb { checkpoint, restore };

// `existing`: the container under that id, if any. checkpoint needs a running (or paused)
// OCI container, restore needs the id free; then `criu check` must pass.
Result<void> check_criu_can_run(Sys& sys, CriuVerb verb, const std::string& id,
                                const std::optional<ContainerView>& existing, const std::string& criu);

// A bind mount from the host: CRIU cannot know its source, so on dump it is named by its
// destination, and on restore that name is mapped to the source again.
struct ExternalMount {
  std::string destination;
  std::string source;
};
[[nodiscard]] std::vector<ExternalMount> external_mounts(const ContainerConfig& config);

// What fds 0-2 of the init were (/proc/PID/fd links: "pipe:[123]", "/dev/null", ...). A
// pipe is handed to the restored process from barco's own fd of that number, as runc does
// (conmon and containerd's shim give pipes).
using StdioLinks = std::array<std::string, 3>;

// A container with a terminal: its pty's master is outside, so the slave is external to
// CRIU, named "tty[rdev:dev]" (hex) on dump; restore hands a new pty's slave in its place.
struct ExternalTty {
  std::string key;  // empty: no terminal
  int slave_fd = -1;
  std::string slave_path;  // bound on the container's /dev/console, as the dumped one was
};

[[nodiscard]] std::string tty_key(dev_t rdev, dev_t dev);
[[nodiscard]] std::vector<std::string> criu_dump_args(const CheckpointOptions& options, pid_t pid,
                                                      const std::vector<ExternalMount>& mounts, const std::string& tty);
[[nodiscard]] std::vector<std::string> criu_restore_args(const RestoreOptions& options, const std::string& root_mount,
                                                         const std::string& pid_file,
                                                         const std::vector<ExternalMount>& mounts,
                                                         const StdioLinks& stdio, const ExternalTty& tty);

// The last lines of CRIU's log that say "Error": what the user reads when CRIU fails.
[[nodiscard]] std::string criu_errors(const std::string& log);

}  // namespace barco
