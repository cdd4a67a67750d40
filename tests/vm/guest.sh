#!/bin/sh
# PID 1 of the test VM after switch_root (tests/vm/init): runs guest.py,
# which writes /tmp/vm-out/log and /tmp/vm-out/verdict, then powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp/home LANG=C.UTF-8
mkdir -p "$HOME"
here=$(dirname "$0")
/usr/bin/python3 -B "$here/guest.py" --guest "$(cat /tmp/vm-out/grader-path)" /tmp/vm-out \
    >/tmp/vm-out/guest.stdout 2>&1 ||
    [ -f /tmp/vm-out/verdict ] || echo "guest.py failed before writing a verdict: $(tail -n 5 /tmp/vm-out/guest.stdout)" >/tmp/vm-out/verdict
sync
echo o >/proc/sysrq-trigger
sleep 30
