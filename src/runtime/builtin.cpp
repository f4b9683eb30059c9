#include "runtime/builtin.hpp"

#include "sys/sealed_exe.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

// The static barco-audit program, linked in by the generated audit_blob.S.
extern "C" const unsigned char barco_audit_blob[];
extern "C" const unsigned char barco_audit_blob_end[];

namespace barco {

Error execute_builtin(BuiltinProgram program, const ExecArgs& args) {
  if (program != BuiltinProgram::audit) {
    return plain_error("execveat(builtin)", "no such builtin program");
  }
  auto fd = sealed_memfd("barco-audit", barco_audit_blob, static_cast<size_t>(barco_audit_blob_end - barco_audit_blob));
  if (!fd) {
    return fd.error();
  }
  ::syscall(SYS_execveat, fd->get(), "", args.argv(), args.envp(), AT_EMPTY_PATH);
  return errno_error("execveat(memfd:barco-audit, AT_EMPTY_PATH)");
}

}  // namespace barco
