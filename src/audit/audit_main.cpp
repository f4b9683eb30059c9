// barco-audit: the program `barco audit` runs as the container's command. barco embeds it
// and executes it from a sealed memfd, so nothing is written into the rootfs and the host's
// barco binary is never reachable from the container.
// Usage (internal): barco-audit [--host-ns mnt=N,pid=N,...] [--json] [--color]
#include "audit/facts.hpp"

#include <barco/audit.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  std::string host_ns;
  bool json = false;
  bool color = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--host-ns" && i + 1 < argc) {
      host_ns = argv[++i];
    } else if (arg == "--json") {
      json = true;
    } else if (arg == "--color") {
      color = true;
    } else {
      std::fprintf(stderr, "barco-audit: unknown argument '%s'\n", arg.c_str());
      return 125;
    }
  }
  const auto facts = barco::audit::collect_facts(barco::audit::parse_host_namespaces(host_ns));
  const barco::audit::Report report{barco::audit::classify(facts)};
  const std::string out = json ? barco::audit::to_json(report) : barco::audit::render_table(report, color);
  std::fputs(out.c_str(), stdout);
  return 0;
}
