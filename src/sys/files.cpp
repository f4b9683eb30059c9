#include <barco/files.hpp>
#include <barco/unique_fd.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <linux/openat2.h>

namespace barco {
namespace {

Result<std::string> read_all(int fd, const std::string& path, size_t limit = SIZE_MAX) {
  std::string out;
  std::array<char, 8192> buf{};
  for (;;) {
    if (out.size() > limit) {
      return Error{EFBIG, {}, "read(\"" + path + "\")", "grew past " + std::to_string(limit >> 20) + " MiB while read"};
    }
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
    // O_EXCL|O_NOFOLLOW: a link planted under the temporary name (a --pid-file in a
    // directory others can write) is never followed; a leftover of a crashed barco with the
    // same pid is unlinked (unlink does not follow links) and the create tried once more.
    constexpr int kCreate = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    UniqueFd fd(::open(tmp.c_str(), kCreate, 0600));
    if (!fd.valid() && errno == EEXIST && ::unlink(tmp.c_str()) == 0) {
      fd.reset(::open(tmp.c_str(), kCreate, 0600));
    }
    if (!fd.valid()) {
      return errno_error("open(\"" + tmp + "\", O_CREAT|O_EXCL|O_NOFOLLOW)");
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
  // O_NONBLOCK and O_NOCTTY: a FIFO or a tty planted in the image neither blocks barco nor
  // becomes its controlling terminal; only a regular file of bounded size is read.
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const UniqueFd fd(static_cast<int>(::syscall(SYS_openat2, root_fd.get(), path.c_str(), &how, sizeof how)));
  if (!fd.valid()) {
    return errno_error("openat2(\"" + root + "\", \"" + path + "\", RESOLVE_IN_ROOT)");
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) {
    return errno_error("fstat(\"" + root + path + "\")");
  }
  if (!S_ISREG(st.st_mode)) {
    return Error{EINVAL,
                 {},
                 "fstat(\"" + root + path + "\")",
                 "the image's " + path + " is not a regular file: barco reads nothing else from an image"};
  }
  if (st.st_size > static_cast<off_t>(kMaxImageFileBytes)) {
    return Error{EFBIG,
                 {},
                 "fstat(\"" + root + path + "\")",
                 "the image's " + path + " is larger than " + std::to_string(kMaxImageFileBytes >> 20) + " MiB"};
  }
  auto text = read_all(fd.get(), root + path, kMaxImageFileBytes);
  if (!text) {
    return text.error();
  }
  return text;
}

std::optional<std::string> read_image_file(const std::string& root, const std::string& path) {
  auto r = read_file_in_root(root, path);
  if (!r && r.error().err != ENOENT) {
    throw ConfigError(r.error());  // a FIFO, a device, a huge file: refused, not read
  }
  return r ? std::optional<std::string>(std::move(r.value())) : std::nullopt;
}

}  // namespace barco
