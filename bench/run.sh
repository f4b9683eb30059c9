#!/usr/bin/env bash
# usage: bench/run.sh [RUNS]          (make bench; root; RUNS default 40)
# barco vs crun vs runc vs the floor (bench/floor.c: the same kernel work and nothing else;
# floor+seccomp also loads the BPF program barco compiled, read from barco's cache),
# all running /bin/true from the busybox rootfs with the same isolation barco's defaults
# give (mount, pid, uts, ipc, net and cgroup namespaces; a 64 MiB memory and a 64 pids
# limit; a device allow-list; barco also loads its default seccomp profile, which crun's
# and runc's specs do not have), measured in one run:
#   1. back-to-back: RUNS rounds, each round runs the four once, interleaved
#   2. spaced: the same with 200 ms idle before every start (what a person typing sees)
#   3. hyperfine -N back-to-back, per command (a second opinion on 1)
#   4. peak RSS: GNU time's %M, median of 10 runs each
#   5. throughput: 50 containers one after another, and 20 at once
# then checks that no state record, cgroup or mount was left behind (bench/leak-check.sh),
# prints one table of medians with the ratios barco/crun, barco/runc and barco/floor, and
# writes it to bench/results/. crun 1.8 refuses hybrid cgroup hosts: everything runs in a
# private mount namespace in which an empty tmpfs hides /sys/fs/cgroup/unified (the host's
# mounts are not touched). Never run it in the QEMU VMs: emulation is 6-21x slower.
# Env: BARCO (default build/barco), ROOTFS (default rootfs/busybox), BENCH_SPACED_RUNS (20).
set -euo pipefail
runs=${1:-40}
spaced_runs=${BENCH_SPACED_RUNS:-20}
here=$(cd "$(dirname "$0")/.." && pwd)
barco=$(realpath "${BARCO:-$here/build/barco}")
rootfs=$(cd "${ROOTFS:-$here/rootfs/busybox}" && pwd -P)
for tool in crun runc hyperfine /usr/bin/time gcc; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing — hint: make bench installs it" >&2; exit 1; }
done
[[ $EUID == 0 ]] || { echo "bench: needs root (namespaces, cgroups)" >&2; exit 1; }

work=$(mktemp -d /tmp/barco-bench.XXXXXX)
# The runtimes' state lives on a tmpfs, as /run/barco, /run/crun and /run/runc do on a
# usual system. This host's /run is on its ext4 root: there, unlinking a file that was
# replaced by rename(2) or truncated costs ~0.1-0.3 ms of journal work (ext4's
# auto_da_alloc), which would measure the host's disk, not the runtimes. The tmpfs is
# mounted inside the benchmark's private mount namespace, so the host sees nothing.
state=$work/state
mkdir -m 0700 "$state"
trap 'rm -rf "$work"' EXIT
gcc -O2 -static -Wall -o "$work/floor" "$here/bench/floor.c"

# The runtime's own spec with the busybox rootfs, /bin/true, no terminal, the cgroup
# namespace added to its five, and the same limits.
make_bundle() { # runtime dir
    mkdir -p "$2"
    (cd "$2" && "$1" spec)
    python3 - "$2/config.json" "$rootfs" <<'EOF'
import json, sys
path, rootfs = sys.argv[1], sys.argv[2]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
c["root"] = {"path": rootfs, "readonly": False}
c["linux"]["namespaces"] = [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount", "cgroup")]
c["linux"].setdefault("resources", {}).update({"memory": {"limit": 64 << 20}, "pids": {"limit": 64}})
json.dump(c, open(path, "w"), indent=1)
EOF
}
make_bundle crun "$work/crun"
make_bundle runc "$work/runc"

# Every v1 controller hierarchy (named ones, such as systemd's, carry no controller), as
# barco, crun and runc each join them all; a pure v2 host has the one.
mapfile -t hierarchies < <(awk '$9 == "cgroup" && $NF !~ /name=/ {print $5}' /proc/self/mountinfo)
[[ ${#hierarchies[@]} -gt 0 ]] || hierarchies=(/sys/fs/cgroup)

export barco rootfs state work runs spaced_runs here
export floor_cgroups="${hierarchies[*]}"
# The measuring script goes to a file: under `bash -s` the runtimes would read the rest
# of it from their stdin.
cat >"$work/measure.sh" <<'INNER'
set -euo pipefail
# The network namespace this script runs in plays the host: barco's bridge, veths and
# rules are made there and vanish with it (a net.* sysctl written here is its own).
ip link set lo up
echo 1 >/proc/sys/net/ipv4/ip_forward
[[ -d /sys/fs/cgroup/unified ]] && mount -t tmpfs -o size=1m bench-unified-mask /sys/fs/cgroup/unified
mount -t tmpfs -o size=64m,mode=0700 bench-state "$state"
mkdir -p "$state/crun" "$state/runc"  # the runtimes' roots are not leftovers
# The leak check runs in this namespace too: the state tmpfs and any mount a runtime
# leaves behind are only visible here.
"$here/bench/leak-check.sh" snapshot "$work/before" "$state" "$rootfs"
names=(barco crun runc floor floor+seccomp)
# barco with its default network (a veth on the bridge), and with one published port: the
# cost of networking next to --network none, which is what crun, runc and the floor do.
all_names=(barco barco-bridge barco-bridge-p crun runc floor floor+seccomp)
"$barco" --root "$state" run --rootfs "$rootfs" --memory 64m --pids-limit 64 /bin/true  # fills the seccomp cache
seccomp_entry=$(ls "$state"/.cache/*.bpf | head -1)
run_one() { # name [id-suffix]
    case $1 in
    barco) "$barco" --root "$state" run --network none --rootfs "$rootfs" --memory 64m --pids-limit 64 /bin/true ;;
    barco-bridge) "$barco" --root "$state" run --rootfs "$rootfs" --memory 64m --pids-limit 64 /bin/true ;;
    barco-bridge-p) "$barco" --root "$state" run -p 18080:80 --rootfs "$rootfs" --memory 64m --pids-limit 64 /bin/true ;;
    crun) crun --root "$state/crun" run -b "$work/crun" "bench-crun${2:-}" >/dev/null ;;
    runc) runc --root "$state/runc" run -b "$work/runc" "bench-runc${2:-}" >/dev/null ;;
    floor) "$work/floor" "$rootfs" $floor_cgroups ;;
    floor+seccomp) "$work/floor" --seccomp "$seccomp_entry" "$rootfs" $floor_cgroups ;;
    esac
}
interleaved() { # regime rounds gap
    for n in "${all_names[@]}"; do : >"$work/$1.$n"; done
    for ((i = 0; i < $2 + 3; i++)); do
        for n in "${all_names[@]}"; do
            sleep "$3"
            t0=$EPOCHREALTIME
            run_one "$n"
            t1=$EPOCHREALTIME
            ((i < 3)) || printf '%s %s\n' "$t0" "$t1" >>"$work/$1.$n"   # 3 warm-up rounds
        done
    done
}
interleaved b2b "$runs" 0
interleaved spaced "$spaced_runs" 0.2
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/hyperfine.json" \
    -n barco "$barco --root $state run --network none --rootfs $rootfs --memory 64m --pids-limit 64 /bin/true" \
    -n crun "crun --root $state/crun run -b $work/crun bench-crun" \
    -n runc "runc --root $state/runc run -b $work/runc bench-runc" \
    -n floor "$work/floor $rootfs $floor_cgroups" \
    -n floor+seccomp "$work/floor --seccomp $seccomp_entry $rootfs $floor_cgroups" >/dev/null
for n in "${names[@]}"; do
    : >"$work/rss.$n"
    for ((i = 0; i < 10; i++)); do
        case $n in
        barco) /usr/bin/time -a -o "$work/rss.$n" -f %M "$barco" --root "$state" run --network none --rootfs "$rootfs" --memory 64m --pids-limit 64 /bin/true ;;
        crun) /usr/bin/time -a -o "$work/rss.$n" -f %M crun --root "$state/crun" run -b "$work/crun" bench-crun >/dev/null ;;
        runc) /usr/bin/time -a -o "$work/rss.$n" -f %M runc --root "$state/runc" run -b "$work/runc" bench-runc >/dev/null ;;
        floor) /usr/bin/time -a -o "$work/rss.$n" -f %M "$work/floor" "$rootfs" $floor_cgroups ;;
        floor+seccomp) /usr/bin/time -a -o "$work/rss.$n" -f %M "$work/floor" --seccomp "$seccomp_entry" "$rootfs" $floor_cgroups ;;
        esac
    done
    t0=$EPOCHREALTIME
    for ((i = 0; i < 50; i++)); do run_one "$n" "-s$i"; done
    t1=$EPOCHREALTIME
    echo "$t0 $t1" >"$work/seq.$n"
    t0=$EPOCHREALTIME
    for ((i = 0; i < 20; i++)); do run_one "$n" "-p$i" & done
    wait
    t1=$EPOCHREALTIME
    echo "$t0 $t1" >"$work/par.$n"
done
# crun's cgroup directories in the mask are gone with it; the real hierarchy is checked.
[[ -d /sys/fs/cgroup/unified ]] && umount /sys/fs/cgroup/unified
if "$here/bench/leak-check.sh" compare "$work/before" "$state" "$rootfs"; then echo 0 >"$work/leaks"; else echo 1 >"$work/leaks"; fi
INNER
unshare --mount --net --propagation private bash "$work/measure.sh" </dev/null
leaks=$(cat "$work/leaks")

ms() { awk '{printf "%.3f\n", ($2 - $1) * 1000}' "$1"; }
median() { # [printf format]
    sort -n | awk -v f="${1:-%.2f}" '{a[NR] = $1} END {if (NR == 0) print "nan"; else printf f "\n", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
# The median of per-round ratios A/B (the rounds are interleaved, so each pair saw the same load).
pair_ratio() { paste <(ms "$1") <(ms "$2") | awk '{print $1 / $2}' | median; }
pair_diff() { paste <(ms "$1") <(ms "$2") | awk '{print $1 - $2}' | median; }
rate() { awk -v n="$2" '{printf "%.0f", n / ($2 - $1)}' "$1"; }
hf() { python3 -c 'import json,sys; r={x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}; print("%.2f" % (r[sys.argv[2]]["median"] * 1000))' "$work/hyperfine.json" "$1"; }

results=$here/bench/results
mkdir -p "$results"
out=$results/$(date -u +%Y%m%dT%H%M%SZ).md
{
    echo "# barco start-up benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "$(uname -r), $(nproc) CPUs, $(awk '/model name/ {sub(/.*: /, ""); print; exit}' /proc/cpuinfo);" \
        "barco $("$barco" --version | head -1 | awk '{print $3}') ($(file -b "$barco" | grep -o 'statically linked\|dynamically linked')), $(crun --version | head -1), $(runc --version | head -1)"
    echo
    echo "\`/bin/true\` in a fresh container, medians; $runs interleaved rounds back-to-back, $spaced_runs spaced (200 ms idle before each start)."
    echo
    echo "| | back-to-back ms | spaced ms | hyperfine b2b ms | peak RSS KiB | 50 in a row /s | 20 at once /s |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for n in barco crun runc floor floor+seccomp; do
        printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$n" "$(ms "$work/b2b.$n" | median)" \
            "$(ms "$work/spaced.$n" | median)" "$(hf "$n")" "$(median %d <"$work/rss.$n")" \
            "$(rate "$work/seq.$n" 50)" "$(rate "$work/par.$n" 20)"
    done
    echo
    echo "| ratio (median of per-round ratios) | back-to-back | spaced | target |"
    echo "|---|---:|---:|---|"
    printf '| barco/crun | %.2f | %.2f | ≤ 0.6 b2b, ≤ 0.3 spaced |\n' "$(pair_ratio "$work/b2b.barco" "$work/b2b.crun")" "$(pair_ratio "$work/spaced.barco" "$work/spaced.crun")"
    printf '| barco/runc | %.2f | %.2f | |\n' "$(pair_ratio "$work/b2b.barco" "$work/b2b.runc")" "$(pair_ratio "$work/spaced.barco" "$work/spaced.runc")"
    printf '| barco/floor | %.2f | %.2f | ≤ 1.25 |\n' "$(pair_ratio "$work/b2b.barco" "$work/b2b.floor")" "$(pair_ratio "$work/spaced.barco" "$work/spaced.floor")"
    printf '| barco/(floor+seccomp) | %.2f | %.2f | |\n' "$(pair_ratio "$work/b2b.barco" "$work/b2b.floor+seccomp")" "$(pair_ratio "$work/spaced.barco" "$work/spaced.floor+seccomp")"
    echo
    echo "barco's network (\`barco\` above is \`--network none\`), medians:"
    echo
    echo "| | back-to-back ms | spaced ms | added, median of per-round differences b2b / spaced | target |"
    echo "|---|---:|---:|---:|---|"
    printf '| barco --network bridge (default) | %s | %s | +%s / +%s ms over none | ≤ +0.6 ms |\n' \
        "$(ms "$work/b2b.barco-bridge" | median)" "$(ms "$work/spaced.barco-bridge" | median)" \
        "$(pair_diff "$work/b2b.barco-bridge" "$work/b2b.barco")" "$(pair_diff "$work/spaced.barco-bridge" "$work/spaced.barco")"
    printf '| barco -p 18080:80 | %s | %s | +%s / +%s ms over bridge | ≤ +1 ms |\n' \
        "$(ms "$work/b2b.barco-bridge-p" | median)" "$(ms "$work/spaced.barco-bridge-p" | median)" \
        "$(pair_diff "$work/b2b.barco-bridge-p" "$work/b2b.barco-bridge")" "$(pair_diff "$work/spaced.barco-bridge-p" "$work/spaced.barco-bridge")"
    echo
    if ((leaks)); then echo "leak check: FAILED (see stderr)"; else echo "leak check: nothing left behind"; fi
} | tee "$out"
echo "written to $out"
exit "$leaks"
