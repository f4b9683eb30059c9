#!/usr/bin/env bash
# usage: [BENCH_LIMITS=1] [BENCH_GAP=0.2] bench/startup.sh [RUNS] [ROOTFS]
#   BENCH_LIMITS=1  both runtimes apply --memory 64m --pids-limit 64 (cgroup work included)
#   BENCH_GAP=S     sleep S seconds before each timed run (what a person typing sees: the
#                   kernel's cgroup attach then waits for an RCU grace period)
# Median wall time of starting and stopping /bin/true in a fresh container, barco vs crun,
# interleaved run by run so all see the same machine load; a third series runs barco with
# its compiled-seccomp cache removed before each run (the cost of libseccomp compilation).
# crun 1.8 refuses hybrid cgroup hosts, so the whole loop runs in a private mount namespace
# in which an empty tmpfs hides /sys/fs/cgroup/unified (the host's mounts are not touched).
# Needs root, crun (apt-get install crun) and bash 5 (EPOCHREALTIME: no fork per timestamp).
set -euo pipefail
runs=${1:-200}
rootfs=$(cd "${2:-rootfs/busybox}" && pwd -P)
here=$(cd "$(dirname "$0")/.." && pwd)
barco=${BARCO:-$here/build/barco}
command -v crun >/dev/null || { echo "bench: crun is missing — hint: apt-get install crun" >&2; exit 1; }

work=$(mktemp -d /tmp/barco-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
bundle=$work/bundle
mkdir -p "$bundle"
(cd "$bundle" && crun spec)
# crun's default spec, with the busybox rootfs, /bin/true, no terminal, and the same six
# namespaces barco creates (crun's five plus cgroup).
sed -i -e 's|"terminal": true|"terminal": false|' \
       -e 's|"sh"|"/bin/true"|' \
       -e "s|\"path\": \"rootfs\"|\"path\": \"$rootfs\"|" \
       -e 's|"readonly": true|"readonly": false|' "$bundle/config.json"
if [[ ${BENCH_LIMITS:-0} == 1 ]]; then
  sed -i 's|"resources": {|"resources": {"memory": {"limit": 67108864}, "pids": {"limit": 64},|' "$bundle/config.json"
  limits=(--memory 64m --pids-limit 64)
else
  limits=()
fi
gap=${BENCH_GAP:-0}
sed -i 's|{"type": "mount"}|{"type": "mount"}, {"type": "cgroup"}|; s|"type": "mount"$|"type": "mount"\n\t\t\t},\n\t\t\t{\n\t\t\t\t"type": "cgroup"|' "$bundle/config.json"

export barco rootfs bundle runs work gap
export limits_text="${limits[*]}"
unshare --mount --propagation private bash -c '
  set -euo pipefail
  mount -t tmpfs -o size=16m bench-unified-mask /sys/fs/cgroup/unified
  : > "$work/barco.ms"; : > "$work/crun.ms"; : > "$work/barco-cold.ms"
  for ((i = 0; i < runs + 5; i++)); do
    sleep "$gap"
    t0=$EPOCHREALTIME; "$barco" --root "$work/state" run --rootfs "$rootfs" $limits_text /bin/true; t1=$EPOCHREALTIME
    sleep "$gap"
    t2=$EPOCHREALTIME; crun --root "$work/crun" run -b "$bundle" "bench$i" >/dev/null; t3=$EPOCHREALTIME
    rm -rf "$work/cold/.cache"   # no compiled seccomp filter: libseccomp builds it again
    sleep "$gap"
    t4=$EPOCHREALTIME; "$barco" --root "$work/cold" run --rootfs "$rootfs" $limits_text /bin/true; t5=$EPOCHREALTIME
    if ((i >= 5)); then   # the first runs warm caches
      echo "($t1 - $t0) * 1000" | bc -l >> "$work/barco.ms"
      echo "($t3 - $t2) * 1000" | bc -l >> "$work/crun.ms"
      echo "($t5 - $t4) * 1000" | bc -l >> "$work/barco-cold.ms"
    fi
  done'
median() { sort -n "$1" | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
b=$(median "$work/barco.ms")
k=$(median "$work/barco-cold.ms")
c=$(median "$work/crun.ms")
printf 'runs: %d each, interleaved, /bin/true in %s, limits: %s, gap: %ss\n' "$runs" "$rootfs" "${limits[*]:-none}" "$gap"
printf 'barco run                        median %6.2f ms\n' "$b"
printf 'barco run, seccomp not cached    median %6.2f ms\n' "$k"
printf 'crun run (its spec: no seccomp)  median %6.2f ms\n' "$c"
printf 'crun/barco ratio                        %6.2f\n' "$(echo "$c / $b" | bc -l)"
printf 'uncached/cached barco ratio             %6.2f\n' "$(echo "$k / $b" | bc -l)"
