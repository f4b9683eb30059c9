#include "linux/device_filter.hpp"

#include <array>
#include <cstring>

namespace barco {
namespace {

// The few instruction shapes the program needs (the kernel's BPF_* helper macros are not
// in the uapi headers).
bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn load_word(uint8_t dst, uint8_t src, int16_t off) {
  return insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0);
}
bpf_insn mov_reg(uint8_t dst, uint8_t src) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
bpf_insn mov_imm(uint8_t dst, int32_t imm) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
bpf_insn and_imm(uint8_t dst, int32_t imm) {
  return insn(BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm);
}
bpf_insn rsh_imm(uint8_t dst, int32_t imm) {
  return insn(BPF_ALU64 | BPF_RSH | BPF_K, dst, 0, 0, imm);
}
bpf_insn jne_imm(uint8_t dst, int32_t imm, int16_t off) {
  return insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm);
}
bpf_insn exit_insn() {
  return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

constexpr uint8_t kType = 3;    // r3: BPF_DEVCG_DEV_BLOCK or BPF_DEVCG_DEV_CHAR
constexpr uint8_t kAccess = 4;  // r4: BPF_DEVCG_ACC_* bits asked for
constexpr uint8_t kMajor = 5;
constexpr uint8_t kMinor = 6;
constexpr uint8_t kScratch = 7;

int32_t access_bits(const std::string& access) {
  int32_t bits = 0;
  for (const char c : access) {
    bits |= c == 'm' ? BPF_DEVCG_ACC_MKNOD : c == 'r' ? BPF_DEVCG_ACC_READ : c == 'w' ? BPF_DEVCG_ACC_WRITE : 0;
  }
  return bits;
}

// "if (matches rule) return 1;" as a block whose failed tests jump past its end.
std::vector<bpf_insn> allow_block(const DeviceRule& r) {
  std::vector<std::pair<bpf_insn, bool>> block;  // bool: a jump to the end of the block
  if (r.type != 'a') {
    block.emplace_back(jne_imm(kType, r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0), true);
  }
  if (r.major >= 0) {
    block.emplace_back(jne_imm(kMajor, static_cast<int32_t>(r.major), 0), true);
  }
  if (r.minor >= 0) {
    block.emplace_back(jne_imm(kMinor, static_cast<int32_t>(r.minor), 0), true);
  }
  // Every access asked for must be one the rule grants.
  block.emplace_back(mov_reg(kScratch, kAccess), false);
  block.emplace_back(and_imm(kScratch, ~access_bits(r.access) & 0x7), false);
  block.emplace_back(jne_imm(kScratch, 0, 0), true);
  block.emplace_back(mov_imm(0, 1), false);
  block.emplace_back(exit_insn(), false);
  std::vector<bpf_insn> out;
  const auto size = static_cast<int16_t>(block.size());
  for (int16_t i = 0; i < size; ++i) {
    auto [ins, jumps_to_end] = block[static_cast<size_t>(i)];
    if (jumps_to_end) {
      ins.off = static_cast<int16_t>(size - i - 1);
    }
    out.push_back(ins);
  }
  return out;
}

}  // namespace

Result<std::vector<bpf_insn>> device_filter_program(const std::vector<DeviceRule>& rules) {
  // ctx is struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major; u32 minor; }
  std::vector<bpf_insn> prog{load_word(2, 1, 0),   mov_reg(kType, 2),       and_imm(kType, 0xffff), mov_reg(kAccess, 2),
                             rsh_imm(kAccess, 16), load_word(kMajor, 1, 4), load_word(kMinor, 1, 8)};
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& r = rules[i];
    if (!r.allow) {
      if (i == 0 && r.type == 'a') {
        continue;  // the default the program ends with
      }
      return plain_error("device rule \"deny " + device_rule_text(r) + "\"",
                         "the cgroup v2 device filter supports allow rules after a leading deny-all only");
    }
    const auto block = allow_block(r);
    prog.insert(prog.end(), block.begin(), block.end());
  }
  prog.push_back(mov_imm(0, 0));
  prog.push_back(exit_insn());
  return prog;
}

}  // namespace barco
