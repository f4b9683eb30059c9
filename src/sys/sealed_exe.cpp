#include "sys/sealed_exe.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

namespace {

constexpr const char* kSealedName = "barco-sealed";

bool running_sealed() {
  char target[64] = {};
  const ssize_t n = ::readlink("/proc/self/exe", target, sizeof target - 1);
  return n > 0 && std::string(target, static_cast<size_t>(n)).rfind(std::string("/memfd:") + kSealedName, 0) == 0;
}

}  // namespace

Result<void> reexec_sealed(char** argv) {
  if (running_sealed()) {
    return {};
  }
  const UniqueFd self(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!self.valid() || ::fstat(self.get(), &st) < 0) {
    return errno_error("open(\"/proc/self/exe\")");
  }
  const auto size = static_cast<size_t>(st.st_size);
  void* image = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, self.get(), 0);
  if (image == MAP_FAILED) {
    return errno_error("mmap(/proc/self/exe)");
  }
  auto fd = sealed_memfd(kSealedName, static_cast<const unsigned char*>(image), size);
  ::munmap(image, size);
  if (!fd) {
    return fd.error();
  }
  ::fexecve(fd->get(), argv, environ);
  return errno_error("fexecve(memfd:barco-sealed)");
}

}  // namespace barco
