#include "barco_version.hpp"
#include "linux/seccomp.hpp"

#include <barco/oci.hpp>
#include <barco/runtime.hpp>

namespace barco {

VersionInfo version_info() {
  return {BARCO_VERSION, BARCO_COMMIT, kOciVersion, libseccomp_version(), BARCO_BUILD};
}

std::string version_text(const VersionInfo& v) {
  return "barco version " + v.version + " (a drop-in for runc version " + v.runc + ")\ncommit: " + v.commit +
         "\nspec: " + v.spec + "\nlibseccomp: " + v.libseccomp + "\nbuild: " + v.build + "\n";
}

}  // namespace barco
