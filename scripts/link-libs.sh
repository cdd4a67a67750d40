#!/bin/sh
# link-libs.sh PKG...: the link flags of these pkg-config packages for
# build/grader, each library linked from its static archive when one is
# installed (Debian's -dev packages ship them), else from its shared object.
#
# Why: every sandboxed run copies the grader's memory map twice (the init is
# a fork of the grader, the payload a fork of the init) and tears it down
# twice (the payload's execve, the init's exit), and `grader sandbox` also
# pays for loading and relocating each shared object.  Five shared objects
# are half of the grader's 50 mappings; linked in, `grader sandbox -- python3
# -c pass` took 0.13 to 0.33 ms less (README, Performance).  libc stays
# shared: grader/lazylib.c dlopens libgit2, libcrypto and libzip.
set -eu
cc=${CC:-cc}
flags=$(pkg-config --libs "$@")
other=
static=
shared=
for flag in $flags; do
    case $flag in
    -l*)
        path=$($cc -print-file-name="lib${flag#-l}.a")
        if [ -f "$path" ]; then
            static="$static $flag"
        else
            shared="$shared $flag"
        fi
        ;;
    *) other="$other $flag" ;;
    esac
done
[ -z "$static" ] || static=" -Wl,-Bstatic$static -Wl,-Bdynamic"
echo "$other$static$shared"
