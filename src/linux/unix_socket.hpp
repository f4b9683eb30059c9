// Handing an fd to another program over a unix socket (SCM_RIGHTS): the pty master to a
// --console-socket caller, the SCMP_ACT_NOTIFY listener to a seccomp agent.
#pragma once

#include <barco/result.hpp>

#include <string>

namespace barco {

// Connects to the SOCK_STREAM socket at `path` and sends `payload` with `fd` in one message.
// A failed connect is reported as such (Error::call starts with "connect("), so callers
// can say who was not listening.
Result<void> send_fd_to_socket(const std::string& path, const std::string& payload, int fd);

}  // namespace barco
