#include <barco/defaults.hpp>
#include <barco/result.hpp>
#include <barco/seccomp_profile.hpp>

#include <gtest/gtest.h>

#include <linux/capability.h>

#include <algorithm>

namespace barco {
namespace {

std::string profile_error(const std::string& json) {
  try {
    (void)parse_seccomp_profile(json, "p.json");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

bool allows(const SeccompFilter& f, const std::string& name) {
  return std::any_of(f.rules.begin(), f.rules.end(), [&](const SeccompRule& r) {
    return r.action == "SCMP_ACT_ALLOW" && std::find(r.names.begin(), r.names.end(), name) != r.names.end();
  });
}

const SeccompTarget kAmd64{"SCMP_ARCH_X86_64", docker_default_caps(), {6, 1}};

TEST(SeccompProfile, ParsesEveryField) {
  const auto p = parse_seccomp_profile(R"({
    "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
    "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
    "syscalls": [
      {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
      {"name": "socket", "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 38, "op": "SCMP_CMP_LT"}]},
      {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8", "arches": ["amd64"]}}
    ]})",
                                       "p.json");
  EXPECT_EQ(p.default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(p.default_errno, 1U);
  ASSERT_EQ(p.arch_map.size(), 1U);
  EXPECT_EQ(p.arch_map[0].sub_architectures, (std::vector<std::string>{"SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  ASSERT_EQ(p.syscalls.size(), 4U);
  EXPECT_EQ(p.syscalls[1].names, std::vector<std::string>{"socket"});
  EXPECT_EQ(p.syscalls[1].args, (std::vector<SeccompArg>{{0, 38, 0, "SCMP_CMP_LT"}}));
  EXPECT_EQ(p.syscalls[2].errno_ret, 38U);
  EXPECT_EQ(p.syscalls[2].excludes.caps, std::vector<std::string>{"CAP_SYS_ADMIN"});
  EXPECT_EQ(p.syscalls[3].includes.min_kernel, "4.8");
}

TEST(SeccompProfile, ErrorsNameTheJsonPath) {
  EXPECT_NE(profile_error("{").find("p.json: $: not valid JSON"), std::string::npos);
  EXPECT_NE(profile_error("[]").find("$: expected an object"), std::string::npos);
  EXPECT_NE(profile_error("{}").find("$: missing \"defaultAction\""), std::string::npos);
  EXPECT_NE(profile_error(R"({"defaultAction":"SCMP_ACT_NO"})").find("$.defaultAction: unknown action"),
            std::string::npos);
  EXPECT_NE(profile_error(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":1}]})")
                .find("$.syscalls[0].action: expected a string"),
            std::string::npos);
  EXPECT_NE(profile_error(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":[],"action":"SCMP_ACT_ERRNO"}]})")
                .find("$.syscalls[0].names: lists no syscall"),
            std::string::npos);
  EXPECT_NE(profile_error(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["x"],"action":"SCMP_ACT_ERRNO",
                              "args":[{"index":7,"value":1,"op":"SCMP_CMP_EQ"}]}]})")
                .find("$.syscalls[0].args[0].index: a syscall has 6 arguments"),
            std::string::npos);
  EXPECT_NE(profile_error(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["x"],"action":"SCMP_ACT_ERRNO",
                              "args":[{"index":0,"value":1,"op":"SCMP_CMP_LIKE"}]}]})")
                .find("$.syscalls[0].args[0].op: unknown operator"),
            std::string::npos);
  EXPECT_NE(
      profile_error(
          R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","errnoRet":1}]})")
          .find("$.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE"),
      std::string::npos);
  EXPECT_NE(profile_error(R"({"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"archMap":[]})")
                .find("not both"),
            std::string::npos);
  EXPECT_NE(profile_error(R"({"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_VAX"]})")
                .find("$.architectures[0]: unknown architecture"),
            std::string::npos);
  EXPECT_NE(profile_error(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["x"],"action":"SCMP_ACT_ERRNO",
                              "includes":{"caps":["CAP_NOPE"]}}]})")
                .find("$.syscalls[0].includes.caps[0]: unknown capability"),
            std::string::npos);
  EXPECT_NE(profile_error(R"({"defaultAction":"SCMP_ACT_NOTIFY"})").find("listener"), std::string::npos);
}

std::string notify_profile(const std::string& names, const std::string& listener) {
  return R"({"defaultAction":"SCMP_ACT_ALLOW","listenerPath":")" + listener +
         R"(","listenerMetadata":"bar","syscalls":[{"names":[)" + names + R"(],"action":"SCMP_ACT_NOTIFY"}]})";
}

TEST(SeccompProfile, NotifyNeedsAnAbsoluteListenerPathAndRefusesWhatWouldHangBarcosOwnSetup) {
  const auto p = parse_seccomp_profile(notify_profile(R"("mkdir")", "/run/agent.sock"), "p.json");
  EXPECT_TRUE(uses_notify(p));
  EXPECT_EQ(p.listener_path, "/run/agent.sock");
  EXPECT_EQ(p.listener_metadata, "bar");
  EXPECT_NE(profile_error(notify_profile(R"("mkdir")", "")).find("$.listenerPath: SCMP_ACT_NOTIFY needs listenerPath"),
            std::string::npos);
  EXPECT_NE(profile_error(notify_profile(R"("mkdir")", "@abstract")).find("not an absolute path"), std::string::npos);
  EXPECT_NE(profile_error(notify_profile(R"("read","write")", "/run/agent.sock"))
                .find("$.syscalls[0]: SCMP_ACT_NOTIFY cannot be used for the write syscall"),
            std::string::npos);
  EXPECT_NE(profile_error(R"({"defaultAction":"SCMP_ACT_NOTIFY","listenerPath":"/a"})")
                .find("$.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"),
            std::string::npos);
  // A listener without a notifying rule is unused, as in runc.
  const auto unused = parse_seccomp_profile(R"({"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/a"})", "p.json");
  EXPECT_FALSE(uses_notify(unused));
}

TEST(SeccompProfile, ResolutionFollowsMobysRules) {
  const auto p = parse_seccomp_profile(R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
                {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
    "syscalls": [
      {"names": ["always"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["admin_only"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["not_for_admin"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["x86_only"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64"]}},
      {"names": ["not_arm64"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["arm64"]}},
      {"names": ["new_kernel"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "6.5"}},
      {"names": ["old_kernel"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "5.0"}}
    ]})",
                                       "p.json");
  const auto amd = resolve_seccomp_profile(p, {"SCMP_ARCH_X86_64", docker_default_caps(), {6, 1}});
  EXPECT_EQ(amd.architectures, (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}));
  EXPECT_EQ(amd.default_errno, 1U);
  EXPECT_TRUE(allows(amd, "always"));
  EXPECT_FALSE(allows(amd, "admin_only"));
  EXPECT_TRUE(allows(amd, "not_for_admin"));
  EXPECT_TRUE(allows(amd, "x86_only"));
  EXPECT_TRUE(allows(amd, "not_arm64"));
  EXPECT_FALSE(allows(amd, "new_kernel"));
  EXPECT_FALSE(allows(amd, "old_kernel"));
  const auto arm =
      resolve_seccomp_profile(p, {"SCMP_ARCH_AARCH64", docker_default_caps() | cap_bit(CAP_SYS_ADMIN), {6, 8}});
  EXPECT_EQ(arm.architectures, (std::vector<std::string>{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
  EXPECT_TRUE(allows(arm, "admin_only"));
  EXPECT_FALSE(allows(arm, "not_for_admin"));
  EXPECT_FALSE(allows(arm, "x86_only"));
  EXPECT_FALSE(allows(arm, "not_arm64"));
  EXPECT_TRUE(allows(arm, "new_kernel"));
  for (const auto& r : arm.rules) {
    EXPECT_TRUE(r.includes.caps.empty() && r.excludes.caps.empty()) << "resolved rules carry no conditions";
  }
}

TEST(SeccompProfile, KernelVersions) {
  EXPECT_EQ(KernelVersion::parse("6.18.44-fc-v669"), (KernelVersion{6, 18}));
  EXPECT_EQ(KernelVersion::parse("4.8"), (KernelVersion{4, 8}));
  EXPECT_EQ(KernelVersion::parse("garbage"), KernelVersion{});
  EXPECT_FALSE((KernelVersion{4, 19}).at_least({5, 4}));
  EXPECT_TRUE((KernelVersion{5, 4}).at_least({5, 4}));
  EXPECT_TRUE((KernelVersion{6, 0}).at_least({5, 10}));
}

// The built-in default profile keeps docker's blocks.
TEST(DefaultProfile, DockersRulesHold) {
  const auto p = parse_seccomp_profile(builtin_seccomp_profile(), "default.json");
  EXPECT_EQ(p.default_action, "SCMP_ACT_ERRNO");
  const auto f = resolve_seccomp_profile(p, kAmd64);
  for (const char* allowed : {"read", "openat", "execve", "mmap", "futex", "rt_sigaction", "close_range", "capset",
                              "setresuid", "prctl", "socketpair", "arch_prctl", "ptrace"}) {
    EXPECT_TRUE(allows(f, allowed)) << allowed;
  }
  for (const char* never : {"keyctl", "add_key", "request_key", "kexec_load", "kexec_file_load", "userfaultfd",
                            "io_uring_setup", "pivot_root", "swapon", "mount", "unshare", "setns", "bpf", "init_module",
                            "open_by_handle_at", "reboot", "settimeofday"}) {
    EXPECT_FALSE(allows(f, never)) << never;
  }
  const auto admin =
      resolve_seccomp_profile(p, {"SCMP_ARCH_X86_64", docker_default_caps() | cap_bit(CAP_SYS_ADMIN), {6, 1}});
  for (const char* with_admin : {"mount", "unshare", "setns", "clone3", "umount2"}) {
    EXPECT_TRUE(allows(admin, with_admin)) << with_admin;
  }
  EXPECT_FALSE(allows(admin, "keyctl"));
  // clone3 -> ENOSYS without CAP_SYS_ADMIN; clone only without namespace flags
  bool clone3_enosys = false;
  bool clone_masked = false;
  for (const auto& r : f.rules) {
    if (r.names == std::vector<std::string>{"clone3"} && r.action == "SCMP_ACT_ERRNO" && r.errno_ret == 38U)
      clone3_enosys = true;
    if (r.names == std::vector<std::string>{"clone"} && r.args.size() == 1 && r.args[0].op == "SCMP_CMP_MASKED_EQ" &&
        r.args[0].value == 0x7E020000U && r.args[0].value_two == 0) {
      clone_masked = true;
    }
  }
  EXPECT_TRUE(clone3_enosys);
  EXPECT_TRUE(clone_masked);
  EXPECT_FALSE(allows(f, "clone") && !clone_masked);
}

TEST(DefaultProfile, ArchSpecificRules) {
  const auto p = parse_seccomp_profile(builtin_seccomp_profile(), "default.json");
  const auto arm = resolve_seccomp_profile(p, {"SCMP_ARCH_AARCH64", docker_default_caps(), {6, 1}});
  EXPECT_EQ(arm.architectures, (std::vector<std::string>{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
  EXPECT_FALSE(allows(arm, "arch_prctl"));
  EXPECT_TRUE(allows(arm, "set_tls"));
  const auto amd = resolve_seccomp_profile(p, kAmd64);
  EXPECT_EQ(amd.architectures, (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  EXPECT_FALSE(allows(amd, "set_tls"));
}

TEST(SeccompFilterText, IsStableAndDistinguishesFilters) {
  const auto p = parse_seccomp_profile(builtin_seccomp_profile(), "default.json");
  const auto a = seccomp_filter_text(resolve_seccomp_profile(p, kAmd64));
  EXPECT_EQ(a, seccomp_filter_text(resolve_seccomp_profile(p, kAmd64)));
  EXPECT_NE(a, seccomp_filter_text(resolve_seccomp_profile(
                   p, {"SCMP_ARCH_X86_64", docker_default_caps() | cap_bit(CAP_SYS_ADMIN), {6, 1}})));
}

}  // namespace
}  // namespace barco

namespace barco {
namespace {

// The profile every run uses was parsed at build time by tools/profile_codegen: it must be
// exactly what parsing the embedded text gives.
TEST(BuiltinProfile, BuildTimeParseEqualsRunTimeParse) {
  EXPECT_EQ(builtin_seccomp_profile_parsed(),
            parse_seccomp_profile(builtin_seccomp_profile(), "profiles/default.json (built in)"));
  EXPECT_GT(builtin_seccomp_profile_parsed().syscalls.size(), 20U);
}

}  // namespace
}  // namespace barco
