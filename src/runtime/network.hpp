// The runtime's side of --network bridge: what a run leased and connected is released when
// it ends (or, for a record that is kept, by rm), and gc releases what a killed barco left.
#pragma once

#include "sys/sys.hpp"

#include <barco/plan.hpp>

#include <optional>
#include <string>
#include <vector>

namespace barco {

// Where the leases of a state root live: a file per address, holding the container's id.
[[nodiscard]] std::string lease_dir(const std::string& state_root);

// ... and of the ports published: a file per protocol and port, holding the id.
[[nodiscard]] std::string ports_dir(const std::string& state_root);

class BridgeLease {
 public:
  BridgeLease(Sys& sys, std::string id, std::string lease_file, bool published)
      : sys_(sys), id_(std::move(id)), files_{std::move(lease_file)}, published_(published) {}
  // The files of the ports reserved for the container, released with the lease.
  std::vector<std::string>& files() { return files_; }
  BridgeLease(const BridgeLease&) = delete;
  BridgeLease& operator=(const BridgeLease&) = delete;
  ~BridgeLease();
  // The container's record outlives the run (run -d, --keep): rm releases it.
  void keep() { kept_ = true; }

 private:
  Sys& sys_;
  std::string id_;
  std::vector<std::string> files_;
  bool published_;
  bool kept_ = false;
};

// What launch decides for the network before the plan: the bridge's subnet (checked against
// the host's routes), the container's resolv.conf, the name files bound over the image's,
// and for container:ID the namespace joined. Errors are the user's to fix, with a hint.
Result<void> place_network(ContainerConfig& config, Placement& placement, const std::string& state_root);

// The bridge's subnet: BARCO_BRIDGE_SUBNET, or the default; an error names the variable.
Result<Subnet> bridge_subnet();
// A route of the host's into `subnet` on another interface than `bridge`, or nullopt.
std::optional<std::string> host_route_into(const Subnet& subnet, const std::string& bridge);

// rm: the rules, the veth and every lease that names container `id`.
void release_network(const std::string& state_root, const std::string& id, bool published);
// gc: the leases (and veths) of containers that have no record any more.
void release_orphan_leases(const std::string& state_root);

}  // namespace barco
