// The network as values: addresses, the subnet, -p and --add-host, the files docker writes
// into a container, and barco's nftables rules.
#include "error_of.hpp"

#include <barco/network.hpp>

#include <gtest/gtest.h>

#include <sstream>

namespace barco {
namespace {

using testing::error_of;

TEST(Ipv4, ParsesDottedQuadsOnly) {
  EXPECT_EQ(parse_ipv4("10.213.0.2"), 0x0ad50002U);
  EXPECT_EQ(ipv4_string(0x0ad50002U), "10.213.0.2");
  for (const char* bad :
       {"", "10.213.0", "10.213.0.256", "10.213.0.02", "1.2.3.4.5", "a.b.c.d", "1..2.3", "1.2.3.4 "}) {
    EXPECT_FALSE(parse_ipv4(bad)) << bad;
  }
}

TEST(Subnet, GatewayBroadcastAndOverlaps) {
  const auto s = parse_subnet("10.213.0.0/16");
  EXPECT_EQ(s.str(), "10.213.0.0/16");
  EXPECT_EQ(ipv4_string(s.gateway()), "10.213.0.1");
  EXPECT_EQ(ipv4_string(s.broadcast()), "10.213.255.255");
  EXPECT_TRUE(s.contains(*parse_ipv4("10.213.7.9")));
  EXPECT_FALSE(s.contains(*parse_ipv4("10.214.0.1")));
  EXPECT_TRUE(s.overlaps(parse_subnet("10.213.4.0/24")));
  EXPECT_TRUE(parse_subnet("10.0.0.0/8").overlaps(s));
  EXPECT_FALSE(s.overlaps(parse_subnet("10.88.0.0/16")));
  EXPECT_NE(error_of([] { (void)parse_subnet("10.213.0.1/16"); }).find("host bits set (the network is 10.213.0.0/16)"),
            std::string::npos);
  for (const char* bad : {"10.213.0.0", "10.213.0.0/31", "10.0.0.0/7", "10.213.0.0/x"}) {
    EXPECT_NE(error_of([&] { (void)parse_subnet(bad); }), "") << bad;
  }
}

TEST(Subnet, TheFirstFreeAddressSkipsTheNetworkTheGatewayAndTheBroadcast) {
  const auto s = parse_subnet("10.213.0.0/30");  // .0 network, .1 gateway, .2 the only one, .3 broadcast
  EXPECT_EQ(first_free_address(s, {}), *parse_ipv4("10.213.0.2"));
  EXPECT_EQ(first_free_address(s, {*parse_ipv4("10.213.0.2")}), std::nullopt) << "full";
  const auto wide = parse_subnet("10.213.0.0/24");
  EXPECT_EQ(first_free_address(wide, {*parse_ipv4("10.213.0.2"), *parse_ipv4("10.213.0.4")}),
            *parse_ipv4("10.213.0.3"));
}

TEST(Publish, DockersFormsIncludingRangesAndAHostAddress) {
  EXPECT_EQ(parse_publish("8080:80"), (std::vector<PortMapping>{{"", 8080, 80, "tcp"}}));
  EXPECT_EQ(parse_publish("127.0.0.1:53:5353/udp"), (std::vector<PortMapping>{{"127.0.0.1", 53, 5353, "udp"}}));
  EXPECT_EQ(parse_publish("8000-8001:9000-9001"),
            (std::vector<PortMapping>{{"", 8000, 9000, "tcp"}, {"", 8001, 9001, "tcp"}}));
}

TEST(Publish, MistakesAreNamed) {
  EXPECT_NE(error_of([] { (void)parse_publish("80"); }).find("no host port"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_publish("0:80"); }).find("the host port '0'"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_publish("8080:65536"); }).find("the container port"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_publish("8080:80/sctp"); }).find("protocol 'sctp'"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_publish("8000-8002:80-81"); }).find("3 ports, the container range 2"),
            std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_publish("localhost:8080:80"); }).find("not an IPv4 address"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_publish("8080:80; flush ruleset"); }), "") << "nothing but a port";
}

TEST(AddHost, NameColonAddress) {
  EXPECT_EQ(parse_add_host("db:10.0.0.5"), (HostEntry{"db", "10.0.0.5"}));
  for (const char* bad : {"db", "db:", ":10.0.0.5", "d b:10.0.0.5", "db:10.0.0", "db\n1.2.3.4 evil:10.0.0.5"}) {
    EXPECT_NE(error_of([&] { (void)parse_add_host(bad); }), "") << bad;
  }
}

TEST(NameFiles, HostsHasLocalhostTheContainerAndTheExtras) {
  const auto hosts = hosts_file("web", *parse_ipv4("10.213.0.2"), {{"db", "10.0.0.5"}});
  EXPECT_EQ(hosts.rfind("127.0.0.1\tlocalhost\n", 0), 0U);
  EXPECT_NE(hosts.find("::1\tlocalhost ip6-localhost ip6-loopback\n"), std::string::npos);
  EXPECT_NE(hosts.find("10.0.0.5\tdb\n"), std::string::npos);
  EXPECT_NE(hosts.find("10.213.0.2\tweb\n"), std::string::npos);
  EXPECT_EQ(hosts_file("web", std::nullopt, {}).find("web"), std::string::npos)
      << "without an address of its own (none, host) the hostname is not listed";
}

TEST(NameFiles, ResolvConfSkipsTheHostsLoopbackStub) {
  const std::string stub = "# systemd-resolved\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n";
  const std::string upstream = "nameserver 192.168.1.1\nnameserver 127.0.0.1\n";
  EXPECT_EQ(resolv_conf({stub, upstream, {}, {}, false}),
            "options edns0 trust-ad\nsearch lan\nnameserver 192.168.1.1\n");
  EXPECT_EQ(resolv_conf({stub, "", {}, {}, false}),
            "options edns0 trust-ad\nsearch lan\nnameserver 8.8.8.8\n"
            "nameserver 8.8.4.4\n")
      << "docker's fallback when nothing but loopback servers are known";
  EXPECT_EQ(resolv_conf({stub, upstream, {}, {}, true}), "options edns0 trust-ad\nsearch lan\nnameserver 127.0.0.53\n")
      << "--network host: the host's loopback is the container's";
  EXPECT_EQ(resolv_conf({stub, upstream, {"9.9.9.9"}, {"corp", "lab"}, false}),
            "search corp lab\noptions edns0 trust-ad\nnameserver 9.9.9.9\n");
}

TEST(Nftables, BaseRulesAreBarcosOwnTableAndGuardTheLoopback) {
  const auto rules = nft_base_rules("barco0", parse_subnet("10.213.0.0/16"));
  EXPECT_EQ(rules.rfind("add table ip barco\n", 0), 0U);
  EXPECT_NE(rules.find("ip saddr 10.213.0.0/16 oifname != \"barco0\" masquerade"), std::string::npos);
  EXPECT_NE(rules.find("iifname != \"lo\" ip daddr 127.0.0.0/8 drop"), std::string::npos)
      << "route_localnet without the guard is CVE-2020-8558";
  EXPECT_NE(rules.find("flush chain ip barco postrouting"), std::string::npos) << "applied twice, the rules stay one";
  std::istringstream lines(rules);
  for (std::string line; std::getline(lines, line);) {
    const bool ours = line == "add table ip barco" || line.rfind("add chain ip barco ", 0) == 0 ||
                      line.rfind("add rule ip barco ", 0) == 0 || line.rfind("flush chain ip barco ", 0) == 0;
    EXPECT_TRUE(ours) << "barco never writes another table: " << line;
  }
}

TEST(Nftables, PortRulesAreTaggedWithTheContainer) {
  EXPECT_EQ(nft_port_rules("web", *parse_ipv4("10.213.0.2"), {{"", 8080, 80, "tcp"}, {"127.0.0.1", 5353, 53, "udp"}}),
            "add rule ip barco ports tcp dport 8080 dnat to 10.213.0.2:80 comment \"barco:web\"\n"
            "add rule ip barco ports ip daddr 127.0.0.1 udp dport 5353 dnat to 10.213.0.2:53 comment \"barco:web\"\n");
}

TEST(Nftables, TheHandlesOfAContainersRulesAreFoundInTheListing) {
  const std::string listing =
      "table ip barco {\n\tchain ports {\n"
      "\t\ttcp dport 8080 dnat to 10.213.0.2:80 comment \"barco:web\" # handle 7\n"
      "\t\ttcp dport 8081 dnat to 10.213.0.3:80 comment \"barco:web2\" # handle 8\n"
      "\t\tudp dport 53 dnat to 10.213.0.2:53 comment \"barco:web\" # handle 12\n\t}\n}\n";
  EXPECT_EQ(nft_tagged_handles(listing, "web"), (std::vector<uint64_t>{7, 12}));
  EXPECT_TRUE(nft_tagged_handles(listing, "we").empty()) << "a prefix of another id is not the id";
  EXPECT_EQ(nft_delete_rules({7, 12}), "delete rule ip barco ports handle 7\ndelete rule ip barco ports handle 12\n");
}

TEST(Routes, ASubnetTheHostRoutesElsewhereIsNamed) {
  const std::string routes =
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
      "eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
      "eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
      "eth1\t0004D50A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
      "barco0\t0000D50A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n";
  EXPECT_EQ(clashing_route(routes, parse_subnet("10.213.0.0/16"), "barco0"), "10.213.4.0/24 on eth1");
  EXPECT_EQ(clashing_route(routes, parse_subnet("192.168.0.0/16"), "barco0"), "192.168.1.0/24 on eth0");
  EXPECT_EQ(clashing_route(routes, parse_subnet("10.88.0.0/16"), "barco0"), std::nullopt)
      << "the default route and the bridge's own route are no clash";
}

TEST(Veth, HostEndNameFitsIfnamsiz) {
  EXPECT_EQ(veth_name("0123456789abcdef0123"), "vb0123456789ab");
  EXPECT_LE(veth_name(std::string(64, 'a')).size(), 15U);
}

}  // namespace
}  // namespace barco
