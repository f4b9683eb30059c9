// The probes of barco-audit: facts about the process's own isolation, read from inside
// the container. Every probe is side-effect free (see docs/labs/README.md): bad fds and
// bad pointers, access(), statvfs(), open+close without read or write, unshare in a
// throwaway child, and mknod only in the container's own /dev tmpfs, removed at once.
#pragma once

#include <barco/audit.hpp>

#include <map>
#include <string>

namespace barco::audit {

// `host_namespaces`: the host's namespace inodes by name, as barco passed them in.
[[nodiscard]] Facts collect_facts(const std::map<std::string, uint64_t>& host_namespaces);

}  // namespace barco::audit
