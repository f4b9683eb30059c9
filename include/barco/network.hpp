// Networking as values: the modes, `-p`, `--add-host`, the bridge's subnet and addresses,
// the files docker writes into a container (/etc/hosts, /etc/hostname, /etc/resolv.conf) and
// barco's nftables rules. No syscalls here: the runtime applies what these describe.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace barco {

enum class NetworkMode {
  bridge,     // a veth on barco's bridge, NAT out, -p in (docker's default)
  none,       // a private namespace with lo up
  host,       // the host's namespace
  container,  // another container's namespace (--network container:ID)
  path,       // an OCI namespace path (config.json brings its own network)
};

struct PortMapping {
  std::string host_ip;  // empty: every address of the host
  uint16_t host_port = 0;
  uint16_t container_port = 0;
  std::string protocol = "tcp";  // tcp or udp
  bool operator==(const PortMapping&) const = default;
};

struct HostEntry {
  std::string name;
  std::string address;
  bool operator==(const HostEntry&) const = default;
};

struct NetworkConfig {
  NetworkMode mode = NetworkMode::none;
  std::string container;  // container:ID: the id (or name) whose namespace is joined
  std::vector<PortMapping> publish;
  std::vector<HostEntry> add_hosts;
  std::vector<std::string> dns;
  std::vector<std::string> dns_search;
  bool write_name_files = false;  // /etc/hosts, /etc/hostname, /etc/resolv.conf (not for OCI bundles)
};

// An IPv4 address in host byte order.
using Ipv4 = uint32_t;

// "10.1.2.3" -> address; nullopt for anything else (no shorthand forms, no leading zeros).
[[nodiscard]] std::optional<Ipv4> parse_ipv4(std::string_view text);
[[nodiscard]] std::string ipv4_string(Ipv4 address);

struct Subnet {
  Ipv4 network = 0;
  int prefix = 24;
  [[nodiscard]] Ipv4 gateway() const { return network + 1; }  // the bridge's own address
  [[nodiscard]] Ipv4 broadcast() const;
  [[nodiscard]] bool contains(Ipv4 address) const;
  [[nodiscard]] bool overlaps(const Subnet& other) const;
  [[nodiscard]] std::string str() const;  // "10.88.0.0/16"
  bool operator==(const Subnet&) const = default;
};

// "10.213.0.0/24": the network address with its prefix (8..30); throws ConfigError otherwise.
[[nodiscard]] Subnet parse_subnet(std::string_view text);

// The lowest address of `subnet` that is neither the network, the gateway, the broadcast
// address nor in `taken`; nullopt when the subnet is full.
[[nodiscard]] std::optional<Ipv4> first_free_address(const Subnet& subnet, const std::set<Ipv4>& taken);

// docker's -p: [IP:]HOST_PORT:CONTAINER_PORT[/tcp|/udp], either side a range (8000-8010)
// of the same length. Throws ConfigError naming what is wrong.
[[nodiscard]] std::vector<PortMapping> parse_publish(std::string_view spec);
// docker's --add-host NAME:IP
[[nodiscard]] HostEntry parse_add_host(std::string_view spec);

// /etc/hosts as docker writes it: localhost (v4 and v6), the container's own address and
// hostname when it has one, then --add-host entries.
[[nodiscard]] std::string hosts_file(const std::string& hostname, std::optional<Ipv4> address,
                                     const std::vector<HostEntry>& extra);

// /etc/resolv.conf for a container. `host` is the host's file; a loopback nameserver
// there (systemd-resolved's 127.0.0.53 stub) means nothing inside a private network
// namespace, so `upstream` (systemd-resolved's list of real servers) is used instead, and
// without one Google's public servers, as docker does. --dns and --dns-search replace the
// host's. `host_network`: the host's loopback is the container's too, so nothing is filtered.
struct ResolvInput {
  std::string host;
  std::string upstream;
  std::vector<std::string> dns;
  std::vector<std::string> dns_search;
  bool host_network = false;
};
[[nodiscard]] std::string resolv_conf(const ResolvInput& in);

// The host end of a container's veth: "vb" + the id's first 12 characters (IFNAMSIZ is 16).
[[nodiscard]] std::string veth_name(const std::string& container_id);

// barco's nftables table (`ip barco`): NAT out of the subnet and the chain published ports
// jump through. Written with `nft -f -`; idempotent (a table is added, then its chains are
// flushed and filled again).
[[nodiscard]] std::string nft_base_rules(const std::string& bridge, const Subnet& subnet);
// One container's published ports, each rule tagged with its id so `rm` and `gc` delete
// exactly those.
[[nodiscard]] std::string nft_port_rules(const std::string& container_id, Ipv4 address,
                                         const std::vector<PortMapping>& ports);
// The comment every rule of a container carries.
[[nodiscard]] std::string nft_tag(const std::string& container_id);
// The handles of `container_id`'s rules in `nft -a list chain` output, and the script that
// deletes them (rm, gc: exactly what that container added).
[[nodiscard]] std::vector<uint64_t> nft_tagged_handles(const std::string& listing, const std::string& container_id);
[[nodiscard]] std::string nft_delete_rules(const std::vector<uint64_t>& handles);

// A route of the host's /proc/net/route that overlaps `subnet` on an interface other than
// `bridge` (the default route aside): "10.213.4.0/24 on eth1"; nullopt when there is none.
// A bridge on an address range the host already routes elsewhere would silently take
// those destinations away from it.
[[nodiscard]] std::optional<std::string> clashing_route(const std::string& proc_net_route, const Subnet& subnet,
                                                        const std::string& bridge);

}  // namespace barco
