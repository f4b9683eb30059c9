// The syscall seam. Every privileged operation of the container setup, the parent's (state
// directories, cgroups, id maps, the log, the FIFO) and the child's, goes through Sys, so
// that unit tests can record "which mounts, in which order, with which flags" and inject a
// failure at call N without root (youki's Syscall trait). RealSys is the only implementation
// that talks to the kernel; each of its methods turns -1/errno into an Error whose `call`
// names the syscall and its arguments.
#pragma once

#include <barco/result.hpp>
#include <barco/unique_fd.hpp>

#include <linux/bpf.h>
#include <linux/filter.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <csignal>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace barco {

class Sys {
 public:
  Sys() = default;
  Sys(const Sys&) = delete;
  Sys& operator=(const Sys&) = delete;
  virtual ~Sys() = default;

  // Filesystem
  virtual Result<void> mount(const std::string& source, const std::string& target, const std::string& fstype,
                             unsigned long flags, const std::string& data) = 0;
  virtual Result<void> umount2(const std::string& target, int flags) = 0;
  // mount_setattr(2): MOUNT_ATTR_* set and cleared on the mount at `path` (and, with
  // `recursive`, every mount below it); what is not named keeps its value.
  virtual Result<void> mount_setattr(const std::string& path, uint64_t set, uint64_t clear, bool recursive) = 0;
  virtual Result<void> pivot_root(const std::string& new_root, const std::string& put_old) = 0;
  virtual Result<void> chdir(const std::string& path) = 0;
  // Creates `path` (a directory, or an empty file when `file`) inside `root`, resolving every
  // component as if `root` were "/" (openat2 RESOLVE_IN_ROOT), so a symlink in an image can
  // never point a mount at the host. Returns the host path of the created node.
  virtual Result<std::string> make_path_in_root(const std::string& root, const std::string& path, bool file) = 0;
  // make_path_in_root, then mount(2) onto exactly the node it resolved: through an O_PATH fd
  // (/proc/self/fd/N) taken with openat2(RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS), so a
  // container racing on a shared volume cannot swap a component for a symlink between the
  // check and the mount (CVE-2021-30465). Returns the host path it mounted on.
  virtual Result<std::string> mount_in_root(const std::string& source, const std::string& root, const std::string& path,
                                            bool file, const std::string& fstype, unsigned long flags,
                                            const std::string& data) = 0;
  // open_tree(OPEN_TREE_CLONE [| AT_RECURSIVE]): a detached copy of the mount tree at `path`,
  // made with the caller's rights, that a process in another mount namespace can attach.
  virtual Result<UniqueFd> clone_mount_tree(const std::string& path, bool recursive) = 0;
  // move_mount of the detached `tree` onto `path` inside `root`, resolved as mount_in_root
  // does (the target made if missing, no symlink followed). Returns the host path.
  virtual Result<std::string> attach_mount_in_root(int tree, const std::string& root, const std::string& path,
                                                   bool file) = 0;
  virtual Result<void> mknod(const std::string& path, mode_t mode, dev_t dev) = 0;
  virtual Result<void> symlink(const std::string& target, const std::string& link) = 0;
  virtual Result<std::string> getcwd() = 0;
  virtual Result<bool> is_directory(const std::string& path) = 0;
  virtual mode_t umask(mode_t mask) = 0;  // cannot fail

  // Namespaces, identity, limits
  virtual Result<void> sethostname(const std::string& name) = 0;
  virtual Result<void> unshare(int flags) = 0;
  // setns(2); `what` names the fd in messages (a path, or "pidfd of N").
  virtual Result<void> setns(int fd, int nstype, const std::string& what) = 0;
  virtual Result<void> setgroups(const std::vector<gid_t>& groups) = 0;
  virtual Result<void> setresgid(gid_t gid) = 0;
  virtual Result<void> setresuid(uid_t uid) = 0;
  virtual Result<void> setrlimit(int resource, uint64_t soft, uint64_t hard) = 0;
  virtual Result<void> setsid() = 0;
  virtual Result<void> set_interface_up(const std::string& name) = 0;

  virtual Result<void> write_file(const std::string& path, const std::string& content) = 0;  // one write(2)
  // A file of the current root's procfs (`relative` like "sys/kernel/shm_max"): /proc is
  // checked to be procfs, and the walk below it crosses no symlink and no mount, so a bind
  // mount or a link planted over the file cannot redirect the write (CVE-2025-52881).
  virtual Result<void> write_proc_file(const std::string& relative, const std::string& content) = 0;
  virtual Result<struct stat> stat(const std::string& path) = 0;  // follows symlinks
  virtual Result<struct stat> fstat(int fd) = 0;

  // Privileges. Capability masks are bit N = capability N.
  virtual Result<void> drop_bounding_cap(int cap) = 0;  // PR_CAPBSET_DROP
  virtual Result<void> set_keep_caps() = 0;             // PR_SET_KEEPCAPS: caps survive setresuid
  virtual Result<void> set_capabilities(uint64_t effective, uint64_t permitted, uint64_t inheritable) = 0;
  virtual Result<void> raise_ambient_cap(int cap) = 0;
  virtual Result<void> set_no_new_privs() = 0;
  virtual Result<void> load_seccomp(const std::vector<sock_filter>& program) = 0;
  // SECCOMP_FILTER_FLAG_NEW_LISTENER: the fd on which SCMP_ACT_NOTIFY calls arrive.
  virtual Result<UniqueFd> load_seccomp_listener(const std::vector<sock_filter>& program) = 0;

  // Descriptors and terminals
  // PR_SET_DUMPABLE 0: no process of the container may ptrace this one or open its /proc
  // files (CVE-2016-9962); the next execve makes the command dumpable again.
  virtual Result<void> make_non_dumpable() = 0;
  // close_range over every fd >= 3 except those in `keep`.
  virtual Result<void> close_fds_except(const std::vector<int>& keep) = 0;
  virtual Result<UniqueFd> open_file(const std::string& path, int flags) = 0;  // O_CLOEXEC is added
  // A device node of the current root, opened with openat2(RESOLVE_IN_ROOT |
  // RESOLVE_NO_MAGICLINKS) and O_NONBLOCK|O_NOCTTY (a FIFO or a tty planted in its place
  // neither blocks nor becomes the controlling terminal), then checked to be the character
  // device `dev`: a container cannot redirect the open to a host file or fd. O_NONBLOCK is
  // cleared again when `flags` lacks it. O_CLOEXEC is added.
  virtual Result<UniqueFd> open_device(const std::string& path, dev_t dev, int flags) = 0;
  virtual Result<UniqueFd> open_pty_slave(int master) = 0;                            // unlockpt + open of its peer
  virtual Result<void> make_controlling_tty(int fd) = 0;                              // TIOCSCTTY
  virtual Result<void> set_window_size(int fd, unsigned rows, unsigned columns) = 0;  // TIOCSWINSZ
  // fchown(fd, uid, -1): the pty slave becomes the command's user's, its group (tty) kept.
  virtual Result<void> chown_fd_owner(int fd, uid_t uid) = 0;
  virtual Result<void> dup2(int from, int to) = 0;

  // The parent's host-side work: cgroup directories and files, the overlay's directories,
  // the exec FIFO, the log, the record's files.
  virtual Result<void> mkdir(const std::string& path, mode_t mode) = 0;  // EEXIST is an error
  virtual Result<void> rmdir(const std::string& path) = 0;
  virtual Result<void> rename(const std::string& from, const std::string& to) = 0;
  // pipe2(O_CLOEXEC): {read end, write end}
  virtual Result<std::pair<UniqueFd, UniqueFd>> make_pipe() = 0;
  virtual Result<UniqueFd> open_signalfd(const sigset_t& signals) = 0;  // SFD_CLOEXEC
  // The names of the directories in `path` (a cgroup's sub cgroups); empty when unreadable.
  virtual std::vector<std::string> subdirectories(const std::string& path) = 0;
  virtual Result<void> chown(const std::string& path, uid_t uid, gid_t gid) = 0;
  virtual Result<void> chmod(const std::string& path, mode_t mode) = 0;
  virtual Result<void> mkfifo(const std::string& path, mode_t mode) = 0;
  virtual Result<std::string> read_file(const std::string& path) = 0;
  // O_CREAT|O_EXCL, 0600: a file written once, into a directory nobody else writes.
  virtual Result<void> create_file(const std::string& path, const std::string& content) = 0;
  // open(2) with O_CREAT and `mode`; O_CLOEXEC is added.
  virtual Result<UniqueFd> open_or_create(const std::string& path, int flags, mode_t mode) = 0;
  // Loads a BPF_PROG_TYPE_CGROUP_DEVICE program and attaches it to the cgroup v2 directory;
  // it stays attached (and dies with the cgroup) after the fds are closed.
  virtual Result<void> attach_device_filter(const std::string& cgroup_dir, const std::vector<bpf_insn>& program) = 0;

  // The bridge network, over rtnetlink (libnl-route-3), in the caller's network namespace.
  // The bridge `name` with `address`/`prefix`, up; true when this call created it, false
  // when it was there (two barcos racing to create it both succeed).
  virtual Result<bool> ensure_bridge(const std::string& name, uint32_t address, int prefix) = 0;
  // A veth pair: `host_end` on `bridge`, up; its peer born as `peer` inside the network
  // namespace `netns_fd` (so no host interface ever carries the container's name).
  virtual Result<void> create_veth(const std::string& host_end, const std::string& bridge, int netns_fd,
                                   const std::string& peer) = 0;
  // Inside the namespace `netns_fd`: `name` gets `address`/`prefix` and comes up, and the
  // default route goes through `gateway`.
  virtual Result<void> configure_interface(int netns_fd, const std::string& name, uint32_t address, int prefix,
                                           uint32_t gateway) = 0;
  virtual Result<void> delete_link(const std::string& name) = 0;  // ENODEV: already gone, not an error
  // bind(2) of a socket of `protocol` on host_ip:port (every address when empty), closed
  // again: EADDRINUSE when a program holds that port.
  virtual Result<void> probe_port(const std::string& host_ip, uint16_t port, const std::string& protocol) = 0;
  virtual Result<void> unlink(const std::string& path) = 0;
  // `nft -f -` with `script` on its stdin; `nft` missing or refusing is an error with its text.
  virtual Result<void> run_nft(const std::string& script) = 0;
  // `nft -a list chain ip barco CHAIN`: the rules with their handles.
  virtual Result<std::string> list_nft_chain(const std::string& chain) = 0;
  // `criu check`: CRIU's own test of whether this kernel lets it checkpoint; its output is
  // the error's text.
  virtual Result<void> check_criu(const std::string& criu) = 0;
  // `criu dump|restore ...` with barco's own stdin, stdout and stderr (restore hands them
  // to the restored process); it logs into its --log-file.
  virtual Result<void> run_criu(const std::vector<std::string>& argv) = 0;
};

// The kernel.
class RealSys final : public Sys {
 public:
  Result<void> mount(const std::string& source, const std::string& target, const std::string& fstype,
                     unsigned long flags, const std::string& data) override;
  Result<void> umount2(const std::string& target, int flags) override;
  Result<void> mount_setattr(const std::string& path, uint64_t set, uint64_t clear, bool recursive) override;
  Result<void> pivot_root(const std::string& new_root, const std::string& put_old) override;
  Result<void> chdir(const std::string& path) override;
  Result<std::string> make_path_in_root(const std::string& root, const std::string& path, bool file) override;
  Result<std::string> mount_in_root(const std::string& source, const std::string& root, const std::string& path,
                                    bool file, const std::string& fstype, unsigned long flags,
                                    const std::string& data) override;
  Result<UniqueFd> clone_mount_tree(const std::string& path, bool recursive) override;
  Result<std::string> attach_mount_in_root(int tree, const std::string& root, const std::string& path,
                                           bool file) override;
  Result<void> mknod(const std::string& path, mode_t mode, dev_t dev) override;
  Result<void> symlink(const std::string& target, const std::string& link) override;
  Result<std::string> getcwd() override;
  Result<bool> is_directory(const std::string& path) override;
  mode_t umask(mode_t mask) override;
  Result<void> sethostname(const std::string& name) override;
  Result<void> unshare(int flags) override;
  Result<void> setns(int fd, int nstype, const std::string& what) override;
  Result<void> setgroups(const std::vector<gid_t>& groups) override;
  Result<void> setresgid(gid_t gid) override;
  Result<void> setresuid(uid_t uid) override;
  Result<void> setrlimit(int resource, uint64_t soft, uint64_t hard) override;
  Result<void> setsid() override;
  Result<void> set_interface_up(const std::string& name) override;
  Result<void> write_file(const std::string& path, const std::string& content) override;
  Result<void> write_proc_file(const std::string& relative, const std::string& content) override;
  Result<struct stat> stat(const std::string& path) override;
  Result<struct stat> fstat(int fd) override;
  Result<void> drop_bounding_cap(int cap) override;
  Result<void> set_keep_caps() override;
  Result<void> set_capabilities(uint64_t effective, uint64_t permitted, uint64_t inheritable) override;
  Result<void> raise_ambient_cap(int cap) override;
  Result<void> set_no_new_privs() override;
  Result<void> load_seccomp(const std::vector<sock_filter>& program) override;
  Result<UniqueFd> load_seccomp_listener(const std::vector<sock_filter>& program) override;
  Result<void> make_non_dumpable() override;
  Result<void> close_fds_except(const std::vector<int>& keep) override;
  Result<UniqueFd> open_file(const std::string& path, int flags) override;
  Result<UniqueFd> open_device(const std::string& path, dev_t dev, int flags) override;
  Result<UniqueFd> open_pty_slave(int master) override;
  Result<void> make_controlling_tty(int fd) override;
  Result<void> set_window_size(int fd, unsigned rows, unsigned columns) override;
  Result<void> chown_fd_owner(int fd, uid_t uid) override;
  Result<void> dup2(int from, int to) override;
  Result<void> mkdir(const std::string& path, mode_t mode) override;
  Result<void> rmdir(const std::string& path) override;
  Result<void> rename(const std::string& from, const std::string& to) override;
  Result<std::pair<UniqueFd, UniqueFd>> make_pipe() override;
  Result<UniqueFd> open_signalfd(const sigset_t& signals) override;
  std::vector<std::string> subdirectories(const std::string& path) override;
  Result<void> chown(const std::string& path, uid_t uid, gid_t gid) override;
  Result<void> chmod(const std::string& path, mode_t mode) override;
  Result<void> mkfifo(const std::string& path, mode_t mode) override;
  Result<std::string> read_file(const std::string& path) override;
  Result<void> create_file(const std::string& path, const std::string& content) override;
  Result<UniqueFd> open_or_create(const std::string& path, int flags, mode_t mode) override;
  Result<void> attach_device_filter(const std::string& cgroup_dir, const std::vector<bpf_insn>& program) override;
  Result<bool> ensure_bridge(const std::string& name, uint32_t address, int prefix) override;
  Result<void> create_veth(const std::string& host_end, const std::string& bridge, int netns_fd,
                           const std::string& peer) override;
  Result<void> configure_interface(int netns_fd, const std::string& name, uint32_t address, int prefix,
                                   uint32_t gateway) override;
  Result<void> delete_link(const std::string& name) override;
  Result<void> probe_port(const std::string& host_ip, uint16_t port, const std::string& protocol) override;
  Result<void> unlink(const std::string& path) override;
  Result<void> run_nft(const std::string& script) override;
  Result<std::string> list_nft_chain(const std::string& chain) override;
  Result<void> check_criu(const std::string& criu) override;
  Result<void> run_criu(const std::vector<std::string>& argv) override;
};

}  // namespace barco
