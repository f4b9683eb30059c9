// The parent/child channel: one SOCK_SEQPACKET|SOCK_CLOEXEC socketpair carrying typed
// messages both ways. EOF on the parent's end after `ready` means execve succeeded,
// because the child's end is close-on-exec (nsjail's trick).
#pragma once

#include <barco/result.hpp>
#include <barco/unique_fd.hpp>

#include <optional>
#include <string>
#include <utility>

namespace barco {

enum class MessageType : unsigned char {
  maps_written = 1,  // parent -> child: uid/gid maps are in place
  log,               // child -> parent: {number = spdlog level, text}
  error,             // child -> parent: a failed step {number = errno, step, call, hint}
  pty_master,        // child -> parent: carries the pty master fd (SCM_RIGHTS)
  ready,             // child -> parent: every step done, execve is next
  timings,           // child -> parent: {text = "index=nanoseconds ..." per child step} (--timings)
  hook_point,        // child -> parent: before pivot_root; run the createRuntime hooks now
  hook_state,        // parent -> child: {text = the OCI state JSON} the hooks ran; go on
  seccomp_listener,  // child -> parent: carries the SCMP_ACT_NOTIFY listener fd (SCM_RIGHTS)
  network_ready,     // parent -> child: eth0 has its address and route (--network bridge)
};

struct Message {
  MessageType type = MessageType::log;
  int number = 0;
  std::string step;
  std::string text;  // the call, for errors; the line, for logs
  std::string hint;

  [[nodiscard]] static Message from_error(const Error& e) {
    return {MessageType::error, e.err, e.step, e.call, e.hint};
  }
  [[nodiscard]] Error to_error() const { return Error{number, step, text, hint}; }
};

class SyncChannel {
 public:
  SyncChannel() = default;
  explicit SyncChannel(UniqueFd fd) : fd_(std::move(fd)) {}

  // Both ends, close-on-exec.
  [[nodiscard]] static Result<std::pair<SyncChannel, SyncChannel>> make_pair();

  Result<void> send(const Message& m, int pass_fd = -1) const;
  // nullopt at EOF. A passed fd, if any, lands in *received_fd.
  Result<std::optional<Message>> receive(UniqueFd* received_fd = nullptr) const;

  [[nodiscard]] int fd() const { return fd_.get(); }
  void close() { fd_.reset(); }

 private:
  UniqueFd fd_;
};

}  // namespace barco
