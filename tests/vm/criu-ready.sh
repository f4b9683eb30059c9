#!/bin/sh
# Inside the x86-64 VM (VM_HOST_USR=1): what `criu check` and a container's dump need that
# the initramfs does not have. Usage: criu-ready.sh MODULE...
# - the modules CRIU's socket diag, tun and network-lock probes load;
# - /dev/net for tun;
# - /etc/alternatives links, which the host's iptables-save/-restore (CRIU's network lock
#   and its dump of the container's network namespace) go through; the VM has no /etc of
#   the host's.
set -e
for m in "$@"; do
	modprobe "$m"
done
mkdir -p /dev/net /etc/alternatives
for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
	ln -sf /usr/sbin/xtables-nft-multi /etc/alternatives/$t
done
criu check
