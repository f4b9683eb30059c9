#include "runtime/sync.hpp"

#include "linux/unix_socket.hpp"

#include <sys/socket.h>

#include <array>
#include <cstring>

namespace barco {
namespace {

constexpr size_t kMaxMessage = 16384;

std::string encode(const Message& m) {
  std::string out(1, static_cast<char>(m.type));
  out.append(reinterpret_cast<const char*>(&m.number), sizeof m.number);
  for (const auto* field : {&m.step, &m.text, &m.hint}) {
    out += field->substr(0, kMaxMessage / 4);
    out += '\0';
  }
  return out;
}

std::optional<Message> decode(const char* data, size_t size) {
  if (size < 1 + sizeof(int)) {
    return std::nullopt;
  }
  Message m;
  m.type = static_cast<MessageType>(data[0]);
  std::memcpy(&m.number, data + 1, sizeof m.number);
  size_t pos = 1 + sizeof(int);
  for (auto* field : {&m.step, &m.text, &m.hint}) {
    const void* nul = pos < size ? std::memchr(data + pos, '\0', size - pos) : nullptr;
    if (nul == nullptr) {
      return std::nullopt;
    }
    const size_t len = static_cast<const char*>(nul) - (data + pos);
    field->assign(data + pos, len);
    pos += len + 1;
  }
  return m;
}

}  // namespace

Result<std::pair<SyncChannel, SyncChannel>> SyncChannel::make_pair() {
  std::array<int, 2> fds{};
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds.data()) < 0) {
    return errno_error("socketpair(AF_UNIX, SOCK_SEQPACKET)");
  }
  return std::pair{SyncChannel(UniqueFd(fds[0])), SyncChannel(UniqueFd(fds[1]))};
}

Result<void> SyncChannel::send(const Message& m, int pass_fd) const {
  const std::string bytes = encode(m);
  return send_with_fd(fd_.get(), bytes, pass_fd, "sync socket");
}

Result<std::optional<Message>> SyncChannel::receive(UniqueFd* received_fd) const {
  std::array<char, kMaxMessage> buf{};
  iovec iov{buf.data(), buf.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control{};
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  ssize_t n = 0;
  do {
    n = ::recvmsg(fd_.get(), &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return errno_error("recvmsg(sync socket)");
  }
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
      UniqueFd owner(fd);
      if (received_fd != nullptr) {
        *received_fd = std::move(owner);
      }
    }
  }
  if (n == 0) {
    return std::optional<Message>{};
  }
  auto m = decode(buf.data(), static_cast<size_t>(n));
  if (!m) {
    return plain_error("recvmsg(sync socket)", "a malformed message came from the child");
  }
  return m;
}

}  // namespace barco
