# Cross-building barco for ARM64 with Debian's cross toolchain (g++-aarch64-linux-gnu) and
# the :arm64 -dev packages (libseccomp-dev:arm64, libcap-dev:arm64, libgtest-dev:arm64),
# which install their libraries under /usr/lib/aarch64-linux-gnu. Header-only libraries
# (CLI11, nlohmann-json, spdlog and fmt in header-only mode) come from the host's packages.
# Used with -DBARCO_STATIC=ON by `make build-arm64`.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# pkg-config must describe the arm64 libraries, not the host's.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
