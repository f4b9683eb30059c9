// config.json as a second reader of ContainerConfig: what it fills, what it refuses (with
// the JSON path), what it reports as not applied, and the writer that exec and `spec` use.
#include "error_of.hpp"
#include "test_config.hpp"

#include <barco/defaults.hpp>
#include <barco/oci.hpp>
#include <barco/parse.hpp>
#include <barco/plan.hpp>

#include <gtest/gtest.h>

#include <sys/mount.h>
#include <sys/resource.h>

#include <csignal>
#include <map>

namespace barco {
namespace {

using nlohmann::json;
using testing::error_of;

json minimal() {
  return json::parse(R"({
    "ociVersion": "1.0.2",
    "process": {"args": ["sh"], "cwd": "/", "env": ["PATH=/bin"]},
    "root": {"path": "rootfs"},
    "linux": {"namespaces": [{"type": "mount"}, {"type": "pid"}]}
  })");
}

OciConfig parse(const json& j) {
  return parse_oci_config(j.dump(), OciContext{"/bundles/b", "c1"});
}

Process minimal_process() {
  return parse(minimal()).config.process;
}

std::string parse_error(const json& j) {
  return error_of([&] { (void)parse(j); });
}

TEST(OciConfig, MinimalConfigFillsTheModel) {
  const auto out = parse(minimal());
  const auto& c = out.config;
  EXPECT_EQ(c.id, "c1");
  EXPECT_EQ(c.root.path, "/bundles/b/rootfs");
  EXPECT_EQ(c.process.args, std::vector<std::string>{"sh"});
  EXPECT_TRUE(c.has_private(Namespace::mount));
  EXPECT_TRUE(c.has_private(Namespace::pid));
  EXPECT_FALSE(c.has_private(Namespace::net)) << "a namespace not listed is the host's";
  EXPECT_EQ(c.devices, default_devices()) << "the spec's default devices are supplied by the runtime";
  EXPECT_EQ(c.cgroupfs, CgroupFs::none);
  EXPECT_FALSE(c.seccomp.has_value());
  EXPECT_TRUE(out.warnings.empty());
}

// runtime-tools writes root.path ".", podman "rootfs/": every mount target is computed from
// the root's path, so "." once turned /dev/pts into "ev/pts".
TEST(OciConfig, RootPathIsNormalised) {
  auto j = minimal();
  for (const auto& [given, expected] :
       std::vector<std::pair<std::string, std::string>>{{".", "/bundles/b"},
                                                        {"rootfs/", "/bundles/b/rootfs"},
                                                        {"./x/../rootfs", "/bundles/b/rootfs"},
                                                        {"/abs/root/", "/abs/root"}}) {
    j["root"]["path"] = given;
    EXPECT_EQ(parse(j).config.root.path, expected) << given;
  }
}

TEST(OciConfig, ProcessFields) {
  auto j = minimal();
  j["process"]["user"] = {{"uid", 1000}, {"gid", 100}, {"additionalGids", {5, 6}}, {"umask", 63}};
  j["process"]["capabilities"] = {{"bounding", {"CAP_CHOWN", "CAP_KILL"}}, {"effective", {"CAP_KILL"}}};
  j["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 1024}, {"hard", 2048}}};
  j["process"]["noNewPrivileges"] = true;
  j["process"]["oomScoreAdj"] = 500;
  j["process"]["terminal"] = true;
  const auto& p = parse(j).config.process;
  EXPECT_EQ(p.user.uid, 1000U);
  EXPECT_EQ(p.user.gid, 100U);
  EXPECT_EQ(p.user.additional_gids, (std::vector<uint32_t>{5, 6}));
  EXPECT_EQ(p.capabilities.bounding, cap_bit(0) | cap_bit(5));
  EXPECT_EQ(p.capabilities.effective, cap_bit(5));
  EXPECT_EQ(p.rlimits, (std::vector<Rlimit>{{RLIMIT_NOFILE, 1024, 2048}}));
  EXPECT_TRUE(p.no_new_privileges);
  EXPECT_EQ(p.oom_score_adj, 500);
  EXPECT_TRUE(p.terminal);
  EXPECT_EQ(p.umask, 077U);
  j["process"]["consoleSize"] = {{"height", 10}, {"width", 110}};
  EXPECT_EQ(parse(j).config.process.console_size, (ConsoleSize{10, 110}));
  EXPECT_EQ(minimal_process().umask, 022U) << "docker's default";
  j["process"]["user"]["umask"] = 01000;
  EXPECT_NE(parse_error(j).find("$.process.user.umask: a umask is at most 0777"), std::string::npos) << parse_error(j);
}

TEST(OciConfig, DeviceRuleAccessLettersOtherThanRwmAreIgnoredWithAWarning) {
  auto j = minimal();
  j["linux"]["resources"] = {
      {"devices", {{{"allow", false}, {"type", "c"}, {"major", 1}, {"minor", 11}, {"access", "rwa"}}}}};
  const auto parsed = parse(j);
  ASSERT_FALSE(parsed.config.device_rules.empty());
  EXPECT_EQ(parsed.config.device_rules.front().access, "rw");
  ASSERT_EQ(parsed.warnings.size(), 1U);
  EXPECT_NE(parsed.warnings[0].find("$.linux.resources.devices[0].access"), std::string::npos) << parsed.warnings[0];
  j["linux"]["resources"]["devices"][0]["access"] = "x";
  EXPECT_NE(parse_error(j).find("expected letters from r, w, m"), std::string::npos);
}

TEST(OciConfig, UnifiedNamesAFileOfTheContainersCgroupAndNeverAPath) {
  auto j = minimal();
  j["linux"]["resources"] = {{"unified", {{"memory.high", "64M"}, {"io.weight", "default 50"}}}};
  EXPECT_EQ(parse(j).config.resources.unified,
            (std::map<std::string, std::string>{{"io.weight", "default 50"}, {"memory.high", "64M"}}));
  EXPECT_TRUE(parse(j).warnings.empty());
  for (const char* bad : {"../../cgroup.procs", "memory", ".high", "memory.", "Memory.high", "a/b.c"}) {
    j["linux"]["resources"]["unified"] = {{bad, "1"}};
    EXPECT_NE(parse_error(j).find("not a cgroup v2 file name"), std::string::npos) << bad << ": " << parse_error(j);
  }
  for (const char* own : {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "cgroup.kill"}) {
    j["linux"]["resources"]["unified"] = {{own, "1"}};
    EXPECT_NE(parse_error(j).find("barco writes " + std::string(own) + " itself"), std::string::npos) << own;
  }
  j["linux"]["resources"]["unified"] = {{"memory.high", 64}};
  EXPECT_NE(parse_error(j).find("expected a string"), std::string::npos);
}

TEST(OciConfig, LinuxFields) {
  auto j = minimal();
  j["hostname"] = "box";
  j["linux"]["namespaces"] = {
      {{"type", "mount"}}, {{"type", "uts"}}, {{"type", "network"}, {"path", "/proc/42/ns/net"}}, {{"type", "user"}}};
  j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  j["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  j["linux"]["resources"] = {{"memory", {{"limit", 67108864}}},
                             {"cpu", {{"quota", 50000}, {"period", 100000}, {"shares", 512}}},
                             {"pids", {{"limit", 64}}},
                             {"devices", {{{"allow", false}, {"access", "rwm"}}}}};
  j["linux"]["cgroupsPath"] = "/machine/c1";
  j["linux"]["maskedPaths"] = {"/proc/kcore"};
  j["linux"]["readonlyPaths"] = {"/proc/sys"};
  j["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
  j["linux"]["devices"] = {{{"path", "/dev/fuse"}, {"type", "c"}, {"major", 10}, {"minor", 229}, {"fileMode", 438}}};
  const auto c = parse(j).config;
  EXPECT_EQ(c.hostname, "box");
  EXPECT_TRUE(c.has_private(Namespace::user));
  EXPECT_EQ(c.uid_mappings, (std::vector<IdMapping>{{0, 100000, 65536}}));
  const auto net = std::find_if(c.namespaces.begin(), c.namespaces.end(),
                                [](const NamespaceSetting& n) { return n.type == Namespace::net; });
  EXPECT_EQ(net->path, "/proc/42/ns/net");
  EXPECT_EQ(c.resources.memory, 67108864);
  EXPECT_EQ(*c.resources.cpu_quota, (CpuQuota{50000, 100000}));
  EXPECT_EQ(c.resources.cpu_shares, 512);
  EXPECT_EQ(c.resources.pids_limit, 64);
  EXPECT_EQ(c.cgroups_path, "/machine/c1");
  EXPECT_EQ(c.masked_paths, std::vector<std::string>{"/proc/kcore"});
  EXPECT_EQ(c.sysctl, (std::vector<std::pair<std::string, std::string>>{{"net.ipv4.ip_forward", "1"}}));
  EXPECT_EQ(c.devices.back(), (Device{"/dev/fuse", 'c', 10, 229, 0666}));
  ASSERT_FALSE(c.device_rules.empty());
  EXPECT_FALSE(c.device_rules.front().allow) << "the config's deny-all comes first";
  EXPECT_TRUE(c.device_rules.back().allow) << "the default devices stay usable after it, as with runc";
}

TEST(OciConfig, MountsBecomeFlagsAndData) {
  auto j = minimal();
  j["mounts"] = {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
                 {{"destination", "/dev"},
                  {"type", "tmpfs"},
                  {"source", "tmpfs"},
                  {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
                 {{"destination", "/data"}, {"type", "bind"}, {"source", "data"}, {"options", {"rbind", "ro"}}},
                 {{"destination", "/sys/fs/cgroup"}, {"type", "cgroup"}, {"source", "cgroup"}, {"options", {"ro"}}}};
  const auto c = parse(j).config;
  ASSERT_EQ(c.mounts.size(), 3U) << "the cgroup mount is barco's own (one per hierarchy)";
  EXPECT_EQ(c.mounts[1].flags, static_cast<unsigned long>(MS_NOSUID | MS_STRICTATIME));
  EXPECT_EQ(c.mounts[1].data, "mode=755,size=65536k");
  EXPECT_EQ(c.mounts[2].source, "/bundles/b/data") << "a relative bind source is relative to the bundle";
  EXPECT_EQ(c.mounts[2].flags & (MS_BIND | MS_REC), static_cast<unsigned long>(MS_BIND | MS_REC));
  EXPECT_NE(c.mounts[2].flags & MS_RDONLY, 0UL) << "ro on a bind: set after the bind, on the bind only (runc)";
  EXPECT_EQ(c.cgroupfs, CgroupFs::read_only);
}

TEST(OciConfig, ErrorsNameTheJsonPath) {
  EXPECT_NE(error_of([] {
              (void)parse_oci_config("{nope", OciContext{"/b", "x"});
            }).find("is not valid JSON"),
            std::string::npos);
  auto j = minimal();
  j["ociVersion"] = "2.0.0";
  EXPECT_NE(parse_error(j).find("$.ociVersion: '2.0.0' is not supported"), std::string::npos) << parse_error(j);
  j = minimal();
  j["process"]["args"] = json::array();
  EXPECT_NE(parse_error(j).find("$.process.args: the command must not be empty"), std::string::npos);
  j = minimal();
  j["process"]["cwd"] = "relative";
  EXPECT_NE(parse_error(j).find("$.process.cwd: must be an absolute path"), std::string::npos);
  j = minimal();
  j["process"]["capabilities"] = {{"bounding", {"CAP_NOPE"}}};
  EXPECT_NE(parse_error(j).find("$.process.capabilities.bounding[0]: unknown capability 'CAP_NOPE'"), std::string::npos)
      << parse_error(j);
  j = minimal();
  j["linux"]["namespaces"] = {{{"type", "mount"}}, {{"type", "time"}}};
  EXPECT_NE(parse_error(j).find("$.linux.namespaces[1].type: 'time'"), std::string::npos) << parse_error(j);
  j = minimal();
  j["linux"]["namespaces"] = {{{"type", "pid"}}};
  EXPECT_NE(parse_error(j).find("a mount namespace is required: without one the container would run on the caller's"),
            std::string::npos)
      << parse_error(j);
  j = minimal();
  j["linux"]["namespaces"] = {{{"type", "mount"}, {"path", "/proc/1/ns/mnt"}}};
  EXPECT_NE(
      parse_error(j).find("$.linux.namespaces[0].path: joining an existing mount namespace is refused: pivot_root"),
      std::string::npos)
      << parse_error(j);
  j = minimal();
  j["linux"]["namespaces"] = {{{"type", "mount"}}, {{"type", "user"}}};
  EXPECT_NE(parse_error(j).find("needs uidMappings"), std::string::npos);
  j = minimal();
  j["linux"]["resources"] = {{"memory", {{"limit", "64m"}}}};
  EXPECT_NE(parse_error(j).find("$.linux.resources.memory.limit: expected an integer"), std::string::npos);
  j = minimal();
  j["linux"]["resources"] = {{"memory", {{"disableOOMKiller", "yes"}}}};
  EXPECT_NE(parse_error(j).find("$.linux.resources.memory.disableOOMKiller"), std::string::npos);
  j = minimal();
  j["linux"]["rootfsPropagation"] = "sideways";
  EXPECT_NE(parse_error(j).find("$.linux.rootfsPropagation: 'sideways' is not a propagation"), std::string::npos);
  j["linux"]["rootfsPropagation"] = "rshared";
  const auto shared = parse(j).config;
  EXPECT_EQ(shared.root_propagation, static_cast<unsigned long>(MS_SHARED | MS_REC));
  const auto plan = build_plan(shared, PlanHost{});
  const auto* step = plan.find_step<op::SetRootPropagation>();
  ASSERT_NE(step, nullptr);
  EXPECT_GT(step - plan.steps.data(), plan.find_step<op::PivotRoot>() - plan.steps.data()) << "after pivot_root";
  j = minimal();
  j["root"].erase("path");
  EXPECT_NE(parse_error(j).find("$.root: 'path' is required"), std::string::npos) << parse_error(j);
  j = minimal();
  j["mounts"] = {{{"type", "tmpfs"}}, 3};
  EXPECT_NE(parse_error(j).find("$.mounts[0]: 'destination' is required"), std::string::npos) << parse_error(j);
  j = minimal();
  j["mounts"] = {3};
  EXPECT_NE(parse_error(j).find("$.mounts[0]: expected an object"), std::string::npos) << parse_error(j);
  j = minimal();
  j["hooks"] = {{"prestart", {{{"path", "relative/hook"}}}}};
  EXPECT_NE(parse_error(j).find("$.hooks.prestart[0].path: must be an absolute path"), std::string::npos);
}

// runc's allow-list: only what the kernel keeps per namespace, and only with that namespace.
TEST(OciConfig, SysctlOnlyNamespacedKeysInPrivateNamespaces) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"kernel.core_pattern", "does not keep it per namespace"},
      {"vm.overcommit_memory", "does not keep it per namespace"},
      {"kernel.hostname", "the hostname field sets it"},
      {"net.ipv4.ip_forward", "network namespace, which this container shares"},
      {"kernel.shmmax", "ipc namespace, which this container shares"},
      {"fs.mqueue.msg_max", "ipc namespace"},
      {"kernel.domainname", "uts namespace"},
  };
  for (const auto& [key, why] : cases) {
    auto j = minimal();
    j["linux"]["sysctl"] = {{key, "1"}};
    const auto e = parse_error(j);
    EXPECT_NE(e.find("$.linux.sysctl: '" + key + "' is refused"), std::string::npos) << e;
    EXPECT_NE(e.find(why), std::string::npos) << e;
  }
  auto j = minimal();
  j["linux"]["namespaces"] = {{{"type", "mount"}}, {{"type", "network"}}, {{"type", "ipc"}}, {{"type", "uts"}}};
  j["linux"]["sysctl"] = {
      {"net.ipv4.ip_forward", "1"}, {"kernel.shmmax", "1"}, {"fs.mqueue.msg_max", "1"}, {"kernel.domainname", "x"}};
  EXPECT_EQ(parse(j).config.sysctl.size(), 4U);
}

TEST(OciConfig, UnsupportedFieldsAreWarningsNotSilence) {
  auto j = minimal();
  j["process"]["apparmorProfile"] = "containers-default";
  j["process"]["selinuxLabel"] = "system_u:system_r:container_t";
  j["linux"]["intelRdt"] = {{"closID", "x"}};
  j["somethingNew"] = true;
  const auto warnings = parse(j).warnings;
  ASSERT_EQ(warnings.size(), 4U);
  auto mentions = [&](const std::string& text) {
    return std::any_of(warnings.begin(), warnings.end(),
                       [&](const std::string& w) { return w.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(mentions("$.process.apparmorProfile is not applied: barco has no AppArmor support"));
  EXPECT_TRUE(mentions("$.process.selinuxLabel"));
  EXPECT_TRUE(mentions("$.linux.intelRdt"));
  EXPECT_TRUE(mentions("$.somethingNew is not applied: barco does not know this field"));
}

TEST(OciConfig, HooksInAllSixPhases) {
  auto j = minimal();
  const json hook = {{"path", "/bin/hook"}, {"args", {"hook", "x"}}, {"env", {"A=1"}}, {"timeout", 5}};
  j["hooks"] = {{"prestart", {hook}},       {"createRuntime", {hook}}, {"createContainer", {hook}},
                {"startContainer", {hook}}, {"poststart", {hook}},     {"poststop", {hook}}};
  const auto h = parse(j).config.hooks;
  const Hook expected{"/bin/hook", {"hook", "x"}, {"A=1"}, 5};
  for (const auto* list :
       {&h.prestart, &h.create_runtime, &h.create_container, &h.start_container, &h.poststart, &h.poststop}) {
    EXPECT_EQ(*list, std::vector<Hook>{expected});
  }
}

TEST(OciConfig, TheWriterRoundTripsADockerStyleConfig) {
  auto c = testing::config_from_words({"--rootfs", "/r", "--name", "web", "-u", "1000", "--memory", "64m",
                                       "--pids-limit", "32", "--cap-add", "SYS_PTRACE", "--ulimit", "nofile=10:20",
                                       "-e", "A=1", "sh", "-c", "x"});
  c.sysctl = {{"net.core.somaxconn", "1024"}};
  c.process.oom_score_adj = 10;
  const auto back = parse_oci_config(oci_config_json(c).dump(), OciContext{"/state/web", "web"}).config;
  EXPECT_EQ(back.process.args, c.process.args);
  EXPECT_EQ(back.process.env, c.process.env);
  EXPECT_EQ(back.process.user.uid, c.process.user.uid);
  EXPECT_EQ(back.process.capabilities, c.process.capabilities);
  EXPECT_EQ(back.process.rlimits, c.process.rlimits);
  EXPECT_EQ(back.process.no_new_privileges, c.process.no_new_privileges);
  EXPECT_EQ(back.process.oom_score_adj, 10);
  EXPECT_EQ(back.root.path, c.root.path);
  EXPECT_EQ(back.hostname, c.hostname);
  EXPECT_EQ(back.namespaces, c.namespaces);
  EXPECT_EQ(back.mounts, c.mounts);
  EXPECT_EQ(back.masked_paths, c.masked_paths);
  EXPECT_EQ(back.readonly_paths, c.readonly_paths);
  EXPECT_EQ(back.devices, c.devices);
  EXPECT_EQ(back.resources.memory, c.resources.memory);
  EXPECT_EQ(back.resources.pids_limit, c.resources.pids_limit);
  EXPECT_EQ(back.sysctl, c.sysctl);
}

TEST(OciConfig, SpecIsAcceptedByTheReaderWithTheDefaultProfile) {
  const auto spec = default_oci_spec(false, 0, 0, 40);
  const auto out = parse_oci_config(spec.dump(), OciContext{"/b", "x"});
  EXPECT_TRUE(out.warnings.empty()) << out.warnings.front();
  const auto& c = out.config;
  EXPECT_EQ(c.root.path, "/b/rootfs");
  EXPECT_TRUE(c.root.readonly);
  EXPECT_EQ(c.process.capabilities.bounding, docker_default_caps());
  ASSERT_TRUE(c.seccomp.has_value()) << "barco spec ships the default seccomp profile";
  EXPECT_EQ(c.seccomp->default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(c.cgroupfs, CgroupFs::read_only);
  EXPECT_TRUE(c.process.no_new_privileges);
  const auto rootless = parse_oci_config(default_oci_spec(true, 1000, 1000, 40).dump(), OciContext{"/b", "x"});
  EXPECT_TRUE(rootless.config.has_private(Namespace::user));
  EXPECT_EQ(rootless.config.uid_mappings, (std::vector<IdMapping>{{0, 1000, 1}}));
}

TEST(OciMountOptions, FlagsDataAndPropagation) {
  const auto o =
      parse_mount_options({"nosuid", "nodev", "ro", "rw", "noexec", "mode=1777", "rslave", "size=1m"}, false);
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_NOSUID | MS_NODEV | MS_NOEXEC)) << "rw clears an earlier ro";
  EXPECT_EQ(o.data, "mode=1777,size=1m");
  EXPECT_EQ(o.ignored, std::vector<std::string>{"rslave"});
  const auto bind = parse_mount_options({"bind", "ro"}, true);
  EXPECT_EQ(bind.flags & (MS_BIND | MS_RDONLY), static_cast<unsigned long>(MS_BIND | MS_RDONLY));
  EXPECT_EQ(bind.recursive_attr_set, 0U);
}

// runc's recursive options become mount_setattr(AT_RECURSIVE) attributes; a bind option
// barco does not know (idmap, a typo) is refused instead of passed on as ignored data.
// runc writes quota and period as the config gives them; converting through a CPU count
// once rewrote the period to 100000 and rounded the quota.
TEST(OciConfig, CpuQuotaAndPeriodAndAnnotationsAreKeptAsGiven) {
  auto j = minimal();
  j["linux"]["resources"] = {{"cpu", {{"quota", 12345}, {"period", 54321}}}};
  j["annotations"] = {{"org.example.key", "value"}};
  const auto c = parse(j).config;
  EXPECT_EQ(*c.resources.cpu_quota, (CpuQuota{12345, 54321}));
  EXPECT_EQ(c.annotations, (std::map<std::string, std::string>{{"org.example.key", "value"}}));
  const auto back = parse_oci_config(oci_config_json(c).dump(), OciContext{"/state/c1", "c1"}).config;
  EXPECT_EQ(back.resources.cpu_quota, c.resources.cpu_quota);
  EXPECT_EQ(back.annotations, c.annotations) << "the stored config keeps them for state and the hooks";
  j["annotations"]["org.example.key"] = 3;
  EXPECT_NE(parse_error(j).find("$.annotations.org.example.key: expected a string"), std::string::npos)
      << parse_error(j);
}

// runc's OCI features barco used to refuse: disableOOMKiller (v1 memory.oom_control, a
// warning on v2), FIFO devices, and filesystem data on a bind (ignored by the kernel).
TEST(OciConfig, DisableOomKillerFifoDevicesAndBindDataAreAccepted) {
  auto j = minimal();
  j["linux"]["resources"] = {{"memory", {{"limit", 33554432}, {"disableOOMKiller", true}}}};
  j["linux"]["devices"] = {{{"path", "/dev/fifo"}, {"type", "p"}, {"fileMode", 0600}}};
  j["mounts"] = {{{"destination", "/d"}, {"type", "bind"}, {"source", "/s"}, {"options", {"rbind", "mode=755"}}}};
  const auto out = parse(j);
  EXPECT_TRUE(out.config.resources.disable_oom_killer);
  EXPECT_EQ(out.config.devices.back(), (Device{"/dev/fifo", 'p', 0, 0, 0600}));
  j["linux"]["devices"].push_back({{"path", "/dev/test1"}, {"type", "c"}, {"major", 10}, {"minor", 666}});
  j["linux"]["resources"]["memory"]["swappiness"] = 10;
  const auto listed = parse(j).config;
  EXPECT_EQ(listed.device_rules.back(), (DeviceRule{true, 'c', 10, 666, "m"}))
      << "a listed node may be made; opening it is the allow-list's call";
  EXPECT_EQ(listed.resources.memory_swappiness, 10);
  ASSERT_EQ(out.warnings.size(), 1U);
  EXPECT_NE(out.warnings[0].find("'mode=755' ignored: a bind mount takes no filesystem data"), std::string::npos)
      << out.warnings[0];
  PlanHost v1;
  v1.cgroups = parse_cgroup_host("32 25 0:28 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", "3:memory:/\n");
  const auto plan = build_plan(out.config, Placement{}, v1);
  const auto* create = plan.find<op::CreateCgroups>();
  ASSERT_NE(create, nullptr);
  EXPECT_NE(std::find_if(create->writes.begin(), create->writes.end(),
                         [](const auto& w) { return w.file.ends_with("/memory.oom_control") && w.value == "1"; }),
            create->writes.end());
  PlanHost v2;
  v2.cgroups = parse_cgroup_host("30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "0::/\n");
  const auto unified = build_plan(out.config, Placement{}, v2);
  ASSERT_FALSE(unified.unenforced.empty());
  EXPECT_NE(unified.unenforced.front().find("disableOOMKiller ignored"), std::string::npos);
}

TEST(OciMountOptions, RecursiveOptionsAndUnknownBindOptions) {
  const auto o = parse_mount_options({"rbind", "rro", "rnosuid", "rnodev", "rnoexec", "nosymfollow"}, true);
  EXPECT_EQ(o.recursive_attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  EXPECT_NE(o.flags & MS_NOSYMFOLLOW, 0UL);
  EXPECT_TRUE(o.unknown.empty());
  const auto rw = parse_mount_options({"rro", "rrw"}, true);
  EXPECT_EQ(rw.recursive_attr_set, 0U);
  EXPECT_EQ(rw.recursive_attr_clear, MOUNT_ATTR_RDONLY) << "the later option wins";
  EXPECT_EQ(parse_mount_options({"bind", "idmap", "size=1m"}, true).unknown,
            (std::vector<std::string>{"idmap", "size=1m"}));
  auto j = minimal();
  j["mounts"] = {{{"destination", "/d"}, {"type", "bind"}, {"source", "/s"}, {"options", {"rbind", "idmap"}}}};
  EXPECT_NE(parse_error(j).find("$.mounts[0].options: 'idmap' is not a bind mount option barco knows (id-mapped"),
            std::string::npos)
      << parse_error(j);
  j["mounts"][0]["options"] = {"rbind", "rro"};
  const auto c = parse(j).config;
  EXPECT_EQ(c.mounts.back().recursive_attr_set, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));
  EXPECT_NE(std::find(mount_options_of(c.mounts.back()).begin(), mount_options_of(c.mounts.back()).end(), "rro"),
            mount_options_of(c.mounts.back()).end());
}

TEST(OciState, StoppedHasNoPid) {
  auto running = oci_state_json(OciState{"c", "running", 42, "/b", "t", json::object()});
  EXPECT_EQ(running["pid"], 42);
  EXPECT_EQ(running["ociVersion"], kOciVersion);
  auto stopped = oci_state_json(OciState{"c", "stopped", 42, "/b", "t", json::object()});
  EXPECT_FALSE(stopped.contains("pid"));
}

TEST(OciFeatures, ListTheHooksNamespacesAndSeccomp) {
  const auto f = oci_features_json();
  EXPECT_EQ(f["ociVersionMax"], kOciVersion);
  EXPECT_EQ(f["linux"]["namespaces"].size(), 7U);
  EXPECT_TRUE(f["linux"]["seccomp"]["enabled"].get<bool>());
  EXPECT_FALSE(f["linux"]["apparmor"]["enabled"].get<bool>());
}

TEST(ParseSignal, NamesNumbersAndErrors) {
  EXPECT_EQ(parse_signal("TERM", "kill"), SIGTERM);
  EXPECT_EQ(parse_signal("SIGKILL", "kill"), SIGKILL);
  EXPECT_EQ(parse_signal("sigusr1", "kill"), SIGUSR1);
  EXPECT_EQ(parse_signal("9", "kill"), 9);
  EXPECT_NE(error_of([] { (void)parse_signal("65", "kill"); }).find("kill '65': not a signal"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_signal("", "kill"); }).find("not a signal"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_signal("NOPE", "-s"); }).find("HUP INT"), std::string::npos);
}

TEST(RlimitResource, LongAndShortNames) {
  EXPECT_EQ(rlimit_resource("RLIMIT_NOFILE"), RLIMIT_NOFILE);
  EXPECT_EQ(rlimit_resource("nproc"), RLIMIT_NPROC);
  EXPECT_FALSE(rlimit_resource("RLIMIT_BOGUS").has_value());
}

TEST(OciConfig, TheExecContextKeepsTheSeccompAgentForExec) {
  auto j = minimal();
  j["linux"]["seccomp"] = json::parse(R"({"defaultAction":"SCMP_ACT_ERRNO","listenerPath":"/run/a.sock",
      "listenerMetadata":"m","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_NOTIFY"},
      {"names":["read"],"action":"SCMP_ACT_ALLOW"}]})");
  const auto stored = parse_oci_config(oci_config_json(parse(j).config, OciDetail::exec_context).dump(),
                                       OciContext{"/run/barco/c1", "c1"})
                          .config;
  ASSERT_TRUE(stored.seccomp.has_value());
  EXPECT_TRUE(uses_notify(*stored.seccomp));
  EXPECT_EQ(stored.seccomp->listener_path, "/run/a.sock");
  EXPECT_EQ(stored.seccomp->listener_metadata, "m");
  // Without a listener the exec context carries no filter: exec loads the compiled one.
  EXPECT_FALSE(parse_oci_config(oci_config_json(parse(minimal()).config, OciDetail::exec_context).dump(),
                                OciContext{"/run/barco/c1", "c1"})
                   .config.seccomp.has_value());
}

TEST(OciState, TheSeccompAgentGetsRuntimeSpecsContainerProcessState) {
  const auto j = oci_process_state_json(42, "bar", OciState{"c1", "creating", 42, "/b", "", json::object()});
  EXPECT_EQ(j["fds"], json::array({"seccompFd"}));
  EXPECT_EQ(j["pid"], 42);
  EXPECT_EQ(j["metadata"], "bar");
  EXPECT_EQ(j["state"]["id"], "c1");
  EXPECT_EQ(j["state"]["status"], "creating");
  EXPECT_TRUE(j.contains("ociVersion"));
  EXPECT_LT(j.dump().size(), 4096U) << "runc's agents read the message into 4096 bytes";
}

}  // namespace
}  // namespace barco
