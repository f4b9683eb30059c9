// The cgroup v2 device filter, run through a small interpreter of the instructions it uses,
// so the decisions are tested without loading anything into the kernel.
#include "linux/device_filter.hpp"

#include <gtest/gtest.h>

#include <array>

namespace barco {
namespace {

// Executes the program for one access, as the kernel would call it.
int run_filter(const std::vector<bpf_insn>& prog, char type, uint32_t major, uint32_t minor,
               const std::string& access) {
  uint32_t acc = 0;
  for (const char c : access)
    acc |= c == 'm' ? BPF_DEVCG_ACC_MKNOD : c == 'r' ? BPF_DEVCG_ACC_READ : BPF_DEVCG_ACC_WRITE;
  const std::array<uint32_t, 3> ctx{(acc << 16) | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR), major,
                                    minor};
  std::array<uint64_t, 11> r{};
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const auto& i = prog[pc];
    switch (i.code) {
      case BPF_LDX | BPF_MEM | BPF_W: r[i.dst_reg] = ctx.at(static_cast<size_t>(i.off) / 4); break;
      case BPF_ALU64 | BPF_MOV | BPF_X: r[i.dst_reg] = r[i.src_reg]; break;
      case BPF_ALU64 | BPF_MOV | BPF_K: r[i.dst_reg] = static_cast<uint64_t>(static_cast<int64_t>(i.imm)); break;
      case BPF_ALU64 | BPF_AND | BPF_K: r[i.dst_reg] &= static_cast<uint64_t>(static_cast<int64_t>(i.imm)); break;
      case BPF_ALU64 | BPF_RSH | BPF_K: r[i.dst_reg] >>= i.imm; break;
      case BPF_JMP | BPF_JNE | BPF_K:
        if (r[i.dst_reg] != static_cast<uint64_t>(static_cast<int64_t>(i.imm))) pc += static_cast<size_t>(i.off);
        break;
      case BPF_JMP | BPF_EXIT: return static_cast<int>(r[0]);
      default: ADD_FAILURE() << "unexpected instruction " << int(i.code); return -1;
    }
  }
  ADD_FAILURE() << "fell off the end";
  return -1;
}

TEST(DeviceFilter, DockersDefaultRules) {
  auto prog = device_filter_program(default_device_rules());
  ASSERT_TRUE(prog);
  EXPECT_EQ(run_filter(*prog, 'c', 1, 3, "rw"), 1);  // /dev/null
  EXPECT_EQ(run_filter(*prog, 'c', 1, 3, "m"), 1);
  EXPECT_EQ(run_filter(*prog, 'c', 136, 7, "rw"), 1);  // a pty slave, any minor
  EXPECT_EQ(run_filter(*prog, 'c', 5, 2, "rw"), 1);    // ptmx
  EXPECT_EQ(run_filter(*prog, 'b', 254, 0, "m"), 0);   // mknod of a disk
  EXPECT_EQ(run_filter(*prog, 'b', 254, 0, "r"), 0);
  EXPECT_EQ(run_filter(*prog, 'c', 1, 1, "r"), 0);      // /dev/mem
  EXPECT_EQ(run_filter(*prog, 'c', 10, 229, "rw"), 0);  // fuse
  EXPECT_EQ(run_filter(*prog, 'b', 1, 3, "r"), 0) << "the type matters, not just the numbers";
}

TEST(DeviceFilter, AccessMustBeASubsetOfTheRule) {
  auto rules = default_device_rules();
  rules.push_back({true, 'c', 10, 229, "rw"});
  auto prog = device_filter_program(rules);
  ASSERT_TRUE(prog);
  EXPECT_EQ(run_filter(*prog, 'c', 10, 229, "rw"), 1);
  EXPECT_EQ(run_filter(*prog, 'c', 10, 229, "m"), 0);
  EXPECT_EQ(run_filter(*prog, 'c', 10, 229, "rwm"), 0);
}

TEST(DeviceFilter, AllowAllAndUnsupportedDeny) {
  auto all = device_filter_program({{true, 'a', -1, -1, "rwm"}});
  ASSERT_TRUE(all);
  EXPECT_EQ(run_filter(*all, 'b', 8, 0, "rwm"), 1);
  EXPECT_FALSE(device_filter_program({{false, 'a', -1, -1, "rwm"}, {false, 'c', 1, 3, "rwm"}}));
}

}  // namespace
}  // namespace barco
