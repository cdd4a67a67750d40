#!/bin/sh
# Unpacks Debian's current amd64 kernel (the package linux-image-amd64
# points to) into DIR/<package>, for tests/vm/run.sh.  A set-up step like
# apt-get install, run by `make vm-tests` before the test: the package is
# fetched with apt-get download and unpacked with dpkg-deb, never
# installed, so the machine's own /boot and modules are untouched.
#     sh tests/vm/fetch-kernel.sh DIR       prints DIR/<package>
set -eu
dir=$1
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n 1)
if [ -z "$pkg" ]; then
    echo "vm: apt-cache knows no linux-image-amd64; run apt-get update" >&2
    exit 1
fi
ver=${pkg#linux-image-}
if [ ! -f "$dir/$pkg/boot/vmlinuz-$ver" ]; then
    rm -rf "$dir/$pkg" "$dir/$pkg.tmp" "$dir"/*.deb
    if ! (cd "$dir" && apt-get download "$pkg" >/dev/null 2>&1); then
        echo "vm: cannot download the Debian package $pkg: try (cd $dir && apt-get download $pkg)" >&2
        exit 1
    fi
    dpkg-deb -x "$dir/${pkg}"_*.deb "$dir/$pkg.tmp"
    rm -f "$dir"/*.deb
    mv "$dir/$pkg.tmp" "$dir/$pkg"
fi
# Stale unpacked kernels of earlier versions go.
for old in "$dir"/linux-image-*; do
    [ "$old" = "$dir/$pkg" ] || rm -rf "$old"
done
echo "$dir/$pkg"
