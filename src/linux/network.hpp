// Networking of the container. --network none: a fresh namespace whose only interface, lo,
// is brought up; host: the host's namespace, nothing to do; bridge: an address leased from
// the subnet, a veth on barco's bridge with its peer born in the container's namespace,
// NAT out and the published ports in, in barco's own nftables table.
#pragma once

#include "sys/sys.hpp"

#include <barco/network.hpp>

#include <sys/types.h>

#include <string>
#include <vector>

namespace barco {

Result<void> bring_up_loopback(Sys& sys);

// The first free address of `subnet`: a file per address in `lease_dir` holding the
// container's id, made with O_EXCL, so two barcos never lease the same one.
Result<Ipv4> lease_address(Sys& sys, const std::string& lease_dir, const Subnet& subnet, const std::string& id);

// Each published host port must be free: no socket bound there on the host, and no other
// container's. A port is reserved by a file per protocol and port in `ports_dir` (O_EXCL,
// holding the id), so two barcos publishing one port at once cannot both win; each file
// made is appended to `made`, also on failure, for the caller to release.
Result<void> reserve_ports(Sys& sys, const std::string& ports_dir, const std::vector<PortMapping>& ports,
                           const std::string& id, std::vector<std::string>& made);

struct Attachment {
  std::string id;
  std::string bridge;
  Subnet subnet;
  std::string veth;
  Ipv4 address = 0;
  std::vector<PortMapping> ports;
};
// The bridge (made on first use, with its NAT rules), the veth, eth0's address and route in
// the namespace of `pid`, then the published ports' rules.
Result<void> connect_to_bridge(Sys& sys, pid_t pid, const Attachment& a);

// What connect_to_bridge, lease_address and reserve_ports added for container `id`: its
// rules, its veth (when named: the kernel removes it too, 25-90 ms after the namespace
// dies), its lease and its ports' files. Each part is tried; failures are returned together.
std::vector<Error> disconnect_from_bridge(Sys& sys, const std::string& id, const std::string& veth,
                                          const std::vector<std::string>& files, bool published);

}  // namespace barco
