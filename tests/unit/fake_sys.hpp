// FakeSys records every call through the seam as one line ("mount tmpfs -> /r/dev ...") and
// can fail call number N with a chosen errno, so the order of kernel operations and the
// unwinding on failure are tested without root.
#pragma once

#include "sys/sys.hpp"

#include <fcntl.h>
#include <sys/signalfd.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace barco::testing {

class FakeSys final : public Sys {
 public:
  std::vector<std::string> calls;
  int fail_at = -1;  // 0-based index of the call that fails
  int fail_errno = EPERM;
  int last_listener_fd = -1;             // the fd load_seccomp_listener returned (the child must close it)
  std::vector<std::string> directories;  // paths for which is_directory() says yes

  Result<void> mount(const std::string& source, const std::string& target, const std::string& fstype,
                     unsigned long flags, const std::string& data) override {
    return record("mount " + source + " -> " + target + " type=" + fstype + " flags=" + std::to_string(flags) +
                  (data.empty() ? "" : " data=" + data));
  }
  Result<void> mount_setattr(const std::string& path, uint64_t set, uint64_t clear, bool recursive) override {
    return record("mount_setattr " + path + " set=" + std::to_string(set) + " clear=" + std::to_string(clear) +
                  (recursive ? " recursive" : ""));
  }
  Result<void> umount2(const std::string& target, int flags) override {
    return record("umount2 " + target + " " + std::to_string(flags));
  }
  Result<void> pivot_root(const std::string& new_root, const std::string& put_old) override {
    return record("pivot_root " + new_root + " " + put_old);
  }
  Result<void> chdir(const std::string& path) override { return record("chdir " + path); }
  Result<std::string> make_path_in_root(const std::string& root, const std::string& path, bool file) override {
    if (auto r = record("make_path " + root + " " + path + (file ? " file" : " dir")); !r) {
      return r.error();
    }
    return root == "/" ? path : root + path;
  }
  Result<std::string> mount_in_root(const std::string& source, const std::string& root, const std::string& path,
                                    bool file, const std::string& fstype, unsigned long flags,
                                    const std::string& data) override {
    auto target = make_path_in_root(root, path, file);
    if (!target) {
      return target.error();
    }
    if (auto r = mount(source, *target, fstype, flags, data); !r) {
      return r.error();
    }
    return target;
  }
  Result<UniqueFd> clone_mount_tree(const std::string& path, bool recursive) override {
    if (auto r = record("open_tree " + path + (recursive ? " recursive" : "")); !r) {
      return r.error();
    }
    return UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  }
  Result<std::string> attach_mount_in_root(int tree, const std::string& root, const std::string& path,
                                           bool file) override {
    auto target = make_path_in_root(root, path, file);
    if (!target) {
      return target.error();
    }
    if (auto r = record("move_mount " + std::to_string(tree) + " -> " + *target); !r) {
      return r.error();
    }
    return target;
  }
  Result<void> mknod(const std::string& path, mode_t mode, dev_t dev) override {
    if (auto r = record("mknod " + path + " " + std::to_string(mode) + " " + std::to_string(dev)); !r) {
      return r;
    }
    if (std::find(mknod_refused.begin(), mknod_refused.end(), path) != mknod_refused.end()) {
      return Error{EPERM, {}, "mknod(" + path + ")", {}};
    }
    return {};
  }
  Result<void> symlink(const std::string& target, const std::string& link) override {
    return record("symlink " + target + " <- " + link);
  }
  Result<std::string> getcwd() override {
    if (auto r = record("getcwd"); !r) {
      return r.error();
    }
    return cwd;
  }
  Result<bool> is_directory(const std::string& path) override {
    if (auto r = record("is_directory " + path); !r) {
      return r.error();
    }
    for (const auto& d : directories) {
      if (d == path) {
        return true;
      }
    }
    return false;
  }
  mode_t umask(mode_t mask) override {
    calls.push_back("umask " + std::to_string(mask));
    return 022;
  }
  Result<void> sethostname(const std::string& name) override { return record("sethostname " + name); }
  Result<void> unshare(int flags) override { return record("unshare " + std::to_string(flags)); }
  Result<void> setns(int /*fd*/, int nstype, const std::string& what) override {
    return record("setns " + what + " " + std::to_string(nstype));
  }
  Result<void> setgroups(const std::vector<gid_t>& groups) override {
    std::string s = "setgroups";
    for (auto g : groups) s += " " + std::to_string(g);
    return record(s);
  }
  Result<void> setresgid(gid_t gid) override { return record("setresgid " + std::to_string(gid)); }
  Result<void> setresuid(uid_t uid) override { return record("setresuid " + std::to_string(uid)); }
  Result<void> setrlimit(int resource, uint64_t soft, uint64_t hard) override {
    return record("setrlimit " + std::to_string(resource) + " " + std::to_string(soft) + " " + std::to_string(hard));
  }
  Result<void> setsid() override { return record("setsid"); }
  Result<void> set_interface_up(const std::string& name) override { return record("ifup " + name); }
  Result<void> write_file(const std::string& path, const std::string& content) override {
    return record("write " + path + " " + content);
  }
  Result<void> write_proc_file(const std::string& relative, const std::string& content) override {
    return record("write_proc " + relative + " " + content);
  }
  Result<struct stat> stat(const std::string& path) override {
    if (auto r = record("stat " + path); !r) {
      return r.error();
    }
    for (const auto& m : missing) {
      if (m == path) {
        return Error{ENOENT, {}, "stat(" + path + ")", {}};
      }
    }
    struct stat st {};
    st.st_mode = path.find('.') == std::string::npos && path.rfind("/proc/sys", 0) == 0 ? S_IFDIR : S_IFREG;
    for (const auto& d : directories) {
      if (d == path) st.st_mode = S_IFDIR;
    }
    if (const auto node = host_devices.find(path); node != host_devices.end()) {
      st.st_mode = S_IFCHR | 0666;
      st.st_rdev = node->second;
    }
    return st;
  }
  Result<struct stat> fstat(int) override {
    if (auto r = record("fstat"); !r) {
      return r.error();
    }
    return null_device;
  }
  Result<void> drop_bounding_cap(int cap) override { return record("capbset_drop " + std::to_string(cap)); }
  Result<void> set_keep_caps() override { return record("keepcaps"); }
  Result<void> set_capabilities(uint64_t e, uint64_t p, uint64_t i) override {
    return record("capset " + std::to_string(e) + " " + std::to_string(p) + " " + std::to_string(i));
  }
  Result<void> raise_ambient_cap(int cap) override { return record("ambient " + std::to_string(cap)); }
  Result<void> set_no_new_privs() override { return record("no_new_privs"); }
  Result<void> load_seccomp(const std::vector<sock_filter>& program) override {
    return record("seccomp " + std::to_string(program.size()));
  }
  Result<UniqueFd> load_seccomp_listener(const std::vector<sock_filter>& program) override {
    if (auto r = record("seccomp_listener " + std::to_string(program.size())); !r) {
      return r.error();
    }
    UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    last_listener_fd = fd.get();
    return fd;
  }
  Result<void> make_non_dumpable() override { return record("non_dumpable"); }
  Result<void> close_fds_except(const std::vector<int>& keep) override {
    std::string s = "close_fds_except";
    for (const int fd : keep) {
      if (fd >= 0) s += " " + std::to_string(fd);
    }
    return record(s);
  }
  Result<UniqueFd> open_file(const std::string& path, int) override {
    if (auto r = record("open " + path); !r) {
      return r.error();
    }
    return UniqueFd();
  }
  // Checks the device like RealSys: /dev/null is `null_device`, anything else matches.
  Result<UniqueFd> open_device(const std::string& path, dev_t dev, int) override {
    if (auto r = record("open_device " + path + " " + std::to_string(major(dev)) + ":" + std::to_string(minor(dev)));
        !r) {
      return r.error();
    }
    if (path == "/dev/null" && (!S_ISCHR(null_device.st_mode) || null_device.st_rdev != dev)) {
      return Error{ENODEV, {}, "fstat(" + path + ") is not char 1:3", {}};
    }
    return UniqueFd();
  }
  Result<UniqueFd> open_pty_slave(int) override {
    if (auto r = record("open_pty_slave"); !r) {
      return r.error();
    }
    return UniqueFd();
  }
  Result<void> make_controlling_tty(int) override { return record("make_controlling_tty"); }
  Result<void> set_window_size(int, unsigned rows, unsigned columns) override {
    return record("winsize " + std::to_string(rows) + "x" + std::to_string(columns));
  }
  Result<void> chown_fd_owner(int, uid_t uid) override { return record("chown_fd_owner " + std::to_string(uid)); }
  Result<void> dup2(int from, int to) override {
    return record("dup2 " + std::to_string(from) + " " + std::to_string(to));
  }
  Result<void> mkdir(const std::string& path, mode_t mode) override {
    return record("mkdir " + path + " " + std::to_string(mode));
  }
  Result<void> rmdir(const std::string& path) override { return record("rmdir " + path); }
  Result<void> rename(const std::string& from, const std::string& to) override {
    return record("rename " + from + " -> " + to);
  }
  // Real pipes and signalfds: the steps keep them, and no root is needed.
  Result<std::pair<UniqueFd, UniqueFd>> make_pipe() override {
    if (auto r = record("pipe2"); !r) {
      return r.error();
    }
    int fds[2];
    (void)::pipe2(fds, O_CLOEXEC);
    return std::pair<UniqueFd, UniqueFd>{UniqueFd(fds[0]), UniqueFd(fds[1])};
  }
  Result<UniqueFd> open_signalfd(const sigset_t& signals) override {
    if (auto r = record("signalfd"); !r) {
      return r.error();
    }
    return UniqueFd(::signalfd(-1, &signals, SFD_CLOEXEC));
  }
  std::vector<std::string> subdirectories(const std::string&) override { return {}; }
  Result<void> chown(const std::string& path, uid_t uid, gid_t gid) override {
    return record("chown " + path + " " + std::to_string(uid) + ":" + std::to_string(gid));
  }
  Result<void> chmod(const std::string& path, mode_t mode) override {
    return record("chmod " + path + " " + std::to_string(mode));
  }
  Result<void> mkfifo(const std::string& path, mode_t mode) override {
    return record("mkfifo " + path + " " + std::to_string(mode));
  }
  // `files` answers reads; any other path reads as empty.
  Result<std::string> read_file(const std::string& path) override {
    if (auto r = record("read " + path); !r) {
      return r.error();
    }
    const auto it = files.find(path);
    return it == files.end() ? std::string() : it->second;
  }
  Result<void> create_file(const std::string& path, const std::string& /*content*/) override {
    return record("create " + path);
  }
  Result<UniqueFd> open_or_create(const std::string& path, int /*flags*/, mode_t mode) override {
    if (auto r = record("open_or_create " + path + " " + std::to_string(mode)); !r) {
      return r.error();
    }
    return UniqueFd();
  }
  Result<void> attach_device_filter(const std::string& dir, const std::vector<bpf_insn>& program) override {
    return record("attach_device_filter " + dir + " " + std::to_string(program.size()));
  }
  Result<bool> ensure_bridge(const std::string& name, uint32_t address, int prefix) override {
    if (auto r = record("ensure_bridge " + name + " " + std::to_string(address) + "/" + std::to_string(prefix)); !r) {
      return r.error();
    }
    return bridge_created;
  }
  Result<void> create_veth(const std::string& host_end, const std::string& bridge, int netns_fd,
                           const std::string& peer) override {
    return record("create_veth " + host_end + " master " + bridge + " peer " + peer + " netns_fd " +
                  std::to_string(netns_fd));
  }
  Result<void> configure_interface(int netns_fd, const std::string& name, uint32_t address, int prefix,
                                   uint32_t gateway) override {
    return record("configure_interface " + std::to_string(netns_fd) + " " + name + " " + std::to_string(address) + "/" +
                  std::to_string(prefix) + " via " + std::to_string(gateway));
  }
  Result<void> delete_link(const std::string& name) override { return record("delete_link " + name); }
  Result<void> probe_port(const std::string& host_ip, uint16_t port, const std::string& protocol) override {
    return record("probe_port " + host_ip + ":" + std::to_string(port) + "/" + protocol);
  }
  Result<void> unlink(const std::string& path) override { return record("unlink " + path); }
  Result<void> check_criu(const std::string& criu) override { return record("check_criu " + criu); }
  Result<void> run_criu(const std::vector<std::string>& argv) override { return record("run_criu " + argv.at(1)); }
  Result<void> run_nft(const std::string& script) override {
    nft_scripts.push_back(script);
    return record("run_nft");
  }
  Result<std::string> list_nft_chain(const std::string& chain) override {
    if (auto r = record("list_nft_chain " + chain); !r) {
      return r.error();
    }
    return nft_listing;
  }
  bool bridge_created = false;
  std::vector<std::string> nft_scripts;
  std::string nft_listing;

  std::string cwd = "/";
  std::map<std::string, std::string> files;  // read_file's answers
  std::vector<std::string> missing;          // paths stat() reports as ENOENT
  std::vector<std::string> mknod_refused;    // paths mknod() fails with EPERM (a devices cgroup)
  // Character devices stat() reports on the host.
  std::map<std::string, dev_t> host_devices = {
      {"/dev/null", makedev(1, 3)},   {"/dev/zero", makedev(1, 5)},    {"/dev/full", makedev(1, 7)},
      {"/dev/random", makedev(1, 8)}, {"/dev/urandom", makedev(1, 9)}, {"/dev/tty", makedev(5, 0)},
  };
  struct stat null_device = [] {
    struct stat st {};
    st.st_mode = S_IFCHR | 0666;
    st.st_rdev = makedev(1, 3);
    return st;
  }();

  // Index of the first call that starts with `prefix`, or -1.
  [[nodiscard]] int index_of(const std::string& prefix) const {
    for (size_t i = 0; i < calls.size(); ++i) {
      if (calls[i].rfind(prefix, 0) == 0) {
        return static_cast<int>(i);
      }
    }
    return -1;
  }

 private:
  Result<void> record(std::string call) {
    const bool fail = static_cast<int>(calls.size()) == fail_at;
    calls.push_back(std::move(call));
    if (fail) {
      return Error{fail_errno, {}, "injected(" + calls.back() + ")", {}};
    }
    return {};
  }
};

}  // namespace barco::testing
