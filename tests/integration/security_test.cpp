// Security defaults and --privileged, observed from inside the container by barco-probe.
// Each test fails if the protection it names is removed.
#include "harness.hpp"

#include <sys/prctl.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace barco::it {
namespace {

using Facts = std::map<std::string, std::string>;

constexpr const char* kDockerCaps = "00000000a80425fb";  // docker's 14 capabilities

class Security : public BarcoTest {
 protected:
  void SetUp() override {
    BarcoTest::SetUp();
    if (IsSkipped() || HasFailure()) return;
    probe_dir_ = scratch_dir();
    std::filesystem::permissions(probe_dir_, std::filesystem::perms(0755));  // -u 1000 must reach it
    std::filesystem::copy_file(BARCO_PROBE, probe_dir_ + "/barco-probe");
  }

  // Runs the probe in a container made with `flags`; the probe's directory is bound at /mnt.
  Facts probe(std::vector<std::string> flags, const std::string& what = "all") {
    flags.insert(flags.end(), {"-v", probe_dir_ + ":/mnt:ro", "/mnt/barco-probe", what});
    const auto r = run(flags);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    Facts facts;
    for (const auto& line : lines(r.out)) {
      const auto eq = line.find('=');
      if (eq != std::string::npos) facts[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return facts;
  }

  static std::string own_bounding_set() {
    uint64_t mask = 0;
    for (int cap = 0; cap < 64; ++cap) {
      if (::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) mask |= uint64_t{1} << cap;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(mask));
    return buf;
  }

  static bool host_has_block_devices() {
    for (const auto& e : std::filesystem::directory_iterator("/dev")) {
      if (e.is_block_file()) return true;
    }
    return false;
  }

  std::string probe_dir_;
};

TEST_F(Security, DefaultCapabilitiesAreDockers14) {
  auto f = probe({}, "status");
  EXPECT_EQ(f["CapEff"], kDockerCaps);
  EXPECT_EQ(f["CapPrm"], kDockerCaps);
  EXPECT_EQ(f["CapBnd"], kDockerCaps);
  EXPECT_EQ(f["CapInh"], "0000000000000000");
  EXPECT_EQ(f["CapAmb"], "0000000000000000");
  EXPECT_EQ(f["NoNewPrivs"], "0");
  EXPECT_EQ(f["Seccomp"], "2");
}

TEST_F(Security, CapDropAllAndCapAdd) {
  auto none = probe({"--cap-drop", "ALL"}, "status");
  EXPECT_EQ(none["CapEff"], "0000000000000000");
  EXPECT_EQ(none["CapBnd"], "0000000000000000");
  auto admin = probe({"--cap-add", "sys_admin"}, "status");
  EXPECT_EQ(admin["CapEff"], "00000000a82425fb");  // exactly bit 21 more
  auto r = run({"--cap-add", "NOT_A_CAP", "true"});
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_NE(r.err.find("unknown capability 'NOT_A_CAP'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("SYS_ADMIN"), std::string::npos) << "the error lists the valid names";
}

TEST_F(Security, NonRootUserKeepsOnlyAddedCapsThroughAmbient) {
  auto plain = probe({"-u", "1000"}, "status");
  EXPECT_EQ(plain["CapEff"], "0000000000000000");
  EXPECT_EQ(plain["CapBnd"], kDockerCaps);
  auto added = probe({"-u", "1000", "--cap-add", "NET_ADMIN"}, "status");
  EXPECT_EQ(added["CapEff"], "0000000000001000");
  EXPECT_EQ(added["CapAmb"], "0000000000001000");
}

TEST_F(Security, NoNewPrivilegesOption) {
  EXPECT_EQ(probe({"--security-opt", "no-new-privileges"}, "status")["NoNewPrivs"], "1");
}

TEST_F(Security, SeccompBlocksWhatDockerBlocks) {
  auto f = probe({}, "syscalls");
  for (const char* blocked : {"mount", "umount", "unshare_user", "unshare_ns", "clone_newns", "keyctl", "finit_module",
                              "init_module", "setns", "bpf", "open_by_handle_at", "socket_alg", "personality_bad"}) {
    EXPECT_EQ(f[blocked], "EPERM") << blocked;
  }
  EXPECT_EQ(f["clone3"], "ENOSYS") << "clone3 must say ENOSYS so libc falls back to clone";
  EXPECT_EQ(f["syscall_1000"], "ENOSYS") << "a syscall newer than the profile must say ENOSYS, not EPERM";
  for (const char* newer : {"fchmodat2", "mseal", "getxattrat"}) {
    EXPECT_NE(f[newer], "EPERM") << newer << " is allowed by docker's current profile";
  }
  EXPECT_EQ(f["socket_inet"], "OK");
  EXPECT_EQ(f["ptrace"], "ESRCH") << "ptrace within the container stays allowed";
}

TEST_F(Security, UnconfinedSeccompIsOff) {
  auto f = probe({"--security-opt", "seccomp=unconfined"});
  EXPECT_EQ(f["Seccomp"], "0");
  // Capabilities still hold: without CAP_SYS_ADMIN mount is refused by the kernel itself.
  EXPECT_EQ(f["mount"], "EPERM");
  EXPECT_EQ(f["keyctl"], "OK") << "keyctl is only stopped by seccomp";
}

TEST_F(Security, OrdinaryProgramsWorkUnderTheDefaultProfile) {
  const auto r = run({"sh", "-c",
                      "ls / >/dev/null && ps >/dev/null && ping -c 1 -W 2 127.0.0.1 >/dev/null && "
                      "date >/dev/null && sleep 0.01 && echo fine"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "fine\n");
}

TEST_F(Security, ProcAndSysAreMaskedAndReadOnly) {
  auto f = probe({}, "paths");
  // Masked wherever this kernel has them (no /proc/acpi on arm64's virt machine, no
  // /proc/kcore without CONFIG_PROC_KCORE): the test sees the host's /proc.
  for (const char* path :
       {"/proc/keys", "/proc/timer_list", "/proc/acpi", "/sys/firmware", "/proc/kcore", "/proc/sched_debug"}) {
    EXPECT_EQ(f[path], std::filesystem::exists(path) ? "masked" : "absent") << path;
  }
  EXPECT_EQ(f["proc_sys"], "ro");
  EXPECT_EQ(f["core_pattern"], "ro");
  EXPECT_TRUE(f["sysrq_trigger"] == "ro" || f["sysrq_trigger"] == "ENOENT") << f["sysrq_trigger"];
  EXPECT_EQ(f["sys"], "ro");
  EXPECT_EQ(f["block_devices"], "0");
  EXPECT_EQ(f["char_devices"], "6");
}

TEST_F(Security, DeviceCgroupRefusesBlockDevices) {
  // CAP_MKNOD is one of docker's 14: the devices cgroup is what stops a disk node.
  auto f = probe({}, "devices");
  EXPECT_EQ(f["mknod_block"], "EPERM");
  EXPECT_EQ(f["open_null"], "OK");
  auto p = probe({"--privileged"}, "devices");
  EXPECT_EQ(p["mknod_block"], "OK");
  EXPECT_NE(p["open_block"], "EPERM");
}

// The cgroup v2 path: in a private mount namespace the v1 devices hierarchy is hidden under a
// tmpfs (the host's mounts are untouched), so barco attaches its eBPF device filter to a
// directory of the cgroup2 mount instead.
TEST_F(Security, EbpfDeviceFilterOnCgroupV2RefusesBlockDevices) {
  if (!std::filesystem::exists("/sys/fs/cgroup/devices/devices.list")) {
    GTEST_SKIP() << "no v1 devices hierarchy to hide: the default run already takes the cgroup v2 path";
  }
  const std::string script = "mount -t tmpfs barco-test-hide /sys/fs/cgroup/devices && exec \"$@\"";
  std::vector<std::string> argv{"/usr/bin/unshare",
                                "--mount",
                                "--propagation",
                                "private",
                                "/bin/sh",
                                "-c",
                                script,
                                "sh",
                                barco_binary(),
                                "--root",
                                state_root(),
                                "--verbose",
                                "run",
                                "--rootfs",
                                test_rootfs(),
                                "-v",
                                probe_dir_ + ":/mnt:ro",
                                "/mnt/barco-probe",
                                "devices"};
  const auto r = command(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("eBPF device filter on"), std::string::npos) << "the v2 path was not taken: " << r.err;
  EXPECT_NE(r.err.find("CLONE_INTO_CGROUP placed the container"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("mknod_block=EPERM"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("open_null=OK"), std::string::npos) << r.out;
}

TEST_F(Security, SystempathsUnconfinedLiftsMasks) {
  auto f = probe({"--security-opt", "systempaths=unconfined"}, "paths");
  EXPECT_EQ(f["/proc/keys"], "visible");
  EXPECT_EQ(f["proc_sys"], "rw");
  EXPECT_EQ(f["sys"], "ro") << "systempaths does not make /sys writable";
}

TEST_F(Security, PrivilegedTurnsDockersProtectionsOff) {
  auto f = probe({"--privileged"});
  const auto own = own_bounding_set();
  EXPECT_EQ(f["CapEff"], own);
  EXPECT_EQ(f["CapBnd"], own);
  EXPECT_EQ(f["Seccomp"], "0");
  EXPECT_EQ(f["/proc/keys"], "visible");
  EXPECT_EQ(f["proc_sys"], "rw");
  EXPECT_EQ(f["core_pattern"], "rw") << "checked with access(W_OK), never written";
  EXPECT_EQ(f["sys"], "rw");
  if (host_has_block_devices()) {
    EXPECT_NE(f["block_devices"], "0") << "the host's block devices are visible";
  }
  EXPECT_EQ(f["mount"], "ENODEV") << "mount is reachable (only the made-up filesystem type is missing)";
  // namespaces stay private unless asked
  EXPECT_EQ(run({"--privileged", "sh", "-c", "echo $$"}).out, "1\n");
}

TEST_F(Security, PrivilegedKeepsAnExplicitSeccompProfile) {
  const auto dir = scratch_dir();
  std::ofstream(dir + "/p.json")
      << R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["keyctl"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]})";
  auto f = probe({"--privileged", "--security-opt", "seccomp=" + dir + "/p.json"});
  EXPECT_EQ(f["Seccomp"], "2");
  EXPECT_EQ(f["keyctl"], "EACCES");
}

TEST_F(Security, PrivilegedWithUserNamespaceIsRefused) {
  const auto r = run({"--privileged", "--userns", "private", "true"});
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_NE(r.err.find("incompatible with user namespaces"), std::string::npos) << r.err;
}

TEST_F(Security, MalformedProfileNamesFileAndJsonPath) {
  const auto dir = scratch_dir();
  std::ofstream(dir + "/bad.json")
      << R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_NOPE"}]})";
  const auto r = run({"--security-opt", "seccomp=" + dir + "/bad.json", "true"});
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_NE(r.err.find(dir + "/bad.json: $.syscalls[0].action: unknown action \"SCMP_ACT_NOPE\""), std::string::npos)
      << r.err;
}

TEST_F(Security, ProfileTypoIsReported) {
  const auto dir = scratch_dir();
  std::ofstream(dir + "/typo.json")
      << R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["kexec_lod"],"action":"SCMP_ACT_ERRNO"}]})";
  const auto r = run({"--security-opt", "seccomp=" + dir + "/typo.json", "true"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("'kexec_lod' is not a syscall on any architecture"), std::string::npos) << r.err;
}

TEST_F(Security, InitNeverExposesTheHostBinary) {
  // CVE-2019-5736: barco's PID 1 must not be the host's barco file, or container root could
  // rewrite it through /proc/1/exe once barco exits.
  const auto r = run({"--init", "sh", "-c",
                      "readlink /proc/1/exe; (echo x >> /proc/1/exe) 2>/dev/null && echo wrote || echo refused"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto l = lines(r.out);
  ASSERT_EQ(l.size(), 2U) << r.out;
  EXPECT_EQ(l[0], "/memfd:barco-init (deleted)");
  EXPECT_EQ(l[0].find(barco_binary()), std::string::npos);
  EXPECT_EQ(l[1], "refused");
}

TEST_F(Security, SymlinkedMountTargetsStayInsideTheRootfs) {
  // An image's symlinks must never point a mount at the host: mount targets are resolved as
  // if the rootfs were "/" (absolute links and ".." stop at the rootfs).
  namespace fs = std::filesystem;
  const std::string dir = scratch_dir();
  const std::string rootfs = dir + "/rootfs";
  fs::copy(test_rootfs(), rootfs, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  const std::string outside = dir + "/outside";  // a host directory the links name
  fs::create_directory(outside);
  fs::create_directory(dir + "/src");
  std::ofstream(dir + "/src/marker") << "from-src\n";
  fs::create_directory_symlink(outside, rootfs + "/mnt/absolute");
  fs::create_directory_symlink("../../../../../../../.." + outside, rootfs + "/mnt/dotdot");
  const auto r = barco({"--root", state_root(), "run", "--rootfs", rootfs, "-v", dir + "/src:/mnt/absolute:ro", "-v",
                        dir + "/src:/mnt/dotdot:ro", "sh", "-c", "cat /mnt/absolute/marker /mnt/dotdot/marker"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "from-src\nfrom-src\n");
  EXPECT_TRUE(fs::is_directory(rootfs + outside)) << "the target was not created inside the rootfs";
  EXPECT_TRUE(fs::is_empty(outside));
}

TEST_F(Security, WorkdirThroughProcFdIsRefused) {
  // CVE-2024-21626: a cwd of /proc/self/fd/N could point at a leaked host directory.
  for (int n = 3; n <= 32; ++n) {
    RunOptions o;
    o.leak_fd_to_barco = true;
    const auto r =
        run({"-w", "/proc/self/fd/" + std::to_string(n), "-v", probe_dir_ + ":/mnt:ro", "/mnt/barco-probe", "fds"}, o);
    if (r.exit_code == 0) {
      EXPECT_NE(r.out.find("cwd=/"), std::string::npos);
      EXPECT_EQ(r.out.find("cwd=/tmp"), std::string::npos) << "landed in the host's /tmp through fd " << n;
    } else {
      EXPECT_EQ(r.exit_code, 125);
      EXPECT_NE(r.err.find("change_dir"), std::string::npos) << r.err;
    }
  }
  auto f = probe({}, "fds");
  EXPECT_EQ(f["fds"], "0,1,2");
}

}  // namespace
}  // namespace barco::it
