// cgroups, the parent's side: the container's cgroup directories are created before clone
// and removed after the container is gone (an owner object, so every exit path removes
// them). The child joins them itself, as its first step, by writing "0" to each `tasks`
// file: a still single-threaded process moving itself needs no global lock, while a parent
// writing a pid waits for an RCU grace period (10-18 ms on this machine class).
#pragma once

#include "sys/sys.hpp"

#include <barco/cgroups.hpp>
#include <barco/result.hpp>

#include <string>
#include <vector>

namespace barco {

class CgroupDirs {
 public:
  explicit CgroupDirs(Sys& sys) : sys_(&sys) {}
  CgroupDirs(const CgroupDirs&) = delete;
  CgroupDirs& operator=(const CgroupDirs&) = delete;
  CgroupDirs(CgroupDirs&& other) noexcept : sys_(other.sys_), dirs_(std::move(other.dirs_)) { other.dirs_.clear(); }
  CgroupDirs& operator=(CgroupDirs&&) = delete;
  ~CgroupDirs();

  // mkdir each directory (and its missing parents); a directory that exists already is
  // refused, so two containers never share one.
  static Result<CgroupDirs> create(Sys& sys, const std::vector<std::string>& dirs);

  // The directories outlive this object (OCI create: `delete` removes them).
  void release() { dirs_.clear(); }

  // Writes the rules to devices.deny / devices.allow of the v1 devices cgroup `dir`.
  static Result<void> write_device_rules(Sys& sys, const std::string& dir, const std::vector<DeviceRule>& rules);

  // Writes `value` into `file`, with a hint when the kernel refuses it. Returns false (and
  // no error) for an optional file that does not exist.
  static Result<bool> write_limit(Sys& sys, const std::string& file, const std::string& value, bool optional);

  // cgroup v2: makes `controllers` available to `leaf` by writing "+name" to the
  // cgroup.subtree_control of every directory from `mount` down to the leaf's parent.
  static Result<void> enable_controllers(Sys& sys, const std::string& mount, const std::string& leaf,
                                         const std::vector<std::string>& controllers);

  // How many times the kernel's OOM killer acted in the memory cgroup `dir` (v1 or v2).
  [[nodiscard]] static uint64_t oom_kills(Sys& sys, const std::string& dir);

  [[nodiscard]] const std::vector<std::string>& dirs() const { return dirs_; }

 private:
  Sys* sys_;
  std::vector<std::string> dirs_;
};

// Removes the cgroup's sub cgroups, kills what is left in it, then removes it (retrying while
// the kernel says busy).
void remove_cgroup_dir(Sys& sys, const std::string& dir);

// Child side: the calling process moves itself into each cgroup (v1 `tasks`, v2
// `cgroup.procs`); a v2 one is skipped when clone already placed it there.
Result<void> join_cgroups(Sys& sys, const std::vector<std::string>& tasks_files, bool already_in_unified);

}  // namespace barco
