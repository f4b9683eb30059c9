// Compiling filters with libseccomp (no root needed: nothing is loaded).
#include "linux/seccomp.hpp"

#include <barco/defaults.hpp>

#include <gtest/gtest.h>
#include <seccomp.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

namespace barco {
namespace {

SeccompFilter default_filter(const std::string& arch = native_seccomp_arch()) {
  const auto p = parse_seccomp_profile(builtin_seccomp_profile(), "default.json");
  return resolve_seccomp_profile(p, {arch, docker_default_caps(), {6, 1}});
}

// Runs a classic BPF seccomp program for one syscall number on the native architecture
// without arguments, as the kernel does when it fills its allow-cache at load time.
struct Verdict {
  uint32_t action = 0;
  int steps = 0;
  bool reads_arguments = false;
};

Verdict evaluate(const std::vector<sock_filter>& program, uint32_t arch, uint32_t nr) {
  Verdict v;
  uint32_t a = 0;
  for (size_t pc = 0; pc < program.size(); ++pc, ++v.steps) {
    const sock_filter& insn = program[pc];
    switch (insn.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (insn.k != offsetof(seccomp_data, nr) && insn.k != offsetof(seccomp_data, arch)) {
          v.reads_arguments = true;
          return v;
        }
        a = insn.k == offsetof(seccomp_data, nr) ? nr : arch;
        break;
      case BPF_RET | BPF_K: v.action = insn.k; return v;
      case BPF_JMP | BPF_JA: pc += insn.k; break;
      case BPF_JMP | BPF_JEQ | BPF_K: pc += a == insn.k ? insn.jt : insn.jf; break;
      case BPF_JMP | BPF_JGE | BPF_K: pc += a >= insn.k ? insn.jt : insn.jf; break;
      case BPF_JMP | BPF_JGT | BPF_K: pc += a > insn.k ? insn.jt : insn.jf; break;
      case BPF_JMP | BPF_JSET | BPF_K: pc += (a & insn.k) != 0 ? insn.jt : insn.jf; break;
      case BPF_ALU | BPF_AND | BPF_K: a &= insn.k; break;
      default: ADD_FAILURE() << "instruction " << insn.code << " at " << pc; return v;
    }
  }
  ADD_FAILURE() << "fell off the end of the program";
  return v;
}

TEST(SeccompCompile, DefaultProgramDecidesEverySyscallInFewSteps) {
  // The kernel runs the program once per syscall number and architecture when it is loaded:
  // a linear program (~1000 instructions) made that load 0.7 ms, the binary tree 0.17 ms.
  auto c = compile_seccomp(default_filter());
  ASSERT_TRUE(c) << c.error().message();
  const uint32_t arch = seccomp_arch_native();
  int longest = 0;
  for (uint32_t nr = 0; nr < 460; ++nr) {
    const Verdict v = evaluate(c->program, arch, nr);
    if (!v.reads_arguments) {
      longest = std::max(longest, v.steps);
    }
  }
  EXPECT_GT(longest, 0);
  EXPECT_LE(longest, 40) << "the program checks syscall numbers one after another, not as a tree";
  const int getpid = seccomp_syscall_resolve_name("getpid");
  const int kexec = seccomp_syscall_resolve_name("kexec_load");
  EXPECT_EQ(evaluate(c->program, arch, static_cast<uint32_t>(getpid)).action, SCMP_ACT_ALLOW);
  EXPECT_EQ(evaluate(c->program, arch, static_cast<uint32_t>(kexec)).action, SCMP_ACT_ERRNO(EPERM));
  EXPECT_EQ(evaluate(c->program, arch ^ 1U, static_cast<uint32_t>(getpid)).action, SCMP_ACT_KILL)
      << "a foreign architecture is killed";
}

// runc's stub: a number above everything the profile names gets ENOSYS, so a libc falls
// back from a syscall newer than the profile; numbers in between keep the profile's EPERM.
// Syscalls newer than libseccomp (mseal, the *xattrat family) are still allowed.
TEST(SeccompCompile, NumbersNewerThanTheProfileGetEnosysAndNewerNamesAreAllowed) {
  for (const char* arch_name : {"SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"}) {
    auto c = compile_seccomp(default_filter(arch_name));
    ASSERT_TRUE(c) << c.error().message();
    const uint32_t arch = std::string(arch_name) == "SCMP_ARCH_X86_64" ? SCMP_ARCH_X86_64 : SCMP_ARCH_AARCH64;
    EXPECT_EQ(evaluate(c->program, arch, 500).action, SCMP_ACT_ERRNO(ENOSYS)) << arch_name;
    EXPECT_EQ(evaluate(c->program, arch, 1023).action, SCMP_ACT_ERRNO(ENOSYS)) << arch_name;
    for (const int newer : {452, 454, 457, 462, 463, 466}) {  // fchmodat2, futex_wake, statmount, mseal, *xattrat
      EXPECT_EQ(evaluate(c->program, arch, static_cast<uint32_t>(newer)).action, SCMP_ACT_ALLOW)
          << arch_name << " " << newer;
    }
    const int kexec = seccomp_syscall_resolve_name_arch(arch, "kexec_load");
    EXPECT_EQ(evaluate(c->program, arch, static_cast<uint32_t>(kexec)).action, SCMP_ACT_ERRNO(EPERM)) << arch_name;
    EXPECT_EQ(evaluate(c->program, arch, 459).action, SCMP_ACT_ERRNO(EPERM))
        << "lsm_get_self_attr needs CAP_SYS_ADMIN: below the highest number, so EPERM";
    EXPECT_TRUE(c->skipped_names.empty()) << c->skipped_names.front();
  }
  auto c = compile_seccomp(default_filter("SCMP_ARCH_X86_64"));
  const int x32_read = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X32, "read");
  EXPECT_EQ(evaluate(c->program, SCMP_ARCH_X86_64, static_cast<uint32_t>(x32_read)).action, SCMP_ACT_ALLOW)
      << "x32 numbers pass the stub to libseccomp's rules";
}

TEST(SeccompCompile, DefaultProfileCompilesForBothArchitectures) {
  for (const char* arch : {"SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"}) {
    auto c = compile_seccomp(default_filter(arch));
    ASSERT_TRUE(c) << arch << ": " << c.error().message();
    EXPECT_GT(c->program.size(), 100U) << arch;
    EXPECT_TRUE(c->skipped_names.empty()) << arch;
  }
}

TEST(SeccompCompile, EveryNameInTheDefaultProfileIsARealSyscall) {
  EXPECT_EQ(unknown_syscall_names(parse_seccomp_profile(builtin_seccomp_profile(), "default.json")),
            std::vector<std::string>{});
}

// aarch64 has only the *at variants and no fork/vfork: the profile lists both worlds, and
// the names an arch lacks are simply not compiled in. This lists them so a reader can see.
TEST(SeccompCompile, NamesMissingPerArchitectureAreTheExpectedOnes) {
  const auto p = parse_seccomp_profile(builtin_seccomp_profile(), "default.json");
  const auto arm64 = names_missing_on(p, "SCMP_ARCH_AARCH64");
  for (const char* legacy : {"open", "stat", "fork", "vfork", "mkdir", "pipe", "poll", "select", "arch_prctl"}) {
    EXPECT_NE(std::find(arm64.begin(), arm64.end(), legacy), arm64.end()) << legacy << " should be missing on aarch64";
  }
  for (const char* needed : {"openat", "newfstatat", "clone", "execve", "mkdirat", "pipe2", "ppoll", "pselect6"}) {
    EXPECT_EQ(std::find(arm64.begin(), arm64.end(), needed), arm64.end()) << needed << " must exist on aarch64";
  }
  const auto amd64 = names_missing_on(p, "SCMP_ARCH_X86_64");
  for (const char* needed : {"open", "openat", "fork", "clone", "arch_prctl"}) {
    EXPECT_EQ(std::find(amd64.begin(), amd64.end(), needed), amd64.end()) << needed;
  }
}

// Every syscall name that exists on both architectures is allowed on aarch64 exactly when
// it is allowed on x86-64 (so no x86-64 block is lost), and what ordinary aarch64 programs
// call is allowed. The names each arch lacks are printed for the reader.
TEST(SeccompCompile, Aarch64KeepsEveryX86BlockAndAllowsWhatProgramsNeed) {
  const auto p = parse_seccomp_profile(builtin_seccomp_profile(), "default.json");
  const auto allowed_on = [&](const char* arch) {
    std::set<std::string> names;
    for (const auto& rule : resolve_seccomp_profile(p, {arch, docker_default_caps(), {6, 1}}).rules) {
      if (rule.action == "SCMP_ACT_ALLOW") {
        names.insert(rule.names.begin(), rule.names.end());
      }
    }
    return names;
  };
  const auto exists_on = [](const std::string& name, const char* arch) {
    const uint32_t token = std::strcmp(arch, "SCMP_ARCH_X86_64") == 0 ? SCMP_ARCH_X86_64 : SCMP_ARCH_AARCH64;
    return seccomp_syscall_resolve_name_arch(token, name.c_str()) >= 0;  // pseudo-numbers are negative
  };
  const auto x86 = allowed_on("SCMP_ARCH_X86_64");
  const auto arm = allowed_on("SCMP_ARCH_AARCH64");
  std::set<std::string> every_name;
  for (const auto& rule : p.syscalls) {
    every_name.insert(rule.names.begin(), rule.names.end());
  }
  for (const auto& name : every_name) {
    if (exists_on(name, "SCMP_ARCH_X86_64") && exists_on(name, "SCMP_ARCH_AARCH64")) {
      EXPECT_EQ(x86.count(name), arm.count(name)) << name << " differs between x86-64 and aarch64";
    }
  }
  for (const char* needed : {"openat",     "newfstatat",      "statx",       "faccessat",
                             "faccessat2", "mkdirat",         "unlinkat",    "renameat2",
                             "readlinkat", "fchmodat",        "fchownat",    "linkat",
                             "symlinkat",  "getdents64",      "pipe2",       "dup3",
                             "ppoll",      "pselect6",        "epoll_pwait", "epoll_create1",
                             "clone",      "execve",          "execveat",    "wait4",
                             "exit_group", "rt_sigaction",    "futex",       "mmap",
                             "brk",        "set_tid_address", "rseq",        "prlimit64",
                             "getrandom",  "clock_nanosleep", "memfd_create"}) {
    EXPECT_TRUE(exists_on(needed, "SCMP_ARCH_AARCH64")) << needed;
    EXPECT_EQ(arm.count(needed), 1U) << needed << " is not allowed on aarch64";
  }
  for (const char* arch : {"SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"}) {
    std::string list;
    for (const auto& name : names_missing_on(p, arch)) {
      list += " " + name;
    }
    std::cout << "profile names that are not syscalls on " << arch << ":" << list << "\n";
  }
}

TEST(SeccompCompile, TyposAreFound) {
  const auto p = parse_seccomp_profile(
      R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["kexec_lod","read"],"action":"SCMP_ACT_ERRNO"}]})",
      "t.json");
  EXPECT_EQ(unknown_syscall_names(p), std::vector<std::string>{"kexec_lod"});
  auto c = compile_seccomp(resolve_seccomp_profile(p, {native_seccomp_arch(), 0, {6, 1}}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->skipped_names, std::vector<std::string>{"kexec_lod"});
}

TEST(SeccompCompile, RepeatedArgumentIndexBecomesOneRulePerCondition) {
  const auto p = parse_seccomp_profile(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["personality"],
      "action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"},{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]}]})",
                                       "t.json");
  auto c = compile_seccomp(resolve_seccomp_profile(p, {native_seccomp_arch(), 0, {6, 1}}));
  ASSERT_TRUE(c) << c.error().message();
}

TEST(SeccompCompile, CacheReturnsTheSameProgramAndIgnoresForeignFiles) {
  char tmpl[] = "/tmp/barco-cache-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = std::string(tmpl) + "/cache";
  const auto filter = default_filter();
  auto first = compile_seccomp_cached(filter, dir);
  ASSERT_TRUE(first);
  ASSERT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);
  const auto entry = std::filesystem::directory_iterator(dir)->path();
  auto second = compile_seccomp_cached(filter, dir);
  ASSERT_TRUE(second);
  EXPECT_EQ(first->program.size(), second->program.size());
  EXPECT_EQ(0, std::memcmp(first->program.data(), second->program.data(), first->program.size() * sizeof(sock_filter)));
  // A tampered entry whose stored key does not match is not used.
  std::ofstream(entry, std::ios::trunc) << "not the key";
  auto third = compile_seccomp_cached(filter, dir);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->program.size(), first->program.size());
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace barco
