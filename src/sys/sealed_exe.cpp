#include "sys/sealed_exe.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

namespace barco {

Result<UniqueFd> sealed_memfd(const char* name, const unsigned char* data, size_t size) {
  UniqueFd fd(::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd.valid()) {
    return errno_error(std::string("memfd_create(\"") + name + "\")");
  }
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd.get(), data + done, size - done);
    if (n <= 0) {
      return errno_error(std::string("write(memfd:") + name + ")");
    }
    done += static_cast<size_t>(n);
  }
  if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
    return errno_error(std::string("fcntl(memfd:") + name + ", F_ADD_SEALS)");
  }
  return fd;
}

}  // namespace barco
