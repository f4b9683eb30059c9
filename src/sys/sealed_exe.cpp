#include "sys/sealed_exe.hpp"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <linux/mount.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace barco {

namespace {
constexpr int kSealExec = 0x0020;  // F_SEAL_EXEC (Linux 6.3): the memfd's exec bits stay as they are
}  // namespace

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
  // F_SEAL_EXEC first (older kernels refuse it with EINVAL: then without it).
  (void)::fcntl(fd.get(), F_ADD_SEALS, kSealExec);
  if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
    return errno_error(std::string("fcntl(memfd:") + name + ", F_ADD_SEALS)");
  }
  return fd;
}

namespace {

constexpr const char* kSealedName = "barco-sealed";

// The running binary cannot be written through /proc/<pid>/exe: a memfd sealed against
// writes, or a file on a read-only mount (barco's own detached one, or a read-only /usr).
bool running_sealed() {
  const UniqueFd self(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!self.valid()) {
    return false;
  }
  const int seals = ::fcntl(self.get(), F_GET_SEALS);
  if (seals >= 0 && (seals & F_SEAL_WRITE) != 0) {
    return true;
  }
  struct statvfs fs {};
  return ::fstatvfs(self.get(), &fs) == 0 && (fs.f_flag & ST_RDONLY) != 0;
}

// open_tree(OPEN_TREE_CLONE) makes a bind mount of the binary alone that is attached nowhere
// (no other process can see it, and it goes away with the last fd), and mount_setattr makes
// it read-only: no copy, so this costs microseconds. A process that later holds the file
// through /proc/<pid>/exe gets EROFS on any open for writing, and nothing in a container
// can remount it.
Result<UniqueFd> read_only_view_of_self() {
  UniqueFd tree(
      static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
  if (!tree.valid()) {
    return errno_error("open_tree(\"/proc/self/exe\", OPEN_TREE_CLONE)");
  }
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) {
    return errno_error("mount_setattr(open_tree of /proc/self/exe, MOUNT_ATTR_RDONLY)");
  }
  return tree;
}

// Without the new mount API (or without CAP_SYS_ADMIN): a sealed copy of the loadable part
// of the ELF file (its program headers name it), not its debug sections.
Result<UniqueFd> sealed_copy_of_self() {
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
  const auto* bytes = static_cast<const unsigned char*>(image);
  auto fd = sealed_memfd(kSealedName, bytes, loadable_size(bytes, size));
  ::munmap(image, size);
  return fd;
}

}  // namespace

size_t loadable_size(const unsigned char* image, size_t size) {
  if (size < sizeof(ElfW(Ehdr)) || std::memcmp(image, ELFMAG, SELFMAG) != 0) {
    return size;
  }
  ElfW(Ehdr) header{};
  std::memcpy(&header, image, sizeof header);
  size_t end = header.e_phoff + size_t{header.e_phnum} * header.e_phentsize;
  if (header.e_phentsize != sizeof(ElfW(Phdr)) || end > size) {
    return size;
  }
  for (size_t i = 0; i < header.e_phnum; ++i) {
    ElfW(Phdr) ph{};
    std::memcpy(&ph, image + header.e_phoff + i * sizeof ph, sizeof ph);
    end = std::max<size_t>(end, ph.p_offset + ph.p_filesz);
  }
  return std::min(end, size);
}

Result<void> reexec_sealed(char** argv) {
  if (running_sealed()) {
    return {};
  }
  auto exe = read_only_view_of_self();
  if (!exe) {
    exe = sealed_copy_of_self();
  }
  if (!exe) {
    return exe.error();
  }
  ::syscall(SYS_execveat, exe->get(), "", argv, environ, AT_EMPTY_PATH);
  return errno_error("execveat(sealed barco)");
}

}  // namespace barco
