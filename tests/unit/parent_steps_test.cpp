// The parent's walk over the plan, through FakeSys, without root and without a child: the
// host-side steps before clone (record, overlay, log, cgroups, FIFO, filter) and the ones
// after it that need no child (oom_score_adj, id maps, exec context).
#include "fake_sys.hpp"
#include "linux/cgroups.hpp"
#include "runtime/parent.hpp"
#include "test_config.hpp"

#include <barco/cgroups.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <tuple>

namespace barco {
namespace {

using testing::config_from_words;
using testing::FakeSys;

constexpr const char* kPureV2 = "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";

// The steps a test can run without a child process.
bool needs_a_child(const Operation& o) {
  return std::holds_alternative<op::Clone>(o) || std::holds_alternative<op::AwaitSetup>(o) ||
         std::holds_alternative<op::Supervise>(o) || std::holds_alternative<op::HandOver>(o) ||
         std::holds_alternative<op::RunHooks>(o) || std::holds_alternative<op::ReportOom>(o);
}

class ParentSteps : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/barco-parent-test.XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    root_ = dir;
    options_.state_root = root_;
    auto pair = SyncChannel::make_pair();
    ASSERT_TRUE(pair.has_value());
    parent_end_ = std::move(pair->first);
    child_end_ = std::move(pair->second);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  // A container with every parent step: a user namespace (id maps, owned overlay), limits
  // on a pure v2 host (controllers, writes, the eBPF device filter), run -d's log, OCI
  // create's FIFO, seccomp and an oom_score_adj.
  [[nodiscard]] Plan full_plan() const {
    auto c = config_from_words(
        {"--rootfs", "/r", "--name", "c1", "--userns", "private", "--memory", "64m", "--pids-limit", "10", "sh"});
    c.process.oom_score_adj = 100;
    Placement placement;
    placement.overlay_dir = root_ + "/c1/overlay";
    placement.log_file = root_ + "/c1.log";
    placement.exec_fifo = root_ + "/c1/exec.fifo";
    PlanHost host;
    host.state_root = root_;
    host.cgroups = parse_cgroup_host(kPureV2, "0::/user.slice\n");
    return build_plan(c, placement, host);
  }

  // Walks the parent steps that need no child, in order; `owner` (if given) gets, per
  // call index, the step that made the call.
  Result<void> walk(const Plan& plan, FakeSys& sys, std::vector<std::string>* owner = nullptr) {
    ParentRun run(sys, plan, options_, nullptr);
    run.pid = 4242;
    run.channel = std::move(parent_end_);
    Result<void> result;
    for (const auto& step : plan.steps) {
      if (step.where == Where::child || needs_a_child(step.op)) {
        continue;
      }
      result = run_parent_step(step, run);
      if (owner != nullptr) {
        owner->resize(sys.calls.size(), step.name);
      }
      if (!result) {
        break;
      }
    }
    parent_end_ = std::move(run.channel);
    return result;  // `run` goes out of scope: what the steps acquired is released
  }

  // A pure v2 host that delegates every controller the plan enables.
  static void delegate_controllers(FakeSys& sys) {
    sys.files["/sys/fs/cgroup/cgroup.controllers"] = "cpuset cpu io memory pids\n";
    sys.files["/sys/fs/cgroup/barco/cgroup.controllers"] = "memory pids\n";
  }

  void expect_every_failure_named(const Plan& plan, const std::string& cgroup);

  std::string root_;
  RunOptions options_;
  SyncChannel parent_end_;
  SyncChannel child_end_;
};

TEST_F(ParentSteps, HostSideWorkGoesThroughTheSeamInPlanOrder) {
  const auto plan = full_plan();
  FakeSys sys;
  delegate_controllers(sys);
  auto r = walk(plan, sys);
  ASSERT_TRUE(r) << r.error().message();
  const auto at = [&](const std::string& prefix) { return sys.index_of(prefix); };
  EXPECT_LT(at("mkdir " + root_ + "/c1/overlay/upper"), at("open_or_create " + root_ + "/c1.log"));
  EXPECT_LT(at("open_or_create"), at("mkdir /sys/fs/cgroup/barco/c1"));
  EXPECT_LT(at("write /sys/fs/cgroup/barco/cgroup.subtree_control"), at("write /sys/fs/cgroup/barco/c1/memory.max"));
  EXPECT_LT(at("write /sys/fs/cgroup/barco/c1/pids.max"), at("attach_device_filter /sys/fs/cgroup/barco/c1"));
  EXPECT_LT(at("attach_device_filter"), at("mkfifo " + root_ + "/c1/exec.fifo 402"));  // 0622
  EXPECT_LT(at("mkfifo"), at("write /proc/4242/oom_score_adj 100"));
  EXPECT_LT(at("write /proc/4242/oom_score_adj"), at("write /proc/4242/uid_map"));
  EXPECT_LT(at("write /proc/4242/gid_map"), at("create " + root_ + "/c1/config.json"));
  EXPECT_GE(at("create " + root_ + "/c1/seccomp.bpf"), 0) << "the compiled filter is what exec joins with";
  EXPECT_GE(at("chown " + root_ + "/c1/overlay/upper"), 0) << "the overlay belongs to the container's root";
  // When the walk is over (the run released), the cgroup it created is removed.
  EXPECT_GE(at("rmdir /sys/fs/cgroup/barco/c1"), 0);
}

// A failure at any call stops the walk and names the step that made the call; what earlier
// steps created is removed (the cgroup), and the record's directory with it.
void ParentSteps::expect_every_failure_named(const Plan& plan, const std::string& cgroup) {
  FakeSys reference;
  delegate_controllers(reference);
  std::vector<std::string> owner;
  ASSERT_TRUE(walk(plan, reference, &owner));
  const auto rmdir = reference.index_of("rmdir");
  const auto last = rmdir >= 0 ? static_cast<size_t>(rmdir) : owner.size();
  ASSERT_GT(owner.size(), 0U);
  for (size_t n = 0; n < std::min(last, owner.size()); ++n) {
    const auto& call = reference.calls[n];
    FakeSys sys;
    delegate_controllers(sys);
    sys.fail_at = static_cast<int>(n);
    sys.fail_errno = EACCES;
    auto r = walk(plan, sys);
    // A few calls only probe (stat of an optional file) or are best effort (a new v1 cpuset
    // cgroup's copy of its parent's cpus and mems): their failure changes the path, not the
    // outcome.
    // So are the port check's look at the rules (no table yet: no rule to clash with) and a
    // new bridge's NAT rules (without them the bridge still joins host and containers).
    const bool best_effort = call.rfind("list_nft_chain", 0) == 0 ||
                             (call == "run_nft" && static_cast<int>(n) == reference.index_of("run_nft"));
    if (r) {
      EXPECT_TRUE(call.rfind("stat ", 0) == 0 || call.find("/cpuset.") != std::string::npos || best_effort)
          << "call " << n << " " << call;
      continue;
    }
    EXPECT_EQ(r.error().step, owner[n]) << "call " << n << " " << call;
    EXPECT_NE(r.error().message().find(call.substr(0, call.find(' '))), std::string::npos) << r.error().message();
    if (!cgroup.empty()) {
      const bool made_cgroup =
          sys.index_of("mkdir " + cgroup + " ") >= 0 && sys.index_of("mkdir " + cgroup + " ") < static_cast<int>(n);
      EXPECT_EQ(made_cgroup, sys.index_of("rmdir " + cgroup) > static_cast<int>(n))
          << "call " << n << ": a cgroup made before the failure is removed after it";
    }
    EXPECT_FALSE(std::filesystem::exists(root_ + "/c1")) << "call " << n << ": the record is removed";
  }
}

TEST_F(ParentSteps, FailureAtEveryCallNamesItsStepAndLeavesNothing) {
  expect_every_failure_named(full_plan(), "/sys/fs/cgroup/barco/c1");
}

// A user namespace's volumes: the parent clones each source's tree before clone.
TEST_F(ParentSteps, FailureAtEveryCallOfAUsernsVolumeRunIsNamed) {
  const auto c = config_from_words(
      {"--rootfs", "/r", "--name", "c1", "--userns", "private", "-v", "/srv/data:/a", "-v", "/etc/hosts:/b:ro", "sh"});
  PlanHost host;
  host.state_root = root_;
  const auto plan = build_plan(c, Placement{}, host);
  ASSERT_TRUE(plan.has<op::CloneBindSources>());
  expect_every_failure_named(plan, "");
}

// --network bridge with a published port: the lease, the name files, the bridge, the veth,
// eth0 and the port's rule.
TEST_F(ParentSteps, FailureAtEveryCallOfABridgedRunIsNamed) {
  const auto c = config_from_words({"--rootfs", "/r", "--name", "c1", "--network", "bridge", "-p", "8080:80", "sh"});
  PlanHost host;
  host.state_root = root_;
  const auto plan = build_plan(c, Placement{}, host);
  ASSERT_TRUE(plan.has<op::ConnectNetwork>());
  FakeSys sys;
  sys.bridge_created = true;
  ASSERT_TRUE(walk(plan, sys));
  for (const char* call :
       {"probe_port :8080/tcp", "create_veth vbc1 master barco0 peer eth0", "configure_interface", "run_nft"}) {
    EXPECT_GE(sys.index_of(call), 0) << call;
  }
  EXPECT_LT(sys.index_of("ensure_bridge"), sys.index_of("create_veth"));
  EXPECT_EQ(sys.nft_scripts.size(), 2U) << "the new bridge's NAT rules, then the port's";
  expect_every_failure_named(plan, "");
}

// barco exec into a container that joined a pid namespace by path.
TEST_F(ParentSteps, FailureAtEveryCallOfAnExecIsNamed) {
  auto c = config_from_words({"--rootfs", "/r", "--name", "c1", "sh"});
  ExecTarget target;
  target.pid = 4242;
  target.pid_namespace = true;
  PlanHost host;
  host.state_root = root_;
  const auto plan = build_exec_plan(c, target, host);
  ASSERT_TRUE(plan.has<op::JoinPidNamespace>());
  FakeSys sys;
  sys.fail_at = 0;
  ParentRun run(sys, plan, options_, nullptr);
  run.target_pidfd = -1;  // a container that has stopped
  auto r = run_parent_step(*plan.find_step<op::JoinPidNamespace>(), run);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().step, "join_pid_namespace");
  EXPECT_NE(r.error().hint.find("stopped"), std::string::npos) << r.error().message();
}

// A SIGKILL is called an OOM kill only when the memory cgroup counted one.
TEST_F(ParentSteps, ReportOomNamesOnlyAKillTheMemoryCgroupCounted) {
  PlanHost host;
  host.state_root = root_;
  host.cgroups = parse_cgroup_host(kPureV2, "0::/user.slice\n");
  const auto plan = build_plan(config_from_words({"--rootfs", "/r", "--memory", "64m", "sh"}), Placement{}, host);
  const auto* step = plan.find_step<op::ReportOom>();
  ASSERT_NE(step, nullptr);
  const auto& dir = std::get<op::ReportOom>(step->op).memory_dir;
  for (const auto& [status, events, expected] :
       std::vector<std::tuple<int, std::string, bool>>{{137, "low 0\noom 1\noom_kill 1\n", true},
                                                       {137, "low 0\noom 0\noom_kill 0\n", false},
                                                       {143, "oom_kill 1\n", false}}) {
    FakeSys sys;
    sys.files[dir + "/memory.events"] = events;
    ParentRun run(sys, plan, options_, nullptr);
    run.status = status;
    ASSERT_TRUE(run_parent_step(*step, run));
    EXPECT_EQ(run.oom_killed, expected) << status << " " << events;
  }
}

TEST_F(ParentSteps, MissingControllerIsRefusedWithTheHierarchysName) {
  const auto plan = full_plan();
  FakeSys sys;
  sys.files["/sys/fs/cgroup/cgroup.controllers"] = "cpuset cpu io memory\n";
  auto r = walk(plan, sys);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().step, "create_cgroups");
  EXPECT_NE(r.error().message().find("lacks \"pids\""), std::string::npos) << r.error().message();
}

// Nested v2 hosts list the last controller before a newline ("... memory pids\n"): it must
// count as available (issue 16: --pids-limit always failed there).
TEST_F(ParentSteps, TheLastControllerOfTheListIsFound) {
  const auto plan = full_plan();
  FakeSys sys;
  delegate_controllers(sys);
  auto r = walk(plan, sys);
  EXPECT_TRUE(r) << r.error().message();
  EXPECT_GE(sys.index_of("write /sys/fs/cgroup/cgroup.subtree_control +memory +pids"), 0);
}

// await_setup reads the child's side of the socket: here a test plays the child.
class AwaitSetup : public ParentSteps {
 protected:
  Result<void> await_with(const std::vector<Message>& from_child, bool until_ready = false) {
    for (const auto& m : from_child) {
      EXPECT_TRUE(child_end_.send(m));
    }
    child_end_.close();  // the child exits (or execs: its end is close-on-exec)
    const auto plan = build_plan(config_from_words({"--rootfs", "/r", "sh"}));
    FakeSys sys;
    ParentRun run(sys, plan, options_, nullptr);
    run.channel = std::move(parent_end_);
    const Step step{"await_setup", Where::parent_after_clone, op::AwaitSetup{until_ready}, ""};
    return run_parent_step(step, run);
  }
};

// A pod's cgroup made by its caller with an empty cpuset (runc's "pod cgroup" case): it is
// filled from its own parent, or no task could ever join the container's cgroup below it.
TEST(CgroupDirsCreate, AnEmptyCpusetParentIsFilledFromAbove) {
  FakeSys sys;
  sys.files["/sys/fs/cgroup/cpuset/cpuset.cpus"] = "0-1\n";
  sys.files["/sys/fs/cgroup/cpuset/cpuset.mems"] = "0\n";
  auto dirs = CgroupDirs::create(sys, {"/sys/fs/cgroup/cpuset/pod/ctr"});
  ASSERT_TRUE(dirs) << dirs.error().message();
  dirs->release();
  EXPECT_NE(std::find(sys.calls.begin(), sys.calls.end(), "write /sys/fs/cgroup/cpuset/pod/cpuset.cpus 0-1\n"),
            sys.calls.end());
  EXPECT_NE(std::find(sys.calls.begin(), sys.calls.end(), "write /sys/fs/cgroup/cpuset/pod/cpuset.mems 0\n"),
            sys.calls.end());
}

TEST_F(AwaitSetup, EofAfterReadyIsTheExec) {
  EXPECT_TRUE(await_with({Message{MessageType::ready, 0, {}, {}, {}}}));
}

TEST_F(AwaitSetup, EofBeforeReadyIsAChildThatDiedDuringSetup) {
  auto r = await_with({Message{MessageType::log, 1, {}, "mount_proc: ...", {}}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("exited during setup"), std::string::npos) << r.error().message();
}

TEST_F(AwaitSetup, TheChildsErrorKeepsItsStep) {
  auto r = await_with({Message::from_error(Error{EACCES, "mount_proc", "mount(\"proc\")", "a hint"})});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().step, "mount_proc");
  EXPECT_EQ(r.error().err, EACCES);
}

TEST_F(AwaitSetup, OciCreateStopsAtReady) {
  EXPECT_TRUE(await_with({Message{MessageType::ready, 0, {}, {}, {}}}, true));
}

TEST_F(AwaitSetup, OciCreateWithoutReadyFails) {
  EXPECT_FALSE(await_with({}, true)) << "EOF before ready: the container died before it could wait for start";
}

}  // namespace
}  // namespace barco
