#include "test_config.hpp"

#include <barco/plan.hpp>

#include <gtest/gtest.h>

#include <sched.h>

#include <algorithm>

namespace barco {
namespace {

using testing::config_from_words;

Plan plan_for(std::vector<std::string> words) {
  return build_plan(config_from_words(std::move(words)));
}

std::vector<std::string> names(const Plan& p) {
  std::vector<std::string> out;
  for (const auto& s : p.steps) {
    out.push_back(s.name);
  }
  return out;
}

int index_of(const Plan& p, const std::string& name) {
  const auto n = names(p);
  const auto it = std::find(n.begin(), n.end(), name);
  return it == n.end() ? -1 : static_cast<int>(it - n.begin());
}

void expect_before(const Plan& p, const std::string& a, const std::string& b) {
  ASSERT_GE(index_of(p, a), 0) << a;
  ASSERT_GE(index_of(p, b), 0) << b;
  EXPECT_LT(index_of(p, a), index_of(p, b)) << a << " must come before " << b;
}

TEST(Plan, CloneFlagsOfTheDefaultContainer) {
  const auto p = plan_for({"--rootfs", "/r", "sh"});
  EXPECT_EQ(p.clone_flags,
            static_cast<unsigned long>(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET));
  EXPECT_NE(p.find_step<op::EnterCgroupNamespace>(), nullptr);
  EXPECT_EQ(p.find_step<op::WriteIdMaps>(), nullptr);
}

TEST(Plan, TheDocumentedOrder) {
  const auto p = plan_for({"--rootfs", "/r", "-v", "/srv/data:/data", "--read-only", "--init", "sh"});
  const std::vector<std::string> order{"reserve_id",
                                       "clone",
                                       "make_non_dumpable",
                                       "close_host_fds",
                                       "enter_cgroup_namespace",
                                       "make_root_private",
                                       "bind_rootfs",
                                       "mount_proc",
                                       "mount_dev",
                                       "make_device",
                                       "make_symlink",
                                       "mount_devpts",
                                       "mount_shm",
                                       "mount_mqueue",
                                       "mount_sys",
                                       "bind_volume",
                                       "pivot_root",
                                       "remount_root_read_only",
                                       "set_hostname",
                                       "bring_up_loopback",
                                       "create_session",
                                       "detach_stdin",
                                       "change_dir",
                                       "close_fds",
                                       "set_user",
                                       "start_init",
                                       "exec",
                                       "supervise"};
  for (size_t i = 0; i + 1 < order.size(); ++i) {
    expect_before(p, order[i], order[i + 1]);
  }
}

// runc mounts in the config's order, and the runtime-tools suite checks it in mountinfo:
// a config that lists /dev before /proc gets it first, with its nodes before the next mount.
TEST(Plan, MountsFollowTheConfigsOrder) {
  auto c = config_from_words({"--rootfs", "/r", "sh"});
  std::stable_partition(c.mounts.begin(), c.mounts.end(), [](const Mount& m) { return m.destination == "/dev"; });
  const auto p = build_plan(c, PlanHost{});
  expect_before(p, "mount_dev", "mount_proc");
  expect_before(p, "make_symlink", "mount_proc");
  const auto q = build_plan(config_from_words({"--rootfs", "/r", "sh"}), PlanHost{});
  expect_before(q, "mount_proc", "mount_dev");
}

TEST(Plan, EveryDefaultDeviceAndLinkIsCreatedAfterDevIsMounted) {
  const auto p = plan_for({"--rootfs", "/r", "sh"});
  int devices = 0;
  int links = 0;
  for (size_t i = 0; i < p.steps.size(); ++i) {
    if (p.steps[i].name == "make_device") {
      ++devices;
      EXPECT_GT(static_cast<int>(i), index_of(p, "mount_dev"));
      EXPECT_FALSE(std::get<op::MakeDevice>(p.steps[i].op).bind_from_host);
    }
    if (p.steps[i].name == "make_symlink") {
      ++links;
    }
  }
  EXPECT_EQ(devices, 6);
  EXPECT_EQ(links, 5);
}

// docker/ctr/podman --privileged list every host device, /dev/ptmx and /dev/console too:
// once they made the link step fail with EEXIST.
TEST(Plan, PrivilegedDeviceListsKeepTheDevptsLinkAndMakeEachPathOnce) {
  auto c = config_from_words({"--rootfs", "/r", "-t", "sh"});
  c.devices = {{"/dev/ptmx", 'c', 5, 2, 0666},
               {"/dev/console", 'c', 5, 1, 0600},
               {"/dev/fuse", 'c', 10, 229, 0666},
               {"/dev/fuse", 'c', 10, 229, 0666},
               {"/dev/stdin", 'c', 1, 3, 0666}};
  const auto p = build_plan(c);
  std::vector<std::string> made;
  std::vector<std::string> links;
  for (const auto& s : p.steps) {
    if (const auto* d = std::get_if<op::MakeDevice>(&s.op)) {
      made.push_back(d->device.path + ":" + d->device.type);
    }
    if (const auto* l = std::get_if<op::MakeSymlink>(&s.op)) {
      links.push_back(l->link);
    }
  }
  EXPECT_EQ(made, (std::vector<std::string>{"/dev/fuse:c", "/dev/stdin:c", "/dev/console:f"}));
  EXPECT_EQ(links, (std::vector<std::string>{"/dev/ptmx", "/dev/fd", "/dev/stdout", "/dev/stderr"}));
}

TEST(Plan, SharedNamespacesDropTheirSteps) {
  const auto p = plan_for({"--rootfs", "/r", "--network", "host", "--uts", "host", "--pid", "host", "sh"});
  EXPECT_EQ(p.clone_flags & (CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWPID), 0UL);
  EXPECT_EQ(p.find_step<op::BringUpLoopback>(), nullptr);
  EXPECT_EQ(p.find_step<op::SetHostname>(), nullptr);
}

TEST(Plan, UserNamespaceMapsComeFirstAndDevicesAreBound) {
  const auto p = plan_for({"--rootfs", "/r", "--userns", "private", "sh"});
  EXPECT_NE(p.clone_flags & CLONE_NEWUSER, 0UL);
  const auto* maps = p.find_step<op::WriteIdMaps>();
  ASSERT_NE(maps, nullptr);
  EXPECT_EQ(maps->where, Where::parent_after_clone);
  EXPECT_EQ(std::get<op::WriteIdMaps>(maps->op).uid_map, "0 1000000000 65536\n");
  const auto child_steps = p.steps_at(Where::child);
  EXPECT_EQ(child_steps.at(0)->name, "make_non_dumpable");
  EXPECT_EQ(child_steps.at(1)->name, "relay_caller_terminal");
  EXPECT_EQ(child_steps.at(2)->name, "close_host_fds");
  EXPECT_EQ(child_steps.at(3)->name, "wait_for_id_maps");
  EXPECT_EQ(child_steps.at(4)->name, "become_root_in_userns");
  EXPECT_TRUE((*p.find<op::MakeDevice>()).bind_from_host);
}

TEST(Plan, TerminalReplacesSessionAndStdinSteps) {
  const auto p = plan_for({"--rootfs", "/r", "-t", "sh"});
  EXPECT_NE(p.find_step<op::SetupTerminal>(), nullptr);
  EXPECT_EQ(p.find_step<op::RelayCallerTerminal>(), nullptr)
      << "the container's own pty replaces the caller's terminal";
  EXPECT_EQ(p.find_step<op::CreateSession>(), nullptr);
  EXPECT_EQ(p.find_step<op::DetachStdin>(), nullptr);
  expect_before(p, "pivot_root", "setup_terminal");
  const auto i = plan_for({"--rootfs", "/r", "-i", "sh"});
  EXPECT_EQ(i.find_step<op::DetachStdin>(), nullptr);
  EXPECT_NE(i.find_step<op::CreateSession>(), nullptr);
}

TEST(Plan, ExecCarriesArgvAndEnvComputedBeforeClone) {
  const auto p = plan_for({"--rootfs", "/r", "-e", "A=1", "sh", "-c", "echo $A"});
  const auto& e = (*p.find<op::Exec>());
  EXPECT_EQ(e.argv, (std::vector<std::string>{"sh", "-c", "echo $A"}));
  EXPECT_NE(std::find(e.env.begin(), e.env.end(), "A=1"), e.env.end());
  EXPECT_EQ(e.path_env, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
}

TEST(Plan, DryRunTextShowsFlagsMountsMapsEnvAndArgv) {
  const auto text = format_plan(plan_for({"--rootfs", "/r", "--userns", "private", "-e", "A=1", "sh", "-c", "x"}));
  for (const char* needle : {"clone3(CLONE_NEWNS|CLONE_NEWPID", "CLONE_NEWUSER", "uid_map \"0 1000000000 65536;\"",
                             "mount(\"proc\" -> \"/r/proc\", type=proc, MS_NOSUID|MS_NODEV|MS_NOEXEC)",
                             "\"newinstance,ptmxmode=0666,mode=0620,gid=5\"", "MS_RDONLY", "pivot_root(\".\", \".\")",
                             "execve([\"sh\", \"-c\", \"x\"]", "\"A=1\"", "why:"}) {
    EXPECT_NE(text.find(needle), std::string::npos) << needle << "\n" << text;
  }
}

TEST(Plan, PrivilegeStepsWithoutNoNewPrivs) {
  const auto p = plan_for({"--rootfs", "/r", "-u", "1000", "sh"});
  for (const auto& [a, b] : std::vector<std::pair<std::string, std::string>>{{"mask_paths", "readonly_paths"},
                                                                             {"change_dir", "close_fds"},
                                                                             {"close_fds", "load_seccomp"},
                                                                             {"load_seccomp", "drop_bounding_caps"},
                                                                             {"drop_bounding_caps", "set_user"},
                                                                             {"set_user", "set_capabilities"}}) {
    expect_before(p, a, b);
  }
  expect_before(p, "pivot_root", "mask_paths");
  EXPECT_EQ(p.find_step<op::SetNoNewPrivs>(), nullptr);
  EXPECT_TRUE((*p.find<op::SetUser>()).keep_caps);
}

TEST(Plan, WithNoNewPrivsSeccompComesLast) {
  const auto p = plan_for({"--rootfs", "/r", "--security-opt", "no-new-privileges", "sh"});
  expect_before(p, "set_capabilities", "set_no_new_privs");
  expect_before(p, "set_no_new_privs", "load_seccomp");
  expect_before(p, "close_fds", "load_seccomp");  // a profile may lack close_range
  EXPECT_FALSE((*p.find<op::SetUser>()).keep_caps) << "root needs no keepcaps";
}

TEST(Plan, CapsAboveTheKernelsLastCapAreMasked) {
  PlanHost host;
  host.cap_last_cap = 37;
  const auto p = build_plan(config_from_words({"--rootfs", "/r", "--cap-add", "ALL", "sh"}), host);
  const auto& caps = (*p.find<op::SetCapabilities>()).caps;
  EXPECT_EQ(caps.effective, ((CapMask{1} << 38) - 1) & ~cap_bit(24));  // the fake host lacks CAP_SYS_RESOURCE
  EXPECT_EQ((*p.find<op::DropBoundingCaps>()).last_cap, 37);
}

// docker --privileged inside a CI container: config.json asks for every capability docker
// knows, barco's own bounding set lacks some. capset would refuse the whole set, so those are
// left out with a warning (never granted, never an error).
TEST(Plan, CapsOutsideTheCallersBoundingSetAreLeftOutWithAWarning) {
  PlanHost host;
  host.caller_bounding = all_known_caps() & ~cap_bit(24) & ~cap_bit(25);
  auto config = config_from_words({"--rootfs", "/r", "sh"});
  config.process.capabilities = Capabilities{all_known_caps(), all_known_caps(), all_known_caps(), 0, 0};
  const auto p = build_plan(config, host);
  const auto& caps = (*p.find<op::SetCapabilities>()).caps;
  EXPECT_EQ(caps.permitted & (cap_bit(24) | cap_bit(25)), 0U);
  EXPECT_EQ(caps.effective & cap_bit(21), cap_bit(21)) << "CAP_SYS_ADMIN, which barco holds, was dropped too";
  EXPECT_EQ((*p.find<op::DropBoundingCaps>()).keep & cap_bit(24), 0U);
  ASSERT_EQ(p.left_out.size(), 1U);
  EXPECT_EQ(p.left_out[0].rfind("CAP_SYS_RESOURCE,CAP_SYS_TIME left out: not in barco's own bounding set", 0), 0U)
      << p.left_out[0];
  EXPECT_TRUE(build_plan(config_from_words({"--rootfs", "/r", "sh"}), host).left_out.empty())
      << "docker's default set is all within the bounding set: nothing to warn about";
}

TEST(Plan, EveryStepSaysWhy) {
  for (const auto& s :
       plan_for({"--rootfs", "/r", "--userns", "private", "-t", "--init", "--ulimit", "nofile=5", "sh"}).steps) {
    EXPECT_FALSE(s.why.empty()) << s.name;
    EXPECT_FALSE(describe(s.op).empty()) << s.name;
  }
}

}  // namespace
}  // namespace barco

namespace barco {
namespace {

// --timings: every step of the plan is listed, in plan order, grouped by name, with its
// measured time or "-" when it was not measured on its own.
TEST(Timings, ListEveryStepOfThePlanInOrder) {
  for (const auto& words : std::vector<std::vector<std::string>>{
           {"--rootfs", "/r", "sh"},
           {"--rootfs", "/r", "--userns", "private", "--init", "-t", "-m", "64m", "sh"},
           {"--rootfs", "/r", "--privileged", "--network", "host", "sh"}}) {
    const auto p = plan_for(words);
    Timings t;
    t.step_ns.assign(p.steps.size(), -1);
    t.step_ns.front() = 1'500'000;  // reserve_id: 1.5 ms
    t.extra_ns = {{"total (barco's main to exit status)", 5'000'000}};
    t.startup_ns = {{"flags", 250'000}, {"plan", 125'000}};
    const auto text = format_timings(p, t);
    EXPECT_LT(text.find("start-up     flags                          0.250\n"), text.find("start-up     plan")) << text;
    EXPECT_LT(text.find("start-up     plan                           0.125\n"), text.find(" reserve_id")) << text;
    size_t at = 0;
    for (const auto& s : p.steps) {
      const auto found = text.find(" " + s.name, at == 0 ? 0 : at);
      ASSERT_NE(text.find(" " + s.name), std::string::npos) << s.name << " missing from\n" << text;
      if (found != std::string::npos) {
        at = found;  // names appear in plan order (a repeated name is listed once)
      }
    }
    EXPECT_NE(text.find("reserve_id                     1.500\n"), std::string::npos) << text;
    EXPECT_NE(text.find("total (barco's main to exit status)         5.000\n"), std::string::npos) << text;
    EXPECT_NE(text.find("make_device x"), std::string::npos) << text;
    EXPECT_NE(text.find("-\n"), std::string::npos) << "unmeasured steps show '-'";
  }
}

TEST(Plan, OverlayMountsTheCopyOnWriteRootInsteadOfTheBind) {
  auto c = config_from_words({"--rootfs", "/r", "sh"});
  Placement placement;
  placement.overlay_dir = "/run/barco/x/overlay";
  const auto p = build_plan(c, placement, {});
  EXPECT_EQ(index_of(p, "bind_rootfs"), -1);
  expect_before(p, "prepare_overlay", "clone");
  expect_before(p, "make_root_private", "mount_overlay");
  expect_before(p, "mount_overlay", "mount_proc");
  const auto& overlay = (*p.find<op::MountOverlay>());
  EXPECT_EQ(overlay.lower, "/r");
  EXPECT_EQ((*p.find<op::PivotRoot>()).rootfs, "/run/barco/x/overlay/merged");
  const auto* proc = p.find_step<op::MountFs>([](const op::MountFs& m) { return m.mount.destination == "/proc"; });
  ASSERT_NE(proc, nullptr);
  EXPECT_EQ(proc->name, "mount_proc");
  EXPECT_EQ(std::get<op::MountFs>(proc->op).rootfs, "/run/barco/x/overlay/merged");
}

TEST(Plan, DetachedOutputIsRedirectedBeforePivotRoot) {
  auto c = config_from_words({"--rootfs", "/r", "sh"});
  Placement placement;
  placement.log_file = "/run/barco/x/container.log";
  const auto p = build_plan(c, placement, {});
  expect_before(p, "open_log", "clone");
  expect_before(p, "redirect_output", "pivot_root");
  c.process.terminal = true;  // the monitor relays the pty into the log instead
  EXPECT_EQ(index_of(build_plan(c, placement, {}), "redirect_output"), -1);
}

TEST(Plan, NamespacePathsAreJoinedNotCreated) {
  auto c = config_from_words({"--rootfs", "/r", "sh"});
  for (auto& ns : c.namespaces) {
    if (ns.type == Namespace::net) ns.path = "/proc/7/ns/net";
    if (ns.type == Namespace::pid) ns.path = "/proc/7/ns/pid";
  }
  const auto p = build_plan(c);
  EXPECT_EQ(p.clone_flags & (CLONE_NEWNET | CLONE_NEWPID), 0U);
  expect_before(p, "join_pid_namespace", "clone");
  const auto& join = *p.find<op::JoinNamespacePaths>();
  EXPECT_EQ(join.paths, (std::vector<std::pair<Namespace, std::string>>{{Namespace::net, "/proc/7/ns/net"}}));
  expect_before(p, "join_namespaces", "bring_up_loopback");
}

TEST(Plan, OciCreateWaitsAfterThePrivilegeStepsAndHooksSitAtTheirPoints) {
  auto c = config_from_words({"--rootfs", "/r", "sh"});
  Placement placement;
  placement.exec_fifo = "/run/barco/x/exec.fifo";
  const Hook hook{"/bin/true", {}, {}, std::nullopt};
  c.hooks.create_runtime = {hook};
  c.hooks.create_container = {hook};
  c.hooks.start_container = {hook};
  c.hooks.poststart = {hook};
  const auto p = build_plan(c, placement, {});
  expect_before(p, "hook_pause", "create_runtime_hooks");
  expect_before(p, "create_runtime_hooks", "create_container_hooks");
  expect_before(p, "create_container_hooks", "pivot_root");
  expect_before(p, "set_capabilities", "wait_for_start");
  expect_before(p, "wait_for_start", "start_container_hooks");
  expect_before(p, "close_fds", "start_container_hooks");  // hooks run inside the container
  expect_before(p, "exec", "hand_over");
  EXPECT_EQ(p.find_step<op::Supervise>(), nullptr) << "create hands the container over";
  EXPECT_EQ(p.hooks("poststart"), nullptr) << "poststart runs at barco start";
  EXPECT_EQ(p.find_step<op::RelayCallerTerminal>(), nullptr) << "create returns: nobody would relay";
}

TEST(Plan, ExecJoinsTheContainerAndKeepsItsPrivilegeSteps) {
  auto c = config_from_words({"--rootfs", "/r", "--security-opt", "no-new-privileges", "sh"});
  ExecTarget t{42, CLONE_NEWNS | CLONE_NEWNET, true, {"/sys/fs/cgroup/pids/barco/x/tasks"}, "", "the filter"};
  const auto p = build_exec_plan(c, t);
  EXPECT_EQ(names(p), (std::vector<std::string>{
                          "join_pid_namespace", "clone", "make_non_dumpable", "relay_caller_terminal", "close_host_fds",
                          "join_cgroups", "join_container", "create_session", "detach_stdin", "change_dir", "close_fds",
                          "drop_bounding_caps", "set_user", "set_capabilities", "set_no_new_privs", "load_seccomp",
                          "exec", "await_setup", "supervise"}));
  EXPECT_EQ(p.find<op::JoinContainer>()->flags, CLONE_NEWNS | CLONE_NEWNET);
  EXPECT_EQ((*p.find<op::Clone>()).flags, 0U) << "exec creates no namespace";
  EXPECT_NE(describe(p.find_step<op::LoadSeccomp>()->op).find("the filter"), std::string::npos);
}

// docker stats and containerd read the container's own cgroup in every hierarchy, and
// pause needs its freezer: each is joined, with or without limits (as runc and crun).
TEST(Plan, EveryHierarchyIsJoinedEvenWithoutLimits) {
  auto c = config_from_words({"--rootfs", "/r", "--privileged", "sh"});
  PlanHost host;
  host.cgroups = parse_cgroup_host(
      "30 25 0:26 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer\n"
      "31 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
      "32 25 0:28 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
      "33 25 0:29 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n",
      "5:freezer:/\n4:cpu,cpuacct:/\n3:memory:/user\n0::/init\n");
  const auto plan = build_plan(c, Placement{}, host);
  const auto* create = plan.find<op::CreateCgroups>();
  ASSERT_NE(create, nullptr);
  EXPECT_EQ(create->dirs,
            (std::vector<std::string>{
                "/sys/fs/cgroup/cpu,cpuacct/barco/" + c.id, "/sys/fs/cgroup/freezer/barco/" + c.id,
                "/sys/fs/cgroup/memory/user/barco/" + c.id, "/sys/fs/cgroup/unified/init/barco/" + c.id}));
  const auto* join = plan.find<op::JoinCgroups>();
  ASSERT_NE(join, nullptr);
  EXPECT_EQ(join->tasks_files.size(), 4U);
  EXPECT_EQ(join->unified_dir, "/sys/fs/cgroup/unified/init/barco/" + c.id) << "born in its v2 cgroup";
}

}  // namespace
}  // namespace barco

namespace barco {
namespace {

TEST(Plan, OnlyANotifyingFilterIsLoadedWithAListener) {
  auto c = testing::config_from_words({"--rootfs", "/r", "sh"});
  c.seccomp = parse_seccomp_profile(
      R"({"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/run/a.sock","listenerMetadata":"m",
          "syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY"}]})",
      "p.json");
  const auto plan = build_plan(c);
  const auto* load = plan.find<op::LoadSeccomp>();
  ASSERT_NE(load, nullptr);
  EXPECT_EQ(load->listener_path, "/run/a.sock");
  EXPECT_EQ(load->listener_metadata, "m");
  EXPECT_NE(describe(*load).find("NEW_LISTENER, handed to the agent at /run/a.sock"), std::string::npos);
  c.seccomp = parse_seccomp_profile(R"({"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/run/a.sock"})", "p.json");
  const auto unused = build_plan(c);
  EXPECT_EQ(unused.find<op::LoadSeccomp>()->listener_path, "");
}

}  // namespace
}  // namespace barco

namespace barco {
namespace {

TEST(Plan, AUserNamespaceClonesBindSourcesBeforeCloneAndAttachesThem) {
  const auto plan =
      build_plan(testing::config_from_words({"--rootfs", "/r", "--userns", "private", "-v", "/srv/data:/data", "sh"}));
  const auto* clone = plan.find<op::CloneBindSources>();
  ASSERT_NE(clone, nullptr);
  EXPECT_EQ(clone->sources, (std::vector<std::pair<std::string, bool>>{{"/srv/data", true}}));
  size_t sources = 0;
  size_t cloned = 0;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    if (std::holds_alternative<op::CloneBindSources>(plan.steps[i].op)) sources = i;
    if (std::holds_alternative<op::Clone>(plan.steps[i].op)) cloned = i;
  }
  EXPECT_LT(sources, cloned) << "open_tree runs with the caller's rights, before the child exists";
  bool attached = false;
  for (const auto& step : plan.steps) {
    if (const auto* m = std::get_if<op::MountFs>(&step.op); m != nullptr && m->mount.destination == "/data") {
      EXPECT_EQ(m->source_slot, 0);
      attached = true;
    }
  }
  EXPECT_TRUE(attached);
  const auto plain = build_plan(testing::config_from_words({"--rootfs", "/r", "-v", "/srv/data:/data", "sh"}));
  EXPECT_EQ(plain.find<op::CloneBindSources>(), nullptr) << "without a user namespace the child binds the path";
}

}  // namespace
}  // namespace barco
