"""Runtime tests for sandbox/runtime/grader_probe.py.

Run with the interpreter under test (the probe and every plain run use the
same interpreter, sys.executable):

    python3 -E -s -B tests/runtime/driver.py [variant ...]

Prints one line per check ("PASS ...", "FAIL ...", "NOTE ...") and ends with
"RESULT passed=N failed=M".  Standard library only; CPython 3.8+.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PROBE = os.path.join(ROOT, "sandbox", "runtime", "grader_probe.py")
VARIANTS = os.path.join(HERE, "variants")
PY = sys.executable
VER = sys.version_info[:2]
VERSION = sys.version.split()[0]
TIMEOUT = 120

STAT_RE = re.compile(
    r"^(?P<file>.*):(?P<line>\d+): size=(?P<size>-?\d+(?:\.\d)?) (?:B|KiB|MiB|GiB|TiB)"
    r"(?: \((?P<sd>[+-]\d+(?:\.\d)?) (?:B|KiB|MiB|GiB|TiB)\))?, count=(?P<count>-?\d+)"
    r"(?: \((?P<cd>[+-]\d+)\))?(?:, average=\d+(?:\.\d)? (?:B|KiB|MiB|GiB|TiB))?\r?$")

PASSED = []
FAILED = []


def check(name, cond, detail=""):
    tag = "%s [%s]" % (name, VERSION)
    if cond:
        PASSED.append(tag)
        print("PASS %s" % tag)
    else:
        FAILED.append(tag)
        print("FAIL %s%s" % (tag, (": " + detail) if detail else ""))
    sys.stdout.flush()
    return bool(cond)


def note(msg):
    print("NOTE [%s] %s" % (VERSION, msg))


class Run(object):
    pass


def _prepare(variant, workdir, transform=None):
    os.makedirs(workdir)
    with open(os.path.join(VARIANTS, variant + ".py")) as f:
        src = f.read()
    if transform:
        src = transform(src)
    with open(os.path.join(workdir, "leaky_app.py"), "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(src)
    shutil.copy(os.path.join(VARIANTS, "helper_mod.py"), workdir)
    return src


def run_plain(variant, base, transform=None):
    d = os.path.join(base, "plain")
    r = Run()
    r.src = _prepare(variant, d, transform)
    r.dir = d
    env = dict(os.environ)
    env.pop("PYTHONTRACEMALLOC", None)
    p = subprocess.run([PY, "-E", "-s", "-B", "leaky_app.py"], cwd=d, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    r.status = p.returncode
    r.stdout = p.stdout.decode("utf-8", "replace")
    r.stderr = p.stderr.decode("utf-8", "replace")
    return r


def run_probe(variant, base, transform=None, extra_env=None, preexec=None):
    """The C grader's invocation: fd 3 is the write end of a pipe, the
    token is random hex, cwd holds leaky_app.py."""
    d = os.path.join(base, "probe")
    r = Run()
    r.src = _prepare(variant, d, transform)
    r.dir = d
    r.token = os.urandom(8).hex()
    rfd, wfd = os.pipe()
    env = dict(os.environ)
    env.pop("PYTHONTRACEMALLOC", None)
    env["GRADER_PROBE_FD"] = "3"
    env["GRADER_PROBE_TOKEN"] = r.token
    if extra_env:
        env.update(extra_env)
    # only fd 3 is passed on, like the grader does
    cmd = ["/bin/sh", "-c", 'exec 3>&%d %d>&-; exec "$@"' % (wfd, wfd), "sh",
           PY, "-E", "-s", "-B", PROBE, "leaky_app.py"]
    chunks = []

    def reader():
        while True:
            b = os.read(rfd, 65536)
            if not b:
                break
            chunks.append(b)

    t = threading.Thread(target=reader)
    t.daemon = True
    p = subprocess.Popen(cmd, cwd=d, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, pass_fds=(wfd,), preexec_fn=preexec)
    os.close(wfd)
    t.start()
    try:
        out, err = p.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    t.join(TIMEOUT)
    os.close(rfd)
    r.status = p.returncode
    r.stdout = out.decode("utf-8", "replace")
    r.stderr = err.decode("utf-8", "replace")
    r.raw = b"".join(chunks)
    r.lines = r.raw.split(b"\n")
    r.record_lines = [l for l in r.lines if l.startswith(b"GRADER-PROBE ")]
    r.rec = None
    mine = [l for l in r.record_lines if l.startswith(("GRADER-PROBE %s " % r.token).encode())]
    if len(mine) == 1:
        try:
            r.rec = json.loads(mine[0].split(b" ", 2)[2].decode("ascii"))
        except (ValueError, UnicodeDecodeError) as e:
            r.rec_error = str(e)
    return r


def line_of(src, marker, nth=1):
    k = 0
    for i, l in enumerate(src.splitlines(), 1):
        if marker in l:
            k += 1
            if k == nth:
                return i
    raise AssertionError("marker %r not in variant" % marker)


def stat_lines(text, basename="leaky_app.py"):
    out = []
    for l in text.splitlines():
        m = STAT_RE.match(l)
        if m and m.group("file").endswith(basename):
            out.append((l, m))
    return out


UNIT = {"B": 1, "KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3, "TiB": 1024 ** 4}


def parse_stats(text):
    """line -> (size_diff bytes, count_diff, count) for the script's lines."""
    out = {}
    for l in text.splitlines():
        m = re.match(r"^(?P<file>.*):(?P<line>\d+): size=(?P<size>\d+(?:\.\d)?) (?P<su>\w+)"
                     r"(?: \((?P<sd>[+-]\d+(?:\.\d)?) (?P<sdu>\w+)\))?, count=(?P<count>\d+)"
                     r"(?: \((?P<cd>[+-]\d+)\))?", l)
        if not m or not m.group("file").endswith("leaky_app.py") or not STAT_RE.match(l):
            continue
        sd = float(m.group("sd")) * UNIT[m.group("sdu")] if m.group("sd") else 0.0
        cd = int(m.group("cd")) if m.group("cd") else 0
        out[int(m.group("line"))] = (sd, cd, int(m.group("count")))
    return out


# One block that sits in a free list (a tuple of a type call's arguments, a
# dict, or on <= 3.10 a frame) is traced on whichever line first needed it
# when the free list was empty, and is released by the next full
# gc.collect().  Whether that happens depends on the interpreter's free-list
# stock, which any extra import changes (even `import signal` at the top of
# the unprobed script moves it).  Such single-block differences are reported
# as NOTEs; anything larger is a failure.
ARTIFACT_BYTES = 64 if VER >= (3, 11) else 640   # a frame: up to 608 B (take_snapshot's own, 3.8/3.9)


def classify(plain_text, probe_text):
    a, b = parse_stats(plain_text), parse_stats(probe_text)
    hard, soft = {}, {}
    for ln in sorted(set(a) | set(b)):
        pa = a.get(ln, (0.0, 0, None))
        pb = b.get(ln, (0.0, 0, None))
        sa = (sgn(pa[0]), sgn(pa[1]), pa[2] == 0 if pa[2] is not None else None)
        sb = (sgn(pb[0]), sgn(pb[1]), pb[2] == 0 if pb[2] is not None else None)
        if ln in a and ln in b and sa == sb:
            continue
        if ln not in a or ln not in b:
            if sa[:2] == sb[:2]:
                continue
        if abs(pa[1] - pb[1]) <= 1 and abs(pa[0] - pb[0]) <= ARTIFACT_BYTES:
            soft[ln] = (pa, pb)
        else:
            hard[ln] = (pa, pb)
    return hard, soft


def sgn(s):
    if s is None:
        return None
    v = float(s)
    return (v > 0) - (v < 0)


def signatures(text):
    sig = {}
    for l, m in stat_lines(text):
        sig[int(m.group("line"))] = (sgn(m.group("sd")), sgn(m.group("cd")), int(m.group("count")) == 0)
    return sig


def non_stat(text):
    return [l for l in text.splitlines() if not STAT_RE.match(l)]


def instances(rec, cls):
    return [i for i in rec["instances"] if i["class"] == cls]


# ---------------------------------------------------------------------------
# Checks shared by every variant
# ---------------------------------------------------------------------------
def common(name, pr, expect_status=0):
    ok = check("%s: exactly one record with the token" % name, pr.rec is not None,
               "records=%r stderr=%s" % ([l[:80] for l in pr.record_lines], pr.stderr[-400:]))
    if not ok:
        return False
    rec = pr.rec
    check("%s: record fields" % name,
          rec.get("probe_version") == 1 and rec.get("token") == pr.token
          and rec["python"]["version"] == VERSION and rec["python"]["implementation"] == "cpython"
          and rec["script"] == "leaky_app.py", json.dumps(rec)[:300])
    check("%s: process exit status %d" % (name, expect_status), pr.status == expect_status,
          "status=%r stderr=%s" % (pr.status, pr.stderr[-300:]))
    check("%s: exit_code in record" % name, rec["exit_code"] == expect_status,
          "exit_code=%r" % rec["exit_code"])
    check("%s: no probe errors" % name, rec.get("probe_errors") == [], repr(rec.get("probe_errors")))
    check("%s: no probe frames in stderr" % name,
          "grader_probe" not in pr.stderr and "probe_core" not in pr.stderr, pr.stderr[-500:])
    return True


def reports_cover_printed(name, pr, expect=True):
    printed = [l for l, m in stat_lines(pr.stdout)]
    missing = [l for l in printed if l not in pr.rec["reports"]]
    if expect:
        check("%s: every printed statistic line of the script is in reports" % name,
              printed and not missing, "missing=%r" % missing[:3])
    else:
        check("%s: fabricated statistic lines are not in reports" % name,
              printed and missing, "printed=%r" % printed[:3])


def compare_with_plain(name, pl, pr, strict):
    """The probe must not change what the report says about the student's
    lines, in sign terms: (sign of size diff, sign of count diff, count==0).
    Single free-list blocks (see ARTIFACT_BYTES) are NOTEs."""
    a, b = signatures(pl.stdout), signatures(pr.stdout)
    hard, soft = classify(pl.stdout, pr.stdout)
    common_lines = sorted(set(a) & set(b))
    diff = [(ln, a[ln], b[ln]) for ln in common_lines if a[ln] != b[ln] and ln not in soft]
    check("%s: student lines printed by both runs have the same signs" % name, not diff,
          "line, plain, probed: %r" % diff)
    if soft:
        note("%s: single free-list block differences (line: plain, probed as "
             "(size diff, count diff, count)): %r" % (name, soft))
    # A line whose memory did not change (+0 B, +0) says nothing about what
    # was released; whether it makes the end of a top 10 is the luck of the
    # order, which one more line of tracemalloc.py or of the probe changes.
    moved = lambda sig: sig[0] != 0 or sig[1] != 0
    only = (sorted(ln for ln in set(a) - set(b) - set(soft) if moved(a[ln])),
            sorted(ln for ln in set(b) - set(a) - set(soft) if moved(b[ln])))
    if strict:
        check("%s: same student lines in the printed report as the plain run" % name,
              only == ([], []), "only plain=%r only probed=%r" % only)
    elif only != ([], []):
        note("%s: printed top 10 differs from the plain run in membership: only plain=%r "
             "only probed=%r (probe lines outrank them)" % (name, only[0], only[1]))
    check("%s: non-statistic stdout identical to the plain run" % name,
          non_stat(pl.stdout) == non_stat(pr.stdout),
          "plain=%r probed=%r" % (non_stat(pl.stdout)[:6], non_stat(pr.stdout)[:6]))


def full_report(src):
    return src.replace("top_stats[:10]", "top_stats").replace(
        "compare_to(snapshot1, 'lineno')[:10]", "compare_to(snapshot1, 'lineno')")


# ---------------------------------------------------------------------------
# Variants
# ---------------------------------------------------------------------------
STRICT = VER >= (3, 11)


def t_leak(base, name="leak"):
    pl = run_plain(name, base)
    pr = run_probe(name, base)
    if not common(name, pr):
        return
    rec, src = pr.rec, pr.src
    check("%s: completed" % name, rec["completed"] is True and rec["exception"] is None)
    no_attempts(name, rec)
    check("%s: Game alive at snapshot 2" % name, rec["game_alive_at_snapshot2"] is True)
    chain = rec["kept_alive"][0]["chain"] if rec["kept_alive"] else ""
    check("%s: chain names player and game" % name,
          chain.startswith("local variable 'player' in run_game() -> Player 'Player-4'")
          and "attribute 'game'" in chain and chain.endswith("Game 'The Big Game'"), chain)
    ob = rec["observed"]
    check("%s: observed: the script's Players hold their Game strongly, on a cycle" % name,
          ob["weak_link"] is False and ob["no_cycle"] is False and ob["freed"] is False
          and ob["game_holds_players"] is True and ob["players_reach_game"] is True
          and ob["snapshots"][0]["objects_on_a_cycle"] == 6 and ob["snapshots"][0]["a_player_holds_a_game"] is True
          and "Player 'Player-0' -> attribute 'game' -> Game 'The Big Game'" in ob["detail"], json.dumps(ob))
    check("%s: 5 Players created and alive at snapshot 1" % name,
          rec["players_created_before_snapshot1"] == 5 and rec["players_alive_at_snapshot1"] == 5)
    s1 = rec["snapshots"][0] if rec["snapshots"] else {}
    check("%s: snapshot 1 line and live counts" % name,
          s1.get("line") == line_of(src, "snapshot1 = tracemalloc.take_snapshot()")
          and s1.get("live") == {"Game": 1, "Player": 5}, json.dumps(s1)[:300])
    refs = s1["games"][0]["referrers"] if s1.get("games") else []
    check("%s: snapshot 1 referrers are the Players' game attributes" % name,
          "Player 'Player-0' attribute 'game'" in refs and len(refs) == 5, repr(refs))
    games = instances(rec, "Game")
    check("%s: Game instance recorded with its line" % name,
          len(games) == 1 and games[0]["created_line"] == line_of(src, 'game = Game(')
          and games[0]["label"] == "Game 'The Big Game'", repr(games))
    check("%s: Game freed only at exit" % name,
          rec["game_freed"] is not None and rec["game_freed"]["how"] == "exit", repr(rec["game_freed"]))
    check("%s: nothing tampered, gc state normal" % name,
          rec["tampered"] == [] and dict(rec["gc_state"], frozen_by_probe=None) == {
              "enabled": True, "debug_saveall": False, "garbage": 0, "frozen": BASE_FROZEN, "frozen_by_probe": None}
          and rec["gc_state"]["frozen_by_probe"] > 1000,
          "%r %r (bare interpreter: frozen=%r)" % (rec["tampered"], rec["gc_state"], BASE_FROZEN))
    reports_cover_printed(name, pr)
    compare_with_plain(name, pl, pr, STRICT)
    return pr


def _weak_fix(base, name):
    pl = run_plain(name, base)
    pr = run_probe(name, base)
    if not common(name, pr):
        return
    rec, src = pr.rec, pr.src
    no_attempts(name, rec)
    gf = rec["game_freed"] or {}
    check("%s: Game freed by refcount at `del game`, phase 1" % name,
          gf.get("how") == "refcount" and gf.get("line") == line_of(src, "del game")
          and gf.get("phase") == 1 and gf.get("function") == "run_game", repr(gf))
    check("%s: Game not alive at snapshot 2, no chain" % name,
          rec["game_alive_at_snapshot2"] is False and rec["kept_alive"] == [])
    players = instances(rec, "Player")
    early = [p for p in players[:4] if (p["freed"] or {}).get("how") == "refcount"
             and p["freed"]["line"] == line_of(src, "del game") and p["freed"]["phase"] == 1]
    check("%s: Players 0-3 freed with the Game" % name, len(early) == 4, repr(players))
    check("%s: last Player survives snapshot 2 (held by `player`)" % name,
          players and players[4]["freed"] is not None and players[4]["freed"]["phase"] == 2,
          repr(players[4:] if players else None))
    s2 = rec["snapshots"][1] if len(rec["snapshots"]) > 1 else {}
    check("%s: snapshot 2 live counts" % name, s2.get("live") == {"Game": 0, "Player": 1},
          json.dumps(s2))
    ob = rec["observed"]
    check("%s: observed all true" % name,
          ob["weak_link"] is True and ob["no_cycle"] is True and ob["freed"] is True
          and ob["players_reach_game"] is True and ob["game_holds_players"] is True
          and ob["freed_by_collector"] == 0 and ob["not_judged"] is None, json.dumps(ob))
    reports_cover_printed(name, pr)
    compare_with_plain(name, pl, pr, STRICT)


def t_weakref_fix(base):
    _weak_fix(base, "weakref_fix")


def t_proxy_fix(base):
    _weak_fix(base, "proxy_fix")


def t_del_player(base):
    name = "del_player"
    pl = run_plain(name, base)
    pr = run_probe(name, base)
    if not common(name, pr):
        return
    rec, src = pr.rec, pr.src
    gf = rec["game_freed"] or {}
    check("%s: Game freed by the collector in gc.collect(), phase 1" % name,
          gf.get("how") == "collector" and gf.get("line") == line_of(src, "gc.collect()")
          and gf.get("phase") == 1, repr(gf))
    check("%s: Game not alive at snapshot 2" % name, rec["game_alive_at_snapshot2"] is False)
    check("%s: all Players freed by the collector" % name,
          all((p["freed"] or {}).get("how") == "collector" for p in instances(rec, "Player")))
    ob = rec["observed"]
    check("%s: observed: cycle at snapshot 1, freed by the collector before snapshot 2" % name,
          ob["weak_link"] is False and ob["no_cycle"] is False and ob["freed"] is True
          and ob["freed_by_collector"] == 6, json.dumps(ob))
    reports_cover_printed(name, pr)
    compare_with_plain(name, pl, pr, STRICT)


def t_clear_players(base):
    name = "clear_players"
    pl = run_plain(name, base)
    pr = run_probe(name, base)
    if not common(name, pr):
        return
    rec, src = pr.rec, pr.src
    check("%s: Game alive at snapshot 2" % name, rec["game_alive_at_snapshot2"] is True)
    chain = rec["kept_alive"][0]["chain"] if rec["kept_alive"] else ""
    check("%s: chain through the last player" % name,
          "'player'" in chain and "attribute 'game'" in chain, chain)
    players = instances(rec, "Player")
    ln = line_of(src, "game.players.clear()")
    check("%s: Players 0-3 freed by refcount at clear()" % name,
          all((p["freed"] or {}).get("how") == "refcount" and p["freed"]["line"] == ln
              and p["freed"]["phase"] == 1 for p in players[:4]), repr(players))
    s2 = rec["snapshots"][1] if len(rec["snapshots"]) > 1 else {}
    check("%s: snapshot 2 live counts" % name, s2.get("live") == {"Game": 1, "Player": 1})
    reports_cover_printed(name, pr)
    compare_with_plain(name, pl, pr, STRICT)


def t_weakset(base):
    name = "weakset"
    pl = run_plain(name, base)
    pr = run_probe(name, base)
    if not common(name, pr):
        return
    rec, src = pr.rec, pr.src
    check("%s: 5 Players created, 1 alive at snapshot 1" % name,
          rec["players_created_before_snapshot1"] == 5 and rec["players_alive_at_snapshot1"] == 1,
          "%r %r" % (rec["players_created_before_snapshot1"], rec["players_alive_at_snapshot1"]))
    ln = line_of(src, "player = Player(")
    players = instances(rec, "Player")
    check("%s: Players 0-3 died in the loop (phase 0, refcount)" % name,
          all((p["freed"] or {}).get("how") == "refcount" and p["freed"]["phase"] == 0
              and p["freed"]["line"] == ln for p in players[:4]), repr(players))
    check("%s: Game alive at snapshot 2" % name, rec["game_alive_at_snapshot2"] is True)
    ob = rec["observed"]
    check("%s: observed: the live Player holds its Game, which does not hold it (a WeakSet)" % name,
          ob["game_holds_players"] is False and ob["weak_link"] is False, json.dumps(ob))
    reports_cover_printed(name, pr)
    compare_with_plain(name, pl, pr, STRICT)


def t_player_del(base):
    name = "player_del"
    pl = run_plain(name, base)
    pr = run_probe(name, base)
    if not common(name, pr):
        return
    rec = pr.rec
    check("%s: Game alive at snapshot 2" % name, rec["game_alive_at_snapshot2"] is True)
    chain = rec["kept_alive"][0]["chain"] if rec["kept_alive"] else ""
    check("%s: chain through the last player" % name, "'player'" in chain and "'game'" in chain, chain)
    check("%s: observed: a Player holds its Game strongly" % name, rec["observed"]["weak_link"] is False,
          json.dumps(rec["observed"]))
    dels_plain = sorted(l for l in pl.stdout.splitlines() if l.endswith(" deleted"))
    dels_probe = sorted(l for l in pr.stdout.splitlines() if l.endswith(" deleted"))
    check("%s: __del__ output at exit as in the plain run" % name,
          dels_plain == dels_probe and len(dels_plain) == 5, "%r %r" % (dels_plain, dels_probe))
    reports_cover_printed(name, pr)
    compare_with_plain(name, pl, pr, STRICT)


def t_module_leak(base):
    name = "module_leak"
    pl = run_plain(name, base)
    pr = run_probe(name, base)
    if not common(name, pr):
        return
    rec = pr.rec
    check("%s: Game alive at snapshot 2" % name, rec["game_alive_at_snapshot2"] is True)
    chain = rec["kept_alive"][0]["chain"] if rec["kept_alive"] else ""
    check("%s: chain from the global player" % name,
          chain == "global variable 'player' of module __main__ -> Player 'Player 4' -> "
                   "attribute 'game' -> Game 'The Big Game'", chain)
    refs = rec["snapshots"][0]["games"][0]["referrers"] if rec["snapshots"] else []
    check("%s: global game is a referrer at snapshot 1" % name,
          "global variable 'game' of module __main__" in refs, repr(refs))
    reports_cover_printed(name, pr)
    compare_with_plain(name, pl, pr, STRICT)


def t_module_fix(base):
    name = "module_fix"
    pl = run_plain(name, base)
    pr = run_probe(name, base)
    if not common(name, pr):
        return
    rec, src = pr.rec, pr.src
    no_attempts(name, rec)
    gf = rec["game_freed"] or {}
    check("%s: Game freed by refcount at `del game` (module level)" % name,
          gf.get("how") == "refcount" and gf.get("line") == line_of(src, "del game")
          and gf.get("phase") == 1 and gf.get("function") == "<module>", repr(gf))
    check("%s: Game not alive at snapshot 2" % name, rec["game_alive_at_snapshot2"] is False)
    last = instances(rec, "Player")[-1]
    check("%s: global player's Player freed at exit" % name,
          (last["freed"] or {}).get("how") == "exit", repr(last))
    ob = rec["observed"]
    check("%s: observed all true (module level)" % name,
          ob["weak_link"] is True and ob["no_cycle"] is True and ob["freed"] is True
          and ob["players_reach_game"] is True and ob["game_holds_players"] is True, json.dumps(ob))
    reports_cover_printed(name, pr)
    compare_with_plain(name, pl, pr, STRICT)


def _same_stderr(name, pl, pr):
    a = pl.stderr.replace(pl.dir, "<dir>")
    b = pr.stderr.replace(pr.dir, "<dir>")
    check("%s: stderr identical to the plain run" % name, a == b, "plain=%r\nprobed=%r" % (a, b))


def t_crash_fix(base):
    name = "crash_fix"
    pl = run_plain(name, base)
    pr = run_probe(name, base)
    if not common(name, pr, expect_status=1):
        return
    rec, src = pr.rec, pr.src
    ex = rec["exception"] or {}
    check("%s: AttributeError with file and line" % name,
          ex.get("type") == "AttributeError" and ex.get("file") == "leaky_app.py"
          and ex.get("line") == line_of(src, "player.game.name")
          and ex.get("function") == "run_game" and "name" in (ex.get("message") or ""), repr(ex))
    check("%s: not completed" % name, rec["completed"] is False and rec["exit_reason"] == "exception")
    check("%s: plain run fails the same way" % name, pl.status == 1)
    _same_stderr(name, pl, pr)
    ob = rec["observed"]
    check("%s: not judged, with the one cause" % name,
          ob["weak_link"] is None and ob["no_cycle"] is None and ob["snapshots"] == []
          and "AttributeError at line %d" % line_of(src, "player.game.name") in (ob["not_judged"] or ""),
          json.dumps(ob))


def t_syntax_error(base):
    name = "syntax_error"
    pl = run_plain(name, base)
    pr = run_probe(name, base)
    if not common(name, pr, expect_status=1):
        return
    rec, src = pr.rec, pr.src
    ex = rec["exception"] or {}
    m = re.search(r'File ".*leaky_app\.py", line (\d+)', pl.stderr)
    check("%s: SyntaxError with the line Python reports" % name,
          ex.get("type") == "SyntaxError" and ex.get("file") == "leaky_app.py" and m
          and ex.get("line") == int(m.group(1))
          and abs(ex["line"] - line_of(src, "weakref.ref(game")) <= 2, repr(ex))
    check("%s: nothing ran" % name, rec["completed"] is False and rec["classes"]["found"] == []
          and rec["instances"] == [] and rec["observed"]["weak_link"] is None
          and "SyntaxError" in (rec["observed"]["not_judged"] or ""))
    _same_stderr(name, pl, pr)


def t_tamper(base):
    name = "tamper"
    pr = run_probe(name, base)
    if not common(name, pr):
        return
    rec = pr.rec
    check("%s: replaced gc.collect and tracemalloc.take_snapshot reported" % name,
          "gc.collect" in rec["tampered"] and "tracemalloc.take_snapshot" in rec["tampered"],
          repr(rec["tampered"]))
    check("%s: snapshots still recorded" % name, rec["snapshots_taken"] == 2)
    check("%s: still a leak" % name, rec["game_alive_at_snapshot2"] is True)
    reports_cover_printed(name, pr)


def t_fabricated(base):
    name = "fabricated"
    pr = run_probe(name, base)
    if not common(name, pr):
        return
    reports_cover_printed(name, pr, expect=False)
    check("%s: the real verdict is a leak" % name, pr.rec["game_alive_at_snapshot2"] is True)


def t_junk_fds(base):
    name = "junk_fds"
    pl = run_plain(name, base)
    pr = run_probe(name, base)
    check("%s: the fd carries exactly one GRADER-PROBE line, ours" % name,
          len(pr.record_lines) == 1 and pr.rec is not None,
          "lines=%r" % [l[:60] for l in pr.lines if l][:5])
    if not common(name, pr):
        return
    check("%s: fake records stay on stdout/stderr" % name,
          pr.stdout.count("GRADER-PROBE deadbeef") == 2 and pr.stderr.count("GRADER-PROBE deadbeef") == 2)
    check("%s: verdict unaffected" % name, pr.rec["game_alive_at_snapshot2"] is True
          and pr.rec["completed"] is True)
    compare_with_plain(name, pl, pr, STRICT)


def t_sys_exit(base):
    name = "sys_exit"
    pr = run_probe(name, base)
    if not common(name, pr, expect_status=3):
        return
    rec = pr.rec
    check("%s: SystemExit code preserved, no exception" % name,
          rec["exit_reason"] == "system_exit" and rec["exception"] is None
          and rec["completed"] is False and rec["snapshots_taken"] == 2)


def t_os_exit(base):
    name = "os_exit"
    pl = run_plain(name, base)
    pr = run_probe(name, base)
    if not common(name, pr, expect_status=4):
        return
    rec = pr.rec
    check("%s: record written before os._exit" % name,
          rec["exit_reason"] == "os_exit" and rec["snapshots_taken"] == 2
          and rec["observed"]["freed"] is False and rec["game_alive_at_snapshot2"] is True)
    check("%s: stdout as in the plain run" % name, non_stat(pl.stdout) == non_stat(pr.stdout))


def t_dataclass_leak(base):
    name = "dataclass_leak"
    pl = run_plain(name, base)
    pr = run_probe(name, base)
    if not common(name, pr):
        return
    rec = pr.rec
    check("%s: instances found although __init__ was added by @dataclass" % name,
          len(instances(rec, "Game")) == 1 and len(instances(rec, "Player")) == 5
          and rec["players_created_before_snapshot1"] == 5, repr(rec["instances"])[:300])
    check("%s: Game alive at snapshot 2" % name, rec["game_alive_at_snapshot2"] is True)
    check("%s: observed: a Player holds its Game strongly" % name, rec["observed"]["weak_link"] is False,
          json.dumps(rec["observed"]))
    reports_cover_printed(name, pr)
    compare_with_plain(name, pl, pr, STRICT)


def t_sibling_import(base):
    name = "sibling_import"
    pl = run_plain(name, base)
    pr = run_probe(name, base)
    if not common(name, pr):
        return
    check("%s: stdout identical to the plain run" % name, pl.stdout == pr.stdout,
          "plain=%r probed=%r" % (pl.stdout, pr.stdout))
    check("%s: argv, sys.path[0], __main__, env" % name,
          "argv: ['leaky_app.py']" in pr.stdout and "path0 is script dir: True" in pr.stdout
          and "name: __main__ file: leaky_app.py" in pr.stdout and "helper: 42" in pr.stdout
          and "env clean: True" in pr.stdout, pr.stdout)
    rec = pr.rec
    games = instances(rec, "Game")
    check("%s: instances created in a sibling module are attributed to the student's call" % name,
          len(games) == 1 and len(instances(rec, "Player")) == 3
          and games[0]["created_line"] == line_of(pr.src, "g = make_players("), repr(games))


def t_init_error(base):
    name = "init_error"
    pl = run_plain(name, base)
    pr = run_probe(name, base)
    if not common(name, pr, expect_status=1):
        return
    ex = pr.rec["exception"] or {}
    check("%s: error inside Player.__init__ located" % name,
          ex.get("type") == "AttributeError" and ex.get("function") == "__init__"
          and ex.get("line") == line_of(pr.src, "game.owner"), repr(ex))
    _same_stderr(name, pl, pr)
    check("%s: the Game was recorded" % name, len(instances(pr.rec, "Game")) == 1)


def t_gc_saveall(base):
    name = "gc_saveall"
    pr = run_probe(name, base)
    if not common(name, pr):
        return
    rec = pr.rec
    gs = rec["gc_state"]
    check("%s: DEBUG_SAVEALL and gc.garbage reported" % name,
          gs["debug_saveall"] is True and gs["garbage"] >= 6, repr(gs))
    s2 = rec["snapshots"][1] if len(rec["snapshots"]) > 1 else {}
    check("%s: snapshot 2 counts the instances kept in gc.garbage" % name,
          s2.get("in_gc_garbage") == {"Game": 1, "Player": 5}, json.dumps(s2))
    gf = rec["game_freed"] or {}
    check("%s: weak references cleared by the collector" % name,
          gf.get("how") == "collector" and gf.get("line") == line_of(pr.src, "gc.collect()"),
          repr(gf))


def t_slots_leak(base):
    name = "slots_leak"
    pl = run_plain(name, base)
    pr = run_probe(name, base)
    if not common(name, pr):
        return
    rec = pr.rec
    players = instances(rec, "Player")
    check("%s: Players without __weakref__ are listed as untracked" % name,
          len(players) == 5 and all(p["tracked"] is False and p["freed"] is None for p in players)
          and players[4]["label"] == "Player 'Player-4'", repr(players)[:300])
    check("%s: Game alive at snapshot 2" % name, rec["game_alive_at_snapshot2"] is True)
    chain = rec["kept_alive"][0]["chain"] if rec["kept_alive"] else ""
    check("%s: chain through the slot" % name,
          chain == "local variable 'player' in run_game() -> Player 'Player-4' -> "
                   "attribute 'game' -> Game 'The Big Game'", chain)
    compare_with_plain(name, pl, pr, STRICT)


def t_many_instances(base):
    """10040 instances, 20 snapshots with 10-frame tracebacks: the record
    stays well under the grader's 256 KiB channel limit."""
    name = "many_instances"
    pr = run_probe(name, base)
    if not common(name, pr):
        return
    rec = pr.rec
    size = len(pr.record_lines[0])
    check("%s: record bounded (%d bytes)" % (name, size), size < 220 * 1024)
    check("%s: instances listed and dropped add up" % name,
          len(rec["instances"]) == 300 and rec["instances_dropped"] == 10040 - 300
          and len(instances(rec, "Game")) == 40,
          "%d listed (%d games), %d dropped" % (len(rec["instances"]),
                                                len(instances(rec, "Game")),
                                                rec["instances_dropped"]))
    check("%s: 16 snapshots listed of 20" % name,
          len(rec["snapshots"]) == 16 and rec["snapshots_taken"] == 20,
          "%d %d" % (len(rec["snapshots"]), rec["snapshots_taken"]))
    s1 = rec["snapshots"][0] if rec["snapshots"] else {}
    check("%s: live counts beyond the tracked rows are not invented" % name,
          s1.get("live", {}).get("Game") == 40, json.dumps(s1.get("live")))
    check("%s: at most 8 chains, all through the games list" % name,
          0 < len(rec["kept_alive"]) <= 8
          and all("local variable 'games' in run_game() -> list" in k["chain"]
                  for k in rec["kept_alive"]), repr(rec["kept_alive"][:2]))
    check("%s: still a leak" % name, rec["game_alive_at_snapshot2"] is True)


def t_full_reports(base):
    """Every statistic line of the student's file (not just the top 10) has
    the same signs with and without the probe."""
    for name in ("leak", "weakref_fix", "proxy_fix", "del_player", "clear_players", "weakset",
                 "module_leak", "module_fix"):
        b = os.path.join(base, name)
        pl = run_plain(name, b, full_report)
        pr = run_probe(name, b, full_report)
        if pr.rec is None:
            check("full report %s: record" % name, False)
            continue
        hard, soft = classify(pl.stdout, pr.stdout)
        check("full report %s: every student line has the same signs as the plain run" % name,
              not hard, "line: (plain, probed) as (size diff, count diff, count): %r" % hard)
        if soft:
            note("full report %s: single free-list block differences: %r" % (name, soft))
        games = [i["created_line"] for i in pr.rec["instances"] if i["class"] == "Game"]
        creation = set(games + [i["created_line"] for i in pr.rec["instances"]
                                if i["class"] == "Player"])
        a, c = signatures(pl.stdout), signatures(pr.stdout)
        bad = {ln: (a.get(ln), c.get(ln)) for ln in creation
               if ln is not None and a.get(ln) != c.get(ln) and ln not in soft}
        check("full report %s: Game()/Player() lines identical in signs" % name, not bad, repr(bad))


def t_bad_env(base):
    """Without GRADER_PROBE_FD the probe refuses to run (exit 2)."""
    d = os.path.join(base, "noenv")
    _prepare("leak", d)
    env = dict(os.environ)
    env.pop("GRADER_PROBE_FD", None)
    env.pop("GRADER_PROBE_TOKEN", None)
    p = subprocess.run([PY, "-E", "-s", "-B", PROBE, "leaky_app.py"], cwd=d, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    check("bad env: exit 2 with a message", p.returncode == 2 and b"GRADER_PROBE_FD" in p.stderr,
          repr((p.returncode, p.stderr[-200:])))
    env["GRADER_PROBE_FD"] = "9"
    env["GRADER_PROBE_TOKEN"] = "ab"
    p = subprocess.run([PY, "-E", "-s", "-B", PROBE, "leaky_app.py"], cwd=d, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    check("bad env: a closed GRADER_PROBE_FD is named", p.returncode == 2
          and b"GRADER_PROBE_FD 9 is not open" in p.stderr, repr((p.returncode, p.stderr[-200:])))
    # With 20 descriptors allowed, the record's descriptor moves to 11, the
    # last place tried above the standard ones.
    import resource

    def few_fds():
        resource.setrlimit(resource.RLIMIT_NOFILE, (20, 20))
    pr = run_probe("leak", os.path.join(base, "fewfds"), preexec=few_fds)
    if common("bad env: 20 descriptors", pr):
        check("bad env: 20 descriptors: the record is complete", pr.rec["snapshots_taken"] == 2,
              repr(pr.rec["snapshots_taken"]))


def t_classes_env(base):
    """GRADER_PROBE_CLASSES renames the classes the probe looks at."""
    name = "leak"
    rename = (lambda s: s.replace("Game", "Match").replace("Player", "Gamer"))
    pr = run_probe(name, base, rename, {"GRADER_PROBE_CLASSES": "Match,Gamer"})
    if not common("classes env", pr):
        return
    rec = pr.rec
    check("classes env: renamed classes found and judged",
          rec["classes"] == {"game": "Match", "player": "Gamer", "found": ["Match", "Gamer"]}
          and len(instances(rec, "Match")) == 1 and rec["game_alive_at_snapshot2"] is True
          and rec["observed"]["weak_link"] is False, json.dumps(rec["classes"]))


# ---------------------------------------------------------------------------
# Audit hook: what the submission attempts (PROTOCOL.md 4.2)
# ---------------------------------------------------------------------------
def no_attempts(name, rec):
    check("%s: no attempts recorded" % name,
          rec.get("attempts") == [] and rec.get("attempts_dropped") == 0
          and rec.get("attempts_blocking") == [],
          repr((rec.get("attempts"), rec.get("attempts_dropped"), rec.get("attempts_blocking"))))


def find_attempt(rec, event, detail):
    for a in rec.get("attempts") or []:
        if a["event"] == event and a["detail"] == detail:
            return a
    return None


def _weak_verdict(name, pr):
    gf = pr.rec["game_freed"] or {}
    check("%s: weakref-fix verdict unchanged" % name,
          pr.rec["completed"] is True and gf.get("how") == "refcount"
          and gf.get("line") == line_of(pr.src, "del game")
          and pr.rec["game_alive_at_snapshot2"] is False, repr(gf))


def _attempt_test(base, name, category, expected, block_stdout, plain_compare=True):
    """expected: [(event, detail, marker of the student's line)];
    block_stdout: lines the blocked run must print."""
    pl = run_plain(name, base) if plain_compare else None
    pr = run_probe(name, base)
    if not common(name, pr):
        return
    rec = pr.rec
    for event, detail, marker in expected:
        a = find_attempt(rec, event, detail)
        check("%s: %s attempt recorded with category and line" % (name, event),
              a is not None and a["category"] == category and a["blocked"] is False
              and a["line"] == line_of(pr.src, marker),
              "%r" % rec.get("attempts"))
    check("%s: nothing blocked by default" % name,
          rec["attempts_blocking"] == [] and not any(a["blocked"] for a in rec["attempts"])
          and rec["attempts_dropped"] == 0, repr(rec["attempts"]))
    _weak_verdict(name, pr)
    if plain_compare:
        compare_with_plain(name, pl, pr, STRICT)
    # the same run with the category blocked
    bn = "%s blocked" % name
    pb = run_probe(name, os.path.join(base, "blocked"), extra_env={"GRADER_PROBE_BLOCK": category})
    if not common(bn, pb):
        return
    rec = pb.rec
    mine = [a for a in rec["attempts"] if a["category"] == category]
    check("%s: the submission saw PermissionError 'blocked by the grader'" % bn,
          all(l in pb.stdout for l in block_stdout), pb.stdout[:600])
    check("%s: attempts recorded as blocked" % bn,
          mine and all(a["blocked"] is True for a in mine)
          and all(a["blocked"] is False for a in rec["attempts"] if a["category"] != category)
          and rec["attempts_blocking"] == [category], repr(rec["attempts"]))
    check("%s: the blocked attempt keeps its line" % bn,
          mine and mine[0]["line"] == line_of(pb.src, expected[0][2]), repr(mine[:1]))
    _weak_verdict(bn, pb)


def t_net_attempt(base):
    _attempt_test(base, "net_attempt", "network",
                  [("socket.connect", "tried to connect to 127.0.0.1:9", "create_connection"),
                   ("socket.getaddrinfo", "tried to look up 127.0.0.1:9", "create_connection")],
                  ["connect: PermissionError blocked by the grader: tried to look up 127.0.0.1:9"])


def t_subprocess_attempt(base):
    _attempt_test(base, "subprocess_attempt", "subprocess",
                  [("os.system", "tried to run a shell command: true", 'os.system("true")'),
                   ("subprocess.Popen", "tried to start a process: true", "subprocess.run(")],
                  ["system: PermissionError blocked by the grader: tried to run a shell command: true",
                   "run: PermissionError blocked by the grader: tried to start a process: true"])


def t_write_outside(base):
    name = "write_outside"
    _attempt_test(base, name, "write_outside",
                  [("open", "tried to write to /nonexistent-grader-dir/grader-test-nope",
                    "grader-test-nope")],
                  ["outside: PermissionError", "read: True"])
    pr = run_probe(name, os.path.join(base, "again"))
    if pr.rec is not None:
        check("%s: writes in the work directory, the temp directory and /dev/null, "
              "and reads, are not recorded" % name, len(pr.rec["attempts"]) == 1,
              repr(pr.rec["attempts"]))


def t_ctypes_attempt(base):
    name = "ctypes_attempt"
    _attempt_test(base, name, "ctypes",
                  [("import", "imported ctypes", "import ctypes"),
                   ("ctypes.dlopen", "tried to load a shared library: the process itself",
                    "import ctypes")],
                  ["ctypes: PermissionError blocked by the grader: imported ctypes"])
    pr = run_probe(name, os.path.join(base, "probe_events"))
    if pr.rec is None:
        check("%s: record" % name, False)
        return
    src = pr.src
    want = [("sys.settrace", "installed a trace function (sys.settrace)", "sys.settrace("),
            ("sys.setprofile", "installed a profile function (sys.setprofile)", "sys.setprofile("),
            ("object.__setattr__", "set attribute __code__ of the probe's take_snapshot",
             "ts.__code__ =")]
    for event, detail, marker in want:
        a = find_attempt(pr.rec, event, detail)
        check("%s: probe-defeating %s recorded (never blocked)" % (name, event),
              a is not None and a["category"] == "probe" and a["blocked"] is False
              and a["line"] == line_of(src, marker), repr(pr.rec["attempts"]))


def t_many_attempts(base):
    name = "many_attempts"
    pr = run_probe(name, base)
    if not common(name, pr):
        return
    rec = pr.rec
    details = [a["detail"] for a in rec["attempts"]]
    check("%s: deduplicated, capped at 50, the rest counted" % name,
          len(rec["attempts"]) == 50 and rec["attempts_dropped"] == 10
          and len(set(details)) == 50
          and details[0] == "tried to write to /nonexistent-grader-dir/f0",
          "%d listed, dropped=%r" % (len(details), rec["attempts_dropped"]))
    pb = run_probe(name, os.path.join(base, "badblock"),
                   extra_env={"GRADER_PROBE_BLOCK": " bogus,,write_outside ,network"})
    if common(name + " bogus block list", pb):
        check("%s: block list parsed (unknown names dropped)" % name,
              pb.rec["attempts_blocking"] == ["network", "write_outside"]
              and all(a["blocked"] for a in pb.rec["attempts"]), repr(pb.rec["attempts_blocking"]))


def t_bad_audit_args(base):
    """sys.audit() with arguments of every odd shape: the hook never raises
    for a category that is not blocked."""
    name = "bad_audit_args"
    pl = run_plain(name, base)
    pr = run_probe(name, base)
    if not common(name, pr):
        return
    check("%s: the hook raised nothing" % name,
          pr.rec["completed"] is True and "survived 88" in pr.stdout
          and "refused" not in pr.stdout and pl.stdout == pr.stdout,
          "plain=%r probed=%r" % (pl.stdout[-200:], pr.stdout[-300:]))


def t_gc_state_at_start(base):
    """The collector as the script's first line sees it is the collector of
    a bare interpreter (enabled, thresholds, debug flags), except that what
    was alive when the script started is frozen: the warm-up's own freeze
    leaves nothing behind (thawing on 3.12.1 would also thaw the 375
    objects the interpreter froze)."""
    name = "gc_state_at_start"

    def first_line(src):
        return ("import gc; print('gc at start', gc.get_freeze_count(), gc.isenabled(), "
                "gc.get_threshold(), gc.get_debug())\n" + src)
    pl = run_plain("leak", base, first_line)
    pr = run_probe("leak", base, first_line)
    if not common(name, pr):
        return
    want, got = pl.stdout.split("\n", 1)[0], pr.stdout.split("\n", 1)[0]
    # The freeze count differs by design: the probe freezes everything alive
    # when the script starts, its own state included (PROTOCOL.md, 9).
    w, g = want.split(" ", 4), got.split(" ", 4)
    check("%s: as in the plain run, the freeze count aside" % name,
          want.startswith("gc at start ") and len(w) == len(g) == 5 and w[4] == g[4],
          "plain %r, probed %r" % (want, got))
    check("%s: the probe's freeze adds to the interpreter's" % name,
          len(w) == len(g) == 5 and int(g[3]) > int(w[3]), "plain %r, probed %r" % (want, got))


def t_reach_runtime(base):
    """Nothing of the runtime's is reachable from the script without an
    audited step: the frames below the module's hold a fresh dict of
    builtins and the bootstrap's emptied namespace, and every function of the
    runtime's that the script can hold is a sealed stand-in (globals: next
    and iter).  Reading their __globals__ is no attempt; nothing is
    charged to the script."""
    name = "reach_runtime"
    pr = run_probe(name, base)
    if not common(name, pr):
        return
    lines = pr.stdout.splitlines()
    routes = dict(l.split(": ", 1) for l in lines if ": " in l and not STAT_RE.match(l))
    check("%s: frame 1 (the trampoline) holds a fresh dict" % name, routes.get("frame1") == "", repr(routes.get("frame1")))
    check("%s: frame 2 (the bootstrap) holds its emptied namespace" % name, routes.get("frame2") == "",
          repr(routes.get("frame2")))
    check("%s: nothing below the bootstrap" % name, routes.get("frame3") == "AttributeError",
          repr(routes.get("frame3")))
    sealed = ("gc.collect", "tracemalloc.start", "Snapshot.__init__", "os._exit", "__build_class__",
              "gc.callbacks", "Game.__init__._gp_register", "weakref callback")
    bad = {k: routes.get(k) for k in sealed if routes.get(k) != "iter,next"}
    check("%s: every function of the runtime's the script can hold is sealed" % name, not bad, repr(bad))
    check("%s: the __init__ wrapper's globals hold the original and the sealed register only" % name,
          routes.get("Game.__init__") == "_gp_dry,_gp_orig,_gp_register", repr(routes.get("Game.__init__")))
    check("%s: no __wrapped__" % name, "wrapped: False" in lines, repr(lines[:2]))
    no_attempts(name, pr.rec)
    check("%s: nothing tampered, still a leak" % name,
          pr.rec["tampered"] == [] and pr.rec["observed"]["weak_link"] is False, json.dumps(pr.rec["observed"]))


def t_cached_code_elsewhere(base):
    """The runtime compiled under another file name than the one it is run
    from (as the grader's cache may do, or a checkout under the temporary
    folder): its own work is still its own, never the script's."""
    name = "leak"
    d = os.path.join(base, "cached")
    os.makedirs(d, exist_ok=True)
    core = os.path.join(os.path.dirname(PROBE), "probe_core.py")
    with open(core, "rb") as f:
        code = compile(f.read(), "/elsewhere/probe_core.py", "exec", dont_inherit=True)
    import importlib.util
    import marshal
    path = os.path.join(d, "probe_core.code")
    with open(path, "wb") as f:
        f.write(b"GRADER-PROBE-CODE x " + importlib.util.MAGIC_NUMBER.hex().encode() + b"\n" + marshal.dumps(code))
    pr = run_probe(name, base, extra_env={"GRADER_PROBE_CODE": path})
    if not common(name + " (cached elsewhere)", pr):
        return
    no_attempts(name + " (cached elsewhere)", pr.rec)
    check("%s (cached elsewhere): observed as from source" % name, pr.rec["observed"]["weak_link"] is False)


def t_undecodable(base):
    """A byte that is not UTF-8 in a comment, without a coding cookie: the
    interpreter refuses the file, and so does the probed run."""
    name = "weakref_fix"
    tr = (lambda s: s.replace("import tracemalloc", "import tracemalloc  # caf\udce9", 1))
    pl = run_plain(name, base, tr)
    pr = run_probe(name, base, tr)
    if pr.rec is None:
        check("undecodable: record", False, pr.stderr[-300:])
        return
    check("undecodable: the plain run refuses it", pl.status == 1 and "SyntaxError" in pl.stderr, pl.stderr[-200:])
    check("undecodable: so does the probed run, nothing observed",
          pr.status == 1 and (pr.rec["exception"] or {}).get("type") == "SyntaxError"
          and pr.rec["observed"]["weak_link"] is None, repr(pr.rec["exception"]))


TESTS = [
    ("leak", t_leak), ("weakref_fix", t_weakref_fix), ("proxy_fix", t_proxy_fix),
    ("del_player", t_del_player), ("clear_players", t_clear_players), ("weakset", t_weakset),
    ("player_del", t_player_del), ("module_leak", t_module_leak), ("module_fix", t_module_fix),
    ("crash_fix", t_crash_fix), ("syntax_error", t_syntax_error), ("tamper", t_tamper),
    ("fabricated", t_fabricated), ("junk_fds", t_junk_fds), ("sys_exit", t_sys_exit),
    ("os_exit", t_os_exit), ("dataclass_leak", t_dataclass_leak),
    ("sibling_import", t_sibling_import), ("init_error", t_init_error),
    ("gc_saveall", t_gc_saveall), ("slots_leak", t_slots_leak),
    ("many_instances", t_many_instances), ("full_reports", t_full_reports),
    ("bad_env", t_bad_env), ("classes_env", t_classes_env),
    ("net_attempt", t_net_attempt), ("subprocess_attempt", t_subprocess_attempt),
    ("write_outside", t_write_outside), ("ctypes_attempt", t_ctypes_attempt),
    ("many_attempts", t_many_attempts), ("bad_audit_args", t_bad_audit_args),
    ("gc_state_at_start", t_gc_state_at_start), ("reach_runtime", t_reach_runtime),
    ("cached_code_elsewhere", t_cached_code_elsewhere), ("undecodable", t_undecodable),
]


BASE_FROZEN = None


def main(argv):
    global BASE_FROZEN
    # 3.12.1 reports objects in the permanent generation before any user
    # code runs; the probe must report the same number
    BASE_FROZEN = int(subprocess.run(
        [PY, "-E", "-s", "-B", "-c", "import gc; print(gc.get_freeze_count())"],
        stdout=subprocess.PIPE, timeout=TIMEOUT).stdout)
    wanted = set(argv[1:])
    tmp = tempfile.mkdtemp(prefix="grader-runtime-")
    try:
        for name, fn in TESTS:
            if wanted and name not in wanted:
                continue
            try:
                fn(os.path.join(tmp, name))
            except Exception as e:  # a broken test is a failure, not a crash
                check("%s: test ran" % name, False, "%s: %s" % (type(e).__name__, e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("RESULT passed=%d failed=%d" % (len(PASSED), len(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
