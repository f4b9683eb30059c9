// The audit's rules: fake facts (errnos, CapEff, namespace inodes) in, rows out.
#include "cli/audit_command.hpp"
#include "test_config.hpp"

#include <barco/audit.hpp>
#include <barco/capabilities.hpp>

#include <gtest/gtest.h>

#include <linux/capability.h>

#include <cerrno>

namespace barco::audit {
namespace {

// What barco-audit sees in a default container on a host with a pid-1 it may not trace.
Facts default_facts() {
  Facts f;
  for (const char* ns : {"mnt", "pid", "net", "uts", "ipc", "cgroup"}) {
    f.namespaces.push_back({ns, 100, 200});
  }
  f.namespaces.push_back({"user", 300, 300});
  f.namespaces.push_back({"time", 400, 400});
  f.cap_eff = f.cap_bnd = docker_default_caps();
  f.seccomp_mode = 2;
  f.seccomp_filters = 1;
  f.proc_masks = {{"/proc/kcore", MaskState::masked}, {"/proc/keys", MaskState::masked}};
  f.core_pattern_write = EROFS;
  f.sysrq_write = EROFS;
  f.cgroup_mounts = {{"/sys/fs/cgroup", false}};
  f.mknod_block = EPERM;
  f.mknod_mem = EPERM;
  f.mount_bad_pointer = EPERM;
  f.mount_no_such_fs = EPERM;
  f.unshare_bad_flag = EPERM;
  f.unshare_user = EPERM;
  f.keyctl_bad_op = EPERM;
  f.finit_module = EPERM;
  f.open_by_handle = EPERM;
  f.setns_bad_fd = EPERM;
  f.tiocsti_bad_fd = EBADF;
  f.interfaces = {"lo"};
  f.exe = "/memfd:barco-audit (deleted)";
  return f;
}

// The same container with docker's --privileged applied (no seccomp, all caps, rw paths).
Facts privileged_facts() {
  Facts f = default_facts();
  f.cap_eff = f.cap_bnd = cap_bit(41) - 1;
  f.seccomp_mode = 0;
  f.seccomp_filters = 0;
  f.proc_masks = {{"/proc/kcore", MaskState::visible}, {"/proc/keys", MaskState::visible}};
  f.proc_sys_read_only = false;
  f.core_pattern_write = 0;
  f.sysrq_write = 0;
  f.sys_read_only = false;
  f.cgroup_mounts = {{"/sys/fs/cgroup", true}};
  f.release_agents = {{"/sys/fs/cgroup/rdma/release_agent", 0}};
  f.block_devices = {{"/dev/vda", 0}};
  f.mknod_block.reset();
  f.dev_mem_present = true;
  f.dev_mem_open = 0;
  f.mount_bad_pointer = EFAULT;
  f.mount_no_such_fs = ENODEV;
  f.unshare_bad_flag = EINVAL;
  f.unshare_user = 0;
  f.keyctl_bad_op = EOPNOTSUPP;
  f.finit_module = EBADF;
  f.open_by_handle = EFAULT;
  f.setns_bad_fd = EBADF;
  return f;
}

const Row& row_of(const std::vector<Row>& rows, const std::string& id) {
  static const Row missing{};
  for (const auto& r : rows) {
    if (r.id == id) {
      return r;
    }
  }
  ADD_FAILURE() << "no row " << id;
  return missing;
}

TEST(Audit, DefaultContainerBlocksEveryEscapeAndNamesTheLayer) {
  const auto rows = classify(default_facts());
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"ns-mnt", "namespace"},      {"ns-pid", "namespace"},          {"caps", "capability"},
      {"seccomp", "seccomp"},       {"mask-kcore", "masked path"},    {"proc-sys", "read-only mount"},
      {"sys", "read-only mount"},   {"cgroupfs", "read-only mount"},  {"block-devices", "device cgroup"},
      {"dev-mem", "device cgroup"}, {"mount", "seccomp+capability"},  {"userns", "seccomp"},
      {"keyctl", "seccomp"},        {"module", "capability+seccomp"}, {"open-by-handle", "capability+seccomp"},
      {"ptrace", "namespace"},      {"setns", "namespace"},           {"net-interfaces", "namespace"},
      {"runtime-exe", "runtime"},   {"leaked-fds", "runtime"},
  };
  for (const auto& [id, layer] : expected) {
    const auto& r = row_of(rows, id);
    EXPECT_EQ(r.result, Outcome::blocked) << id << ": " << r.evidence;
    EXPECT_EQ(r.layer, layer) << id;
  }
  EXPECT_EQ(row_of(rows, "ns-user").result, Outcome::possible);  // docker does not remap by default
  EXPECT_EQ(row_of(rows, "tiocsti").result, Outcome::not_applicable);
  const Report report{rows};
  EXPECT_EQ(report.verdict().rfind("contained: ", 0), 0U) << report.verdict();
}

TEST(Audit, PrivilegedContainerOpensTheHostTakeovers) {
  const auto rows = classify(privileged_facts());
  for (const char* id : {"caps", "proc-sys", "sysrq", "sys", "release-agent", "block-devices", "dev-mem", "mount",
                         "module", "open-by-handle"}) {
    const auto& r = row_of(rows, id);
    EXPECT_EQ(r.result, Outcome::possible) << id << ": " << r.evidence;
    EXPECT_TRUE(r.host_takeover) << id;
    EXPECT_EQ(r.layer, "") << id;
  }
  for (const char* id : {"seccomp", "mask-kcore", "cgroupfs", "userns", "keyctl"}) {
    EXPECT_EQ(row_of(rows, id).result, Outcome::possible) << id;
  }
  // The pid namespace stays private: --privileged alone does not reach host processes.
  EXPECT_EQ(row_of(rows, "ptrace").result, Outcome::blocked);
  EXPECT_EQ(row_of(rows, "setns").result, Outcome::blocked);
  EXPECT_EQ(row_of(rows, "caps").evidence.rfind("all 41 capabilities", 0), 0U);
  const Report report{rows};
  EXPECT_EQ(report.verdict().rfind("root in the container = root on the host: ", 0), 0U) << report.verdict();
}

TEST(Audit, HostPidNamespaceDecidesPtraceAndSetns) {
  Facts f = privileged_facts();
  f.namespaces[1].host = f.namespaces[1].own;
  f.proc1_mem_open = 0;
  f.proc1_ns_open = 0;
  auto rows = classify(f);
  EXPECT_EQ(row_of(rows, "ptrace").result, Outcome::possible);
  EXPECT_EQ(row_of(rows, "setns").result, Outcome::possible);

  f.proc1_mem_open = EACCES;  // the kernel refuses although CAP_SYS_PTRACE is held
  f.proc1_ns_open = EACCES;
  rows = classify(f);
  EXPECT_EQ(row_of(rows, "ptrace").layer, "kernel");
  EXPECT_EQ(row_of(rows, "setns").layer, "kernel");

  f.cap_eff = docker_default_caps();  // --pid host alone: visible, but not traceable
  f.seccomp_mode = 2;
  f.setns_bad_fd = EPERM;
  rows = classify(f);
  EXPECT_EQ(row_of(rows, "ptrace").layer, "capability");
  EXPECT_EQ(row_of(rows, "setns").layer, "capability+seccomp");

  f.namespaces[1].host = 0;  // not started by barco audit
  EXPECT_EQ(row_of(classify(f), "ptrace").result, Outcome::not_applicable);
}

TEST(Audit, SeccompGateIsToldApartFromTheCapability) {
  Facts f = default_facts();
  // --security-opt seccomp=unconfined: the call reaches the kernel, which wants CAP_SYS_ADMIN.
  f.mount_bad_pointer = EFAULT;
  f.mount_no_such_fs = EPERM;
  EXPECT_EQ(row_of(classify(f), "mount").layer, "capability");
  // --cap-add SYS_ADMIN with the default profile: the profile lets mount through for it.
  f.cap_eff |= cap_bit(CAP_SYS_ADMIN);
  f.mount_no_such_fs = ENODEV;
  EXPECT_EQ(row_of(classify(f), "mount").result, Outcome::possible);
  // Filtered, with the capability held: seccomp alone decided.
  f.mount_bad_pointer = EPERM;
  f.mount_no_such_fs = EPERM;
  EXPECT_EQ(row_of(classify(f), "mount").layer, "seccomp");
}

TEST(Audit, KernelWithoutAFeatureIsNotCalledSeccomp) {
  Facts f = privileged_facts();
  f.finit_module = ENOSYS;
  f.keyctl_bad_op = ENOSYS;
  f.dev_mem_present = false;
  f.mknod_mem = 0;
  f.dev_mem_open = ENXIO;
  f.proc_masks = {};
  const auto rows = classify(f);
  EXPECT_EQ(row_of(rows, "module").layer, "kernel");
  EXPECT_EQ(row_of(rows, "keyctl").layer, "kernel");
  EXPECT_EQ(row_of(rows, "dev-mem").layer, "kernel");
  EXPECT_EQ(row_of(rows, "mask-kcore").result, Outcome::not_applicable);
}

TEST(Audit, TiocstiNeedsTheHostsTerminal) {
  Facts f = default_facts();
  f.tty = {0, true, false, 1};
  EXPECT_EQ(row_of(classify(f), "tiocsti").layer, "namespace");  // its own pty
  f.tty = {0, false, false, 1};
  EXPECT_EQ(row_of(classify(f), "tiocsti").layer, "capability");  // not the controlling tty
  f.tty = {0, false, false, 0};
  EXPECT_EQ(row_of(classify(f), "tiocsti").layer, "kernel");  // legacy_tiocsti=0
  f = privileged_facts();
  f.tty = {0, false, false, 1};
  EXPECT_EQ(row_of(classify(f), "tiocsti").result, Outcome::possible);  // CAP_SYS_ADMIN lifts the check
}

TEST(Audit, RuntimeHygieneRows) {
  Facts f = default_facts();
  f.exe = "/usr/bin/barco";
  f.leaked_fds = {3, 7};
  const auto rows = classify(f);
  EXPECT_EQ(row_of(rows, "runtime-exe").result, Outcome::possible);
  EXPECT_EQ(row_of(rows, "leaked-fds").evidence, "open beyond 0-2: 3,7");
}

TEST(Audit, HostNamespacesRoundTripAndBadInputIsIgnored) {
  const std::vector<NamespaceFact> host = {{"mnt", 0, 4026531841}, {"time", 0, 0}, {"pid", 0, 4026531836}};
  EXPECT_EQ(format_host_namespaces(host), "mnt=4026531841,pid=4026531836");
  const auto parsed = parse_host_namespaces("mnt=4026531841,pid=4026531836,=5,net=x,uts=,ipc=99999999999999999999");
  EXPECT_EQ(parsed, (std::map<std::string, uint64_t>{{"mnt", 4026531841}, {"pid", 4026531836}}));
}

TEST(Audit, JsonRoundTripsAndTheTableFitsEightyColumns) {
  const Report report{classify(privileged_facts())};
  const auto back = report_from_json(to_json(report));
  EXPECT_EQ(back.rows, report.rows);
  for (const bool color : {false, true}) {
    const auto table = render_table(report, color);
    size_t start = 0;
    while (start < table.size()) {
      const auto end = table.find('\n', start);
      const auto line = table.substr(start, end - start);
      if (!color) {
        EXPECT_LE(line.size(), 80U) << line;
      }
      start = end + 1;
    }
    EXPECT_EQ(table.find("\033[") != std::string::npos, color);
  }
  EXPECT_THROW((void)report_from_json("barco: exec: ..."), ConfigError);
  EXPECT_THROW((void)report_from_json(R"({"checks":[{"result":"maybe"}]})"), ConfigError);
}

TEST(Audit, ComparisonHasAColumnPerModeAndAVerdictEach) {
  const std::vector<Column> columns = {{"default", "", Report{classify(default_facts())}},
                                       {"privileged", "--privileged", Report{classify(privileged_facts())}}};
  const auto text = render_comparison(columns, false);
  EXPECT_NE(text.find("CHECK                                 default      privileged\n"), std::string::npos) << text;
  EXPECT_NE(text.find("mount(2)                              blocked      possible\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  default      contained: "), std::string::npos);
  EXPECT_NE(text.find("  privileged   root in the container = root on the host: "), std::string::npos);
  size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    EXPECT_LE(end - start, 80U) << text.substr(start, end - start);
    start = end + 1;
  }
}

TEST(Audit, AuditContainerRunsTheBuiltinWithTheHostsNamespaces) {
  const auto base = testing::config_from_words({"--rootfs", "/r", "--privileged", "true"});
  const auto c = cli::audit_config(base, {{"mnt", 0, 11}, {"pid", 0, 12}}, true, false);
  EXPECT_EQ(c.process.builtin, BuiltinProgram::audit);
  EXPECT_EQ(c.process.args, (std::vector<std::string>{"barco-audit", "--host-ns", "mnt=11,pid=12", "--json"}));
  EXPECT_TRUE(c.privileged);  // the run flags shape the audited container
  const auto modes = cli::lab_modes();
  ASSERT_EQ(modes.size(), 3U);
  EXPECT_EQ(modes[2].flags, (std::vector<std::string>{"--privileged", "--network", "host", "--pid", "host"}));
}

}  // namespace
}  // namespace barco::audit
