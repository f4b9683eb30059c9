// Resource flags: parsing, their errors, and the cgroup v1 writes they plan.
#include "error_of.hpp"
#include "test_config.hpp"

#include <barco/cgroups.hpp>
#include <barco/parse.hpp>
#include <barco/plan.hpp>
#include <barco/resources.hpp>

#include <gtest/gtest.h>

namespace barco {
namespace {

using testing::config_from_words;

using testing::error_of;

constexpr const char* kMountinfo =
    "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
constexpr const char* kOwn = "5:devices:/\n4:memory:/job\n3:cpuset:/\n1:cpu:/\n0::/\n";

std::map<std::string, std::string> writes_of(const Plan& p) {
  std::map<std::string, std::string> out;
  if (const auto* s = p.find_step<op::CreateCgroups>()) {
    for (const auto& w : std::get<op::CreateCgroups>(s->op).writes) out[w.file] = w.value;
  }
  return out;
}

TEST(Sizes, DockersUnits) {
  EXPECT_EQ(parse_size("64m", "--memory"), 64 * 1024 * 1024);
  EXPECT_EQ(parse_size("64MB", "--memory"), 64 * 1024 * 1024);
  EXPECT_EQ(parse_size("1g", "--memory"), int64_t{1} << 30);
  EXPECT_EQ(parse_size("1.5k", "--memory"), 1536);
  EXPECT_EQ(parse_size("4096", "--memory"), 4096);
  EXPECT_EQ(parse_size("-1", "--memory-swap", true), -1);
  for (const char* bad : {"-5", "abc", "", "5x", "1..2m", "m", "-1"}) {
    EXPECT_NE(error_of([&] { (void)parse_size(bad, "--memory"); }).find("--memory '"), std::string::npos) << bad;
  }
}

TEST(Cpus, RangeAndHostLimit) {
  EXPECT_DOUBLE_EQ(parse_cpus("0.5", 2), 0.5);
  EXPECT_NE(error_of([] { (void)parse_cpus("abc", 2); }).find("positive number"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_cpus("0", 2); }).find("positive number"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_cpus("3", 2); }).find("more than the 2 CPUs"), std::string::npos);
}

TEST(CpuList, ValidatedAgainstTheHost) {
  EXPECT_EQ(parse_cpu_list("0-1", "--cpuset-cpus", 2), "0-1");
  EXPECT_EQ(parse_cpu_list("0,1", "--cpuset-cpus", 2), "0,1");
  EXPECT_NE(error_of([] { (void)parse_cpu_list("3", "--cpuset-cpus", 2); }).find("3 is not available"),
            std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_cpu_list("1-0", "--cpuset-cpus", 2); }).find("backwards"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_cpu_list("a", "--cpuset-cpus", 2); }).find("list like"), std::string::npos);
}

TEST(CpuWeight, ConversionsMatchRuncs) {
  EXPECT_EQ(cpu_shares_to_weight(1024), 39);
  EXPECT_EQ(cpu_shares_to_weight(2), 1);
  EXPECT_EQ(cpu_shares_to_weight(262144), 10000);
  EXPECT_EQ(cpu_weight_to_shares(1), 2);
  EXPECT_EQ(cpu_weight_to_shares(10000), 262144);
}

TEST(ResourceFlags, ClearErrors) {
  auto err = [](std::vector<std::string> words) {
    return error_of([&] { (void)config_from_words(std::move(words)); });
  };
  EXPECT_NE(err({"--rootfs", "/r", "--memory", "-5", "sh"}).find("--memory '-5': not a size"), std::string::npos);
  EXPECT_NE(err({"--rootfs", "/r", "--memory", "4m", "sh"}).find("minimum of 6m"), std::string::npos);
  EXPECT_NE(err({"--rootfs", "/r", "--cpus", "abc", "sh"}).find("--cpus 'abc'"), std::string::npos);
  EXPECT_NE(err({"--rootfs", "/r", "--cpuset-cpus", "7", "sh"}).find("not available"), std::string::npos);
  EXPECT_NE(err({"--rootfs", "/r", "--memory-swap", "1g", "sh"}).find("without --memory"), std::string::npos);
  EXPECT_NE(err({"--rootfs", "/r", "-m", "1g", "--memory-swap", "64m", "sh"}).find("smaller than --memory"),
            std::string::npos);
  EXPECT_NE(err({"--rootfs", "/r", "--pids-limit", "0", "sh"}).find("--pids-limit '0'"), std::string::npos);
  EXPECT_NE(err({"--rootfs", "/r", "--blkio-weight", "5", "sh"}).find("from 10 to 1000"), std::string::npos);
  EXPECT_NE(err({"--rootfs", "/r", "--cgroup-parent", "../x", "sh"}).find("without .."), std::string::npos);
}

TEST(ResourcePlan, V1WritesBelowOwnCgroup) {
  PlanHost host;
  host.cgroups = parse_cgroup_host(kMountinfo, kOwn);
  const auto p = build_plan(config_from_words({"--rootfs", "/r", "--name", "c", "-m", "32m", "--cpus", "0.5",
                                               "--cpu-shares", "512", "--cpuset-cpus", "0", "sh"}),
                            host);
  const auto w = writes_of(p);
  EXPECT_EQ(w.at("/sys/fs/cgroup/memory/job/barco/c/memory.limit_in_bytes"), "33554432");
  EXPECT_EQ(w.at("/sys/fs/cgroup/memory/job/barco/c/memory.memsw.limit_in_bytes"), "67108864")
      << "docker: swap = memory";
  EXPECT_EQ(w.at("/sys/fs/cgroup/cpu/barco/c/cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(w.at("/sys/fs/cgroup/cpu/barco/c/cpu.cfs_period_us"), "100000");
  EXPECT_EQ(w.at("/sys/fs/cgroup/cpu/barco/c/cpu.shares"), "512");
  EXPECT_EQ(w.at("/sys/fs/cgroup/cpuset/barco/c/cpuset.cpus"), "0");
  const auto& join = (*p.find<op::JoinCgroups>()).tasks_files;
  EXPECT_NE(std::find(join.begin(), join.end(), "/sys/fs/cgroup/memory/job/barco/c/tasks"), join.end());
  EXPECT_TRUE(p.unenforced.empty());
}

TEST(ResourcePlan, MissingControllerIsReportedNotDropped) {
  PlanHost host;
  host.cgroups = parse_cgroup_host(kMountinfo, kOwn);  // no pids hierarchy
  const auto p = build_plan(config_from_words({"--rootfs", "/r", "--pids-limit", "16", "sh"}), host);
  ASSERT_EQ(p.unenforced.size(), 1U);
  EXPECT_NE(p.unenforced[0].find("--pids-limit ignored: no pids controller on this host"), std::string::npos);
}

TEST(ResourcePlan, V2LimitsAtTheHierarchyRootWithControllersEnabled) {
  PlanHost v2;
  v2.cgroups = parse_cgroup_host("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "0::/user.slice/s\n");
  const auto p = build_plan(
      config_from_words({"--rootfs", "/r", "--name", "c", "-m", "32m", "--memory-swap", "64m", "--cpus", "0.5",
                         "--cpu-shares", "1024", "--pids-limit", "16", "--blkio-weight", "500", "sh"}),
      v2);
  EXPECT_TRUE(p.unenforced.empty());
  const auto& op = (*p.find<op::CreateCgroups>());
  EXPECT_EQ(op.dirs, std::vector<std::string>{"/sys/fs/cgroup/barco/c"}) << "one cgroup, below the root, not our own";
  EXPECT_EQ(op.v2_mount, "/sys/fs/cgroup");
  EXPECT_EQ(op.bpf_devices_dir, "/sys/fs/cgroup/barco/c");
  EXPECT_EQ(op.v2_controllers, (std::vector<std::string>{"memory", "cpu", "pids", "io"}));
  const auto w = writes_of(p);
  EXPECT_EQ(w.at("/sys/fs/cgroup/barco/c/memory.max"), "33554432");
  EXPECT_EQ(w.at("/sys/fs/cgroup/barco/c/memory.swap.max"), "33554432") << "swap alone: 64m - 32m";
  EXPECT_EQ(w.at("/sys/fs/cgroup/barco/c/cpu.max"), "50000 100000");
  EXPECT_EQ(w.at("/sys/fs/cgroup/barco/c/cpu.weight"), "39") << "1024 shares";
  EXPECT_EQ(w.at("/sys/fs/cgroup/barco/c/pids.max"), "16");
  EXPECT_EQ(w.at("/sys/fs/cgroup/barco/c/io.weight"), "default 4950") << "1 + (500 - 10) * 9999 / 990";
  EXPECT_EQ((*p.find<op::JoinCgroups>()).tasks_files, std::vector<std::string>{"/sys/fs/cgroup/barco/c/cgroup.procs"});
}

// OCI linux.resources.unified: v2 files by name after the other limits, their controllers
// enabled; refused where the controllers are on v1 (runc's "invalid configuration").
TEST(ResourcePlan, UnifiedFilesOnV2AndRefusedOnV1) {
  auto c = config_from_words({"--rootfs", "/r", "--name", "c", "sh"});
  c.resources.unified = {{"memory.high", "64M"}, {"cgroup.max.depth", "2"}};
  PlanHost v2;
  v2.cgroups = parse_cgroup_host("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "0::/user.slice/s\n");
  const auto p = build_plan(c, v2);
  const auto w = writes_of(p);
  EXPECT_EQ(w.at("/sys/fs/cgroup/barco/c/memory.high"), "64M");
  EXPECT_EQ(w.at("/sys/fs/cgroup/barco/c/cgroup.max.depth"), "2");
  EXPECT_EQ(p.find<op::CreateCgroups>()->v2_controllers, std::vector<std::string>{"memory"})
      << "cgroup.* files need no controller";
  PlanHost v1;
  v1.cgroups = parse_cgroup_host(kMountinfo, kOwn);
  EXPECT_NE(error_of([&] { (void)build_plan(c, v1); }).find("linux.resources.unified: invalid configuration"),
            std::string::npos);
  ResourceUpdate more;
  more.set.unified = {{"memory.high", "128M"}, {"pids.max", "9"}};
  EXPECT_EQ(
      apply_update(c.resources, more).unified,
      (std::map<std::string, std::string>{{"cgroup.max.depth", "2"}, {"memory.high", "128M"}, {"pids.max", "9"}}));
}

TEST(ResourcePlan, CgroupParentAndUnifiedHosts) {
  PlanHost host;
  host.cgroups = parse_cgroup_host(kMountinfo, kOwn);
  const auto p =
      build_plan(config_from_words({"--rootfs", "/r", "--name", "c", "--cgroup-parent", "ci/jobs", "sh"}), host);
  for (const auto& dir : (*p.find<op::CreateCgroups>()).dirs) {
    EXPECT_TRUE(dir.ends_with("/ci/jobs/c")) << dir;
  }
  PlanHost none;
  const auto q = build_plan(config_from_words({"--rootfs", "/r", "-m", "64m", "sh"}), none);
  EXPECT_EQ(q.find_step<op::CreateCgroups>(), nullptr);
}

TEST(ResourcePlan, StrictMakesOptionalFilesRequired) {
  PlanHost host;
  host.cgroups = parse_cgroup_host(
      std::string(kMountinfo) + "38 31 0:35 / /sys/fs/cgroup/blkio rw - cgroup cgroup rw,blkio\n", kOwn);
  for (const bool strict : {false, true}) {
    Placement placement;
    placement.strict_cgroups = strict;
    const auto p = build_plan(config_from_words({"--rootfs", "/r", "--blkio-weight", "500", "sh"}), placement, host);
    const auto& writes = (*p.find<op::CreateCgroups>()).writes;
    ASSERT_EQ(writes.size(), 1U);
    EXPECT_EQ(writes[0].optional, !strict);
  }
}

}  // namespace
}  // namespace barco
