#!/bin/sh
# usage: bench/leak-check.sh snapshot FILE STATE_DIR ROOTFS
#        bench/leak-check.sh compare  FILE STATE_DIR ROOTFS
# What a benchmark may leave behind, listed before and compared after: entries in the
# runtimes' state directories (barco's --root STATE_DIR without its seccomp cache, crun's
# and runc's under STATE_DIR), cgroup directories of barco (<hierarchy>/barco/*), of crun
# and runc (<hierarchy>/bench-*) and of the floor program (<hierarchy>/floor-*) in every
# mounted hierarchy, and mounts at or below ROOTFS. `compare` prints every new entry and
# exits 1 if there is one. POSIX sh and busybox-compatible, so the integration tests can
# plant leftovers and check that they are caught, on the host and in the VMs.
set -eu
export LC_ALL=C  # one collation for every sort
mode=${1:?snapshot or compare}
file=${2:?FILE}
state=${3:?STATE_DIR}
rootfs=$(cd "${4:?ROOTFS}" && pwd -P)

list() {
    # state records (the .cache of compiled seccomp filters is kept on purpose, and so are the
    # empty .net/leases and .net/ports directories of the bridge network: a file left in
    # them is a leak)
    if [ -d "$state" ]; then
        find "$state" -mindepth 1 -maxdepth 2 ! -path "$state/.cache" ! -path "$state/.cache/*" \
            ! -path "$state/.net" ! -path "$state/.net/leases" ! -path "$state/.net/ports" 2>/dev/null |
            sed 's/^/state /' | sort
        find "$state/.net/leases" "$state/.net/ports" -mindepth 1 2>/dev/null | sed 's/^/lease /' | sort
    fi
    # cgroups, in every mounted hierarchy
    awk '$9 == "cgroup" || $9 == "cgroup2" {print $5}' /proc/self/mountinfo | sort -u |
        while read -r mnt; do
            find "$mnt" -maxdepth 8 -type d \( -path '*/barco/*' -o -name 'bench-*' -o -name 'floor-*' \) 2>/dev/null
        done | sed 's/^/cgroup /' | sort
    # mounts at or below the rootfs
    awk -v r="$rootfs" '$5 == r || index($5, r "/") == 1 {print "mount " $5}' /proc/self/mountinfo | sort
}

case $mode in
snapshot) list | sort >"$file" ;;
compare)
    list | sort >"$file.after"
    # the lines of the second list missing from the first (busybox has no comm, and its
    # grep -f treats an empty pattern file as matching everything)
    new=$(awk -v before="$file" 'BEGIN { while ((getline l < before) > 0) seen[l] = 1 } !seen[$0]' "$file.after")
    rm -f "$file.after"
    if [ -n "$new" ]; then
        echo "leak-check: left behind:" >&2
        echo "$new" | sed 's/^/  /' >&2
        exit 1
    fi
    echo "leak-check: nothing left behind (state records, cgroups, mounts under $rootfs)"
    ;;
*)
    echo "usage: leak-check.sh snapshot|compare FILE STATE_DIR ROOTFS" >&2
    exit 2
    ;;
esac
