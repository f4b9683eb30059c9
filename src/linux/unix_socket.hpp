// Handing an fd to another program over a unix socket (SCM_RIGHTS): the pty master to a
// --console-socket caller, the SCMP_ACT_NOTIFY listener to a seccomp agent.
#pragma once

#include <barco/result.hpp>

#include <string>
#include <string_view>

namespace barco {

// One sendmsg(2) of `payload` on `socket`, with `fd` attached (SCM_RIGHTS) when it is >= 0;
// retried on EINTR. `what` names the socket in the error.
Result<void> send_with_fd(int socket, std::string_view payload, int fd, const std::string& what);

// Connects to the SOCK_STREAM socket at `path` and sends `payload` with `fd` in one message.
// A failed connect is reported as such (Error::call starts with "connect("), so callers
// can say who was not listening.
Result<void> send_fd_to_socket(const std::string& path, const std::string& payload, int fd);

}  // namespace barco
