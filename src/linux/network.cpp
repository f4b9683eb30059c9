#include "linux/network.hpp"

#include <spdlog/spdlog.h>

#include <fcntl.h>

namespace barco {

Result<void> bring_up_loopback(Sys& sys) {
  return sys.set_interface_up("lo");
}

Result<Ipv4> lease_address(Sys& sys, const std::string& lease_dir, const Subnet& subnet, const std::string& id) {
  for (const auto& dir : {lease_dir.substr(0, lease_dir.rfind('/')), lease_dir}) {
    if (auto r = sys.mkdir(dir, 0700); !r && r.error().err != EEXIST) {
      return r.error();
    }
  }
  for (Ipv4 a = subnet.gateway() + 1; a < subnet.broadcast(); ++a) {
    auto r = sys.create_file(lease_dir + "/" + ipv4_string(a), id + "\n");
    if (r) {
      return a;
    }
    if (r.error().err != EEXIST) {
      return r.error();
    }
  }
  return plain_error("lease an address of " + subnet.str() + ": every address is leased",
                     "remove stopped containers (barco ps -a, barco rm), or choose a wider BARCO_BRIDGE_SUBNET");
}

Result<void> reserve_ports(Sys& sys, const std::string& ports_dir, const std::vector<PortMapping>& ports,
                           const std::string& id, std::vector<std::string>& made) {
  if (ports.empty()) {
    return {};
  }
  if (auto r = sys.mkdir(ports_dir, 0700); !r && r.error().err != EEXIST) {
    return r;
  }
  for (const auto& p : ports) {
    // One host port per protocol, whatever the address: a rule for 0.0.0.0 and one for
    // 127.0.0.1 would overlap.
    const std::string file = ports_dir + "/" + p.protocol + "-" + std::to_string(p.host_port);
    if (auto r = sys.create_file(file, id + "\n"); !r) {
      if (r.error().err == EEXIST) {
        return plain_error("-p " + std::to_string(p.host_port) + "/" + p.protocol + ": " + file + " exists",
                           "another container publishes that host port (barco ps): choose another");
      }
      return r;
    }
    made.push_back(file);
    if (auto r = sys.probe_port(p.host_ip, p.host_port, p.protocol); !r) {
      r.error().hint = "another program listens there: choose another host port";
      return r;
    }
  }
  return {};
}

namespace {

// Made by this barco: its address, route_localnet (so 127.0.0.1 can be published; the
// base rules drop loopback destinations from anywhere but lo), and the NAT rules. Without
// nft the bridge still joins the containers and the host, which is said once.
Result<void> set_up_new_bridge(Sys& sys, const Attachment& a) {
  if (auto r = sys.write_file("/proc/sys/net/ipv4/conf/" + a.bridge + "/route_localnet", "1"); !r) {
    return r;
  }
  if (auto r = sys.run_nft(nft_base_rules(a.bridge, a.subnet)); !r) {
    spdlog::warn("bridge {}: no NAT, so containers reach only the host and each other: {}", a.bridge,
                 r.error().message());
  }
  return {};
}

}  // namespace

Result<void> connect_to_bridge(Sys& sys, pid_t pid, const Attachment& a) {
  auto netns = sys.open_file("/proc/" + std::to_string(pid) + "/ns/net", O_RDONLY);
  if (!netns) {
    return netns.error();
  }
  auto created = sys.ensure_bridge(a.bridge, a.subnet.gateway(), a.subnet.prefix);
  if (!created) {
    return created.error();
  }
  if (*created) {
    if (auto r = set_up_new_bridge(sys, a); !r) {
      return r;
    }
  }
  if (auto r = sys.create_veth(a.veth, a.bridge, netns->get(), "eth0"); !r) {
    return r;
  }
  if (auto r = sys.configure_interface(netns->get(), "eth0", a.address, a.subnet.prefix, a.subnet.gateway()); !r) {
    return r;
  }
  if (!a.ports.empty()) {
    return sys.run_nft("add table ip barco\nadd chain ip barco ports\n" + nft_port_rules(a.id, a.address, a.ports));
  }
  return {};
}

std::vector<Error> disconnect_from_bridge(Sys& sys, const std::string& id, const std::string& veth,
                                          const std::vector<std::string>& files, bool published) {
  std::vector<Error> failures;
  if (published) {
    auto listing = sys.list_nft_chain("ports");
    const auto handles = listing ? nft_tagged_handles(*listing, id) : std::vector<uint64_t>{};
    if (!listing) {
      failures.push_back(listing.error());
    } else if (!handles.empty()) {
      if (auto r = sys.run_nft(nft_delete_rules(handles)); !r) {
        failures.push_back(r.error());
      }
    }
  }
  if (!veth.empty()) {
    if (auto r = sys.delete_link(veth); !r) {
      failures.push_back(r.error());
    }
  }
  // Only a lease (or port) that still names this container: never one another has taken
  // since.
  for (const auto& file : files) {
    if (auto owner = sys.read_file(file); owner && *owner == id + "\n") {
      if (auto r = sys.unlink(file); !r) {
        failures.push_back(r.error());
      }
    }
  }
  return failures;
}

}  // namespace barco
