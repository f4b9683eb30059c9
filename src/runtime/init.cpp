#include "runtime/init.hpp"

#include "runtime/signals.hpp"
#include "sys/sealed_exe.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

// The static barco-init program, linked in by the generated init_blob.S.
extern "C" const unsigned char barco_init_blob[];
extern "C" const unsigned char barco_init_blob_end[];

namespace barco {
namespace {

[[noreturn]] void fail(const SyncChannel& channel, pid_t command, const Error& e) {
  Error named = e;
  named.step = "start_init";
  (void)channel.send(Message::from_error(named));
  if (command > 0) {
    ::kill(command, SIGKILL);
  }
  ::_exit(125);
}

}  // namespace

void start_init(const SyncChannel& channel) {
  // Blocked from here on: the signals the parent forwards stay queued for barco-init.
  const SignalBlock block(supervised_signals());
  const pid_t command = ::fork();
  if (command == 0) {
    return;  // the command; it resets the mask before execve
  }
  if (command < 0) {
    fail(channel, command, errno_error("fork()"));
  }
  auto init = sealed_memfd("barco-init", barco_init_blob, static_cast<size_t>(barco_init_blob_end - barco_init_blob));
  if (!init) {
    fail(channel, command, init.error());
  }
  const std::string pid = std::to_string(command);
  const char* argv[] = {"barco-init", pid.c_str(), nullptr};
  const char* envp[] = {nullptr};
  // The sync socket is close-on-exec: the parent sees EOF once the command has exec'd too.
  ::syscall(SYS_execveat, init->get(), "", argv, envp, AT_EMPTY_PATH);
  fail(channel, command, errno_error("execveat(memfd:barco-init, AT_EMPTY_PATH)"));
}

}  // namespace barco
