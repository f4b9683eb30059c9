#include "sys/files.hpp"

#include "sys/unique_fd.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <linux/openat2.h>

namespace barco {
namespace {

Result<std::string> read_all(int fd, const std::string& path) {
  std::string out;
  std::array<char, 8192> buf{};
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return errno_error("read(\"" + path + "\")");
    }
    if (n == 0) {
      return out;
    }
    out.append(buf.data(), static_cast<size_t>(n));
  }
}

}  // namespace

Result<std::string> read_file(const std::string& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return errno_error("open(\"" + path + "\")");
  }
  return read_all(fd.get(), path);
}

Result<void> write_file(const std::string& path, const std::string& content) {
  const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return errno_error("open(\"" + path + "\", O_WRONLY)");
  }
  if (::write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
    return errno_error("write(\"" + path + "\")");
  }
  return {};
}

Result<void> create_file(const std::string& path, const std::string& content) {
  const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    return errno_error("open(\"" + path + "\", O_CREAT|O_EXCL)");
  }
  if (::write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
    return errno_error("write(\"" + path + "\")");
  }
  return {};
}

Result<void> write_file_atomic(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  {
    const UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd.valid()) {
      return errno_error("open(\"" + tmp + "\", O_CREAT)");
    }
    if (::write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
      const auto e = errno_error("write(\"" + tmp + "\")");
      ::unlink(tmp.c_str());
      return e;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) < 0) {
    const auto e = errno_error("rename(\"" + tmp + "\" -> \"" + path + "\")");
    ::unlink(tmp.c_str());
    return e;
  }
  return {};
}

Result<std::string> read_file_in_root(const std::string& root, const std::string& path) {
  const UniqueFd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd.valid()) {
    return errno_error("open(\"" + root + "\", O_PATH|O_DIRECTORY)");
  }
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const UniqueFd fd(static_cast<int>(::syscall(SYS_openat2, root_fd.get(), path.c_str(), &how, sizeof how)));
  if (!fd.valid()) {
    return errno_error("openat2(\"" + root + "\", \"" + path + "\", RESOLVE_IN_ROOT)");
  }
  return read_all(fd.get(), root + path);
}

}  // namespace barco
