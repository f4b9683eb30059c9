#include "test_config.hpp"

#include <barco/cgroups.hpp>
#include <barco/plan.hpp>

#include <gtest/gtest.h>

namespace barco {
namespace {

constexpr const char* kHybridMountinfo =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime shared:9 - cgroup cgroup rw,devices\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
constexpr const char* kHybridCgroup = "9:name=systemd:/\n5:devices:/ci/job\n4:memory:/process_api/abc\n1:cpu:/\n0::/\n";

TEST(CgroupHost, Hybrid) {
  const auto h = parse_cgroup_host(kHybridMountinfo, kHybridCgroup);
  EXPECT_EQ(h.mode, CgroupMode::hybrid);
  EXPECT_EQ(h.unified_mount, "/sys/fs/cgroup/unified");
  EXPECT_EQ(h.v1_mounts.at("devices"), "/sys/fs/cgroup/devices");
  EXPECT_EQ(h.v1_mounts.at("memory"), "/sys/fs/cgroup/memory");
  EXPECT_EQ(h.v1_mounts.count("name=systemd"), 0U);
  EXPECT_EQ(h.own_v1.at("memory"), "/process_api/abc");
  EXPECT_EQ(h.own_v1.at("devices"), "/ci/job");
  EXPECT_EQ(h.own_unified, "/");
}

TEST(CgroupHost, UnifiedLegacyAndNone) {
  const auto v2 =
      parse_cgroup_host("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n", "0::/user.slice\n");
  EXPECT_EQ(v2.mode, CgroupMode::unified);
  EXPECT_EQ(v2.own_unified, "/user.slice");
  EXPECT_TRUE(v2.v1_mounts.empty());
  const auto v1 =
      parse_cgroup_host("36 31 0:33 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n", "5:devices:/\n");
  EXPECT_EQ(v1.mode, CgroupMode::legacy);
  EXPECT_EQ(parse_cgroup_host("", "").mode, CgroupMode::none);
}

TEST(CgroupHost, AHiddenHierarchyDoesNotCount) {
  const std::string mountinfo =
      std::string(kHybridMountinfo) + "90 36 0:50 / /sys/fs/cgroup/devices rw,relatime - tmpfs hide rw\n";
  const auto h = parse_cgroup_host(mountinfo, kHybridCgroup);
  EXPECT_EQ(h.v1_mounts.count("devices"), 0U);
  EXPECT_EQ(h.v1_mounts.count("memory"), 1U);
}

TEST(CgroupPlan, WithoutAV1DevicesHierarchyTheEbpfFilterOnCgroup2IsUsed) {
  PlanHost host;
  host.cgroups = parse_cgroup_host("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "0::/user.slice/x\n");
  const auto p = build_plan(testing::config_from_words({"--rootfs", "/r", "--name", "c1", "sh"}), host);
  const auto& op = (*p.find<op::CreateCgroups>());
  EXPECT_EQ(op.bpf_devices_dir, "/sys/fs/cgroup/barco/c1")
      << "pure v2: below the root, where controllers can be delegated";
  EXPECT_TRUE(op.devices_dir.empty());
  EXPECT_EQ((*p.find<op::JoinCgroups>()).tasks_files, std::vector<std::string>{"/sys/fs/cgroup/barco/c1/cgroup.procs"});
}

TEST(DeviceRules, DockersAllowList) {
  const auto rules = default_device_rules();
  ASSERT_FALSE(rules.empty());
  EXPECT_EQ(device_rule_text(rules.front()), "a *:* rwm");
  EXPECT_FALSE(rules.front().allow) << "deny everything first";
  for (size_t i = 1; i < rules.size(); ++i) {
    EXPECT_TRUE(rules[i].allow);
    EXPECT_EQ(rules[i].type, 'c') << "no block device is allowed";
  }
  EXPECT_EQ(device_rule_text(rules.back()), "c 136:* rwm");
}

TEST(CgroupPlan, DevicesCgroupBelowBarcosOwnAndJoinedFirst) {
  PlanHost host;
  host.cgroups = parse_cgroup_host(kHybridMountinfo, kHybridCgroup);
  const auto c = testing::config_from_words({"--rootfs", "/r", "--name", "web", "sh"});
  const auto p = build_plan(c, host);
  const auto* create = p.find_step<op::CreateCgroups>();
  ASSERT_NE(create, nullptr);
  EXPECT_EQ(create->where, Where::parent_before_clone);
  const auto& op = std::get<op::CreateCgroups>(create->op);
  ASSERT_FALSE(op.dirs.empty());
  EXPECT_EQ(op.dirs.front(), "/sys/fs/cgroup/devices/ci/job/barco/web") << "devices first: the filter before any other";
  EXPECT_EQ(op.device_rules, default_device_rules());
  EXPECT_EQ(p.steps_at(Where::child).at(3)->name, "join_cgroups")
      << "after make_non_dumpable, relay_caller_terminal and close_host_fds";
  EXPECT_EQ(std::get<op::JoinCgroups>(p.steps_at(Where::child).at(3)->op).tasks_files.front(),
            "/sys/fs/cgroup/devices/ci/job/barco/web/tasks");
}

// --privileged drops the device filter but not the cgroups: docker stats and pause need
// them, as under runc.
TEST(CgroupPlan, DeviceFlagAddsARuleAndPrivilegedHasNoFilter) {
  PlanHost host;
  host.cgroups = parse_cgroup_host(kHybridMountinfo, kHybridCgroup);
  const auto c = testing::config_from_words({"--rootfs", "/r", "--device", "/dev/fuse:rw", "sh"});
  EXPECT_EQ(c.device_rules.back(), (DeviceRule{true, 'c', 10, 229, "rw"}));
  const auto priv = testing::config_from_words({"--rootfs", "/r", "--privileged", "sh"});
  EXPECT_TRUE(priv.device_rules.empty());
  const auto plan = build_plan(priv, host);
  const auto* create = plan.find<op::CreateCgroups>();
  ASSERT_NE(create, nullptr);
  EXPECT_TRUE(create->device_rules.empty());
  PlanHost none;
  EXPECT_EQ(build_plan(c, none).find_step<op::CreateCgroups>(), nullptr) << "no cgroup filesystem: nothing to create";
}

TEST(SubCgroup, RuncsExecCgroupForms) {
  EXPECT_EQ(parse_sub_cgroup("a/./b/"), (SubCgroup{{}, "a/b"}));
  EXPECT_EQ(parse_sub_cgroup("/"), (SubCgroup{{}, ""}));
  EXPECT_EQ(parse_sub_cgroup("cpu,cpuacct:sub"), (SubCgroup{{"cpu", "cpuacct"}, "sub"}));
  EXPECT_THROW((void)parse_sub_cgroup(".."), ConfigError);
  EXPECT_THROW((void)parse_sub_cgroup("memory:a/../../b"), ConfigError);
  const std::vector<std::string> dirs{"/sys/fs/cgroup/memory/c", "/sys/fs/cgroup/cpu,cpuacct/c",
                                      "/sys/fs/cgroup/pids/c"};
  const auto v1 = [](const std::string&) { return false; };
  EXPECT_EQ(sub_cgroup_dirs(dirs, {parse_sub_cgroup("memory:m"), parse_sub_cgroup("cpuacct:k")}, v1),
            (std::vector<std::string>{"/sys/fs/cgroup/memory/c/m", "/sys/fs/cgroup/cpu,cpuacct/c/k",
                                      "/sys/fs/cgroup/pids/c"}));
  EXPECT_EQ(sub_cgroup_dirs(dirs, {parse_sub_cgroup("all"), parse_sub_cgroup("memory:m")}, v1),
            (std::vector<std::string>{"/sys/fs/cgroup/memory/c/m", "/sys/fs/cgroup/cpu,cpuacct/c/all",
                                      "/sys/fs/cgroup/pids/c/all"}));
  EXPECT_THROW((void)sub_cgroup_dirs(dirs, {parse_sub_cgroup("whaaat:/")}, v1), ConfigError);
  // Pure v2: the path below the mount is the cgroup's, not a controller's name.
  const auto v2 = [](const std::string&) { return true; };
  EXPECT_EQ(sub_cgroup_dirs({"/sys/fs/cgroup/barco/c"}, {parse_sub_cgroup("s")}, v2),
            std::vector<std::string>{"/sys/fs/cgroup/barco/c/s"});
  EXPECT_THROW((void)sub_cgroup_dirs({"/sys/fs/cgroup/barco/c"}, {parse_sub_cgroup("barco:s")}, v2), ConfigError);
}

}  // namespace
}  // namespace barco
