// RealSys: the calls of the parent's host-side work (cgroups, overlay directories, the exec
// FIFO, the log, the record's files, the cgroup v2 device filter).
#include "sys/checked.hpp"
#include "sys/sys.hpp"

#include <barco/files.hpp>

#include <fcntl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>

namespace barco {
namespace {

std::string octal(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0%o", static_cast<unsigned>(mode));
  return buf;
}

long bpf(int cmd, bpf_attr& attr) {
  return ::syscall(SYS_bpf, cmd, &attr, sizeof attr);
}

int load_device_program(const std::vector<bpf_insn>& program, std::vector<char>* log) {
  bpf_attr load{};
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uint64_t>(program.data());
  load.insn_cnt = static_cast<uint32_t>(program.size());
  static const char kLicense[] = "Apache-2.0";
  load.license = reinterpret_cast<uint64_t>(kLicense);
  if (log != nullptr) {
    load.log_buf = reinterpret_cast<uint64_t>(log->data());
    load.log_size = static_cast<uint32_t>(log->size());
    load.log_level = 1;
  }
  return static_cast<int>(bpf(BPF_PROG_LOAD, load));
}

}  // namespace

Result<void> RealSys::mkdir(const std::string& path, mode_t mode) {
  return check(::mkdir(path.c_str(), mode), "mkdir(" + quoted(path) + ", " + octal(mode) + ")");
}

Result<void> RealSys::unlink(const std::string& path) {
  return check(::unlink(path.c_str()), "unlink(" + quoted(path) + ")");
}

Result<void> RealSys::rename(const std::string& from, const std::string& to) {
  return check(::rename(from.c_str(), to.c_str()), "rename(" + quoted(from) + " -> " + quoted(to) + ")");
}

Result<std::pair<UniqueFd, UniqueFd>> RealSys::make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) {
    return errno_error("pipe2(O_CLOEXEC)");
  }
  return std::pair<UniqueFd, UniqueFd>{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Result<UniqueFd> RealSys::open_signalfd(const sigset_t& signals) {
  UniqueFd fd(::signalfd(-1, &signals, SFD_CLOEXEC));
  if (!fd.valid()) {
    return errno_error("signalfd(SFD_CLOEXEC)");
  }
  return fd;
}

std::vector<std::string> RealSys::subdirectories(const std::string& path) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
    if (entry.is_directory(ec) && !entry.is_symlink(ec)) {
      out.push_back(entry.path().filename().string());
    }
  }
  return out;
}

Result<void> RealSys::rmdir(const std::string& path) {
  return check(::rmdir(path.c_str()), "rmdir(" + quoted(path) + ")");
}

Result<void> RealSys::chown(const std::string& path, uid_t uid, gid_t gid) {
  return check(::chown(path.c_str(), uid, gid),
               "chown(" + quoted(path) + ", " + std::to_string(uid) + ", " + std::to_string(gid) + ")");
}

Result<void> RealSys::chmod(const std::string& path, mode_t mode) {
  return check(::chmod(path.c_str(), mode), "chmod(" + quoted(path) + ", " + octal(mode) + ")");
}

Result<void> RealSys::mkfifo(const std::string& path, mode_t mode) {
  return check(::mkfifo(path.c_str(), mode), "mkfifo(" + quoted(path) + ", " + octal(mode) + ")");
}

Result<std::string> RealSys::read_file(const std::string& path) {
  return barco::read_file(path);
}

Result<void> RealSys::create_file(const std::string& path, const std::string& content) {
  return barco::create_file(path, content);
}

Result<UniqueFd> RealSys::open_or_create(const std::string& path, int flags, mode_t mode) {
  const int fd = ::open(path.c_str(), flags | O_CREAT | O_CLOEXEC, mode);
  if (fd < 0) {
    return errno_error("open(" + quoted(path) + ", O_CREAT, " + octal(mode) + ")");
  }
  return UniqueFd(fd);
}

Result<void> RealSys::attach_device_filter(const std::string& cgroup_dir, const std::vector<bpf_insn>& program) {
  const UniqueFd prog(load_device_program(program, nullptr));
  if (!prog.valid()) {
    Error e = errno_error("bpf(BPF_PROG_LOAD, CGROUP_DEVICE, " + std::to_string(program.size()) + " insns)");
    // Only on failure: ask again with the verifier's log, for the hint.
    std::vector<char> log(1 << 16);
    if (load_device_program(program, &log) < 0) {
      e.hint = "the kernel's verifier said: " + std::string(log.data());
    }
    return e;
  }
  const UniqueFd dir(::open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) {
    return errno_error("open(" + quoted(cgroup_dir) + ")");
  }
  bpf_attr attach{};
  attach.target_fd = static_cast<uint32_t>(dir.get());
  attach.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  if (bpf(BPF_PROG_ATTACH, attach) < 0) {
    return errno_error("bpf(BPF_PROG_ATTACH, " + quoted(cgroup_dir) + ", BPF_CGROUP_DEVICE)");
  }
  return {};
}

}  // namespace barco
