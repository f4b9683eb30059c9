// `barco doctor`: host preflight, as a table or JSON; exit 0 when barco can give full
// isolation here, 1 otherwise (the rows marked !! say why).
#pragma once

#include <CLI/CLI.hpp>

namespace barco::cli {

void add_doctor_flags(CLI::App& doctor, bool& json);
[[nodiscard]] int run_doctor(bool json);

}  // namespace barco::cli
