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
  // The command waits until PID 1 has become barco-init: until then PID 1 is still this
  // process, whose /proc/1/exe is the host's barco binary. The write end is close-on-exec,
  // so the command reads EOF exactly when PID 1's execveat succeeded (or PID 1 died).
  int gate[2];
  if (::pipe2(gate, O_CLOEXEC) < 0) {
    fail(channel, -1, errno_error("pipe2()"));
  }
  const pid_t command = ::fork();
  if (command == 0) {
    ::close(gate[1]);
    char byte = 0;
    while (::read(gate[0], &byte, 1) < 0 && errno == EINTR) {
    }
    ::close(gate[0]);
    return;  // the command; it resets the mask before execve
  }
  ::close(gate[0]);
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
