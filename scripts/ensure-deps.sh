#!/bin/sh
# Installs the Debian packages the build and the tests need, or, when not
# root, prints the one command that does and fails.  Checked through
# pkg-config (libraries) and command -v (tools), never by downloading.
set -u
missing=""
need_pc() { pkg-config --exists "$1" 2>/dev/null || missing="$missing $2"; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }

need_cmd pkg-config pkg-config
need_cmd cc gcc
need_cmd make make
need_pc libgit2 libgit2-dev
need_pc libpcre2-8 libpcre2-dev
need_pc yaml-0.1 libyaml-dev
need_pc libseccomp libseccomp-dev
need_pc jansson libjansson-dev
need_pc libcrypto libssl-dev
need_pc zlib zlib1g-dev
need_pc libzip libzip-dev
need_pc check check
need_cmd python3 python3
need_cmd git git
need_cmd objdump binutils   # scripts/sonames.sh
if [ "${1:-}" = test ]; then
    # Only the tests need these: report.html is checked in headless
    # Chromium, junit.xml with xmllint.
    need_cmd chromium chromium
    need_cmd xmllint libxml2-utils
    need_cmd gcovr gcovr
    need_cmd valgrind valgrind  # make valgrind
    # make vm-tests: Debian's kernel under qemu, a static busybox as its init
    need_cmd qemu-system-x86_64 qemu-system-x86
    dpkg-query -W -f '${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' ||
        missing="$missing busybox-static"
    # libFuzzer: clang 14 and its runtime (make fuzz)
    need_cmd clang clang
    ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 ||
        missing="$missing libclang-rt-14-dev"
fi
if [ "${1:-}" = lint ]; then
    # make lint (scripts/lint.sh), make format
    need_cmd cppcheck cppcheck
    need_cmd clang-tidy clang-tidy
    need_cmd clang-format clang-format
fi

[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
    echo "grader: installing missing Debian packages:$missing"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null && exit 0
    echo "grader: apt-get failed; install these packages and run make again:$missing" >&2
    exit 1
fi
echo "grader: missing Debian packages. Run this, then make again:" >&2
echo "    sudo apt-get install -y$missing" >&2
exit 1
