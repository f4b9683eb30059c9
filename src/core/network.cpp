#include <barco/network.hpp>
#include <barco/result.hpp>

#include <bit>
#include <charconv>
#include <cstdlib>
#include <sstream>

namespace barco {
namespace {

bool parse_number(std::string_view text, unsigned long max, unsigned long& out) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) {
    return false;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out <= max;
}

struct PortRange {
  uint16_t first = 0;
  uint16_t count = 1;
};

PortRange parse_port_range(std::string_view text, std::string_view spec, const char* side) {
  const auto dash = text.find('-');
  unsigned long first = 0;
  unsigned long last = 0;
  const bool ok = dash == std::string_view::npos
                      ? parse_number(text, 65535, first) && first > 0 && ((last = first), true)
                      : parse_number(text.substr(0, dash), 65535, first) &&
                            parse_number(text.substr(dash + 1), 65535, last) && first > 0 && last >= first;
  if (!ok) {
    throw ConfigError("-p " + std::string(spec) + ": the " + side + " port '" + std::string(text) +
                          "' is not a port (1-65535) or a range (8000-8010)",
                      "docker's form: [IP:]HOST_PORT:CONTAINER_PORT[/tcp|/udp]");
  }
  return {static_cast<uint16_t>(first), static_cast<uint16_t>(last - first + 1)};
}

// The nameserver lines of a resolv.conf, and whether every one is on the loopback.
std::vector<std::string> nameservers(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string key;
    std::string value;
    if (words >> key >> value && key == "nameserver") {
      out.push_back(value);
    }
  }
  return out;
}

bool is_loopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address == "::1";
}

}  // namespace

std::optional<Ipv4> parse_ipv4(std::string_view text) {
  Ipv4 address = 0;
  for (int part = 0; part < 4; ++part) {
    const auto dot = text.find('.');
    if ((part < 3) != (dot != std::string_view::npos)) {
      return std::nullopt;
    }
    unsigned long byte = 0;
    if (!parse_number(text.substr(0, dot), 255, byte) || text.substr(0, dot).size() > 3) {
      return std::nullopt;
    }
    address = (address << 8) | static_cast<Ipv4>(byte);
    text = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  }
  return address;
}

std::string ipv4_string(Ipv4 address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xff) + "." +
         std::to_string((address >> 8) & 0xff) + "." + std::to_string(address & 0xff);
}

Ipv4 Subnet::broadcast() const {
  return network | (prefix >= 32 ? 0 : (~Ipv4{0} >> prefix));
}

bool Subnet::contains(Ipv4 address) const {
  const Ipv4 mask = prefix == 0 ? 0 : ~Ipv4{0} << (32 - prefix);
  return (address & mask) == network;
}

bool Subnet::overlaps(const Subnet& other) const {
  return contains(other.network) || other.contains(network);
}

std::string Subnet::str() const {
  return ipv4_string(network) + "/" + std::to_string(prefix);
}

Subnet parse_subnet(std::string_view text) {
  const auto slash = text.find('/');
  const auto address = parse_ipv4(text.substr(0, slash));
  unsigned long prefix = 0;
  const std::string hint = "an IPv4 network with its prefix length, 8 to 30: 10.213.0.0/24";
  if (slash == std::string_view::npos || !address || !parse_number(text.substr(slash + 1), 30, prefix) || prefix < 8) {
    throw ConfigError("subnet '" + std::string(text) + "' is not an IPv4 network with a prefix length", hint);
  }
  Subnet s{*address, static_cast<int>(prefix)};
  if (s.network != (s.network & ~(~Ipv4{0} >> s.prefix))) {
    throw ConfigError("subnet '" + std::string(text) + "' has host bits set (the network is " +
                          ipv4_string(s.network & ~(~Ipv4{0} >> s.prefix)) + "/" + std::to_string(prefix) + ")",
                      hint);
  }
  return s;
}

std::optional<Ipv4> first_free_address(const Subnet& subnet, const std::set<Ipv4>& taken) {
  for (Ipv4 a = subnet.gateway() + 1; a < subnet.broadcast(); ++a) {
    if (taken.count(a) == 0) {
      return a;
    }
  }
  return std::nullopt;
}

std::vector<PortMapping> parse_publish(std::string_view spec) {
  std::string_view rest = spec;
  std::string protocol = "tcp";
  if (const auto slash = rest.rfind('/'); slash != std::string_view::npos) {
    protocol = std::string(rest.substr(slash + 1));
    rest = rest.substr(0, slash);
    if (protocol != "tcp" && protocol != "udp") {
      throw ConfigError("-p " + std::string(spec) + ": protocol '" + protocol + "' is not tcp or udp",
                        "docker's form: [IP:]HOST_PORT:CONTAINER_PORT[/tcp|/udp]");
    }
  }
  std::string host_ip;
  const auto last_colon = rest.rfind(':');
  if (last_colon == std::string_view::npos) {
    throw ConfigError("-p " + std::string(spec) + ": no host port",
                      "give both sides, HOST_PORT:CONTAINER_PORT (barco never picks a host port itself)");
  }
  std::string_view host_side = rest.substr(0, last_colon);
  const std::string_view container_side = rest.substr(last_colon + 1);
  if (const auto colon = host_side.find(':'); colon != std::string_view::npos) {
    host_ip = std::string(host_side.substr(0, colon));
    host_side = host_side.substr(colon + 1);
    if (!parse_ipv4(host_ip)) {
      throw ConfigError("-p " + std::string(spec) + ": '" + host_ip + "' is not an IPv4 address of the host",
                        "e.g. -p 127.0.0.1:8080:80");
    }
  }
  const auto host = parse_port_range(host_side, spec, "host");
  const auto inside = parse_port_range(container_side, spec, "container");
  if (host.count != inside.count) {
    throw ConfigError("-p " + std::string(spec) + ": the host range has " + std::to_string(host.count) +
                          " ports, the container range " + std::to_string(inside.count),
                      "both ranges must be the same length");
  }
  std::vector<PortMapping> out;
  for (uint16_t i = 0; i < host.count; ++i) {
    out.push_back({host_ip, static_cast<uint16_t>(host.first + i), static_cast<uint16_t>(inside.first + i), protocol});
  }
  return out;
}

HostEntry parse_add_host(std::string_view spec) {
  const auto colon = spec.find(':');
  const auto name = spec.substr(0, colon);
  const auto address = colon == std::string_view::npos ? std::string_view() : spec.substr(colon + 1);
  const bool name_ok = !name.empty() && name.find_first_not_of(
                                            "abcdefghijklmnopqrstuvwxyz"
                                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == std::string_view::npos;
  if (!name_ok || !parse_ipv4(address)) {
    throw ConfigError("--add-host " + std::string(spec) + ": expected NAME:IPv4",
                      "e.g. --add-host db:10.0.0.5 (a name of letters, digits, '.', '-', '_')");
  }
  return {std::string(name), std::string(address)};
}

std::string hosts_file(const std::string& hostname, std::optional<Ipv4> address, const std::vector<HostEntry>& extra) {
  std::string out =
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\n"
      "ff00::0\tip6-mcastprefix\n"
      "ff02::1\tip6-allnodes\n"
      "ff02::2\tip6-allrouters\n";
  for (const auto& e : extra) {
    out += e.address + "\t" + e.name + "\n";
  }
  if (address && !hostname.empty()) {
    out += ipv4_string(*address) + "\t" + hostname + "\n";
  }
  return out;
}

std::string resolv_conf(const ResolvInput& in) {
  std::vector<std::string> servers = in.dns;
  std::vector<std::string> other_lines;
  if (servers.empty()) {
    servers = nameservers(in.host);
    if (!in.host_network) {
      std::erase_if(servers, is_loopback);
      if (servers.empty()) {
        servers = nameservers(in.upstream);
        std::erase_if(servers, is_loopback);
      }
      if (servers.empty()) {
        servers = {"8.8.8.8", "8.8.4.4"};
      }
    }
  }
  std::istringstream host(in.host);
  for (std::string line; std::getline(host, line);) {
    std::istringstream words(line);
    std::string key;
    words >> key;
    if (key == "options" || ((key == "search" || key == "domain") && in.dns_search.empty())) {
      other_lines.push_back(line);
    }
  }
  std::string out;
  if (!in.dns_search.empty()) {
    out += "search";
    for (const auto& d : in.dns_search) {
      out += " " + d;
    }
    out += "\n";
  }
  for (const auto& line : other_lines) {
    out += line + "\n";
  }
  for (const auto& s : servers) {
    out += "nameserver " + s + "\n";
  }
  return out;
}

std::string veth_name(const std::string& container_id) {
  return "vb" + container_id.substr(0, 12);
}

std::string nft_tag(const std::string& container_id) {
  return "barco:" + container_id;
}

std::vector<uint64_t> nft_tagged_handles(const std::string& listing, const std::string& container_id) {
  const std::string tag = "comment \"" + nft_tag(container_id) + "\"";
  std::vector<uint64_t> out;
  std::istringstream in(listing);
  for (std::string line; std::getline(in, line);) {
    const auto at = line.find(tag);
    const auto handle = line.rfind("# handle ");
    if (at == std::string::npos || handle == std::string::npos || handle < at) {
      continue;
    }
    uint64_t value = 0;
    const char* begin = line.data() + handle + 9;
    const auto [end, ec] = std::from_chars(begin, line.data() + line.size(), value);
    if (ec == std::errc() && end != begin) {
      out.push_back(value);
    }
  }
  return out;
}

std::string nft_delete_rules(const std::vector<uint64_t>& handles) {
  std::string out;
  for (const auto h : handles) {
    out += "delete rule ip barco ports handle " + std::to_string(h) + "\n";
  }
  return out;
}

std::optional<std::string> clashing_route(const std::string& proc_net_route, const Subnet& subnet,
                                          const std::string& bridge) {
  std::istringstream in(proc_net_route);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string iface;
    std::string destination;
    std::string gateway;
    std::string flags;
    std::string refcnt;
    std::string use;
    std::string metric;
    std::string mask;
    if (!(fields >> iface >> destination >> gateway >> flags >> refcnt >> use >> metric >> mask) || iface == bridge) {
      continue;
    }
    // The kernel prints the network-order word as a host integer.
    const auto word = [](const std::string& hex) {
      const auto value = static_cast<uint32_t>(std::strtoul(hex.c_str(), nullptr, 16));
      return std::endian::native == std::endian::little ? __builtin_bswap32(value) : value;
    };
    const Ipv4 netmask = word(mask);
    if (netmask == 0) {
      continue;  // the default route goes everywhere: that is what NAT leaves through
    }
    const Subnet route{word(destination) & netmask, std::popcount(netmask)};
    if (route.overlaps(subnet)) {
      return route.str() + " on " + iface;
    }
  }
  return std::nullopt;
}

std::string nft_base_rules(const std::string& bridge, const Subnet& subnet) {
  const std::string net = subnet.str();
  std::string out;
  out += "add table ip barco\n";
  out += "add chain ip barco postrouting { type nat hook postrouting priority srcnat; policy accept; }\n";
  out += "add chain ip barco prerouting { type nat hook prerouting priority dstnat; policy accept; }\n";
  out += "add chain ip barco output { type nat hook output priority -100; policy accept; }\n";
  out += "add chain ip barco guard { type filter hook prerouting priority -300; policy accept; }\n";
  out += "add chain ip barco ports\n";
  for (const char* chain : {"postrouting", "prerouting", "output", "guard"}) {
    out += std::string("flush chain ip barco ") + chain + "\n";
  }
  // Out: the subnet leaves through the host's address.
  out += "add rule ip barco postrouting ip saddr " + net + " oifname != \"" + bridge + "\" masquerade\n";
  // In: a published port from the host itself via 127.0.0.1 leaves with a loopback source,
  // which the container could not answer: it gets the bridge's address instead.
  out += "add rule ip barco postrouting oifname \"" + bridge + "\" ip saddr 127.0.0.0/8 masquerade\n";
  // A container reaching its own published port through the host's address (hairpin).
  out += "add rule ip barco postrouting oifname \"" + bridge + "\" ip saddr " + net + " ct status dnat masquerade\n";
  out += "add rule ip barco prerouting fib daddr type local jump ports\n";
  out += "add rule ip barco output fib daddr type local jump ports\n";
  // route_localnet on the bridge lets 127.0.0.1 be routed there; without this guard a
  // neighbour (or a container with CAP_NET_RAW) could then reach the host's loopback-only
  // services (CVE-2020-8558). Loopback destinations are only ever local.
  out += "add rule ip barco guard iifname != \"lo\" ip daddr 127.0.0.0/8 drop\n";
  return out;
}

std::string nft_port_rules(const std::string& container_id, Ipv4 address, const std::vector<PortMapping>& ports) {
  std::string out;
  for (const auto& p : ports) {
    out += "add rule ip barco ports ";
    if (!p.host_ip.empty()) {
      out += "ip daddr " + p.host_ip + " ";
    }
    out += p.protocol + " dport " + std::to_string(p.host_port) + " dnat to " + ipv4_string(address) + ":" +
           std::to_string(p.container_port) + " comment \"" + nft_tag(container_id) + "\"\n";
  }
  return out;
}

}  // namespace barco
