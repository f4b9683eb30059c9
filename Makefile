# barco — the thin front over CMake. `make run` and `make test` are the two commands a new
# machine needs: both install what is missing (Debian packages, as root) first.
BUILD        ?= build
BUILD_ASAN   ?= build-asan
BUILD_FUZZ   ?= build-fuzz
BUILD_ARM64  ?= build-arm64
ROOTFS       ?= rootfs/busybox
ROOTFS_ARM64 ?= rootfs/busybox-arm64
LOGS         := $(BUILD)/test-logs
JOBS        ?= $(shell nproc)
FUZZ_RUNS   ?= 100000
# The product build: static and optimised for size (start-up is page faults; see
# docs/performance.md), with line tables for backtraces (-g1: not loaded at run time, and
# a fifth less compile time than full debug info).
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=MinSizeRel -DCMAKE_CXX_FLAGS_MINSIZEREL="-Os -g1 -DNDEBUG" -DBARCO_STATIC=ON

# Everything barco builds, tests and lints with; all from Debian 12. The :arm64 -dev
# packages are Multi-Arch: same, so they are installed together with their amd64
# counterparts in one transaction, which keeps both at the same version.
# deps-native is what a native build and the host suites need (also on Ubuntu 24.04, in
# .github/workflows/ci.yml); deps adds the VMs and the ARM64 cross build.
# The clients the integration tests drive with barco as their runtime; the tests start their
# daemons on private directories. A host that has docker already (docker-ce on a GitHub
# runner, which conflicts with Debian's) keeps its own.
CLIENT_PACKAGES := $(if $(wildcard /usr/sbin/dockerd /usr/bin/dockerd),,docker.io containerd)
NATIVE_PACKAGES := cmake make g++ pkg-config binutils libseccomp-dev libcap-dev libcli11-dev libspdlog-dev \
                   libnl-route-3-dev nftables iproute2 libgtest-dev nlohmann-json3-dev busybox-static clang-14 libclang-rt-14-dev clang-format \
                   clang-tidy python3-yaml podman conmon tar groff-base zsh criu iptables $(CLIENT_PACKAGES)
BENCH_PACKAGES := crun runc hyperfine time gcc python3
BENCH_RUNS ?= 40
ALL_PACKAGES := $(NATIVE_PACKAGES) qemu-system-x86 qemu-system-arm cpio xz-utils kmod \
                g++-aarch64-linux-gnu libseccomp-dev:arm64 libcap-dev:arm64 libgtest-dev:arm64 \
                libnl-route-3-dev:arm64

# pipefail: a suite piped through tee still fails the target.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

.PHONY: all deps deps-native build build-arm64 rootfs rootfs-arm64 run test test-host test-unit test-integration test-asan \
        test-fuzz test-vm test-criu test-arm64 lab-vm test-summary bench lint format clean install uninstall package

all: build

# install-missing PACKAGES: apt-get install what dpkg does not list as installed (as root).
define install-missing
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing $$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "make deps: need root to apt-get install (run: sudo make deps)" >&2; exit 1; fi; \
	  case "$$missing" in *:arm64*) dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64;; esac; \
	  if [ ! -e /usr/sbin/policy-rc.d ]; then \
	    printf '#!/bin/sh\n# make deps: install, start no service\nexit 101\n' > /usr/sbin/policy-rc.d; \
	    chmod 755 /usr/sbin/policy-rc.d; trap 'rm -f /usr/sbin/policy-rc.d' EXIT; \
	  fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

deps-native:
	$(call install-missing,$(NATIVE_PACKAGES))

deps: deps-native
	$(call install-missing,$(ALL_PACKAGES))

build:
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# PREFIX/bin/barco, its man pages, completion scripts and default profile; DESTDIR stages
# them elsewhere (as a package build does). `make uninstall` removes what the last install put.
PREFIX  ?= /usr/local
DESTDIR ?=
install: build
	@DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

uninstall:
	@test -f $(BUILD)/install_manifest.txt || { echo "make uninstall: nothing installed from $(BUILD)" >&2; exit 1; }
	@xargs -d '\n' rm -fv < $(BUILD)/install_manifest.txt

# A Debian package (CPack): $(BUILD)/barco_VERSION_ARCH.deb, installing into /usr.
package: build
	@cd $(BUILD) && cpack -G DEB | tail -1

# barco and its test binaries for ARM64, static (they run in a VM with only busybox).
build-arm64: build
	@cmake -S . -B $(BUILD_ARM64) -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DBARCO_STATIC=ON \
	  -DBARCO_PROFILE_CODEGEN=$(CURDIR)/$(BUILD)/profile_codegen \
	  -DBARCO_TEST_ROOTFS=$(CURDIR)/$(ROOTFS_ARM64) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_ARM64) -j$(JOBS)

rootfs: $(ROOTFS)/bin/busybox

$(ROOTFS)/bin/busybox: rootfs/make-busybox.sh
	./rootfs/make-busybox.sh $(ROOTFS)

rootfs-arm64: $(ROOTFS_ARM64)/bin/busybox

$(ROOTFS_ARM64)/bin/busybox: rootfs/make-busybox.sh
	./rootfs/make-busybox.sh $(ROOTFS_ARM64) --arch arm64

# A demo container: an interactive shell on a terminal, a short tour otherwise.
run: deps-native build rootfs
	@if [ -t 0 ]; then \
	  $(BUILD)/barco run --rootfs $(ROOTFS) --hostname demo -- sh; \
	else \
	  $(BUILD)/barco run --rootfs $(ROOTFS) --hostname demo -- sh -c \
	    'echo "hostname: $$(hostname)   pid: $$$$   $$(id)"; echo "mounts:"; cut -d" " -f5 /proc/self/mountinfo | sed "s/^/  /"; echo "network:"; ls /sys/class/net | sed "s/^/  /"'; \
	fi

# Everything, then one line per platform: the host (hybrid cgroups), the x86-64 and the
# arm64 VM (pure cgroup v2), and the lab VM's escapes.
test: deps
	@rm -rf $(LOGS) && mkdir -p $(LOGS)
	@$(MAKE) --no-print-directory test-host test-asan test-fuzz test-vm test-criu test-arm64 lab-vm
	@$(MAKE) --no-print-directory test-summary

test-host: build rootfs
	@mkdir -p $(LOGS)
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run -Werror
	@ctest --test-dir $(BUILD) --output-on-failure -j1 | tee $(LOGS)/host.log

test-summary:
	@echo "== summary =="
	@tests/summary.sh "host (hybrid cgroups):" $(LOGS)/host.log
	@tests/summary.sh "host, ASan+UBSan:" $(LOGS)/asan.log
	@tests/summary.sh "fuzz targets:" $(LOGS)/fuzz.log
	@tests/summary.sh "x86-64 VM (cgroup v2):" $(LOGS)/vm-x86_64.log
	@tests/summary.sh "x86-64 VM, criu:" $(LOGS)/vm-criu.log
	@tests/summary.sh "arm64 VM (cgroup v2):" $(LOGS)/vm-aarch64.log
	@tests/summary.sh "lab VM (x86-64):" $(LOGS)/lab-vm.log

test-unit: build
	@ctest --test-dir $(BUILD) --output-on-failure -L unit

test-integration: build rootfs
	@ctest --test-dir $(BUILD) --output-on-failure -L integration

# The unit suite and the integration suite again, with barco itself built with ASan+UBSan.
test-asan: rootfs
	@cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DBARCO_SANITIZE=address,undefined >/dev/null
	@cmake --build $(BUILD_ASAN) -j$(JOBS)
	@mkdir -p $(LOGS)
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir $(BUILD_ASAN) --output-on-failure -j1 \
	  | tee $(LOGS)/asan.log

# Every parser's libFuzzer target, FUZZ_RUNS inputs each from its seed corpus.
test-fuzz:
	@cmake -S . -B $(BUILD_FUZZ) -DCMAKE_CXX_COMPILER=clang++-14 -DBARCO_FUZZ=ON -DBARCO_FUZZ_RUNS=$(FUZZ_RUNS) >/dev/null
	@cmake --build $(BUILD_FUZZ) -j$(JOBS)
	@mkdir -p $(LOGS)
	@ctest --test-dir $(BUILD_FUZZ) --output-on-failure | tee $(LOGS)/fuzz.log

# In the VMs the test rootfs is copied from the 9p share to the guest's tmpfs: faster, and a
# memory-limited container does not thrash re-reading its binaries over 9p before the OOM
# kill (seen: 55 s instead of 2 s).
vm-rootfs-copy = rm -rf /tmp/test-rootfs && cp -a $(1) /tmp/test-rootfs
VM_TEST_ENV := BARCO_TEST_ROOTFS=/tmp/test-rootfs

# The integration suite again inside a throwaway QEMU VM (software emulation) booting
# Debian's own kernel with pure cgroup v2: limits, the eBPF device filter and cgroup
# namespaces for real. The first run downloads the kernel package (apt-get download, never
# installed) into /var/cache/barco-vm.
test-vm: build rootfs
	@mkdir -p $(LOGS)
	@echo "x86-64 VM, pure cgroup v2:"
	@tests/vm/run-in-vm.sh x86_64 $(CURDIR) '$(call vm-rootfs-copy,$(ROOTFS)) && \
	  $(BUILD)/tests/barco_unit_tests --gtest_brief=1 && $(VM_TEST_ENV) $(BUILD)/tests/barco_integration_tests --gtest_brief=1' \
	  | tee $(LOGS)/vm-x86_64.log

# checkpoint/restore through CRIU, in the x86-64 VM: Debian 12's criu fails `criu check` on
# newer kernels (6.18 here), not on Debian's own 6.1. The host's /usr (criu, GNU tar,
# iptables) is mounted into the VM; the tests run only there (BARCO_TEST_CRIU=1).
CRIU_MODULES := nf_tables tun unix_diag inet_diag netlink_diag tcp_diag udp_diag af_packet_diag raw_diag \
                nf_conntrack_netlink
test-criu: build rootfs
	@mkdir -p $(LOGS)
	@echo "x86-64 VM, checkpoint/restore through criu:"
	@VM_HOST_USR=1 VM_MODULES="$(CRIU_MODULES)" tests/vm/run-in-vm.sh x86_64 $(CURDIR) \
	  'sh tests/vm/criu-ready.sh $(CRIU_MODULES) && $(call vm-rootfs-copy,$(ROOTFS)) && \
	  PATH=/usr/bin:/usr/sbin:$$PATH BARCO_TEST_CRIU=1 $(VM_TEST_ENV) \
	  $(BUILD)/tests/barco_integration_tests --gtest_brief=1 --gtest_filter=Checkpoint.*' \
	  | tee $(LOGS)/vm-criu.log

# The same two suites, cross-built static for ARM64, in an aarch64 VM (TCG, -cpu
# max,pauth=off) booting Debian's arm64 kernel with pure cgroup v2 and an arm64 busybox rootfs.
# The integration suite runs nested, as in a CI runner or a container: from a leaf of a
# delegated cgroup that is the root of its own cgroup namespace (tests/vm/cgroup_nest.cpp).
test-arm64: build-arm64 rootfs-arm64
	@mkdir -p $(LOGS)
	@echo "arm64 VM, pure cgroup v2, suite in a nested delegated cgroup:"
	@tests/vm/run-in-vm.sh aarch64 $(CURDIR) '$(call vm-rootfs-copy,$(ROOTFS_ARM64)) && \
	  $(BUILD_ARM64)/tests/barco_unit_tests --gtest_brief=1 && \
	  $(BUILD_ARM64)/tests/barco-cgroup-nest ci env $(VM_TEST_ENV) $(BUILD_ARM64)/tests/barco_integration_tests --gtest_brief=1' \
	  | tee $(LOGS)/vm-aarch64.log

# Real escapes from a --privileged container (mount the VM's disk, core_pattern, cgroup v1
# release_agent, setns into /proc/1/ns) and the same attempts from a default one, inside a
# throwaway VM marked barco.lab=escape-demo; fails if a default container escaped or a
# privileged one did not. Never runs on the host (tests/vm/lab-escapes.sh refuses).
lab-vm: build rootfs
	@mkdir -p $(LOGS)
	@echo "lab VM, escapes from default and --privileged containers:"
	@VM_DISK_MB=8 VM_APPEND=barco.lab=escape-demo \
	  tests/vm/run-in-vm.sh x86_64 $(CURDIR) 'sh tests/vm/lab-escapes.sh $(BUILD)/barco $(ROOTFS)' \
	  | tee $(LOGS)/lab-vm.log

# barco vs crun vs runc vs bench/floor.c, start-up, RSS and throughput (not a test: never
# fails on time, only on a leftover). Never in a VM: emulation is 6-21x slower.
bench: build rootfs
	$(call install-missing,$(BENCH_PACKAGES))
	@bench/run.sh $(BENCH_RUNS)

lint: build
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run -Werror
	@git ls-files 'src/*.cpp' | xargs -P$(JOBS) -n4 clang-tidy -p $(BUILD) --quiet --warnings-as-errors='*'

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ) $(BUILD_ARM64) $(ROOTFS) $(ROOTFS_ARM64)
