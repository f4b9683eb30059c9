// The OCI runtime CLI (runtime-spec v1.x, the commands and flags runc documents): spec,
// create, start, state, delete, features and `run --bundle`. kill, ps, exec, pause and
// resume are shared with the docker-style lifecycle (lifecycle_command). A bundle's
// config.json is parsed into the same ContainerConfig the docker-style flags fill.
#pragma once

#include "cli/run_command.hpp"

#include <CLI/CLI.hpp>

#include <string>

namespace barco::cli {

struct SpecFlags {
  std::string bundle = ".";
  bool rootless = false;
};
struct CreateFlags {
  std::string bundle = ".";
  std::string pid_file;
  std::string console_socket;
  bool no_new_keyring = false;
  bool no_pivot = false;
  int preserve_fds = 0;
  std::string id;
};
struct ListFlags {
  bool quiet = false;
  std::string format = "table";
};
struct IdFlags {
  std::string id;
};
struct DeleteFlags {
  bool force = false;
  std::string id;
};

// runc checkpoint / restore: runc's options; those barco has no use for yet are accepted
// as runc's callers pass them, and named, so that the id is found among them.
struct CriuFlags {
  std::string id;
  CheckpointOptions checkpoint;
  RestoreOptions restore;
  std::string ignored;
};

void add_spec_flags(CLI::App& app, SpecFlags& f);
void add_checkpoint_flags(CLI::App& app, CriuFlags& f);
void add_restore_flags(CLI::App& app, CriuFlags& f);
[[nodiscard]] int run_checkpoint(CriuFlags& f, const std::string& root, const std::string& criu);
[[nodiscard]] int run_restore(CriuFlags& f, const std::string& root, const std::string& criu);
void add_create_flags(CLI::App& app, CreateFlags& f);
void add_id_flags(CLI::App& app, IdFlags& f);
void add_delete_flags(CLI::App& app, DeleteFlags& f);

[[nodiscard]] int run_spec(const SpecFlags& f);
// main() has re-executed barco from a read-only view of itself: the set-up container waits
// in that image until start, never in the file on the host.
[[nodiscard]] int run_create(const CreateFlags& f, const std::string& root, bool systemd_cgroup);
[[nodiscard]] int run_start(const IdFlags& f, const std::string& root);
[[nodiscard]] int run_state(const IdFlags& f, const std::string& root);
[[nodiscard]] int run_delete(const DeleteFlags& f, const std::string& root);
[[nodiscard]] int run_features();
void add_list_flags(CLI::App& app, ListFlags& f);
// runc's `list`: a table (ID PID STATUS BUNDLE CREATED OWNER), -q the ids, or -f json.
[[nodiscard]] int run_list(const ListFlags& f, const std::string& root);
// `run [--bundle DIR] ID`: create, start and wait in the foreground; with -d, create and
// start, and the record stays until delete.
[[nodiscard]] int run_bundle(const RunFlags& flags, const std::string& id, const std::string& root,
                             bool systemd_cgroup);

// --systemd-cgroup's "slice:prefix:name" as the cgroupfs path systemd would use
// ("/machine.slice/libpod-ID.scope"); other paths unchanged. Throws ConfigError when malformed.
[[nodiscard]] std::string systemd_cgroups_path(const std::string& path);

}  // namespace barco::cli
