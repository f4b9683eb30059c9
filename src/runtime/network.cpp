#include "runtime/network.hpp"

#include "linux/network.hpp"
#include "runtime/containers.hpp"

#include <barco/files.hpp>
#include <barco/network.hpp>

#include <spdlog/spdlog.h>

#include <sys/mount.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace barco {
namespace {

void warn_about(const std::vector<Error>& failures, const std::string& id) {
  for (const auto& e : failures) {
    spdlog::warn("container {}: network clean-up: {}", id, e.message());
  }
}

// Every lease and port file of the state root, with the id it holds.
std::vector<std::pair<std::string, std::string>> leases(const std::string& state_root) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& dir : {lease_dir(state_root), ports_dir(state_root)}) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      std::ifstream in(e.path());
      std::string id;
      std::getline(in, id);
      out.emplace_back(e.path().string(), id);
    }
  }
  return out;
}

// The whole file, or "" when it cannot be read (a host without systemd-resolved).
std::string read_text(const std::string& path) {
  auto text = read_file(path);
  return text ? *text : std::string();
}

}  // namespace

Result<Subnet> bridge_subnet() {
  const char* env = std::getenv("BARCO_BRIDGE_SUBNET");
  try {
    return env != nullptr && *env != '\0' ? parse_subnet(env) : Placement{}.subnet;
  } catch (const ConfigError& e) {
    auto error = e.error();
    error.call = "BARCO_BRIDGE_SUBNET: " + error.call;
    return error;
  }
}

std::optional<std::string> host_route_into(const Subnet& subnet, const std::string& bridge) {
  return clashing_route(read_text("/proc/net/route"), subnet, bridge);
}

namespace {

// The bridge's own route aside, a route the host already has into the subnet would lose
// its destinations to the bridge.
Result<void> check_subnet_is_free(const Placement& p) {
  if (const auto clash = host_route_into(p.subnet, p.bridge)) {
    return plain_error("--network bridge: the subnet " + p.subnet.str() + " overlaps the host's route " + *clash,
                       "choose a free range with BARCO_BRIDGE_SUBNET=10.x.0.0/16, or use --network none");
  }
  if (read_text("/proc/sys/net/ipv4/ip_forward") == "0\n") {
    spdlog::warn(
        "--network bridge: net.ipv4.ip_forward is 0, so the container reaches the host and other "
        "containers but not beyond (barco doctor explains; sysctl -w net.ipv4.ip_forward=1 enables it)");
  }
  return {};
}

// container:ID: the other container's network namespace, and its name files (docker's pod).
Result<void> join_container_network(ContainerConfig& config, const std::string& state_root) {
  auto v = find_container(state_root, config.network.container);
  if (!v) {
    return v.error();
  }
  if (v->status != ContainerStatus::running) {
    return plain_error(
        "--network container:" + config.network.container + ": the container is " + status_name(v->status),
        "start it first: only a running container has a network namespace to share");
  }
  for (auto& ns : config.namespaces) {
    if (ns.type == Namespace::net) {
      ns.private_ns = true;
      ns.path = "/proc/" + std::to_string(v->info.pid) + "/ns/net";
    }
  }
  for (const char* name : {"hosts", "resolv.conf"}) {
    std::error_code ec;
    if (std::filesystem::exists(v->dir + "/" + name, ec)) {
      config.mounts.push_back(Mount{std::string("/etc/") + name, "bind", v->dir + "/" + name, MS_BIND, {}, 0, 0});
    }
  }
  return {};
}

}  // namespace

Result<void> place_network(ContainerConfig& config, Placement& placement, const std::string& state_root) {
  const auto& n = config.network;
  if (n.mode == NetworkMode::container) {
    return join_container_network(config, state_root);
  }
  if (n.mode == NetworkMode::bridge) {
    auto subnet = bridge_subnet();
    if (!subnet) {
      return subnet.error();
    }
    placement.subnet = *subnet;
    if (auto r = check_subnet_is_free(placement); !r) {
      return r;
    }
  }
  if (!n.write_name_files) {
    return {};
  }
  placement.resolv_conf = resolv_conf({read_text("/etc/resolv.conf"), read_text("/run/systemd/resolve/resolv.conf"),
                                       n.dns, n.dns_search, n.mode == NetworkMode::host});
  for (const char* name : {"hosts", "hostname", "resolv.conf"}) {
    const std::string target = std::string("/etc/") + name;
    const bool taken = std::any_of(config.mounts.begin(), config.mounts.end(),
                                   [&target](const Mount& m) { return m.destination == target; });
    if (!taken) {
      config.mounts.push_back(Mount{target, "bind", state_root + "/" + config.id + "/" + name, MS_BIND, {}, 0, 0});
    }
  }
  return {};
}

std::string lease_dir(const std::string& state_root) {
  return state_root + "/.net/leases";
}

std::string ports_dir(const std::string& state_root) {
  return state_root + "/.net/ports";
}

// The veth is left to the kernel, which removes it with the container's namespace some
// 25-90 ms after the last process exits: deleting it here (RTM_DELLINK waits for the
// network stack's RCU grace periods) cost every bridged run ~24 ms at its end.
BridgeLease::~BridgeLease() {
  if (!kept_) {
    warn_about(disconnect_from_bridge(sys_, id_, "", files_, published_), id_);
  }
}

void release_network(const std::string& state_root, const std::string& id, bool published) {
  std::vector<std::string> files;
  for (const auto& [file, owner] : leases(state_root)) {
    if (owner == id) {
      files.push_back(file);
    }
  }
  if (files.empty() && !published) {
    return;  // never bridged: nothing to ask the kernel
  }
  RealSys sys;
  warn_about(disconnect_from_bridge(sys, id, veth_name(id), files, published), id);
}

void release_orphan_leases(const std::string& state_root) {
  for (const auto& [file, owner] : leases(state_root)) {
    std::error_code ec;
    if (!owner.empty() && !std::filesystem::exists(std::filesystem::path(state_root) / owner, ec)) {
      RealSys sys;
      warn_about(disconnect_from_bridge(sys, owner, veth_name(owner), {file}, false), owner);
    }
  }
}

}  // namespace barco
