// --network bridge against a host that is the suite's own network namespace (see the
// harness), with a third namespace playing the outside world: a veth "uplink" joins the two
// (10.214.0.1 here, 10.214.0.2 there), and nothing is ever routed off the machine. Each test
// checks a path a packet takes: out through NAT, in through a published port (from outside,
// from the host's own address and from 127.0.0.1), between two containers, and into a
// shared namespace; then what is refused, and that nothing is left after exit, rm and gc.
#include "harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <set>
#include <sstream>
#include <thread>

namespace barco::it {
namespace {

using namespace std::chrono_literals;

constexpr const char* kHostUplink = "10.214.0.1";
constexpr const char* kOutside = "10.214.0.2";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A socket made inside the network namespace `netns_fd`: it stays there whichever thread
// uses it (setns moves only the calling thread, so a short-lived one makes it).
int socket_in(int netns_fd) {
  int fd = -1;
  std::thread([&] {
    if (::setns(netns_fd, CLONE_NEWNET) == 0) {
      fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    }
  }).join();
  return fd;
}

sockaddr_in address_of(const std::string& ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

// Connects (retrying while the container's server starts) and returns what it says.
std::string fetch(int netns_fd, const std::string& ip, uint16_t port) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int fd = netns_fd >= 0 ? socket_in(netns_fd) : ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const auto to = address_of(ip, port);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0) {
      std::string out;
      char buf[256];
      pollfd p{fd, POLLIN, 0};
      while (::poll(&p, 1, 2000) == 1) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) {
          break;
        }
        out.append(buf, static_cast<size_t>(n));
      }
      ::close(fd);
      if (!out.empty()) {
        return out;
      }
    } else {
      ::close(fd);
    }
    std::this_thread::sleep_for(100ms);
  }
  return "(no answer from " + ip + ":" + std::to_string(port) + ")";
}

// The outside world: a process in a network namespace of its own, its end of the uplink
// configured; killed (and its namespace with it) at the end of the test.
class Outside {
 public:
  // `sh` runs a shell line in the suite's namespace (the harness's command()).
  explicit Outside(std::function<RunResult(const std::string&)> sh) : sh_(std::move(sh)) {
    pid_ = ::fork();
    if (pid_ == 0) {
      if (::unshare(CLONE_NEWNET) != 0) {
        ::_exit(1);
      }
      ::pause();
      ::_exit(0);
    }
    const std::string ours = std::filesystem::read_symlink("/proc/self/ns/net");
    for (int i = 0; i < 200 && std::filesystem::read_symlink(ns_path()) == ours; ++i) {
      std::this_thread::sleep_for(5ms);
    }
    netns_ = ::open(ns_path().c_str(), O_RDONLY | O_CLOEXEC);
    const std::string enter = "nsenter --net=" + ns_path() + " ";
    const auto r =
        sh_("ip link add barco-up0 type veth peer name barco-up1 netns " + std::to_string(pid_) + " && ip addr add " +
            kHostUplink + "/24 dev barco-up0 && ip link set barco-up0 up && " + enter + "ip addr add " + kOutside +
            "/24 dev barco-up1 && " + enter + "ip link set barco-up1 up && " + enter + "ip link set lo up");
    ok_ = r.exit_code == 0 && netns_ >= 0;
    error_ = r.err;
  }
  Outside(const Outside&) = delete;
  Outside& operator=(const Outside&) = delete;
  ~Outside() {
    ::close(netns_);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    // Its end of the uplink dies with its namespace and takes ours along, but only some
    // 25-90 ms later: the next test's uplink must not find it.
    (void)sh_("ip link del barco-up0 2>/dev/null");
  }

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] int netns() const { return netns_; }

  // A listener there; the peer address of the first connection, or empty after 5 s.
  [[nodiscard]] int listen_on(uint16_t port) const {
    const int fd = socket_in(netns_);
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const auto at = address_of(kOutside, port);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&at), sizeof at) != 0 || ::listen(fd, 8) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }

 private:
  [[nodiscard]] std::string ns_path() const { return "/proc/" + std::to_string(pid_) + "/ns/net"; }

  std::function<RunResult(const std::string&)> sh_;
  pid_t pid_ = -1;
  int netns_ = -1;
  bool ok_ = false;
  std::string error_;
};

std::string peer_of_first_connection(int listener) {
  pollfd p{listener, POLLIN, 0};
  if (::poll(&p, 1, 5000) != 1) {
    return {};
  }
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  const int c = ::accept4(listener, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
  if (c < 0) {
    return {};
  }
  ::close(c);
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &peer.sin_addr, text, sizeof text);
  return text;
}

class Network : public BarcoTest {
 protected:
  void SetUp() override {
    BarcoTest::SetUp();
    if (IsSkipped()) {
      return;
    }
    ASSERT_TRUE(suite_network_is_private()) << "never a bridge in the machine's own network namespace";
    if (::access("/usr/sbin/nft", X_OK) != 0 || ::access("/usr/bin/nsenter", X_OK) != 0) {
      GTEST_SKIP() << "nft or nsenter is missing (make deps installs nftables and util-linux; the VMs have neither)";
    }
  }

  // barco run with the default network (no --network: the bridge).
  RunResult bridged(const std::vector<std::string>& args, const RunOptions& options = {}) {
    std::vector<std::string> argv{"--root", state_root(), "run", "--rootfs", test_rootfs()};
    argv.insert(argv.end(), args.begin(), args.end());
    return barco(argv, options);
  }

  std::string address_of_container(const std::string& id) {
    const auto text = read_text(state_root() + "/" + id + "/state.json");
    const auto at = text.find("\"address\": \"");
    return at == std::string::npos ? "" : text.substr(at + 12, text.find('"', at + 12) - at - 12);
  }

  [[nodiscard]] std::function<RunResult(const std::string&)> shell() {
    return [this](const std::string& line) { return command({"/bin/sh", "-c", line}); };
  }

  void remove(const std::string& id) { EXPECT_EQ(barco({"--root", state_root(), "rm", "-f", id}).exit_code, 0); }
};

TEST_F(Network, TheDefaultIsABridgeWithAnAddressARouteAndDockersNameFiles) {
  const auto r = bridged({"--name", "web", "--add-host", "db:10.0.0.5", "--dns", "9.9.9.9", "--dns-search", "lab", "sh",
                          "-c", "ip -4 -o addr show eth0; ip route; cat /etc/hostname /etc/hosts /etc/resolv.conf"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("inet 10.213."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("default via 10.213.0.1 dev eth0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("web\n127.0.0.1\tlocalhost\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("10.0.0.5\tdb\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\tweb\n"), std::string::npos) << "the container's own address and name: " << r.out;
  EXPECT_NE(r.out.find("search lab\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nameserver 9.9.9.9\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("nameserver 127."), std::string::npos) << "a loopback resolver means nothing inside";
}

TEST_F(Network, OutboundTrafficLeavesThroughTheHostsAddress) {
  const Outside outside(shell());
  ASSERT_TRUE(outside.ok()) << outside.error();
  const int listener = outside.listen_on(9000);
  ASSERT_GE(listener, 0);
  // nc waits for the other side to close: the connection is accepted (and closed) meanwhile.
  auto run = std::async(std::launch::async, [&] {
    return bridged({"sh", "-c", std::string("echo hi | nc -w 2 ") + kOutside + " 9000"});
  });
  EXPECT_EQ(peer_of_first_connection(listener), kHostUplink) << "the outside must see the host's address (NAT)";
  const auto r = run.get();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ::close(listener);
}

TEST_F(Network, APublishedPortIsReachedFromOutsideTheHostsAddressAndLoopback) {
  const Outside outside(shell());
  ASSERT_TRUE(outside.ok()) << outside.error();
  const auto started = bridged({"-d", "--name", "srv", "-p", "8080:80", "sh", "-c",
                                "while true; do echo hello-$(hostname) | nc -l -p 80; done"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  EXPECT_EQ(fetch(outside.netns(), kHostUplink, 8080), "hello-srv\n") << "from outside";
  EXPECT_EQ(fetch(-1, kHostUplink, 8080), "hello-srv\n") << "from the host, to its own address";
  EXPECT_EQ(fetch(-1, "127.0.0.1", 8080), "hello-srv\n") << "from the host, to 127.0.0.1";
  remove("srv");
}

TEST_F(Network, TwoContainersTalkOverTheBridge) {
  ASSERT_EQ(bridged({"-d", "--name", "a", "sh", "-c", "echo pong | nc -l -p 7000"}).exit_code, 0);
  const auto a = address_of_container("a");
  ASSERT_FALSE(a.empty());
  std::string answer;
  for (int i = 0; i < 30 && answer != "pong\n"; ++i) {
    answer = bridged({"--rm", "sh", "-c", "nc -w 2 " + a + " 7000"}).out;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(answer, "pong\n");
  remove("a");
}

TEST_F(Network, ContainerModeSharesTheOthersInterfacesAndNameFiles) {
  ASSERT_EQ(bridged({"-d", "--name", "pod", "--add-host", "db:10.0.0.5", "sleep", "30"}).exit_code, 0);
  const auto address = address_of_container("pod");
  const auto r = bridged({"--network", "container:pod", "sh", "-c", "ip -4 -o addr show eth0; cat /etc/hosts"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("inet " + address + "/"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("10.0.0.5\tdb"), std::string::npos) << "the pod's /etc/hosts: " << r.out;
  const auto refused = bridged({"--network", "container:nosuch", "true"});
  EXPECT_EQ(refused.exit_code, 125);
  EXPECT_NE(refused.err.find("nosuch"), std::string::npos) << refused.err;
  remove("pod");
}

TEST_F(Network, ATakenHostPortIsRefusedBeforeTheContainerStarts) {
  const int holder = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const auto at = address_of("0.0.0.0", 8091);
  ASSERT_EQ(::bind(holder, reinterpret_cast<const sockaddr*>(&at), sizeof at), 0);
  ASSERT_EQ(::listen(holder, 1), 0);
  const auto r = bridged({"-p", "8091:80", "sh", "-c", "echo ran"});
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_EQ(r.out, "") << "the command must not run";
  EXPECT_NE(r.err.find("bind(0.0.0.0:8091/tcp)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Address already in use"), std::string::npos) << r.err;
  ::close(holder);
  ASSERT_EQ(bridged({"-d", "--name", "first", "-p", "8092:80", "sleep", "30"}).exit_code, 0);
  const auto second = bridged({"-p", "8092:80", "true"});
  EXPECT_EQ(second.exit_code, 125);
  EXPECT_NE(second.err.find("another container publishes that host port"), std::string::npos) << second.err;
  remove("first");
}

TEST_F(Network, FiftyContainersStartedAtOnceGetFiftyAddresses) {
  // Each writes its address into a shared directory and waits there until all 50 have: an
  // address released by an exited container would be leased again (slow starts, as under
  // ASan, would not overlap otherwise).
  const auto sync = scratch_dir();
  std::vector<std::future<RunResult>> runs;
  for (int i = 0; i < 50; ++i) {
    runs.push_back(std::async(std::launch::async, [this, &sync] {
      return bridged({"--rm", "-v", sync + ":/sync", "sh", "-c",
                      "ip -4 -o addr show eth0 | awk '{print $4}' > /sync/$(hostname); "
                      "while [ ! -e /sync/go ]; do sleep 0.1; done"});
    }));
  }
  size_t written = 0;
  for (int i = 0; i < 1200 && written < 50; ++i) {
    std::this_thread::sleep_for(100ms);
    written = static_cast<size_t>(std::distance(std::filesystem::directory_iterator(sync), {}));
  }
  std::set<std::string> addresses;
  for (const auto& e : std::filesystem::directory_iterator(sync)) {
    addresses.insert(read_text(e.path().string()));
  }
  std::ofstream(sync + "/go") << "";
  for (auto& r : runs) {
    const auto result = r.get();
    EXPECT_EQ(result.exit_code, 0) << result.err;
  }
  EXPECT_EQ(written, 50U);
  EXPECT_EQ(addresses.size(), 50U);
}

// SIGKILL to barco: its container dies with it, and its lease, veth and port rule stay until
// gc (or the next run) finds the record stale.
TEST_F(Network, GcReleasesWhatAKilledBarcoHeld) {
  RunOptions o;
  o.on_start = [&](pid_t barco) {
    for (int i = 0; i < 200 && address_of_container("held").empty(); ++i) std::this_thread::sleep_for(10ms);
    for (int i = 0; i < 200 && read_text(state_root() + "/held/state.json").find("\"running\"") == std::string::npos;
         ++i) {
      std::this_thread::sleep_for(10ms);
    }
    ::kill(barco, SIGKILL);
  };
  EXPECT_EQ(bridged({"--name", "held", "-p", "8093:80", "sleep", "30"}, o).exit_code, 137);
  EXPECT_FALSE(bridge_leftovers().empty() && std::filesystem::is_empty(state_root() + "/.net/leases"))
      << "a SIGKILLed barco cannot release its network itself";
  const auto gc = barco({"--root", state_root(), "gc"});
  EXPECT_EQ(gc.exit_code, 0) << gc.err;
  EXPECT_EQ(gc.out, "removed held\n");
}

TEST_F(Network, DryRunListsTheNetlinkAndFirewallWork) {
  const auto r = bridged({"--dry-run", "-p", "8080:80", "true"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* expected :
       {"lease_address", "write_name_files", "connect_network", "veth vb", "nft: 8080/tcp", "await_network"}) {
    EXPECT_NE(r.out.find(expected), std::string::npos) << expected << "\n" << r.out;
  }
}

}  // namespace
}  // namespace barco::it
