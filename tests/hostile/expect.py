"""Expected verdicts per case and mode (see GAPS.md for every "gap")."""
from driver import E, OK, verdict, truncated, equals, planted_intact, planted_modified, no_file, has_file, \
    listener_got, stderr_has, ROOT

TIMEOUT = dict(exit_code=-1, signal=9, timed_out=True)      # killed at the wall limit
CPU = dict(exit_code=-1, signal=24, timed_out=False)        # SIGXCPU at the CPU limit
CUT = dict(exit_code=-1, signal=9, timed_out=False)         # killed at the output cap

def mounted(want):
    def check(r, env):
        if r.get("_mounted") != want: return "mount on the host: %r, want %r" % (r.get("_mounted"), want)
    return check

E("busy_loop", verdict("time", **CPU), verdict("time", **CPU))
E("sleep", verdict("time", **TIMEOUT), verdict("time", **TIMEOUT))
E("stdin_read", verdict(None, R=["''"], **OK), verdict(None, R=["''"], **OK))
# 32 processes in full mode: forks fail (swallowed), the rest sleep -> wall.
# Degraded as root: no process limit at all, all 512 start (gap), wall kills them.
E("fork_bomb", verdict("time", **TIMEOUT), verdict("time", **TIMEOUT))
# full: the pids cgroup (32) refuses the 32nd task: "processes".  degraded
# (uid 0 without capabilities: RLIMIT_NPROC does not bind root, no pids
# cgroup): threads start until the 1 GiB address-space backstop (8 MiB
# stacks; MALLOC_ARENA_MAX=2 keeps arenas from eating it first), a plain
# RuntimeError with no verdict (gap).
E("thread_bomb", verdict("processes", exit_code=1, signal=0, timed_out=False, R=["threads=31 error=RuntimeError"]),
  verdict(None, exit_code=1, signal=0, timed_out=False, R_re=r"threads=(\d\d|1\d\d) error=RuntimeError"),
  [stderr_has("RuntimeError: can't start new thread")], [stderr_has("RuntimeError: can't start new thread")])
E("memory_bomb", verdict("memory", exit_code=-1, signal=9, timed_out=False),
  # degraded: only the 1 GiB RLIMIT_AS backstop; MemoryError read from stderr
  verdict("memory", exit_code=1, signal=0, timed_out=False), [], [stderr_has("MemoryError")])
# full, v1: the memory cgroup OOM-kills some children, the parent exits 0,
# the verdict is memory.  full, v2: memory.oom.group=1 makes one OOM kill
# take the whole run, the parent too (tests/vm).  degraded: 6 x 120 MB all
# succeed, no verdict (gap).
E("memory_children", verdict("memory", exit_code=0, signal=0, timed_out=False,
                             R_re=r"children=6 statuses=\[(0|9)(, (0|9)){5}\]"),
  verdict(None, R=["children=6 statuses=[0, 0, 0, 0, 0, 0]"], **OK),
  [lambda r, env: None if "9" in r["stdout"].split("statuses=")[-1] else "no child was OOM-killed"], [],
  full_v2=(verdict("memory", exit_code=-1, signal=9, timed_out=False, R=[]), []))
E("stdout_flood", verdict("output", **CUT), verdict("output", **CUT), [truncated("stdout")])
E("stderr_flood", verdict("output", **CUT), verdict("output", **CUT), [truncated("stderr")])
E("huge_line", verdict("output", **CUT), verdict("output", **CUT), [truncated("stdout")])
E("utf8_cut_flood", verdict("output", **CUT), verdict("output", **CUT), [lambda r, env: None if r["stdout_truncated"] else "not truncated"])
E("binary_output", verdict(None, **OK), verdict(None, **OK),
  # Invalid bytes and NUL reach the JSON as U+FFFD (grader/jsontext.h); the byte counts stay exact.
  [lambda r, env: None if r["stdout"] == "A\ufffdB\ufffd\ufffd\ufffd(\ufffd\ufffd\ufffd\x1b[2J\x7fZ\n" and (r["stdout_bytes"], r["stderr_bytes"]) == (17, 9) else "stdout %r" % r["stdout"]])
E("disk_fill", verdict("file-size", exit_code=1, signal=0, timed_out=False),
  verdict("file-size", exit_code=1, signal=0, timed_out=False), [stderr_has("File too large")])
# full: the work directory is a tmpfs of 10000 inodes: ENOSPC (28) at the
# 10000th, counting the directory itself.  degraded: no inode quota: files
# are created in the host's /tmp until the CPU limit (or, on a busy disk,
# the wall limit); how many varies 5k-70k with the host's load, so only the
# shape is asserted: progress lines only, nothing refused a file.
def only_progress(r, env):
    import re
    if not re.fullmatch(r"(n=\d+0000\n)*", r["stderr"]): return "stderr %r" % r["stderr"][-200:]
    if r["limit"] != "time": return "limit %r, want time" % r["limit"]
E("inode_fill", verdict(None, exit_code=1, signal=0, timed_out=False, R=["stopped at 9999 OSError"]),
  dict(R=None), [stderr_has("[Errno 28] No space left on device")], [only_progress])
# full: the minimal root has no /etc/shadow (ENOENT).  degraded: read (uid 0).
E("read_shadow", verdict(None, R=["refused 2"], **OK), verdict(None, R=["read root"], **OK))
def read_planted(r, env):
    if r["stdout"] != "R:read %s\n" % env["secret_text"]: return "stdout %r" % r["stdout"]
# full: the secret's directory is named in argv and bound read-only, but it
# is the runner's (0700) and the run's uid is not: EACCES.  degraded: read.
E("read_secret", verdict(None, R=["refused 13"], **OK), verdict(None, **OK), [planted_intact],
  [read_planted, planted_intact])
# full: the other run's files are in its own tmpfs; the host's box path
# does not exist in this run's root (ENOENT).  degraded: read and tampered
# with (gap).
def other_box(wrote):
    def check(r, env):
        if wrote: want = "R:read %s\nR:wrote\n" % env["victim_token"]
        else: want = "R:refused 2\nR:write refused 2\n"
        if r["stdout"] != want: return "stdout %r, want %r" % (r["stdout"], want)
    return check
E("read_other_box", verdict(None, **OK), verdict(None, **OK), [other_box(False)], [other_box(True)])
# full: the directory is named in argv, so the private /tmp binds it back
# read-only: EROFS (30) before Landlock is asked.
E("write_outside", verdict(None, R=["refused 30"], **OK), verdict(None, R=["wrote"], **OK),
  [no_file("escaped.txt")], [has_file("escaped.txt", "escaped\n")])
# full: both links lead into the read-only bind of the runner's 0700
# directory: EACCES before EROFS.
E("symlink_escape", verdict(None, R=["file:13 root:13"], **OK), verdict(None, R=["file:wrote root:wrote"], **OK),
  [planted_intact, no_file("../via_root.txt")],
  [planted_modified, has_file("../via_root.txt", "via-root\n")])
# Nothing survives in either mode (checked by the marker scan for every case).
E("daemon", verdict(None, R=["parent done"], **OK), verdict(None, R=["parent done"], **OK))
# full: the parent is the namespace's init (pid 1), immune: EPERM.  degraded:
# the parent is the grader's init; killing it takes the payload down (SIGKILL,
# no verdict) but the grader survives and reports.
E("kill_parent", verdict(None, R=["refused ppid=1 1", "alive"], **OK),
  # Killing init kills the payload too (PDEATHSIG), sometimes before its
  # report line is out: the line is optional, the SIGKILL is not.
  verdict(None, exit_code=-1, signal=9, timed_out=False, R_re=r"(sent ppid=\d+)?"))
E("kill_all", verdict(None, R=["refused 3", "alive"], **OK), None)
E("proc_snoop", verdict(None, R=["count=2 max=2 self=2"], **OK),
  verdict(None, exit_code=0, signal=0, timed_out=False, R_re=r"count=([3-9]|\d\d+) max=\d+ self=\d+"),
  [], [lambda r, env: None if int(r["stdout"].split("self=")[1]) > 2 else "self pid not a host pid"])
E("inherited_fds", verdict(None, R=["0,1,2"], **OK), verdict(None, R=["0,1,2"], **OK))
CLEAN = '{"HOME": "/tmp", "LANG": "C.UTF-8", "MALLOC_ARENA_MAX": "2", "PATH": "/usr/local/bin:/usr/bin:/bin"}'
E("environ", verdict(None, R=[CLEAN], **OK), verdict(None, R=[CLEAN], **OK))
E("network", verdict(None, R=["socket 97"], **OK), verdict(None, R=["connected"], **OK),
  [listener_got(0)], [listener_got(1)])
E("unshare", verdict(None, R=["1"], **OK), verdict(None, R=["ok"] if ROOT else ["1"], **OK))
# Both modes refuse it with EPERM since every capability is dropped, root or not.
E("mount", verdict(None, R=["1"], **OK), verdict(None, R=["1"], **OK),
  [mounted(False)], [mounted(False)])
E("ptrace", verdict("syscall", exit_code=-1, signal=31, timed_out=False, R=[]), verdict(None, R=["ok"], **OK))
# degraded: not blocked, fails only because stdin is /dev/null (ENOTTY).
E("tiocsti", verdict(None, R=["1"], **OK), verdict(None, R=["25"], **OK))
FAKE = 'limit: time\n{"exit_code": 137, "signal": 9, "timed_out": true, "limit": "memory"}\nMemoryError\n'
E("fake_verdict", verdict(None, **OK), verdict(None, **OK), [equals("stdout", FAKE)])
