#include "harness.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

namespace barco::it {
namespace {

// Kernel threads live in the initial mount namespace, which is not ours when the suite runs
// in a namespace of its own (the VM's nested mode), and the kernel starts them at any time.
bool is_kernel_thread(const std::string& proc_dir) {
  constexpr unsigned long kPfKthread = 0x00200000;  // PF_KTHREAD, the stat file's flags field
  std::ifstream in(proc_dir + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto after_comm = stat.rfind(')');
  if (after_comm == std::string::npos) {
    return false;
  }
  std::istringstream fields(stat.substr(after_comm + 2));
  std::string state, ppid, pgrp, session, tty, tpgid;
  unsigned long flags = 0;
  fields >> state >> ppid >> pgrp >> session >> tty >> tpgid >> flags;
  return (flags & kPfKthread) != 0;
}

// The suite plays the host in a network namespace of its own, made before any test (and any
// thread) runs: barco's bridge, veths and nftables rules (the default network) are made
// there and die with the suite, never in the machine's own namespace. A second interface
// makes it look like a host's (the --network host tests compare against it), and it
// forwards, as a host running containers does (a net.* sysctl written from inside a network
// namespace is that namespace's own).
const bool kSuiteHasItsOwnNetwork = [] {
  if (::geteuid() != 0 || ::unshare(CLONE_NEWNET) != 0) {
    return false;
  }
  (void)!std::system("ip link set lo up && ip link add barco-suite0 type veth peer name barco-suite1 2>/dev/null");
  std::ofstream("/proc/sys/net/ipv4/ip_forward") << "1\n";
  return true;
}();

}  // namespace

bool suite_network_is_private() {
  return kSuiteHasItsOwnNetwork;
}

// The host end of a veth goes with the container's namespace, which the kernel tears down
// asynchronously (25-90 ms measured): one still there after a second is a leak.
std::vector<std::string> host_veths() {
  std::vector<std::string> out;
  if (auto* names = ::if_nameindex()) {
    for (auto* n = names; n->if_index != 0; ++n) {
      if (std::string(n->if_name).rfind("vb", 0) == 0) {
        out.push_back(std::string("veth ") + n->if_name);
      }
    }
    ::if_freenameindex(names);
  }
  return out;
}

std::vector<std::string> bridge_leftovers() {
  auto out = host_veths();
  for (int i = 0; i < 100 && !out.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    out = host_veths();
  }
  // The published ports' rules, when nft and barco's table exist.
  if (FILE* nft = ::popen("nft list chain ip barco ports 2>/dev/null", "r")) {
    char line[512];
    while (std::fgets(line, sizeof line, nft) != nullptr) {
      if (std::strstr(line, "dnat to") != nullptr) {
        out.push_back(std::string("nft rule ") + line);
      }
    }
    ::pclose(nft);
  }
  return out;
}

namespace {

std::string read_link(const std::string& path) {
  std::array<char, 256> buf{};
  const ssize_t n = ::readlink(path.c_str(), buf.data(), buf.size() - 1);
  return n < 0 ? std::string() : std::string(buf.data(), static_cast<size_t>(n));
}

void append_available(int fd, std::string& into, bool& open) {
  std::array<char, 4096> buf{};
  const ssize_t n = ::read(fd, buf.data(), buf.size());
  if (n > 0) {
    into.append(buf.data(), static_cast<size_t>(n));
  } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
    open = false;
  }
}

// In a forked child: execv(argv), or exit 99.
[[noreturn]] void exec_or_exit(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(99);
}

RunResult spawn(const std::vector<std::string>& argv, const RunOptions& options) {
  std::array<int, 2> out{};
  std::array<int, 2> err{};
  std::array<int, 2> in{-1, -1};
  if (options.open_stdin && ::pipe2(in.data(), O_CLOEXEC) < 0) {
    ADD_FAILURE() << "pipe2 failed";
    return {};
  }
  if (::pipe2(out.data(), O_CLOEXEC) < 0 || ::pipe2(err.data(), O_CLOEXEC) < 0) {
    ADD_FAILURE() << "pipe2 failed";
    return {};
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDONLY);
    ::dup2(options.open_stdin ? in[0] : null, 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    if (options.leak_fd_to_barco) {
      const int dir = ::open("/tmp", O_RDONLY | O_DIRECTORY);
      ::dup2(dir, 7);
    }
    exec_or_exit(argv);
  }
  ::close(out[1]);
  ::close(err[1]);
  if (options.open_stdin) {
    ::close(in[0]);
  }
  if (options.on_start) {
    options.on_start(pid);
  }
  RunResult r;
  bool out_open = true;
  bool err_open = true;
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  while (out_open || err_open) {
    std::array<pollfd, 2> fds{{{out_open ? out[0] : -1, POLLIN, 0}, {err_open ? err[0] : -1, POLLIN, 0}}};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ADD_FAILURE() << "barco timed out; killing it";
      ::kill(pid, SIGKILL);
      break;
    }
    ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    if (fds[0].revents != 0) append_available(out[0], r.out, out_open);
    if (fds[1].revents != 0) append_available(err[0], r.err, err_open);
  }
  ::close(out[0]);
  ::close(err[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (options.open_stdin) {
    ::close(in[1]);
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace

std::string barco_binary() {
  const char* env = std::getenv("BARCO_BINARY");
  return env != nullptr ? env : BARCO_BINARY;
}

std::string test_rootfs() {
  const char* env = std::getenv("BARCO_TEST_ROOTFS");
  return std::filesystem::canonical(env != nullptr ? env : BARCO_TEST_ROOTFS).string();
}

std::set<pid_t> foreign_mount_ns_pids() {
  const std::string own = read_link("/proc/self/ns/mnt");
  std::set<pid_t> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const auto name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    const auto ns = read_link(e.path().string() + "/ns/mnt");
    if (!ns.empty() && ns != own && !is_kernel_thread(e.path().string())) {
      out.insert(std::stoi(name));
    }
  }
  return out;
}

std::vector<std::string> barco_cgroup_parents() {
  std::vector<std::string> out;
  std::ifstream own("/proc/self/cgroup");
  for (std::string line; std::getline(own, line);) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    auto controllers = line.substr(first + 1, second - first - 1);
    const auto path = line.substr(second + 1);
    controllers = controllers.substr(0, controllers.find(','));
    if (controllers.rfind("name=", 0) == 0) controllers = controllers.substr(5);
    // cgroup v2 sits at /sys/fs/cgroup/unified on a hybrid host, at /sys/fs/cgroup on a pure one.
    const std::string mount = !controllers.empty() ? "/sys/fs/cgroup/" + controllers
                              : std::filesystem::exists("/sys/fs/cgroup/unified/cgroup.procs")
                                  ? "/sys/fs/cgroup/unified"
                                  : "/sys/fs/cgroup";
    if (std::filesystem::exists(mount + "/cgroup.procs")) {
      out.push_back(mount + (path == "/" ? "" : path) + "/barco");
    }
  }
  return out;
}

std::set<std::string> barco_cgroups() {
  std::set<std::string> out;
  for (const auto& parent : barco_cgroup_parents()) {
    // barco's own containers sit in <own cgroup>/barco, OCI ones without a cgroupsPath in
    // <own cgroup>/<id> (as runc's): both levels are compared before and after each test.
    const auto own = std::filesystem::path(parent).parent_path();
    for (const auto& dir : {std::filesystem::path(parent), own}) {
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        if (e.is_directory() && e.path() != parent) {
          out.insert(e.path().string());
        }
      }
    }
  }
  return out;
}

bool runs_from_unwritable_binary(pid_t pid) {
  const std::string exe = "/proc/" + std::to_string(pid) + "/exe";
  const int fd = ::open(exe.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  const int seals = ::fcntl(fd, F_GET_SEALS);
  struct statvfs vfs {};
  const bool read_only = ::fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY) != 0;
  ::close(fd);
  return read_only || (seals >= 0 && (seals & F_SEAL_WRITE) != 0);
}

std::vector<std::string> mounts_under(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, mount_point;
    fields >> id >> parent >> dev >> root >> mount_point;
    if (mount_point == path || mount_point.rfind(path + "/", 0) == 0) {
      out.push_back(mount_point);
    }
  }
  return out;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (!line.empty()) {
      out.push_back(line);
    }
  }
  return out;
}

void BarcoTest::SetUp() {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "integration tests need root";
  }
  if (!std::filesystem::exists(test_rootfs() + "/bin/busybox")) {
    GTEST_FAIL() << "no busybox rootfs at " << test_rootfs() << " (run make rootfs)";
  }
  state_root_ = scratch_dir();
  // Writable layers and logs of this test's containers: every barco it starts inherits it.
  data_root_ = scratch_dir();
  ::setenv("BARCO_DATA_ROOT", data_root_.c_str(), 1);
  foreign_before_ = foreign_mount_ns_pids();
  cgroups_before_ = barco_cgroups();
}

void BarcoTest::TearDown() {
  if (state_root_.empty()) {
    return;
  }
  // Leaks are asserted, not cleaned: a test that leaves something behind fails.
  for (const auto& e : std::filesystem::directory_iterator(state_root_)) {
    if (e.path().filename() != ".net") {
      EXPECT_EQ(e.path().filename(), ".cache") << "a state record was left: " << e.path();
    }
  }
  std::error_code ec;
  for (const char* dir : {"/.net/leases", "/.net/ports"}) {
    for (const auto& e : std::filesystem::directory_iterator(state_root_ + dir, ec)) {
      ADD_FAILURE() << "an address or port lease was left: " << e.path();
    }
  }
  for (const auto& name : bridge_leftovers()) {
    ADD_FAILURE() << "a container's network was left: " << name;
  }
  for (const auto& e : std::filesystem::directory_iterator(data_root_)) {
    ADD_FAILURE() << "a writable layer or log was left: " << e.path();
  }
  EXPECT_TRUE(mounts_under(test_rootfs()).empty()) << "a mount was left under the rootfs";
  for (const auto& dir : barco_cgroups()) {
    EXPECT_EQ(cgroups_before_.count(dir), 1U) << "a cgroup was left: " << dir;
  }
  std::set<pid_t> stray;
  for (int attempt = 0; attempt < 50; ++attempt) {
    stray.clear();
    for (const pid_t p : foreign_mount_ns_pids()) {
      if (foreign_before_.count(p) == 0) {
        stray.insert(p);
      }
    }
    if (stray.empty()) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(stray.empty()) << "a container process was left running (pid " << (stray.empty() ? 0 : *stray.begin())
                             << ")";
  for (const auto& d : scratch_) {
    std::filesystem::remove_all(d);
  }
}

std::string BarcoTest::scratch_dir() {
  char tmpl[] = "/tmp/barco-it-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    return "/tmp";
  }
  scratch_.emplace_back(tmpl);
  return tmpl;
}

RunResult BarcoTest::run(const std::vector<std::string>& args, const RunOptions& options) {
  std::vector<std::string> argv{barco_binary(), "--root", state_root_, "run", "--rootfs", test_rootfs()};
  // The suite's containers have no network unless a test names one: the bridge tests do,
  // and the VMs (no nft) run everything else the same.
  const bool network_named = std::any_of(args.begin(), args.end(), [](const std::string& a) {
    return a == "--network" || a == "--net" || a.rfind("--network=", 0) == 0;
  });
  if (!network_named) {
    argv.insert(argv.end(), {"--network", "none"});
  }
  argv.insert(argv.end(), args.begin(), args.end());
  return spawn(argv, options);
}

RunResult run_on_pty(const std::vector<std::string>& argv) {
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    exec_or_exit(argv);
  }
  RunResult r;
  for (;;) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 20000) <= 0) {
      break;
    }
    char buf[4096];
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) {
      break;  // EIO once the last holder of the slave is gone
    }
    r.out.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The host directory of a process's cgroup holding `file` (memory.max on v2,
// memory.limit_in_bytes in v1's memory hierarchy, ...): what a limit is read from on the host.
std::string host_cgroup_file(pid_t pid, const std::string& v1_controller, const std::string& v1_file,
                             const std::string& v2_file) {
  const bool pure_v2 = std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers");
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    const auto controllers = line.substr(first + 1, second - first - 1);
    const auto path = line.substr(second + 1);
    if (pure_v2 && line.rfind("0::", 0) == 0) {
      return (std::filesystem::path("/sys/fs/cgroup" + path) / v2_file).string();
    }
    if (!pure_v2 && ("," + controllers + ",").find("," + v1_controller + ",") != std::string::npos) {
      return (std::filesystem::path("/sys/fs/cgroup/" + controllers + path) / v1_file).string();
    }
  }
  return {};
}

void expect_privileged(const RunResult& r) {
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> out;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  ASSERT_EQ(out.size(), 4U) << r.out;
  const auto eff = std::stoull(out[0].substr(out[0].find('\t') + 1), nullptr, 16);
  EXPECT_NE(eff & (1ULL << 21), 0U) << "no CAP_SYS_ADMIN: " << out[0];
  EXPECT_EQ(out[1], "Seccomp:\t0");
  EXPECT_GT(std::stoi(out[2]), 20) << "the host's devices are not there";
  EXPECT_EQ(out[3], "1") << "/sys is not writable";
}

RunResult BarcoTest::command(const std::vector<std::string>& argv, const RunOptions& options) {
  return spawn(argv, options);
}

RunResult BarcoTest::barco(const std::vector<std::string>& args, const RunOptions& options) {
  std::vector<std::string> argv{barco_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return spawn(argv, options);
}

}  // namespace barco::it
