#!/bin/sh
# usage: rootfs/make-busybox.sh [DIR] [BUSYBOX | --arch DEB_ARCH]
# Builds a minimal root filesystem from Debian's busybox-static into DIR (default:
# rootfs/busybox next to this script): the static busybox, one link per applet, the usual
# empty mount points, and small /etc/passwd, /etc/group, /etc/hostname and /etc/hosts.
# Nothing is downloaded except the Debian package (make deps installs it). DIR is rebuilt
# from scratch, but never while something is mounted below it.
# --arch arm64 builds it for another architecture: busybox-static:arm64 of the same version
# as the host's is fetched with `apt-get download` and unpacked with `dpkg -x` (installing
# it would remove the host's busybox-static), and the applet list comes from the host's
# busybox, which cannot run the foreign binary's --list.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$here/busybox}
bb=${2:-/bin/busybox}
lister=$bb

if [ "$bb" = --arch ]; then
    arch=${3:?--arch needs a Debian architecture, e.g. arm64}
    version=$(dpkg-query -W -f='${Version}' busybox-static)
    fetch=$(mktemp -d)
    chmod 755 "$fetch"  # apt-get download drops root to _apt, which must write here
    trap 'rm -rf "$fetch"' EXIT
    if ! (cd "$fetch" && apt-get download -q "busybox-static:$arch=$version" >/dev/null); then
        echo "make-busybox: cannot download busybox-static:$arch=$version — hint: dpkg --add-architecture $arch && apt-get update (or: make deps)" >&2
        exit 1
    fi
    dpkg -x "$fetch"/busybox-static_*.deb "$fetch/x"
    bb=$fetch/x/bin/busybox
    lister=/bin/busybox
fi

if [ ! -x "$lister" ] || ! "$lister" --list >/dev/null 2>&1; then
    echo "make-busybox: $bb is missing or not runnable — hint: apt-get install busybox-static (or: make deps)" >&2
    exit 1
fi
if ! file_info=$(LC_ALL=C readelf -d "$bb" 2>&1) || echo "$file_info" | grep -q NEEDED; then
    echo "make-busybox: $bb is not a static binary — hint: the busybox-static package provides one" >&2
    exit 1
fi
case "$dir" in
    ""|/) echo "make-busybox: refusing to use '$dir' as a rootfs" >&2; exit 1 ;;
esac

if [ -d "$dir" ]; then
    abs=$(cd "$dir" && pwd -P)
    if awk -v d="$abs" '$5 == d || index($5, d "/") == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
        echo "make-busybox: something is mounted under $abs; unmount it first" >&2
        exit 1
    fi
    rm -rf "$dir"
fi

tmp="$dir.tmp.$$"
trap 'rm -rf "$tmp" ${fetch:+"$fetch"}' EXIT
mkdir -p "$tmp"
cd "$tmp"
mkdir -p bin sbin usr/bin usr/sbin proc sys dev tmp etc root run var/tmp home mnt
chmod 1777 tmp var/tmp
chmod 0700 root
cp "$bb" bin/busybox
chmod 0755 bin/busybox
for applet in $("$lister" --list); do
    [ "$applet" = busybox ] || ln -s busybox "bin/$applet"
done

cat > etc/passwd <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > etc/group <<'GROUP'
root:x:0:
daemon:x:1:
tty:x:5:
users:x:100:user
audio:x:29:user
user:x:1000:
nogroup:x:65534:
GROUP
mkdir -p home/user && chown 1000:1000 home/user
echo barco > etc/hostname
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > etc/hosts
: > etc/resolv.conf

cd - >/dev/null
mv "$tmp" "$dir"
trap - EXIT
echo "rootfs ready: $dir ($(ls "$dir/bin" | wc -l) entries in /bin, $("$lister" | head -1 | awk '{print $1, $2}'), $(LC_ALL=C readelf -h "$bb" | awk -F: '/Machine/ {gsub(/^ +/, "", $2); print $2}'))"
