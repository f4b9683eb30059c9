// `barco audit` and `barco lab compare`: the security lab. `audit` runs the embedded
// barco-audit program as the command of a container built from the same flags as `run`
// and prints what that container can reach; `lab compare` runs it in three modes side by
// side (default, --privileged, and the k3s way).
#pragma once

#include "cli/run_command.hpp"

#include <barco/audit.hpp>

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace barco::cli {

struct AuditFlags {
  RunFlags run;
  bool json = false;
};

struct LabFlags {
  std::string rootfs;
  bool json = false;
};

struct LabMode {
  std::string name;
  std::vector<std::string> flags;
};

void add_audit_flags(CLI::App& audit, AuditFlags& flags);
void add_lab_flags(CLI::App& compare, LabFlags& flags);

// The host's namespace inodes, for the audit to compare its own with.
[[nodiscard]] std::vector<audit::NamespaceFact> host_namespaces();

// The container of `barco audit`: `base` (from the run flags) with barco-audit as its
// command, told the host's namespaces.
[[nodiscard]] ContainerConfig audit_config(ContainerConfig base, const std::vector<audit::NamespaceFact>& host,
                                           bool json, bool color);

// default, privileged, k3s-style.
[[nodiscard]] std::vector<LabMode> lab_modes();

[[nodiscard]] int run_audit(AuditFlags flags, const std::string& state_root);
[[nodiscard]] int run_lab_compare(const LabFlags& flags, const std::string& state_root);

}  // namespace barco::cli
