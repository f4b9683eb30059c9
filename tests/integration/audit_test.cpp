// `barco audit` and `barco lab compare` against real containers. The audit only probes
// (SAFE on a shared machine): these tests assert what it reports in each mode, and that it
// changes nothing in the rootfs.
#include "harness.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace barco::it {
namespace {

struct Check {
  std::string result;
  std::string layer;
  std::string evidence;
};
using Checks = std::map<std::string, Check>;

Checks checks_of(const nlohmann::json& array) {
  Checks out;
  for (const auto& c : array) {
    out[c.at("id").get<std::string>()] = {c.at("result"), c.at("layer"), c.at("evidence")};
  }
  return out;
}

// Every file of the rootfs with its size and mtime: the audit must not change any.
std::map<std::string, std::pair<uintmax_t, long>> snapshot(const std::string& root) {
  std::map<std::string, std::pair<uintmax_t, long>> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    std::error_code ec;
    const auto size = e.is_regular_file(ec) ? e.file_size(ec) : 0;
    out[e.path().string()] = {size, static_cast<long>(e.last_write_time(ec).time_since_epoch().count())};
  }
  return out;
}

bool can_open(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

std::vector<std::string> host_interfaces() {
  std::ifstream in("/proc/net/dev");
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      const auto start = line.find_first_not_of(' ');
      out.push_back(line.substr(start, colon - start));
    }
  }
  return out;
}

class Audit : public BarcoTest {
 protected:
  Checks audit(const std::vector<std::string>& flags) {
    std::vector<std::string> args = {"--root", state_root(), "audit", "--json", "--rootfs", test_rootfs()};
    args.insert(args.end(), flags.begin(), flags.end());
    const auto r = barco(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << r.out;
    return doc.is_discarded() ? Checks{} : checks_of(doc.at("checks"));
  }

  static void expect(const Checks& c, const std::string& id, const std::string& result,
                     const std::string& layer_part = {}) {
    const auto it = c.find(id);
    ASSERT_NE(it, c.end()) << "no check " << id;
    EXPECT_EQ(it->second.result, result) << id << ": " << it->second.evidence;
    EXPECT_NE(it->second.layer.find(layer_part), std::string::npos)
        << id << ": layer '" << it->second.layer << "' lacks '" << layer_part << "'";
  }

  // A kernel without the feature reports it as the kernel's doing; otherwise `result`.
  static void expect_unless_kernel_lacks(const Checks& c, const std::string& id, const std::string& result) {
    const auto& check = c.at(id);
    if (check.result == "blocked" && check.layer == "kernel") {
      EXPECT_NE(check.evidence.find("ENOSYS"), std::string::npos) << id << ": " << check.evidence;
    } else {
      EXPECT_EQ(check.result, result) << id << ": " << check.evidence;
    }
  }
};

TEST_F(Audit, DefaultContainerBlocksEveryEscape) {
  const auto before = snapshot(test_rootfs());
  const auto c = audit({});
  for (const char* ns : {"ns-mnt", "ns-pid", "ns-net", "ns-uts", "ns-ipc", "ns-cgroup"}) {
    expect(c, ns, "blocked", "namespace");
  }
  expect(c, "ns-user", "possible");  // as in docker: no user namespace unless asked for
  expect(c, "caps", "blocked", "capability");
  expect(c, "seccomp", "blocked", "seccomp");
  expect(c, "mount", "blocked", "seccomp+capability");
  expect(c, "userns", "blocked", "seccomp");
  expect(c, "keyctl", "blocked");
  expect(c, "module", "blocked");
  expect(c, "open-by-handle", "blocked", "capability");
  expect(c, "proc-sys", "blocked", "read-only mount");
  expect(c, "sys", "blocked", "read-only mount");
  expect(c, "cgroupfs", "blocked", "read-only mount");
  expect(c, "block-devices", "blocked", "device cgroup");
  expect(c, "ptrace", "blocked", "namespace");
  expect(c, "setns", "blocked", "namespace");
  expect(c, "net-interfaces", "blocked", "namespace");
  expect(c, "runtime-exe", "blocked", "runtime");
  expect(c, "leaked-fds", "blocked", "runtime");
  if (std::filesystem::exists("/proc/keys")) {
    expect(c, "mask-keys", "blocked", "masked path");
  }
  if (c.at("release-agent").result != "n/a") {
    expect(c, "release-agent", "blocked", "read-only mount");
  }
  EXPECT_EQ(snapshot(test_rootfs()), before) << "the audit changed the rootfs";
}

TEST_F(Audit, PrivilegedOpensTheHostTakeovers) {
  const auto before = snapshot(test_rootfs());
  const auto c = audit({"--privileged"});
  for (const char* id :
       {"caps", "seccomp", "mount", "proc-sys", "sys", "cgroupfs", "block-devices", "userns", "open-by-handle"}) {
    expect(c, id, "possible");
  }
  expect_unless_kernel_lacks(c, "keyctl", "possible");
  expect_unless_kernel_lacks(c, "module", "possible");
  if (std::filesystem::exists("/proc/keys")) {
    expect(c, "mask-keys", "possible");
  }
  // --privileged alone keeps the namespaces, and the runtime's own hygiene stays.
  expect(c, "ns-pid", "blocked", "namespace");
  expect(c, "ptrace", "blocked", "namespace");
  expect(c, "net-interfaces", "blocked", "namespace");
  expect(c, "runtime-exe", "blocked", "runtime");
  expect(c, "leaked-fds", "blocked", "runtime");
  EXPECT_EQ(snapshot(test_rootfs()), before) << "the audit changed the rootfs";
}

TEST_F(Audit, HostNetworkShowsTheHostsInterfaces) {
  const auto c = audit({"--network", "host"});
  expect(c, "ns-net", "possible");
  expect(c, "net-interfaces", "possible");
  for (const auto& name : host_interfaces()) {
    EXPECT_NE(c.at("net-interfaces").evidence.find(name), std::string::npos) << name;
  }
}

TEST_F(Audit, HostPidWithPrivilegedReachesTheHostsInit) {
  const auto c = audit({"--privileged", "--pid", "host"});
  expect(c, "ns-pid", "possible");
  // Whether PID 1 can be traced is the host kernel's call (an LSM or a non-dumpable PID 1
  // refuse even root): the audit must agree with what this test process can do itself.
  if (can_open("/proc/1/mem")) {
    expect(c, "ptrace", "possible");
  } else {
    expect(c, "ptrace", "blocked", "kernel");
  }
  if (can_open("/proc/1/ns/mnt")) {
    expect(c, "setns", "possible");
  } else {
    expect(c, "setns", "blocked", "kernel");
  }
}

// The test's own pty plays the caller's terminal (SAFE: nothing is injected; the audit only
// calls ioctl(-1, TIOCSTI) and looks at whose terminal fd 0 is).
TEST_F(Audit, TiocstiHasNoCallersTerminalToInjectInto) {
  const auto audit_on_pty = [&](const std::vector<std::string>& flags) {
    std::vector<std::string> words = {barco_binary(), "--root",   state_root(), "audit",
                                      "--json",       "--rootfs", test_rootfs()};
    words.insert(words.end(), flags.begin(), flags.end());
    const auto r = run_on_pty(words);
    const auto& out = r.out;
    EXPECT_EQ(r.exit_code, 0) << out;
    const auto doc = nlohmann::json::parse(out.substr(std::min(out.find('{'), out.size())), nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << out;
    return doc.is_discarded() ? Checks{} : checks_of(doc.at("checks"));
  };
  // Without a pty the caller's terminal is relayed through pipes: nothing to inject into,
  // even with the CAP_SYS_ADMIN that lifts TIOCSTI's controlling-tty check.
  expect(audit_on_pty({}), "tiocsti", "n/a");
  expect(audit_on_pty({"--privileged"}), "tiocsti", "n/a");
  expect(audit_on_pty({"-t"}), "tiocsti", "blocked", "namespace");  // its own pty
}

TEST_F(Audit, LeakedFdIsNotInheritedByTheAudit) {
  RunOptions o;
  o.leak_fd_to_barco = true;
  const auto r = barco({"--root", state_root(), "audit", "--json", "--rootfs", test_rootfs()}, o);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto c = checks_of(nlohmann::json::parse(r.out).at("checks"));
  expect(c, "leaked-fds", "blocked", "runtime");
}

TEST_F(Audit, TableIsPlainTextWithAVerdict) {
  const auto r = barco({"--root", state_root(), "audit", "--rootfs", test_rootfs()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("RESULT    CHECK", 0), 0U) << r.out;
  EXPECT_NE(r.out.find("verdict: contained: "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\033'), std::string::npos) << "colour on a pipe";
}

TEST_F(Audit, LabCompareRunsThreeModesAndTheCountsAddUp) {
  const auto r = barco({"--root", state_root(), "lab", "compare", "--json", "--rootfs", test_rootfs()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  const auto& columns = doc.at("columns");
  ASSERT_EQ(columns.size(), 3U);
  EXPECT_EQ(columns[0].at("name"), "default");
  EXPECT_EQ(columns[1].at("name"), "privileged");
  EXPECT_EQ(columns[2].at("name"), "k3s-style");
  std::vector<int> open;
  for (const auto& col : columns) {
    const auto& s = col.at("summary");
    const int possible = s.at("possible");
    EXPECT_EQ(s.at("blocked").get<int>() + possible + s.at("n/a").get<int>(),
              static_cast<int>(col.at("checks").size()));
    const auto checks = checks_of(col.at("checks"));
    EXPECT_EQ(
        std::count_if(checks.begin(), checks.end(), [](const auto& kv) { return kv.second.result == "possible"; }),
        possible);
    open.push_back(possible);
  }
  EXPECT_LT(open[0], open[1]);
  EXPECT_LT(open[1], open[2]);  // host network and pid add to --privileged
  EXPECT_EQ(checks_of(columns[2].at("checks")).at("net-interfaces").result, "possible");

  const auto text = barco({"--root", state_root(), "lab", "compare", "--rootfs", test_rootfs()});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("default      privileged   k3s-style"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("  default      contained: " + std::to_string(open[0]) + " of "), std::string::npos)
      << text.out;
  EXPECT_NE(
      text.out.find("  privileged   root in the container = root on the host: " + std::to_string(open[1]) + " of "),
      std::string::npos)
      << text.out;
}

}  // namespace
}  // namespace barco::it
