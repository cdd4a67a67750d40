#!/bin/sh
# Prints the -D flags that tell grader/lazylib.c which sonames to dlopen:
# the ones a link with -lgit2 -lzip -lcrypto would have recorded, read from
# the .so links the -dev packages install.  Used by the Makefile,
# scripts/coverage.sh and tests/fuzz/run.sh.
set -eu
cc=${CC:-cc}
for pair in GIT2:git2 ZIP:zip CRYPTO:crypto; do
    name=${pair%%:*}
    lib=${pair#*:}
    path=$($cc -print-file-name="lib$lib.so")
    soname=
    if [ -e "$path" ]; then
        soname=$(objdump -p "$path" 2>/dev/null | sed -n 's/^ *SONAME *//p')
    fi
    if [ -z "$soname" ]; then
        echo "sonames.sh: cannot read the soname of lib$lib.so (found: $path); is its -dev package installed? (make deps)" >&2
        exit 1
    fi
    printf ' -DLAZYLIB_SONAME_%s="%s"' "$name" "$soname"
done
echo
