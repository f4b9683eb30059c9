#include <barco/overloaded.hpp>
#include <barco/plan.hpp>

#include <sched.h>
#include <sys/mount.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <sstream>
#include <utility>

namespace barco {
namespace {

template <size_t N>
std::string flags_to_string(unsigned long flags, const std::array<std::pair<unsigned long, const char*>, N>& names) {
  std::string out;
  for (const auto& [bit, name] : names) {
    if ((flags & bit) != 0) {
      out += (out.empty() ? "" : "|") + std::string(name);
      flags &= ~bit;
    }
  }
  if (flags != 0) {
    std::ostringstream hex;
    hex << std::hex << "0x" << flags;
    out += (out.empty() ? "" : "|") + hex.str();
  }
  return out.empty() ? "0" : out;
}

std::string quoted_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i ? ", \"" : "\"") + items[i] + "\"";
  }
  return out + "]";
}

std::string preserved_fds(int count) {
  if (count <= 0) {
    return {};
  }
  return "; the caller's fds 3-" + std::to_string(2 + count) + " are kept (--preserve-fds)";
}

std::string ids(const std::vector<uint32_t>& v) {
  std::string out;
  for (const auto id : v) {
    out += (out.empty() ? "" : ",") + std::to_string(id);
  }
  return out.empty() ? "none" : out;
}

}  // namespace

std::string clone_flags_to_string(unsigned long flags) {
  static constexpr std::array<std::pair<unsigned long, const char*>, 7> kNames{{
      {CLONE_NEWNS, "CLONE_NEWNS"},
      {CLONE_NEWPID, "CLONE_NEWPID"},
      {CLONE_NEWUTS, "CLONE_NEWUTS"},
      {CLONE_NEWIPC, "CLONE_NEWIPC"},
      {CLONE_NEWNET, "CLONE_NEWNET"},
      {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
      {CLONE_NEWUSER, "CLONE_NEWUSER"},
  }};
  return flags_to_string(flags, kNames);
}

std::string mount_flags_to_string(unsigned long flags) {
  static constexpr std::array<std::pair<unsigned long, const char*>, 13> kNames{{
      {MS_RDONLY, "MS_RDONLY"},
      {MS_NOSUID, "MS_NOSUID"},
      {MS_NODEV, "MS_NODEV"},
      {MS_NOEXEC, "MS_NOEXEC"},
      {MS_SYNCHRONOUS, "MS_SYNCHRONOUS"},
      {MS_REMOUNT, "MS_REMOUNT"},
      {MS_NOATIME, "MS_NOATIME"},
      {MS_NODIRATIME, "MS_NODIRATIME"},
      {MS_BIND, "MS_BIND"},
      {MS_REC, "MS_REC"},
      {MS_PRIVATE, "MS_PRIVATE"},
      {MS_STRICTATIME, "MS_STRICTATIME"},
      {MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW"},
  }};
  return flags_to_string(flags, kNames);
}

std::string mount_attrs_to_string(uint64_t attrs) {
  static constexpr std::array<std::pair<uint64_t, const char*>, 8> kNames{{
      {MOUNT_ATTR_RDONLY, "RDONLY"},
      {MOUNT_ATTR_NOSUID, "NOSUID"},
      {MOUNT_ATTR_NODEV, "NODEV"},
      {MOUNT_ATTR_NOEXEC, "NOEXEC"},
      {MOUNT_ATTR__ATIME, "ATIME"},
      {MOUNT_ATTR_NOATIME, "NOATIME"},
      {MOUNT_ATTR_NODIRATIME, "NODIRATIME"},
      {MOUNT_ATTR_NOSYMFOLLOW, "NOSYMFOLLOW"},
  }};
  return flags_to_string(attrs, kNames);
}

std::string id_map_to_string(const std::vector<IdMapping>& maps) {
  std::string out;
  for (const auto& m : maps) {
    out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.size) + "\n";
  }
  return out;
}

std::string describe(const Operation& operation) {
  return std::visit(
      overloaded{
          [](const op::ReserveId& o) { return "mkdir " + o.state_dir + ", write state.json (temp + rename)"; },
          [](const op::Clone& o) { return "clone3(" + clone_flags_to_string(o.flags) + ", exit_signal=SIGCHLD)"; },
          [](const op::WriteIdMaps& o) {
            std::string u = o.uid_map;
            std::string g = o.gid_map;
            for (auto* s : {&u, &g}) {
              for (auto& ch : *s) ch = ch == '\n' ? ';' : ch;
            }
            return "uid_map \"" + u + "\" gid_map \"" + g + "\"";
          },
          [](const op::Supervise& o) {
            std::string relay = o.terminal ? (o.relay_stdin ? "relay pty (in and out), " : "relay pty output, ") : "";
            return relay + "forward signals, wait for pid 1";
          },
          [](const op::CreateCgroups& o) {
            std::string s;
            for (const auto& d : o.dirs) s += (s.empty() ? "mkdir " : ", ") + d;
            for (const auto& w : o.writes) s += "; write " + w.file + "=" + w.value;
            if (!o.bpf_devices_dir.empty()) {
              s += "; eBPF device filter on " + o.bpf_devices_dir + ":";
              for (const auto& r : o.device_rules)
                s += std::string(r.allow ? " allow " : " deny ") + device_rule_text(r);
            }
            if (!o.devices_dir.empty()) {
              s += "; devices:";
              for (const auto& r : o.device_rules)
                s += std::string(r.allow ? " allow " : " deny ") + device_rule_text(r);
            }
            return s;
          },
          [](const op::JoinCgroups& o) {
            std::string s;
            for (const auto& t : o.tasks_files) s += (s.empty() ? "write \"0\" > " : ", ") + t;
            return s;
          },
          [](const op::WaitForIdMaps&) { return std::string("read maps-written from the sync socket"); },
          [](const op::BecomeRootInUserns&) { return std::string("setresgid(0,0,0) setresuid(0,0,0)"); },
          [](const op::SetHostname& o) { return "sethostname(\"" + o.name + "\")"; },
          [](const op::MakeRootPrivate&) { return std::string("mount(\"/\", MS_REC|MS_PRIVATE)"); },
          [](const op::BindRootfs& o) { return "mount(\"" + o.rootfs + "\" -> \"" + o.rootfs + "\", MS_BIND|MS_REC)"; },
          [](const op::MountFs& o) {
            const auto& m = o.mount;
            std::string s = o.source_slot >= 0
                                ? "move_mount(the tree of \"" + m.source + "\" -> \"" + o.rootfs + m.destination + "\")"
                                : "mount(\"" + m.source + "\" -> \"" + o.rootfs + m.destination + "\", type=" + m.type +
                                      ", " + mount_flags_to_string(m.flags);
            if (!m.data.empty()) s += ", \"" + m.data + "\"";
            s += o.source_slot >= 0 ? "" : ")";
            if (m.type == "bind" && (m.flags & ~(MS_BIND | MS_REC)) != 0) {
              s += " + mount_setattr(" + mount_flags_to_string(m.flags & ~(MS_BIND | MS_REC)) + ")";
            }
            if (m.recursive_attr_set != 0 || m.recursive_attr_clear != 0) {
              s += " + mount_setattr(AT_RECURSIVE, set=" + mount_attrs_to_string(m.recursive_attr_set) +
                   ", clear=" + mount_attrs_to_string(m.recursive_attr_clear) + ")";
            }
            return s;
          },
          [](const op::MakeDevice& o) {
            const auto& d = o.device;
            if (d.type == 'f') return "create file " + d.path;
            if (o.bind_from_host) return "bind host " + d.path + " -> " + o.rootfs + d.path;
            return "mknod(\"" + o.rootfs + d.path + "\", " + std::string(1, d.type) + " " + std::to_string(d.major) +
                   ":" + std::to_string(d.minor) + ")";
          },
          [](const op::MakeSymlink& o) { return "symlink(\"" + o.target + "\" <- \"" + o.rootfs + o.link + "\")"; },
          [](const op::PivotRoot& o) {
            return "chdir(\"" + o.rootfs + R"(") pivot_root(".", ".") umount2(".", MNT_DETACH))";
          },
          [](const op::RemountRootReadOnly&) { return std::string("mount(\"/\", MS_BIND|MS_REMOUNT|MS_RDONLY)"); },
          [](const op::RemountDevReadOnly& o) { return "mount_setattr(\"" + o.path + "\", MOUNT_ATTR_RDONLY)"; },
          [](const op::SetRootPropagation& o) {
            return "mount(\"/\", " +
                   std::string((o.flags & MS_SHARED) != 0  ? "MS_SHARED"
                               : (o.flags & MS_SLAVE) != 0 ? "MS_SLAVE"
                                                           : "MS_UNBINDABLE") +
                   ((o.flags & MS_REC) != 0 ? "|MS_REC)" : ")");
          },
          [](const op::BringUpLoopback&) { return std::string("ioctl(SIOCSIFFLAGS, \"lo\", IFF_UP)"); },
          [](const op::EnterCgroupNamespace&) { return std::string("unshare(CLONE_NEWCGROUP)"); },
          [](const op::SetupTerminal& o) {
            const std::string owner = o.owner == 0 ? "" : "fchown to uid " + std::to_string(o.owner) + ", ";
            const std::string size =
                o.size.height == 0 && o.size.width == 0
                    ? ""
                    : "TIOCSWINSZ " + std::to_string(o.size.height) + "x" + std::to_string(o.size.width) + ", ";
            return "openat2(\"/dev/ptmx\", RESOLVE_IN_ROOT), check char 5:2, " + owner + size +
                   "setsid, TIOCSCTTY, dup2 slave to 0,1,2, " + (o.bind_console ? "bind it on /dev/console, " : "") +
                   "send master to parent";
          },
          [](const op::CreateSession&) { return std::string("setsid()"); },
          [](const op::DetachStdin&) {
            return std::string(
                "openat2(\"/dev/null\", RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS), check char 1:3, dup2 -> 0");
          },
          [](const op::SetRlimits& o) { return "setrlimit x" + std::to_string(o.limits.size()); },
          [](const op::SetUser& o) {
            return std::string(o.keep_caps ? "prctl(PR_SET_KEEPCAPS) " : "") + "setgroups(" +
                   ids(o.user.additional_gids) + ") setresgid(" + std::to_string(o.user.gid) + ") setresuid(" +
                   std::to_string(o.user.uid) + ")";
          },
          [](const op::ChangeDir& o) { return "chdir(\"" + o.cwd + "\")"; },
          [](const op::CloseFds& o) {
            return "close_range(3, ~0) except the sync socket (close-on-exec) and the exec FIFO" +
                   preserved_fds(o.preserved);
          },
          [](const op::MakeNonDumpable&) { return std::string("prctl(PR_SET_DUMPABLE, 0)"); },
          [](const op::RelayCallerTerminal&) {
            return std::string("dup2 a pipe barco relays onto each of fd 0-2 that is the caller's terminal");
          },
          [](const op::CloseHostFds& o) {
            return "close_range(3, ~0) except the sync socket, the log, the exec FIFO, the target's pidfd" +
                   preserved_fds(o.preserved);
          },
          [](const op::StartInit&) { return std::string("fork; pid 1 waits for all children"); },
          [](const op::MaskPaths& o) {
            return "bind verified /dev/null or ro tmpfs over " + std::to_string(o.paths.size()) + " paths";
          },
          [](const op::ReadonlyPaths& o) {
            std::string s = "bind read-only:";
            for (const auto& p : o.paths) s += " " + p;
            return s;
          },
          [](const op::LoadSeccomp& o) {
            const std::string listener = o.listener_path.empty()
                                             ? ""
                                             : "; NEW_LISTENER, handed to the agent at " + o.listener_path +
                                                   " (metadata \"" + o.listener_metadata + "\")";
            if (o.filter.default_action.empty()) {
              return "seccomp(SECCOMP_SET_MODE_FILTER) " + o.source + listener;
            }
            std::string arches;
            for (const auto& a : o.filter.architectures) arches += (arches.empty() ? "" : ",") + a;
            return "seccomp(SECCOMP_SET_MODE_FILTER) " + o.source + ": " + std::to_string(o.filter.rules.size()) +
                   " rules, default " + o.filter.default_action + "(" + std::to_string(o.filter.default_errno) +
                   "), arches " + arches + listener;
          },
          [](const op::DropBoundingCaps& o) { return "prctl(PR_CAPBSET_DROP) all but " + capability_names(o.keep); },
          [](const op::SetCapabilities& o) {
            return "capset(effective=permitted=" + capability_names(o.caps.effective) +
                   ", inheritable=" + capability_names(o.caps.inheritable) +
                   ") ambient=" + capability_names(o.caps.ambient);
          },
          [](const op::SetNoNewPrivs&) { return std::string("prctl(PR_SET_NO_NEW_PRIVS, 1)"); },
          [](const op::PrepareOverlay& o) {
            return "mkdir " + o.dir + "/{upper,work,merged}, chown " + std::to_string(o.owner_uid) + ":" +
                   std::to_string(o.owner_gid);
          },
          [](const op::MountOverlay& o) {
            return R"(mount("overlay" -> ")" + o.dir + R"(/merged", lowerdir=)" + o.lower + ",upperdir=" + o.dir +
                   "/upper,workdir=" + o.dir + "/work" + (o.userxattr ? ",userxattr" : "") + ")";
          },
          [](const op::RedirectOutput& o) { return "dup2(log fd of " + o.file + ") -> 1, 2"; },
          [](const op::JoinNamespacePaths& o) {
            std::string out;
            for (const auto& [type, path] : o.paths) {
              out += std::string(out.empty() ? "" : " ") + "setns(\"" + path + "\", " + namespace_name(type) + ")";
            }
            return out;
          },
          [](const op::JoinPidNamespace& o) {
            return "setns(" + (o.path.empty() ? std::string("pidfd") : "\"" + o.path + "\"") + ", CLONE_NEWPID)";
          },
          [](const op::JoinContainer& o) {
            return "setns(pidfd of " + std::to_string(o.pid) + ", " +
                   clone_flags_to_string(static_cast<unsigned>(o.flags)) + ")";
          },
          [](const op::WriteSysctl& o) {
            std::string out;
            for (const auto& [key, value] : o.values) {
              out += out.empty() ? "" : " ";
              out += key;
              out += "=";
              out += value;
            }
            return "write /proc/sys: " + out;
          },
          [](const op::HookPause&) { return std::string("send hook-point, wait for the state (parent runs hooks)"); },
          [](const op::RunHooks& o) {
            std::string out = o.phase + ":";
            for (const auto& h : o.hooks) {
              out += " " + h.path;
            }
            return out + " (state JSON on stdin" + (o.cwd.empty() ? ")" : ", in " + o.cwd + ")");
          },
          [](const op::WaitForStart& o) { return "open(\"" + o.fifo + "\" via /proc/self/fd, O_WRONLY) blocks"; },
          [](const op::SetOomScoreAdj& o) { return "write /proc/PID/oom_score_adj " + std::to_string(o.value); },
          [](const op::OpenLog& o) {
            return "open(\"" + o.file + "\", O_CREAT|O_APPEND)" +
                   (o.through_pipe ? ", pipe2() the monitor copies from" : std::string());
          },
          [](const op::MakeExecFifo& o) { return "mkfifo(\"" + o.fifo + "\", 0622), open(O_PATH)"; },
          [](const op::CloneBindSources& o) {
            std::string s = "open_tree(OPEN_TREE_CLONE):";
            for (const auto& [path, recursive] : o.sources) s += " " + path + (recursive ? " (AT_RECURSIVE)" : "");
            return s;
          },
          [](const op::CompileSeccomp& o) { return "load_seccomp's filter to BPF, cached in " + o.cache_dir; },
          [](const op::WriteExecContext& o) {
            return "write " + o.dir + "/config.json (" + std::to_string(o.config_json.size()) + " bytes), seccomp.bpf";
          },
          [](const op::AwaitSetup& o) {
            return std::string("relay the child's messages until ") +
                   (o.until_ready ? "it is ready (waits on the FIFO)" : "EOF (execve closed the socket)");
          },
          [](const op::HandOver&) {
            return std::string("write the pid file, send the pty master to the console socket");
          },
          [](const op::ReportOom& o) { return "read " + o.memory_dir + "'s OOM kill count after a SIGKILL"; },
          [](const op::LeaseAddress& o) {
            return "the first free address of " + o.subnet.str() + ": open(" + o.lease_dir +
                   "/ADDRESS, O_CREAT|O_EXCL)";
          },
          [](const op::WriteNameFiles& o) {
            return "write " + o.dir + "/hosts (localhost" + (o.with_address ? ", the address" : "") +
                   (o.add_hosts.empty() ? "" : ", --add-host") + "), hostname, resolv.conf";
          },
          [](const op::ConnectNetwork& o) {
            std::string s = "RTM_NEWLINK bridge " + o.bridge + " " + ipv4_string(o.subnet.gateway()) + "/" +
                            std::to_string(o.subnet.prefix) + " (if missing; then nft -f: NAT for " + o.subnet.str() +
                            "); RTM_NEWLINK veth " + o.veth + " master " + o.bridge +
                            ", peer eth0 in the child's netns; there: RTM_NEWADDR eth0, up, RTM_NEWROUTE default via " +
                            ipv4_string(o.subnet.gateway());
            for (const auto& p : o.ports) {
              s += "; nft: " + (p.host_ip.empty() ? std::string() : p.host_ip + ":") + std::to_string(p.host_port) +
                   "/" + p.protocol + " -> eth0:" + std::to_string(p.container_port);
            }
            return s;
          },
          [](const op::AwaitNetwork&) { return std::string("wait for the parent's word that eth0 is up"); },
          [](const op::Exec& o) {
            const std::string how = o.builtin == BuiltinProgram::none ? "execve(" : "execveat(sealed memfd, ";
            char mask[8];
            std::snprintf(mask, sizeof mask, "%04o", o.umask);
            return how + quoted_list(o.argv) + ", env=" + quoted_list(o.env) + ")" +
                   (o.umask == 022 ? "" : std::string(" with umask ") + mask);
          },
      },
      operation);
}

std::string format_plan(const Plan& plan) {
  std::ostringstream out;
  out << "plan for container " << plan.id << " (" << plan.steps.size() << " steps)\n";
  int n = 1;
  for (const auto& s : plan.steps) {
    out << (n < 10 ? " " : "") << n << ". [" << where_name(s.where) << "] " << s.name << "  " << describe(s.op) << "\n"
        << "      why: " << s.why << "\n";
    ++n;
  }
  return out.str();
}

std::string format_timings(const Plan& plan, const Timings& timings) {
  struct Group {
    std::string name;
    Where where;
    int count = 0;
    int64_t ns = 0;
    bool measured = false;
  };
  std::vector<Group> groups;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const auto& s = plan.steps[i];
    auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) { return g.name == s.name; });
    if (it == groups.end()) {
      groups.push_back({s.name, s.where, 0, 0, false});
      it = groups.end() - 1;
    }
    ++it->count;
    const int64_t ns = i < timings.step_ns.size() ? timings.step_ns[i] : -1;
    if (ns >= 0) {
      it->ns += ns;
      it->measured = true;
    }
  }
  const auto ms = [](int64_t ns) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%8.3f", static_cast<double>(ns) / 1e6);
    return std::string(buf);
  };
  std::ostringstream out;
  // One line: the side (13 columns), the label, the milliseconds; the side and the label
  // together take 41 columns at least.
  const auto row = [&out](std::string side, std::string label, const std::string& value) {
    if (!side.empty()) {
      side.resize(std::max<size_t>(side.size(), 13), ' ');
      label.resize(std::max<size_t>(label.size(), 28), ' ');
    } else {
      label.resize(std::max<size_t>(label.size(), 41), ' ');
    }
    out << "  " << side << label << value << "\n";
  };
  out << "timings for container " << plan.id << " (ms)\n";
  for (const auto& [name, ns] : timings.startup_ns) {
    row("start-up", name, ms(ns));
  }
  for (const auto& g : groups) {
    row(where_name(g.where), g.name + (g.count > 1 ? " x" + std::to_string(g.count) : ""),
        g.measured ? ms(g.ns) : "       -");
  }
  for (const auto& [name, ns] : timings.extra_ns) {
    row({}, name, ms(ns));
  }
  return out.str();
}

}  // namespace barco
