# barco — the thin front over CMake. `make run` and `make test` are the two commands a new
# machine needs: both install what is missing (Debian packages, as root) first.
BUILD       ?= build
BUILD_ASAN  ?= build-asan
BUILD_FUZZ  ?= build-fuzz
ROOTFS      ?= rootfs/busybox
JOBS        ?= $(shell nproc)
FUZZ_RUNS   ?= 100000
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

# Everything barco builds, tests and lints with; all from Debian 12.
DEB_PACKAGES := cmake make g++ pkg-config binutils libseccomp-dev libcap-dev libcli11-dev libspdlog-dev \
                libgtest-dev nlohmann-json3-dev busybox-static clang-14 libclang-rt-14-dev clang-format clang-tidy \
                qemu-system-x86 cpio xz-utils kmod

.PHONY: all deps build rootfs run test test-unit test-integration test-asan test-fuzz test-vm lab-vm lint format clean

all: build

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing $$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "make deps: need root to apt-get install (run: sudo make deps)" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

build:
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

rootfs: $(ROOTFS)/bin/busybox

$(ROOTFS)/bin/busybox: rootfs/make-busybox.sh
	./rootfs/make-busybox.sh $(ROOTFS)

# A demo container: an interactive shell on a terminal, a short tour otherwise.
run: deps build rootfs
	@if [ -t 0 ]; then \
	  $(BUILD)/barco run --rootfs $(ROOTFS) --hostname demo -- sh; \
	else \
	  $(BUILD)/barco run --rootfs $(ROOTFS) --hostname demo -- sh -c \
	    'echo "hostname: $$(hostname)   pid: $$$$   $$(id)"; echo "mounts:"; cut -d" " -f5 /proc/self/mountinfo | sed "s/^/  /"; echo "network:"; ls /sys/class/net | sed "s/^/  /"'; \
	fi

test: deps build rootfs
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run -Werror
	@ctest --test-dir $(BUILD) --output-on-failure -j1
	@$(MAKE) --no-print-directory test-asan test-fuzz test-vm lab-vm

test-unit: build
	@ctest --test-dir $(BUILD) --output-on-failure -L unit

test-integration: build rootfs
	@ctest --test-dir $(BUILD) --output-on-failure -L integration

# The unit suite and the integration suite again, with barco itself built with ASan+UBSan.
test-asan: rootfs
	@cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DBARCO_SANITIZE=address,undefined >/dev/null
	@cmake --build $(BUILD_ASAN) -j$(JOBS)
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir $(BUILD_ASAN) --output-on-failure -j1

# Every parser's libFuzzer target, FUZZ_RUNS inputs each from its seed corpus.
test-fuzz:
	@cmake -S . -B $(BUILD_FUZZ) -DCMAKE_CXX_COMPILER=clang++-14 -DBARCO_FUZZ=ON -DBARCO_FUZZ_RUNS=$(FUZZ_RUNS) >/dev/null
	@cmake --build $(BUILD_FUZZ) -j$(JOBS)
	@ctest --test-dir $(BUILD_FUZZ) --output-on-failure

# The integration suite again inside a throwaway QEMU VM (software emulation) booting
# Debian's own kernel with pure cgroup v2: limits, the eBPF device filter and cgroup
# namespaces for real. The first run downloads the kernel package (apt-get download, never
# installed) into /var/cache/barco-vm.
test-vm: build rootfs
	@echo "x86-64 VM, pure cgroup v2:"
	@VM_HOST_USR=1 tests/vm/run-in-vm.sh x86_64 $(CURDIR) 'build/tests/barco_integration_tests --gtest_brief=1'

# Real escapes from a --privileged container (mount the VM's disk, core_pattern, cgroup v1
# release_agent, setns into /proc/1/ns) and the same attempts from a default one, inside a
# throwaway VM marked barco.lab=escape-demo; fails if a default container escaped or a
# privileged one did not. Never runs on the host (tests/vm/lab-escapes.sh refuses).
lab-vm: build rootfs
	@echo "lab VM, escapes from default and --privileged containers:"
	@VM_HOST_USR=1 VM_DISK_MB=8 VM_APPEND=barco.lab=escape-demo \
	  tests/vm/run-in-vm.sh x86_64 $(CURDIR) 'sh tests/vm/lab-escapes.sh $(BUILD)/barco $(ROOTFS)'

lint: build
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run -Werror
	@git ls-files 'src/*.cpp' | xargs -P$(JOBS) -n4 clang-tidy -p $(BUILD) --quiet --warnings-as-errors='*'

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ) $(ROOTFS)
