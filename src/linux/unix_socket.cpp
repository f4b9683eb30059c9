#include "linux/unix_socket.hpp"

#include <barco/unique_fd.hpp>

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

namespace barco {

Result<void> send_fd_to_socket(const std::string& path, const std::string& payload, int fd) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    return Error{ENAMETOOLONG, {}, "connect(\"" + path + "\")", "a unix socket path is at most 107 bytes"};
  }
  path.copy(addr.sun_path, path.size());
  const UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock.valid() || ::connect(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) {
    return errno_error("connect(\"" + path + "\")");
  }
  return send_with_fd(sock.get(), payload, fd, "\"" + path + "\"");
}

Result<void> send_with_fd(int socket, std::string_view payload, int fd, const std::string& what) {
  iovec iov{const_cast<char*>(payload.data()), payload.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  }
  ssize_t n = 0;
  do {
    n = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return errno_error("sendmsg(" + what + (fd >= 0 ? ", SCM_RIGHTS)" : ")"));
  }
  return {};
}

}  // namespace barco
