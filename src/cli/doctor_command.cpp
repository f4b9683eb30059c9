#include "cli/doctor_command.hpp"

#include <barco/doctor.hpp>
#include <barco/runtime.hpp>

#include <cstdio>

namespace barco::cli {

void add_doctor_flags(CLI::App& doctor, bool& json) {
  doctor.add_flag("--json", json, "Print JSON");
}

int run_doctor(bool json) {
  const auto rows = diagnose(probe_doctor_facts());
  if (json) {
    std::puts(doctor_json(rows).dump(2).c_str());
  } else {
    std::fputs(format_doctor_table(rows).c_str(), stdout);
  }
  return all_ok(rows) ? 0 : 1;
}

}  // namespace barco::cli
