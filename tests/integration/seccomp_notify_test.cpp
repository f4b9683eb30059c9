// SCMP_ACT_NOTIFY end to end: a seccomp agent (written here, as runc's tests bring one)
// gets the listener and the container's state, and answers the calls the profile notifies.
// The attacker's view: no process of the container may keep a copy of the listener (the
// monitor, which outlives the start, closes its copy; the child's is closed and close-on-exec), or a
// notified call would wait forever once the agent is gone instead of failing with ENOSYS.
#include "harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>

namespace barco::it {
namespace {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

bool is_mkdir(int nr) {
#ifdef SYS_mkdir
  if (nr == SYS_mkdir) {
    return true;
  }
#endif
  return nr == SYS_mkdirat;
}

// Accepts listeners on a unix socket and records the ContainerProcessState each came with.
// `answer`: mkdir fails with ENOMEDIUM, every other notified call goes on (runc's agent
// does the same); otherwise each listener is closed as soon as it arrives.
class SeccompAgent {
 public:
  SeccompAgent(const std::string& path, bool answer) : answer_(answer) {
    EXPECT_EQ(::pipe2(stop_.data(), O_CLOEXEC), 0);
    sock_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof addr.sun_path - 1);
    EXPECT_EQ(::bind(sock_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
    EXPECT_EQ(::listen(sock_, 8), 0);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  SeccompAgent(const SeccompAgent&) = delete;
  SeccompAgent& operator=(const SeccompAgent&) = delete;
  ~SeccompAgent() {
    (void)::write(stop_[1], "x", 1);
    acceptor_.join();
    for (auto& t : servers_) {
      t.join();
    }
    ::close(sock_);
    ::close(stop_[0]);
    ::close(stop_[1]);
  }

  std::vector<nlohmann::json> messages() {
    const std::lock_guard lock(mu_);
    return messages_;
  }

 private:
  bool stopped(int fd) {
    std::array<pollfd, 2> p{{{fd, POLLIN, 0}, {stop_[0], POLLIN, 0}}};
    while (::poll(p.data(), p.size(), -1) < 0 && errno == EINTR) {
    }
    return p[1].revents != 0 || (p[0].revents & (POLLHUP | POLLERR)) != 0;
  }

  void accept_loop() {
    while (!stopped(sock_)) {
      const Fd conn(::accept4(sock_, nullptr, nullptr, SOCK_CLOEXEC));
      std::array<char, 4096> buf{};
      iovec iov{buf.data(), buf.size()};
      alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control{};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control.data();
      msg.msg_controllen = control.size();
      const ssize_t n = ::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC);
      const cmsghdr* c = CMSG_FIRSTHDR(&msg);
      if (n <= 0 || c == nullptr || c->cmsg_type != SCM_RIGHTS) {
        ADD_FAILURE() << "the agent got no listener";
        continue;
      }
      int listener = -1;
      std::memcpy(&listener, CMSG_DATA(c), sizeof listener);
      {
        const std::lock_guard lock(mu_);
        messages_.push_back(nlohmann::json::parse(std::string(buf.data(), static_cast<size_t>(n)), nullptr, false));
      }
      if (answer_) {
        servers_.emplace_back([this, listener] { serve(listener); });
      } else {
        ::close(listener);
      }
    }
  }

  void serve(int listener) {
    const Fd owned(listener);
    while (!stopped(listener)) {
      seccomp_notif req{};
      if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
        continue;  // the caller died meanwhile
      }
      seccomp_notif_resp resp{};
      resp.id = req.id;
      if (is_mkdir(req.data.nr)) {
        resp.error = -ENOMEDIUM;
      } else {
        resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
      }
      (void)::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
  }

  bool answer_;
  int sock_ = -1;
  std::array<int, 2> stop_{-1, -1};
  std::mutex mu_;
  std::vector<nlohmann::json> messages_;
  std::thread acceptor_;
  std::vector<std::thread> servers_;  // one per listener, added by acceptor_ only
};

class SeccompNotify : public BarcoTest {
 protected:
  void SetUp() override {
    BarcoTest::SetUp();
    dir_ = scratch_dir();
  }

  [[nodiscard]] std::string socket_path() const { return dir_ + "/agent.sock"; }

  // A profile that sends `names` to the agent at `listener` and allows everything else.
  std::string profile(const std::string& names, const std::string& listener) {
    const std::string path = dir_ + "/notify.json";
    std::ofstream(path) << R"({"defaultAction":"SCMP_ACT_ALLOW","listenerPath":")" << listener
                        << R"(","listenerMetadata":"bar","syscalls":[{"names":[)" << names
                        << R"(],"action":"SCMP_ACT_NOTIFY"}]})";
    return "seccomp=" + path;
  }

  RunResult in_root(std::vector<std::string> args, const RunOptions& options = {}) {
    args.insert(args.begin(), {"--root", state_root()});
    return barco(args, options);
  }

  std::string dir_;
};

constexpr const char* kMkdir = R"("mkdir","mkdirat")";

TEST_F(SeccompNotify, TheAgentAnswersTheNotifiedCallsAndGetsTheStateAndTheMetadata) {
  SeccompAgent agent(socket_path(), true);
  const auto seccomp = profile(kMkdir, socket_path());
  // Without no_new_privs the filter is loaded before the privileges are dropped; with it, last.
  for (const bool nnp : {false, true}) {
    std::vector<std::string> args{"--security-opt", seccomp};
    if (nnp) {
      args.insert(args.end(), {"--security-opt", "no-new-privileges"});
    }
    args.insert(args.end(), {"sh", "-c", "mkdir /tmp/x; echo status=$?"});
    const auto r = run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "status=1\n") << "no_new_privs " << nnp;
    EXPECT_NE(r.err.find("No medium found"), std::string::npos) << "the agent's answer did not arrive: " << r.err;
  }
  const auto got = agent.messages();
  ASSERT_EQ(got.size(), 2U);
  for (const auto& m : got) {
    EXPECT_EQ(m["fds"], nlohmann::json::array({"seccompFd"})) << m.dump();
    EXPECT_EQ(m["metadata"], "bar");
    EXPECT_GT(m["pid"].get<int>(), 1);
    EXPECT_EQ(m["state"]["status"], "creating");
    EXPECT_FALSE(m["state"]["id"].get<std::string>().empty());
  }
}

// The calls barco's own child makes between loading the filter and execve, notified: the
// listener must reach the agent without waiting on any of them.
TEST_F(SeccompNotify, BarcosOwnSetupCallsMayBeNotified) {
  const SeccompAgent agent(socket_path(), true);
  const auto seccomp = profile(R"("execve","openat","open","read","close","fcntl","close_range")", socket_path());
  RunOptions quick;
  quick.timeout = std::chrono::milliseconds(15000);
  for (const bool init : {false, true}) {
    std::vector<std::string> args{"--security-opt", seccomp};
    if (init) {
      args.emplace_back("--init");
    }
    args.insert(args.end(), {"sh", "-c", "cat /etc/hostname >/dev/null && echo ok"});
    const auto r = run(args, quick);
    EXPECT_EQ(r.exit_code, 0) << "--init " << init << ": " << r.err;
    EXPECT_EQ(r.out, "ok\n") << "--init " << init;
  }
}

TEST_F(SeccompNotify, NoProcessOfTheContainerKeepsTheListener) {
  const SeccompAgent agent(socket_path(), false);  // closes each listener as it arrives
  RunOptions quick;
  quick.timeout = std::chrono::milliseconds(10000);
  const auto r = run({"--security-opt", profile(kMkdir, socket_path()), "--init", "sh", "-c",
                      "ls -l /proc/1/fd /proc/self/fd; mkdir /tmp/x"},
                     quick);
  EXPECT_EQ(r.exit_code, 1) << "a copy of the listener kept mkdir waiting: " << r.err;
  EXPECT_NE(r.err.find("Function not implemented"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("seccomp"), std::string::npos) << "a container process holds the listener:\n" << r.out;
}

TEST_F(SeccompNotify, WithoutAnAgentTheStartFailsNamingItAndLeavesNothing) {
  const std::string missing = dir_ + "/nobody.sock";
  const auto r = run({"--security-opt", profile(kMkdir, missing), "true"});
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_NE(r.err.find("load_seccomp: failed to connect with seccomp agent: connect(\"" + missing + "\")"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("start the agent first"), std::string::npos) << r.err;
}

TEST_F(SeccompNotify, ExecHandsItsOwnListenerToTheAgent) {
  SeccompAgent agent(socket_path(), true);
  const auto d = in_root({"run", "-d", "--name", "notify", "--rootfs", test_rootfs(), "--security-opt",
                          profile(kMkdir, socket_path()), "sleep", "30"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  const auto e = in_root({"exec", "notify", "mkdir", "/tmp/y"});
  EXPECT_EQ(e.exit_code, 1) << e.err;
  EXPECT_NE(e.err.find("No medium found"), std::string::npos) << e.err;
  EXPECT_EQ(in_root({"rm", "-f", "notify"}).exit_code, 0);
  const auto got = agent.messages();
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(got[1]["state"]["status"], "running");
  EXPECT_EQ(got[1]["state"]["id"], "notify");
  EXPECT_NE(got[1]["pid"], got[0]["pid"]) << "the exec'd process, not the container's init";
}

}  // namespace
}  // namespace barco::it
