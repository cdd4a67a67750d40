#!/bin/sh
# The sandbox on a pure cgroup v2 host, in a virtual machine:
#     sh tests/vm/run.sh build/grader
#
# This machine, like many Debian hosts in containers, is cgroup v1 "hybrid",
# where the v2 code path (memory.max, pids.max, CLONE_INTO_CGROUP into a
# cgroup with controllers, memory.events, the move into a leaf) cannot run.
# So we boot Debian's own kernel (the linux-image-amd64 package, fetched by
# apt-get download into build/vm and unpacked there, never installed: see
# fetch-kernel.sh) under
# qemu with a tiny busybox initramfs (tests/vm/init), share this machine's
# root read-only over 9p, mount cgroup2 alone on /sys/fs/cgroup, and run
# tests/vm/guest.py there: the same grader binary, interpreters and sample
# submissions, in three cgroup placements.  The guest writes its TAP-like
# log and a verdict file to a writable 9p share; this script prints the log
# and exits 0 only when the verdict says every check passed.
#
# qemu runs under TCG, software emulation (VM_ACCEL=kvm asks for KVM, which
# nested in this machine's own VM hangs at boot): several times slower than
# the host, so nothing inside is a timing.  Under 3 minutes here.
set -eu
if [ $# -lt 1 ]; then
    echo "usage: sh tests/vm/run.sh GRADER" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
grader=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
vm=$top/build/vm
mkdir -p "$vm"

if [ "$(uname -m)" != x86_64 ]; then
    echo "vm: skipped: the test boots Debian's amd64 kernel, and this machine is $(uname -m)"
    exit 0
fi
# Debian's kernel, unpacked by `make vm-tests` (tests/vm/fetch-kernel.sh).
kdir=$(sh "$here/fetch-kernel.sh" "$vm") || exit 1
kpkg=$(basename "$kdir")
kver=${kpkg#linux-image-}

# The initramfs: static busybox, the nine modules 9p over virtio needs,
# /init, and where guest.py lives (the host's path, seen through 9p).
# /bin/busybox of Debian's busybox-static (scripts/ensure-deps.sh test).
busybox=/bin/busybox
ird=$vm/initramfs
rm -rf "$ird"
mkdir -p "$ird/bin" "$ird/lib/modules/$kver"
cp "$busybox" "$ird/bin/busybox"
cp "$here/init" "$ird/init"
chmod 755 "$ird/init"
printf '%s\n' "$here/guest.sh" >"$ird/guest-path"
printf '%s\n' "$top" >"$ird/repo-path"
for m in virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p; do
    f=$(find "$kdir/lib/modules/$kver/kernel" -name "$m.ko" -o -name "$m.ko.xz" | head -n 1)
    if [ -z "$f" ]; then
        # Built into this kernel: nothing to load.
        grep -q "/$m.ko" "$kdir/lib/modules/$kver/modules.builtin" && continue
        echo "vm: kernel $kver has no module $m" >&2
        exit 1
    fi
    rel=${f#"$kdir/lib/modules/$kver/"}
    mkdir -p "$ird/lib/modules/$kver/$(dirname "$rel")"
    case $f in
        # busybox's modprobe reads plain modules only.
        *.xz) xz -dc "$f" >"$ird/lib/modules/$kver/${rel%.xz}" ;;
        *) cp "$f" "$ird/lib/modules/$kver/$rel" ;;
    esac
done
cp "$kdir/lib/modules/$kver/modules.builtin" "$kdir/lib/modules/$kver/modules.order" "$ird/lib/modules/$kver/"
(cd "$ird" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$vm/initramfs.cpio.gz"

out=$vm/out
rm -rf "$out"
mkdir -p "$out"
# What the guest runs, and what it compares against: the grader's
# verdicts for the sample submissions on this (v1) host.
printf '%s\n' "$grader" >"$out/grader-path"
python3 -B "$here/guest.py" --host-reference "$grader" "$out" || {
    echo "vm: the host reference run failed" >&2
    exit 1
}

accel=${VM_ACCEL:-tcg}
echo "vm: booting $kpkg under qemu ($accel), this machine's root shared read-only"
rc=0
timeout "${VM_TIMEOUT:-1200}" qemu-system-x86_64 -accel "$accel" -m 2048 -smp 2 \
    -nographic -no-reboot -nic none \
    -kernel "$kdir/boot/vmlinuz-$kver" -initrd "$vm/initramfs.cpio.gz" \
    -append "console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init" \
    -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
    -virtfs "local,path=$out,mount_tag=out,security_model=none" \
    >"$vm/console.log" 2>&1 </dev/null || rc=$?
if [ -f "$out/log" ]; then
    cat "$out/log"
fi
if [ ! -f "$out/verdict" ]; then
    echo "vm: the guest wrote no verdict (qemu exit $rc); its console:" >&2
    tail -n 40 "$vm/console.log" >&2
    exit 1
fi
verdict=$(cat "$out/verdict")
echo "vm: $verdict"
case $verdict in
    "all passed"*) exit 0 ;;
    *) exit 1 ;;
esac
