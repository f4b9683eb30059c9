#include "linux/seccomp.hpp"

#include <barco/files.hpp>
#include <barco/unique_fd.hpp>

#include <seccomp.h>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstring>
#include <memory>
#include <set>
#include <utility>

namespace barco {
namespace {

using FilterContext = std::unique_ptr<void, void (*)(scmp_filter_ctx)>;

std::string lower_arch_token(const std::string& scmp_arch) {
  std::string token = scmp_arch.substr(std::strlen("SCMP_ARCH_"));
  std::transform(token.begin(), token.end(), token.begin(), [](unsigned char c) { return std::tolower(c); });
  return token;
}

uint32_t arch_token(const std::string& scmp_arch) {
  return seccomp_arch_resolve_name(lower_arch_token(scmp_arch).c_str());
}

Result<uint32_t> action_value(const std::string& action, std::optional<uint32_t> errno_ret, uint32_t default_errno) {
  if (action == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (action == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(errno_ret.value_or(default_errno));
  if (action == "SCMP_ACT_KILL" || action == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (action == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (action == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (action == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (action == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(errno_ret.value_or(default_errno));
  if (action == "SCMP_ACT_NOTIFY") return SCMP_ACT_NOTIFY;
  return plain_error("seccomp action " + action, "not supported by barco");
}

scmp_compare compare_op(const std::string& op) {
  if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (op == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
  return SCMP_CMP_MASKED_EQ;
}

Error lib_error(int rc, const std::string& call) {
  return Error{-rc, {}, call, {}};
}

// Two conditions on the same argument index mean OR (one rule each); otherwise the
// conditions are ANDed in one rule: what runc and crun do.
Result<void> add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, const SeccompRule& r, const std::string& name) {
  std::vector<scmp_arg_cmp> cmps;
  std::set<uint32_t> indexes;
  bool repeated = false;
  for (const auto& a : r.args) {
    repeated = repeated || !indexes.insert(a.index).second;
    cmps.push_back(scmp_arg_cmp{a.index, compare_op(a.op), a.value, a.value_two});
  }
  const std::string call = "seccomp_rule_add(" + name + ", " + r.action + ")";
  if (cmps.empty() || !repeated) {
    const int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(cmps.size()), cmps.data());
    return rc < 0 ? Result<void>(lib_error(rc, call)) : Result<void>{};
  }
  for (const auto& c : cmps) {
    if (const int rc = seccomp_rule_add_array(ctx, action, nr, 1, &c); rc < 0) {
      return lib_error(rc, call);
    }
  }
  return {};
}

Result<std::vector<sock_filter>> export_program(scmp_filter_ctx ctx) {
  const UniqueFd fd(::memfd_create("barco-seccomp", MFD_CLOEXEC));
  if (!fd.valid()) {
    return errno_error("memfd_create(\"barco-seccomp\")");
  }
  if (const int rc = seccomp_export_bpf(ctx, fd.get()); rc < 0) {
    return lib_error(rc, "seccomp_export_bpf()");
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) {
    return errno_error("fstat(memfd)");
  }
  std::vector<sock_filter> program(static_cast<size_t>(st.st_size) / sizeof(sock_filter));
  if (::pread(fd.get(), program.data(), program.size() * sizeof(sock_filter), 0) !=
      static_cast<ssize_t>(program.size() * sizeof(sock_filter))) {
    return errno_error("pread(memfd)");
  }
  return program;
}

std::string cache_key(const SeccompFilter& filter) {
  // The number is the program layout's version (3: binary tree, 4: the ENOSYS stub in
  // front): a new layout misses old entries.
  return "barco-seccomp-cache 4 libseccomp " + libseccomp_version() + "\n" + seccomp_filter_text(filter);
}

std::string fnv1a_hex(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (const unsigned char c : s) {
    h = (h ^ c) * 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// Syscalls newer than the libseccomp barco builds with (Debian 12's 2.5.4 knows numbers up
// to 456). Since Linux 5.1 every architecture barco supports gives a new syscall the same
// number (asm-generic); x32 sets its bit on it.
constexpr std::pair<const char*, int> kNewerSyscalls[] = {
    {"statmount", 457},        {"listmount", 458},     {"lsm_get_self_attr", 459}, {"lsm_set_self_attr", 460},
    {"lsm_list_modules", 461}, {"mseal", 462},         {"setxattrat", 463},        {"getxattrat", 464},
    {"listxattrat", 465},      {"removexattrat", 466}, {"open_tree_attr", 467},
};
constexpr uint32_t kX32SyscallBit = 0x40000000;

// The syscall's number on `token`'s architecture, or -1.
int syscall_number(uint32_t token, const std::string& name) {
  if (const int nr = seccomp_syscall_resolve_name_arch(token, name.c_str()); nr >= 0) {
    return nr;
  }
  const bool generic = token == SCMP_ARCH_X86_64 || token == SCMP_ARCH_X86 || token == SCMP_ARCH_X32 ||
                       token == SCMP_ARCH_AARCH64 || token == SCMP_ARCH_ARM;
  for (const auto& [newer, nr] : kNewerSyscalls) {
    if (generic && name == newer) {
      return token == SCMP_ARCH_X32 ? static_cast<int>(static_cast<uint32_t>(nr) | kX32SyscallBit) : nr;
    }
  }
  return -1;
}

bool known_on(const std::string& name, const std::string& scmp_arch) {
  return syscall_number(arch_token(scmp_arch), name) >= 0;
}

sock_filter bpf_stmt(uint16_t code, uint32_t k) {
  return sock_filter{code, 0, 0, k};
}
sock_filter bpf_jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
  return sock_filter{code, jt, jf, k};
}

// What goes in front of libseccomp's program, per architecture of the filter (runc's
// "ENOSYS stub"): a syscall number above every number the profile names is answered
// ENOSYS instead of the default EPERM, so a libc that tries a syscall newer than the profile
// falls back to the older one (EPERM would be taken as a real refusal); and the rules for
// syscalls this libseccomp cannot name (`newer`: number and action) are decided here.
std::vector<sock_filter> enosys_stub(const std::vector<std::pair<uint32_t, int>>& arches,
                                     const std::vector<std::vector<std::pair<int, uint32_t>>>& newer) {
  std::vector<sock_filter> out;
  for (size_t i = 0; i < arches.size(); ++i) {
    const auto [token, highest] = arches[i];
    const bool x86_64 = token == SCMP_ARCH_X86_64;
    const auto rest = static_cast<uint8_t>(1 + (x86_64 ? 1 : 0) + 2 * newer[i].size() + 2);
    out.push_back(bpf_stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
    out.push_back(bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, token, 0, rest));
    out.push_back(bpf_stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
    if (x86_64) {
      // x32 shares x86-64's audit arch; its numbers (with the x32 bit) are libseccomp's.
      out.push_back(
          bpf_jump(BPF_JMP | BPF_JGE | BPF_K, kX32SyscallBit, static_cast<uint8_t>(2 * newer[i].size() + 2), 0));
    }
    for (const auto& [nr, action] : newer[i]) {
      out.push_back(bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 1));
      out.push_back(bpf_stmt(BPF_RET | BPF_K, action));
    }
    out.push_back(bpf_jump(BPF_JMP | BPF_JGT | BPF_K, static_cast<uint32_t>(highest), 0, 1));
    out.push_back(bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS));
  }
  return out;
}

constexpr const char* kLintArches[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64",
                                       "SCMP_ARCH_ARM"};

}  // namespace

std::string libseccomp_version() {
  const auto* v = seccomp_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

Result<CompiledFilter> compile_seccomp(const SeccompFilter& filter) {
  auto default_action = action_value(filter.default_action, filter.default_errno, filter.default_errno);
  if (!default_action) {
    return default_action.error();
  }
  FilterContext ctx(seccomp_init(*default_action), seccomp_release);
  if (!ctx) {
    return plain_error("seccomp_init(" + filter.default_action + ")");
  }
  // barco sets no_new_privs itself (or not, as asked); the kernel's own error codes help
  // the user more than libseccomp's ECANCELED.
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_API_SYSRAWRC, 1);
  // A binary tree of syscall numbers instead of a linear list. Loading costs 0.17 ms
  // instead of 0.72 here: at load the kernel runs the filter once per syscall number and
  // architecture to fill its allow-cache, which on a linear ~1000-instruction program is
  // most of the work. Every syscall the container makes is checked faster too.
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  for (const auto& arch : filter.architectures) {
    const uint32_t token = arch_token(arch);
    if (token == 0) {
      return plain_error("seccomp_arch_resolve_name(" + arch + ")", "libseccomp does not know this architecture");
    }
    if (const int rc = seccomp_arch_add(ctx.get(), token); rc < 0 && rc != -EEXIST) {
      return lib_error(rc, "seccomp_arch_add(" + arch + ")");
    }
  }
  // Per architecture (x32 aside: its numbers stay libseccomp's): the highest number the
  // profile names, and the rules for syscalls newer than libseccomp.
  std::vector<std::pair<uint32_t, int>> arches;
  for (const auto& arch : filter.architectures) {
    if (arch_token(arch) != SCMP_ARCH_X32) {
      arches.emplace_back(arch_token(arch), -1);
    }
  }
  if (filter.architectures.empty()) {
    arches.emplace_back(seccomp_arch_native(), -1);  // what libseccomp filters without a list
  }
  std::vector<std::vector<std::pair<int, uint32_t>>> newer(arches.size());
  CompiledFilter out;
  for (const auto& r : filter.rules) {
    auto action = action_value(r.action, r.errno_ret, filter.default_errno);
    if (!action) {
      return action.error();
    }
    for (const auto& name : r.names) {
      for (auto& [token, highest] : arches) {
        highest = std::max(highest, syscall_number(token, name));
      }
      if (*action == *default_action) {
        continue;  // redundant, and libseccomp refuses it
      }
      const int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr != __NR_SCMP_ERROR) {
        if (auto added = add_rule(ctx.get(), *action, nr, r, name); !added) {
          return added.error();
        }
      } else if (r.args.empty() && !arches.empty() && syscall_number(arches.front().first, name) >= 0) {
        for (size_t i = 0; i < arches.size(); ++i) {
          newer[i].emplace_back(syscall_number(arches[i].first, name), *action);
        }
      } else {
        out.skipped_names.push_back(name);
      }
    }
  }
  auto program = export_program(ctx.get());
  if (!program) {
    return program.error();
  }
  const bool stub = *default_action != SCMP_ACT_ALLOW && *default_action != SCMP_ACT_ERRNO(ENOSYS);
  out.program = stub ? enosys_stub(arches, newer) : std::vector<sock_filter>{};
  out.program.insert(out.program.end(), program->begin(), program->end());
  return out;
}

Result<CompiledFilter> compile_seccomp_cached(const SeccompFilter& filter, const std::string& cache_dir) {
  // An entry: the key's length on a line, the key, then the program (struct sock_filter[]);
  // the length line lets other tools (bench/floor.c) find the program without the key.
  const std::string exact = cache_key(filter);
  const std::string path = cache_dir + "/" + fnv1a_hex(exact) + ".bpf";
  const std::string key = std::to_string(exact.size()) + "\n" + exact;
  if (auto cached = read_file(path); cached && cached->size() > key.size() &&
                                     cached->compare(0, key.size(), key) == 0 &&
                                     (cached->size() - key.size()) % sizeof(sock_filter) == 0) {
    CompiledFilter out;
    out.program.resize((cached->size() - key.size()) / sizeof(sock_filter));
    std::memcpy(out.program.data(), cached->data() + key.size(), out.program.size() * sizeof(sock_filter));
    return out;
  }
  auto compiled = compile_seccomp(filter);
  if (!compiled) {
    return compiled;
  }
  // The cache only saves time: failing to write it is not an error.
  if (::mkdir(cache_dir.c_str(), 0700) == 0 || errno == EEXIST) {
    std::string blob = key;
    blob.append(reinterpret_cast<const char*>(compiled->program.data()),
                compiled->program.size() * sizeof(sock_filter));
    (void)write_file_atomic(path, blob);
  }
  return compiled;
}

std::vector<std::string> unknown_syscall_names(const SeccompProfile& profile) {
  std::vector<std::string> out;
  for (const auto& r : profile.syscalls) {
    for (const auto& n : r.names) {
      const bool known =
          std::any_of(std::begin(kLintArches), std::end(kLintArches), [&](const char* a) { return known_on(n, a); });
      // libseccomp knows some names only as pseudo-syscalls of other architectures.
      if (!known && seccomp_syscall_resolve_name(n.c_str()) == __NR_SCMP_ERROR) {
        out.push_back(n);
      }
    }
  }
  return out;
}

std::vector<std::string> names_missing_on(const SeccompProfile& profile, const std::string& scmp_arch) {
  std::set<std::string> out;
  for (const auto& r : profile.syscalls) {
    for (const auto& n : r.names) {
      if (!known_on(n, scmp_arch)) {
        out.insert(n);
      }
    }
  }
  return {out.begin(), out.end()};
}

Result<void> load_seccomp(Sys& sys, const std::vector<sock_filter>& program) {
  return sys.load_seccomp(program);
}

}  // namespace barco
