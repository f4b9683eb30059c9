#include "runtime/checkpoint.hpp"

#include <cerrno>

namespace barco {
namespace {

const char* verb_name(CriuVerb verb) {
  return verb == CriuVerb::checkpoint ? "checkpoint" : "restore";
}

Result<void> check_container(CriuVerb verb, const std::string& id, const std::optional<ContainerView>& existing) {
  if (verb == CriuVerb::restore) {
    if (existing) {
      return Error{EEXIST, "restore", "container '" + id + "' exists",
                   "restore makes a new container: barco delete it first, or choose another id"};
    }
    return {};
  }
  if (!existing) {
    return Error{ENOENT, "checkpoint", "no container '" + id + "'", "barco list shows them"};
  }
  if (existing->status != ContainerStatus::running) {
    return Error{EINVAL, "checkpoint", "container '" + id + "' is " + status_name(existing->status),
                 "only a running container can be checkpointed"};
  }
  return {};
}

Result<void> criu_verb(CriuVerb verb, const std::string& root, const std::string& id, const std::string& criu) {
  std::optional<ContainerView> existing;
  if (auto v = find_container(root, id)) {
    existing = *v;
  }
  RealSys sys;
  return check_criu_can_run(sys, verb, id, existing, criu);
}

}  // namespace

Result<void> check_criu_can_run(Sys& sys, CriuVerb verb, const std::string& id,
                                const std::optional<ContainerView>& existing, const std::string& criu) {
  if (auto r = check_container(verb, id, existing); !r) {
    return r;
  }
  const std::string step = verb_name(verb);
  if (auto r = sys.check_criu(criu); !r) {
    // CRIU knows best why this kernel is out of its reach: its own words are the message.
    auto hint = r.error().hint.empty()
                    ? "CRIU cannot work with this kernel; a CRIU release that knows it is needed (docs/lifecycle.md)"
                    : r.error().hint;
    return Error{0, step, "criu check: " + r.error().call, std::move(hint)};
  }
  return Error{ENOSYS, step, "CRIU can run here, but barco's " + step + " through it is not built yet",
               "docs/lifecycle.md says what is missing"};
}

Result<void> checkpoint_container(const std::string& root, const std::string& id, const std::string& criu) {
  return criu_verb(CriuVerb::checkpoint, root, id, criu);
}

Result<void> restore_container(const std::string& root, const std::string& id, const std::string& criu) {
  return criu_verb(CriuVerb::restore, root, id, criu);
}

}  // namespace barco
