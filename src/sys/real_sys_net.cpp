// RealSys: the bridge network. rtnetlink through libnl-route-3 (Debian ships it static, which
// the static barco needs; libmnl has no static library there), and nftables through the `nft`
// program (libnftables is not shipped static either).
#include "sys/checked.hpp"
#include "sys/host_programs.hpp"
#include "sys/sys.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <thread>

namespace barco {
namespace {

struct SockDeleter {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct LinkDeleter {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct AddrDeleter {
  void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct RouteDeleter {
  void operator()(rtnl_route* r) const { rtnl_route_put(r); }
};
struct NlAddrDeleter {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
using Sock = std::unique_ptr<nl_sock, SockDeleter>;
using Link = std::unique_ptr<rtnl_link, LinkDeleter>;

// libnl returns -NLE_* codes; the errno behind the common ones keeps messages uniform.
Error netlink_error(int nle, const std::string& call) {
  Error e;
  e.err = nle == -NLE_EXIST                               ? EEXIST
          : nle == -NLE_OBJ_NOTFOUND || nle == -NLE_NODEV ? ENODEV
          : nle == -NLE_PERM                              ? EPERM
          : nle == -NLE_BUSY                              ? EBUSY
                                                          : 0;
  e.call = call + ": " + nl_geterror(nle);
  return e;
}

Result<Sock> route_socket() {
  Sock sock(nl_socket_alloc());
  if (!sock) {
    return plain_error("nl_socket_alloc");
  }
  if (const int rc = nl_connect(sock.get(), NETLINK_ROUTE); rc < 0) {
    return netlink_error(rc, "nl_connect(NETLINK_ROUTE)");
  }
  return sock;
}

// A netlink socket stays bound to the namespace it was made in, and setns(CLONE_NEWNET)
// moves only the calling thread: a short-lived thread makes it there, so no thread of barco's
// ever runs in the container's namespace.
Result<Sock> route_socket_in(int netns_fd) {
  Result<Sock> out = plain_error("setns");
  std::thread([&] {
    if (::setns(netns_fd, CLONE_NEWNET) != 0) {
      out = errno_error("setns(" + std::to_string(netns_fd) + ", CLONE_NEWNET)");
      return;
    }
    out = route_socket();
  }).join();
  return out;
}

std::unique_ptr<nl_addr, NlAddrDeleter> ipv4_addr(uint32_t address, int prefix) {
  const uint32_t network_order = htonl(address);
  std::unique_ptr<nl_addr, NlAddrDeleter> a(nl_addr_build(AF_INET, &network_order, sizeof network_order));
  if (a) {
    nl_addr_set_prefixlen(a.get(), prefix);
  }
  return a;
}

std::string dotted(uint32_t address) {
  const uint32_t network_order = htonl(address);
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &network_order, text, sizeof text);
  return text;
}

Result<void> add_address(nl_sock* sock, int ifindex, uint32_t address, int prefix, bool exist_ok) {
  std::unique_ptr<rtnl_addr, AddrDeleter> addr(rtnl_addr_alloc());
  auto local = ipv4_addr(address, prefix);
  if (!addr || !local) {
    return plain_error("rtnl_addr_alloc");
  }
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_local(addr.get(), local.get());
  const int rc = rtnl_addr_add(sock, addr.get(), 0);
  if (rc < 0 && !(exist_ok && rc == -NLE_EXIST)) {
    return netlink_error(
        rc, "RTM_NEWADDR " + dotted(address) + "/" + std::to_string(prefix) + " on ifindex " + std::to_string(ifindex));
  }
  return {};
}

Result<void> set_up(nl_sock* sock, const std::string& name) {
  Link change(rtnl_link_alloc());
  Link current;
  rtnl_link* found = nullptr;
  if (const int rc = rtnl_link_get_kernel(sock, 0, name.c_str(), &found); rc < 0) {
    return netlink_error(rc, "RTM_GETLINK " + name);
  }
  current.reset(found);
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (const int rc = rtnl_link_change(sock, current.get(), change.get(), 0); rc < 0) {
    return netlink_error(rc, "RTM_NEWLINK " + name + " up");
  }
  return {};
}

Result<int> ifindex_of(nl_sock* sock, const std::string& name) {
  rtnl_link* found = nullptr;
  if (const int rc = rtnl_link_get_kernel(sock, 0, name.c_str(), &found); rc < 0) {
    return netlink_error(rc, "RTM_GETLINK " + name);
  }
  Link link(found);
  return rtnl_link_get_ifindex(link.get());
}

constexpr const char* kNftMissing = "install nftables (apt-get install nftables), or use --network none";

std::string nft_program() {
  return ::access("/usr/sbin/nft", X_OK) == 0 ? "/usr/sbin/nft" : "/sbin/nft";
}

}  // namespace

Result<bool> RealSys::ensure_bridge(const std::string& name, uint32_t address, int prefix) {
  auto sock = route_socket();
  if (!sock) {
    return sock.error();
  }
  bool created = false;
  if (!ifindex_of(sock->get(), name)) {
    Link bridge(rtnl_link_bridge_alloc());
    rtnl_link_set_name(bridge.get(), name.c_str());
    const int rc = rtnl_link_add(sock->get(), bridge.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (rc < 0 && rc != -NLE_EXIST) {
      return netlink_error(rc, "RTM_NEWLINK bridge " + name);
    }
    created = rc == 0;
  }
  auto index = ifindex_of(sock->get(), name);
  if (!index) {
    return index.error();
  }
  if (auto r = add_address(sock->get(), *index, address, prefix, true); !r) {
    return r.error();
  }
  if (auto r = set_up(sock->get(), name); !r) {
    return r.error();
  }
  return created;
}

Result<void> RealSys::create_veth(const std::string& host_end, const std::string& bridge, int netns_fd,
                                  const std::string& peer) {
  auto sock = route_socket();
  if (!sock) {
    return sock.error();
  }
  auto master = ifindex_of(sock->get(), bridge);
  if (!master) {
    return master.error();
  }
  Link veth(rtnl_link_veth_alloc());
  if (!veth) {
    return plain_error("rtnl_link_veth_alloc");
  }
  rtnl_link_set_name(veth.get(), host_end.c_str());
  rtnl_link_set_master(veth.get(), *master);
  rtnl_link_set_flags(veth.get(), IFF_UP);
  rtnl_link* other = rtnl_link_veth_get_peer(veth.get());
  rtnl_link_set_name(other, peer.c_str());
  rtnl_link_set_ns_fd(other, netns_fd);
  rtnl_link_put(other);
  if (const int rc = rtnl_link_add(sock->get(), veth.get(), NLM_F_CREATE | NLM_F_EXCL); rc < 0) {
    return netlink_error(rc, "RTM_NEWLINK veth " + host_end + " (master " + bridge + ", peer " + peer + " in fd " +
                                 std::to_string(netns_fd) + ")");
  }
  return {};
}

Result<void> RealSys::configure_interface(int netns_fd, const std::string& name, uint32_t address, int prefix,
                                          uint32_t gateway) {
  auto sock = route_socket_in(netns_fd);
  if (!sock) {
    return sock.error();
  }
  auto index = ifindex_of(sock->get(), name);
  if (!index) {
    return index.error();
  }
  if (auto r = add_address(sock->get(), *index, address, prefix, false); !r) {
    return r.error();
  }
  if (auto r = set_up(sock->get(), name); !r) {
    return r.error();
  }
  std::unique_ptr<rtnl_route, RouteDeleter> route(rtnl_route_alloc());
  auto any = ipv4_addr(0, 0);
  auto via = ipv4_addr(gateway, 32);
  rtnl_nexthop* hop = rtnl_route_nh_alloc();
  if (!route || !any || !via || hop == nullptr) {
    return plain_error("rtnl_route_alloc");
  }
  rtnl_route_set_family(route.get(), AF_INET);
  rtnl_route_set_dst(route.get(), any.get());
  rtnl_route_nh_set_gateway(hop, via.get());
  rtnl_route_nh_set_ifindex(hop, *index);
  rtnl_route_add_nexthop(route.get(), hop);
  if (const int rc = rtnl_route_add(sock->get(), route.get(), NLM_F_CREATE | NLM_F_EXCL); rc < 0) {
    return netlink_error(rc, "RTM_NEWROUTE default via " + dotted(gateway) + " dev " + name);
  }
  return {};
}

Result<void> RealSys::delete_link(const std::string& name) {
  auto sock = route_socket();
  if (!sock) {
    return sock.error();
  }
  Link link(rtnl_link_alloc());
  rtnl_link_set_name(link.get(), name.c_str());
  if (const int rc = rtnl_link_delete(sock->get(), link.get()); rc < 0 && rc != -NLE_OBJ_NOTFOUND && rc != -NLE_NODEV) {
    return netlink_error(rc, "RTM_DELLINK " + name);
  }
  return {};
}

Result<void> RealSys::probe_port(const std::string& host_ip, uint16_t port, const std::string& protocol) {
  const bool udp = protocol == "udp";
  const int fd = ::socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return errno_error("socket(AF_INET)");
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (!host_ip.empty()) {
    ::inet_pton(AF_INET, host_ip.c_str(), &addr.sin_addr);
  }
  const int rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int saved = errno;
  ::close(fd);
  if (rc < 0) {
    errno = saved;
    return errno_error("bind(" + (host_ip.empty() ? std::string("0.0.0.0") : host_ip) + ":" + std::to_string(port) +
                       "/" + protocol + ")");
  }
  return {};
}

Result<void> RealSys::run_nft(const std::string& script) {
  auto r = run_program({nft_program(), "-f", "-"}, script, kNftMissing);
  if (!r) {
    return r.error();
  }
  return {};
}

Result<std::string> RealSys::list_nft_chain(const std::string& chain) {
  return run_program({nft_program(), "-a", "list", "chain", "ip", "barco", chain}, {}, kNftMissing);
}

}  // namespace barco
