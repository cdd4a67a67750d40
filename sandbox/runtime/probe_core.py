"""Core of the grader's lifetime probe.  Loaded by grader_probe.py into a
private namespace; see PROTOCOL.md for the invocation and the JSON record.

Design constraints (the CPython behaviour they rest on is measured by
tests/runtime/driver.py on every supported version):
  * what earns credit is observed on the objects the script itself made, at
    its own snapshots, through gc.get_referents only (PROTOCOL.md 7);
  * nothing of the probe's is reachable from the script without an audited
    step: the script runs from a trampoline (_trampoline), every function it
    can hold is sealed (_seal), and everything alive when it starts is
    frozen out of gc.get_objects/get_referrers (PROTOCOL.md 9);
  * never sys.setprofile / sys.settrace; instances are caught by wrapping the
    student classes' __init__ after class creation (builtins.__build_class__
    hook), deaths by weakref.ref(obj, callback) (always with a callback);
  * no frame.f_locals reads before the verdict of snapshot 2 was recorded;
  * no references to student objects kept after a hook returns (only weak
    references, the Snapshot objects and the raw trace lists);
  * the probe must not disturb the student's own tracemalloc report:
      - the __init__ wrappers are generated with the original's exact
        signature (no *args tuple / **kwargs dict built on the student's
        line),
      - take_snapshot keeps its ORIGINAL code object (same file and lines);
        only the global name `Snapshot` it calls is a subclass whose
        __init__ records after the real one ran, so the Snapshot object is
        still allocated on tracemalloc.py's own line,
      - between tracemalloc.start() and the second snapshot the probe keeps
        nothing new alive except one weak reference per instance (and, on
        3.11+, the frame objects sys._getframe materialises): everything
        else is written into arrays and a bytearray allocated at start-up,
        and no free-listed object (tuple, list, dict) is kept,
      - the statements that do allocate something lasting (the weak
        references, frame objects, gc.collect's callback info dict, the
        frames of the student's __init__ on 3.8-3.10) run in code compiled
        under tracemalloc.py's `return Snapshot(...)` line: their bytes add
        to a tracemalloc.py line that the student's own snapshots already
        put in the report, instead of taking a line of the top 10,
      - the PEP 578 audit hook (_make_audit_hook) keeps nothing unless the
        submission attempts something it records (PROTOCOL.md 4.2),
      - every Python-level hook runs once before the submission starts
        (warm-up), so that 3.8-3.10 "zombie" frames of the probe's code are
        allocated while tracemalloc is off.
"""

import sys
import os
import gc
import weakref
import tracemalloc
import atexit
import types
# The C module, not signal.py: on 3.11 importing signal.py builds its enums
# (enum._convert_) in about 9 ms, more than the student's whole script, and
# leaves a module in sys.modules that an unprobed run does not have.
import _signal
import array
import time

PROBE_VERSION = 1
_VER = sys.version_info[:2]
_CO_OPTIMIZED = 0x0001
_CO_VARARGS = 0x0004
_CO_VARKEYWORDS = 0x0008
_CAP = 8192                   # instances tracked in detail
_GAME_RESERVE = 512           # of which Players may not take the last 512
_SNAPCAP = 64                 # snapshots recorded in detail
# Labels and JSON fragments.  Every page of it is touched when it is made
# (zero-filled), and each page fault costs more under the run's memory
# cgroup: 4 MiB made a quarter of the probe's overhead.  1 MiB holds a label
# for every tracked instance and the fragments of the snapshots the record
# can list (it is capped at _RECORD_BUDGET); past it, _text_put refuses and
# the rest go without.
_TEXTCAP = 1024 * 1024
_MAX_CHAIN_NODES = 5000
_MAX_CHAIN_DEPTH = 14
_MAX_REPORT_SNAPSHOTS = 4
_MAX_REFERRERS = 20
_MAX_GAMES_PER_SNAPSHOT = 4
_MAX_SNAPSHOTS_LISTED = 16
_MAX_CHAINS = 8
_MAX_LISTED_GAMES = 100
_MAX_LISTED_INSTANCES = 300
_REPORTS_BUDGET = 64 * 1024      # bytes of report lines in the record
_RECORD_BUDGET = 200 * 1024      # the grader caps the channel (output_kb, 256 KiB)
_REPORTS_CPU = 1.5               # seconds of CPU for recomputing reports
_CHAINS_CPU = 1.5                # seconds of CPU for all keep-alive chains
_SNAP_CPU = 1.0                  # seconds of CPU describing referrers, all snapshots
_NAME_MAX = 80

# --------------------------------------------------------------------------
# Originals, captured before any student code runs.
# --------------------------------------------------------------------------
_gc_collect = gc.collect
_gc_get_referrers = gc.get_referrers
_gc_get_referents = gc.get_referents
_gc_get_objects = gc.get_objects
_gc_isenabled = gc.isenabled
_gc_enable = gc.enable
_gc_disable = gc.disable
_gc_get_debug = gc.get_debug
_gc_freeze = gc.freeze
_gc_unfreeze = gc.unfreeze
_gc_get_freeze_count = getattr(gc, "get_freeze_count", None)
_gc_callbacks = gc.callbacks
_gc_garbage = gc.garbage
_gc_DEBUG_SAVEALL = gc.DEBUG_SAVEALL
_wref = weakref.ref
_ReferenceType = weakref.ReferenceType
_ProxyTypes = (weakref.ProxyType, weakref.CallableProxyType)
_getweakrefs = weakref.getweakrefs
_tm_take_snapshot = tracemalloc.take_snapshot
_tm_Snapshot = tracemalloc.Snapshot
_tm_Snapshot_init = tracemalloc.Snapshot.__init__
_tm_file = tracemalloc.__file__
_tm_start = tracemalloc.start
_tm_is_tracing = tracemalloc.is_tracing
_getframe = sys._getframe
_current_frames = sys._current_frames
_getrefcount = sys.getrefcount
_sys = sys
_os_write = os.write
_os_close = os.close
_os_unlink = os.unlink
_os_getpid = os.getpid
_os_exit = os._exit
_os_kill = os.kill
_os_path = os.path
_environ = os.environ
_os_fstat = os.fstat
_os_dup2 = os.dup2
_signal_handler = _signal.signal
_SIGINT = _signal.SIGINT
_SIG_DFL = _signal.SIG_DFL
_atexit_register = atexit.register
_atexit_run = getattr(atexit, "_run_exitfuncs", None)
_process_time = time.process_time
_array = array.array
_ModuleType = types.ModuleType
_FunctionType = types.FunctionType
_MethodType = types.MethodType
_FrameType = types.FrameType
_CodeType = types.CodeType
_CellType = types.CellType
_MemberDescriptorType = types.MemberDescriptorType
_object_getattribute = object.__getattribute__
_str_repr = str.__repr__
_str_str = str.__str__
_dict_items = dict.items
_orig_build_class = __builtins__["__build_class__"]
_builtins_dict = __builtins__
_builtins_module = sys.modules["builtins"]
_SourceFileLoader = sys.modules["_frozen_importlib_external"].SourceFileLoader

_PROBE_FILES = {_os_path.abspath(__file__)}
_CORE_FILE = _os_path.abspath(__file__)

_HOW = (None, "refcount", "collector", "exit")


def _find_tm_line():
    """Line of `return Snapshot(traces, traceback_limit)` in take_snapshot
    (560 on 3.9-3.13, 534 on 3.8): the probe's few persistent allocations
    are made by code compiled under that file and line, so that they add to
    a line tracemalloc's own snapshots already put in every report instead
    of taking a line of the student's top 10 (graders drop tracemalloc.py
    lines)."""
    first = _tm_take_snapshot.__code__.co_firstlineno
    try:
        with open(_tm_file, "rb") as fh:
            lines = fh.read().decode("utf-8", "replace").splitlines()
        for i in range(first, min(first + 40, len(lines))):
            if "Snapshot(" in lines[i] and lines[i].lstrip().startswith("return"):
                return i + 1
    except BaseException:
        pass
    return first


_TM_LINE = _find_tm_line()
_DISGUISED = {}   # id(code) -> code of the probe's code compiled as tracemalloc.py


def _disguise(lines, target, g):
    """exec `lines` (a function definition) so that lines[target] is line
    _TM_LINE of tracemalloc.py; returns the globals dict."""
    pad = _TM_LINE - 1 - target
    if pad >= 0:
        code = compile("\n" * pad + "\n".join(lines) + "\n", _tm_file, "exec", dont_inherit=True)
    else:
        code = compile("\n".join(lines) + "\n", _CORE_FILE, "exec", dont_inherit=True)
    exec(code, g)
    for c in code.co_consts:
        if type(c) is _CodeType:
            _DISGUISED[id(c)] = c
    return g


_PROBE_CODES = set()   # id() of every code object of the probe's (see _collect_probe_codes)
_PROBE_NS = globals()


def _is_probe_code(code):
    """Identified by the code object, not only by its file name: where the
    grader is installed (or how the cached code was compiled) must never
    make the probe's own work look like the script's."""
    return (id(code) in _PROBE_CODES or code.co_filename in _PROBE_FILES
            or _DISGUISED.get(id(code)) is code)


def _collect_probe_codes():
    def walk(c):
        if id(c) in _PROBE_CODES:
            return
        _PROBE_CODES.add(id(c))
        for k in c.co_consts:
            if type(k) is _CodeType:
                walk(k)
    ns = globals()
    for v in list(ns.values()):
        f = v.__dict__.values() if isinstance(v, type) else (v,)
        for x in f:
            if type(x) in (staticmethod, classmethod):
                x = x.__func__
            # the probe's own functions only (their globals are this
            # namespace), not the originals it keeps (tracemalloc's, gc's)
            if type(x) is _FunctionType and x.__globals__ is ns:
                walk(x.__code__)
    for c in list(_DISGUISED.values()):
        walk(c)


_SEAL_BUILTINS = {"next": next, "iter": iter}
_SEALED_CODES = set()


def _seal(f, like=None):
    """A stand-in for f that the script may hold (a module attribute, a
    weak reference's callback, gc.callbacks): f is a constant of its code,
    so the only ways from it to the probe are audited (__code__, gc.*),
    and its globals hold two builtins, not the probe's namespace (which
    __globals__, unaudited on 3.9+, would otherwise hand out).  Compiled
    on tracemalloc.py's line like _disguise, for the same reason."""
    pad = _TM_LINE - 2
    src = "\n" * max(pad, 0) + "def w(*a, **k):\n    return next(iter(('<F>',)))(*a, **k)\n"
    outer = compile(src, _tm_file if pad >= 0 else _CORE_FILE, "exec", dont_inherit=True)
    fc = [c for c in outer.co_consts if type(c) is _CodeType][0]
    like = like if like is not None else f
    name = getattr(like, "__name__", "w")
    fc = fc.replace(co_consts=tuple((f,) if c == ("<F>",) else c for c in fc.co_consts), co_name=name)
    w = _FunctionType(fc, dict(_SEAL_BUILTINS), name)
    for attr in ("__qualname__", "__doc__", "__module__"):
        try:
            setattr(w, attr, getattr(like, attr))
        except BaseException:
            pass
    _DISGUISED[id(fc)] = fc
    _SEALED_CODES.add(id(fc))
    return w


class _State(object):
    pass


S = _State()


class _Ref(weakref.ref):
    """The probe's weak reference (always created with a callback).  The
    instance's row in the arrays below is kept in S.REF_ROW by id, not on
    the reference: the script can reach the reference (weakref.getweakrefs)
    but not that dict (frozen with the rest of the probe's state)."""
    __slots__ = ()


class _RawJSON(str):
    """A string that already is JSON text."""
    __slots__ = ()


# --------------------------------------------------------------------------
# Storage allocated once at start-up (tracemalloc is off then).
# --------------------------------------------------------------------------
def _new_storage():
    S.A_wr = [None] * _CAP          # _Ref objects
    S.REF_ROW = {}                  # id(_Ref) -> its row
    S.A_cat = bytearray(_CAP)       # 1 = game class, 2 = player class
    S.A_line = _array("l", [-1]) * _CAP
    S.A_func = [None] * _CAP        # co_name of the creating student frame
    S.A_phase = _array("l", [0]) * _CAP
    S.A_num = _array("l", [0]) * _CAP
    S.A_dhow = bytearray(_CAP)      # index into _HOW
    S.A_dline = _array("l", [-1]) * _CAP
    S.A_dfunc = [None] * _CAP
    S.A_dphase = _array("l", [0]) * _CAP
    S.A_alive1 = bytearray(_CAP)
    S.A_track = bytearray(b"\x01") * _CAP
    S.A_loff = _array("l", [0]) * _CAP
    S.A_llen = _array("l", [0]) * _CAP
    S.N = _array("l", [0, 0, 0, 0])   # rows used, games, players, dropped
    # Reused when there is one: a new buffer is zero-filled page by page,
    # and only the bytes before TPOS are ever read.
    if getattr(S, "TEXT", None) is None:
        S.TEXT = bytearray(_TEXTCAP)
    S.TPOS = _array("l", [0])
    S.SNAP_OBJ = [None] * _SNAPCAP
    S.SNAP_TRACES = [None] * _SNAPCAP
    S.SNAP_LIMIT = _array("l", [1]) * _SNAPCAP
    S.SNAP_OFF = _array("l", [0]) * _SNAPCAP
    S.SNAP_LEN = _array("l", [0]) * _SNAPCAP
    S.KEPT = _array("l", [0, 0])      # kept_alive JSON fragment (offset, length)
    S.CPU = _array("d", [0.0])        # CPU spent in snapshot hooks
    S.OBS = _array("l", [0]) * (_OBS_FIELDS * _MAX_OBSERVED)
    S.OBS_TXT = _array("l", [0]) * _MAX_OBSERVED
    S.OBS_DEADLINE = _array("d", [0.0])
    S.OBS_SPENT = _array("l", [0])
    S.errors = []


def _clear_storage(rows, snaps):
    """_new_storage's state again, written in place: only the rows below
    `rows` and the snapshots below `snaps` were ever written (each is
    counted before it is filled).  Allocating it all anew after the warm-up
    cost about half a millisecond."""
    S.REF_ROW.clear()
    for i in range(min(rows, _CAP)):
        S.A_wr[i] = None
        S.A_cat[i] = 0
        S.A_line[i] = -1
        S.A_func[i] = None
        S.A_phase[i] = 0
        S.A_num[i] = 0
        S.A_dhow[i] = 0
        S.A_dline[i] = -1
        S.A_dfunc[i] = None
        S.A_dphase[i] = 0
        S.A_alive1[i] = 0
        S.A_track[i] = 1
        S.A_loff[i] = 0
        S.A_llen[i] = 0
    for k in range(min(snaps, _SNAPCAP)):
        S.SNAP_OBJ[k] = None
        S.SNAP_TRACES[k] = None
        S.SNAP_LIMIT[k] = 1
        S.SNAP_OFF[k] = 0
        S.SNAP_LEN[k] = 0
    for i in range(4):
        S.N[i] = 0
    S.TPOS[0] = 0
    S.KEPT[0] = S.KEPT[1] = 0
    S.CPU[0] = 0.0
    for j in range(_OBS_FIELDS * _MAX_OBSERVED):
        S.OBS[j] = 0
    for j in range(_MAX_OBSERVED):
        S.OBS_TXT[j] = 0
    S.OBS_DEADLINE[0] = 0.0
    S.OBS_SPENT[0] = 0
    S.errors = []


def _reset_state():
    # what the warm-up used, before the counts below are reset
    used = getattr(S, "N", None)
    rows, snaps = (used[0], getattr(S, "nsnap", 0)) if used is not None else (0, 0)
    S.hooks_on = False
    S.after_script = False
    S.finishing = False
    S.written = False
    S.analysed = False
    S.gc_running = False
    S.in_collect = 0
    S.nsnap = 0
    S.target_ids = {}
    S.adopted = []
    S.found = []
    S.players_alive_snap1 = None
    S.players_created_snap1 = None
    S.completed = False
    S.exit_code = None
    S.exit_reason = None
    S.exception = None
    S.tampered = []
    S.gc_state = None
    S.reports = []
    S.reports_truncated = False
    if used is None:
        _new_storage()
    else:
        _clear_storage(rows, snaps)


def _text_put(s):
    """Append s (UTF-8) to the TEXT buffer; returns its offset and length
    packed in one int (offset * 2**24 + length) or -1 when full."""
    b = s.encode("utf-8", "surrogatepass")
    n = len(b)
    p = S.TPOS[0]
    if p + n > _TEXTCAP or n >= (1 << 24):
        return -1
    S.TEXT[p:p + n] = b
    S.TPOS[0] = p + n
    return p * (1 << 24) + n


def _text_get(off, n):
    return S.TEXT[off:off + n].decode("utf-8", "surrogatepass")


def _probe_error(where):
    """Record an internal failure (never raises).  Only happens when
    something went wrong, so the list it allocates does not matter."""
    try:
        e = _sys.exc_info()[1]
        msg = "%s: %s: %s" % (where, type(e).__name__, e) if e is not None else where
        if len(S.errors) < 20:
            S.errors.append(msg[:300])
    except BaseException:
        pass


# --------------------------------------------------------------------------
# Small helpers (all warmed up before the submission runs).
# --------------------------------------------------------------------------
# _site_at(depth): like _site(sys._getframe(depth)) seen from the caller.
# On 3.11+ sys._getframe and f_back materialise frame objects, which live as
# long as the student's frame runs: that happens on tracemalloc.py's line.
# The audit hook's state, [active, busy, dropped] (see _make_audit_hook):
# busy while the probe walks frames itself, so that its own f_code reads
# are not each looked into.
_AUDIT_STATE = [0, 0, 0]
_site_at = _disguise([
    "def _site_at(d):",
    "    f = None",
    "    while (f := (_gf(d + 1) if f is None else f.f_back)) is not None and f.f_code.co_filename != _S.script_co_file: pass",
    "    return (None, None) if f is None else (f.f_code.co_name, f.f_lineno)",
], 2, {"__builtins__": _builtins_dict, "_S": S, "_gf": _getframe,
       "__name__": "tracemalloc"})["_site_at"]


# The frames running in this thread (ours and the script's), added to a set
# by id: on 3.11+ walking f_back materialises frame objects, which live as
# long as those frames run, so that happens on tracemalloc.py's line too.
_running_ids = _disguise([
    "def _running_ids(out):",
    "    f = _gf(0)",
    "    while f is not None: out.add(_id(f)); f = f.f_back",
], 2, {"__builtins__": _builtins_dict, "_gf": _getframe, "_id": id,
       "__name__": "tracemalloc"})["_running_ids"]


def _site(d):
    """_site_at seen from the caller, with the audit hook told to ignore the
    frame walk (its f_code reads would each be looked into otherwise)."""
    b = _AUDIT_STATE[1]
    _AUDIT_STATE[1] = 1
    try:
        return _site_at(d + 1)
    finally:
        _AUDIT_STATE[1] = b


def _safe_attr(obj, name):
    """Read an attribute without running student code (properties and other
    data descriptors are skipped, slots are read) and without materialising
    an instance __dict__ on 3.11+.  Returns (found, value)."""
    try:
        for k in type(obj).__mro__:
            d = k.__dict__
            if name in d:
                dt = type(d[name])
                if dt is _MemberDescriptorType:
                    break
                if hasattr(dt, "__set__") or hasattr(dt, "__delete__"):
                    return False, None
                break
        return True, _object_getattribute(obj, name)
    except BaseException:
        return False, None


def _short(s):
    if len(s) > _NAME_MAX:
        s = s[:_NAME_MAX] + "..."
    return s


def _label_for(obj, n):
    tn = type(obj).__name__
    ok, v = _safe_attr(obj, "name")
    if ok and isinstance(v, str):
        return "%s %s" % (tn, _str_repr(_short(_str_str(v))))
    if n < 0:
        return "%s object" % tn
    return "%s#%d" % (tn, n)


def _category_of(tp):
    """1 for the Game class (or a subclass), 2 for Player, 0 otherwise."""
    try:
        for k in tp.__mro__:
            t = S.target_ids.get(id(k))
            if t is not None and t[0]() is k:
                return t[1]
    except BaseException:
        pass
    return 0


def _index_of(obj):
    """Row of obj in the arrays, or -1."""
    try:
        for w in _getweakrefs(obj):
            if type(w) is _Ref:
                return S.REF_ROW.get(id(w), -1)
    except BaseException:
        pass
    return -1


def _label_of_index(i):
    return _text_get(S.A_loff[i], S.A_llen[i])


def _set_label(i, obj):
    b = _label_for(obj, S.A_num[i])
    if S.A_llen[i] and _text_get(S.A_loff[i], S.A_llen[i]) == b:
        return
    packed = _text_put(b)
    if packed >= 0:
        S.A_loff[i] = packed >> 24
        S.A_llen[i] = packed & 0xFFFFFF


def _cat_name(c):
    return S.game_name if c == 1 else S.player_name


# --------------------------------------------------------------------------
# Death tracking.
# --------------------------------------------------------------------------
def _on_death(wr):
    i = S.REF_ROW.get(id(wr), -1)
    if i < 0 or S.A_dhow[i]:
        return
    if S.after_script:
        h = 3
    elif S.gc_running or S.in_collect:
        h = 2
    else:
        h = 1
    func = line = None
    try:
        func, line = _site(1)
    except BaseException:
        pass
    S.A_dhow[i] = h
    S.A_dline[i] = line if line is not None else -1
    S.A_dfunc[i] = func
    S.A_dphase[i] = S.nsnap


def _gc_callback(phase, info):
    S.gc_running = phase == "start"


collect = _disguise([
    "def collect(generation=2):",
    "    _S.in_collect += 1",
    "    try: return _c(generation)",
    "    finally: _S.in_collect -= 1",
], 2, {"__builtins__": _builtins_dict, "_S": S, "_c": _gc_collect,
       "__name__": "gc"})["collect"]

_collect_sealed = _seal(collect)
_gc_callback_sealed = _seal(_gc_callback)

# the weak reference of every registered instance is allocated here (the
# only object the probe keeps per instance)
_on_death_sealed = _seal(_on_death)
_mkref = _disguise([
    "def _mkref(o, i): r = _Ref(o, _on_death); _S.REF_ROW[id(r)] = i; return r",
], 0, {"__builtins__": _builtins_dict, "_Ref": _Ref, "_on_death": _on_death_sealed, "_S": S,
       "__name__": "tracemalloc"})["_mkref"]


# --------------------------------------------------------------------------
# Instance registration.
# --------------------------------------------------------------------------
def _register(obj, depth=2):
    """Called by the __init__ wrappers (depth 2 = the wrapper's caller) and
    by the gc scan (depth None)."""
    if not S.hooks_on:
        return
    try:
        cat = _category_of(type(obj))
        if cat == 0:
            return
        i = _index_of(obj)
        if i >= 0:
            # an outer __init__ (subclass) finished: it knows the real site
            func, line = _site(depth) if depth else (None, None)
            S.A_func[i] = func
            S.A_line[i] = line if line is not None else -1
            _set_label(i, obj)
            return
        i = S.N[0]
        if i >= _CAP or (cat == 2 and S.N[2] >= _CAP - _GAME_RESERVE):
            S.N[3] += 1     # rows are kept free for Games
            return
        S.N[0] = i + 1
        try:
            S.A_wr[i] = _mkref(obj, i)
        except TypeError:
            S.A_track[i] = 0      # e.g. __slots__ without __weakref__
        func, line = _site(depth) if depth else (None, None)
        S.A_cat[i] = cat
        S.A_func[i] = func
        S.A_line[i] = line if line is not None else -1
        S.A_phase[i] = S.nsnap
        S.A_num[i] = S.N[cat]
        S.N[cat] += 1
        _set_label(i, obj)
    except BaseException:
        _probe_error("register")


_WRAP_RESERVED = ("_gp_orig", "_gp_register", "_gp_dry")
_register_sealed = _seal(_register)


def _make_init_wrapper(orig):
    """A wrapper with the original __init__'s exact signature."""
    code = getattr(orig, "__code__", None)
    if type(code) is not _CodeType:
        return None
    argc = code.co_argcount
    posonly = getattr(code, "co_posonlyargcount", 0)
    kwonly = code.co_kwonlyargcount
    names = code.co_varnames
    pos = list(names[:argc])
    kw = list(names[argc:argc + kwonly])
    j = argc + kwonly
    varargs = varkw = None
    if code.co_flags & _CO_VARARGS:
        varargs = names[j]
        j += 1
    if code.co_flags & _CO_VARKEYWORDS:
        varkw = names[j]
    allnames = pos + kw + [n for n in (varargs, varkw) if n]
    if any(n in _WRAP_RESERVED for n in allnames):
        return None
    if pos:
        self_name = pos[0]
    elif varargs:
        self_name = varargs + "[0]"
    else:
        return None
    params = []
    for k, n in enumerate(pos):
        params.append(n)
        if posonly and k == posonly - 1:
            params.append("/")
    if varargs:
        params.append("*" + varargs)
    elif kw:
        params.append("*")
    params.extend(kw)
    if varkw:
        params.append("**" + varkw)
    call = list(pos)
    if varargs:
        call.append("*" + varargs)
    call.extend("%s=%s" % (n, n) for n in kw)
    if varkw:
        call.append("**" + varkw)
    g = {"__builtins__": dict(_builtins_dict), "_gp_orig": orig, "_gp_register": _register_sealed,
         "_gp_dry": True, "__name__": getattr(orig, "__module__", None) or "__main__"}
    # the original is called from tracemalloc.py's line (see _find_tm_line):
    # on <= 3.10 its frame object is allocated there
    _disguise([
        "def __init__(%s):" % ", ".join(params),
        "    if _gp_dry: return",
        "    try: return _gp_orig(%s)" % ", ".join(call),
        "    finally: _gp_register(%s)" % self_name,
    ], 2, g)
    w = g["__init__"]
    w.__defaults__ = orig.__defaults__
    w.__kwdefaults__ = orig.__kwdefaults__
    for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
        try:
            setattr(w, attr, getattr(orig, attr))
        except BaseException:
            pass
    # dry run: allocates this code object's frame (<= 3.10 "zombie frame")
    # now, not on the student's line later
    try:
        w(*([None] * (argc if argc else 1)), **{n: None for n in kw})
    except BaseException:
        pass
    g["_gp_dry"] = False
    S.wrapper_ids[id(w)] = w
    return w


def _wrap_init(cls, init):
    w = _make_init_wrapper(init)
    if w is None:
        return False
    try:
        type.__setattr__(cls, "__init__", w)
        return True
    except BaseException:
        return False


def _adopt_class(cls, name):
    cat = 0
    if name == S.game_name:
        cat = 1
    elif name == S.player_name:
        cat = 2
    try:
        cref = _wref(cls)
    except TypeError:
        return
    S.adopted.append((cref, name, cat))
    if cat:
        S.target_ids[id(cls)] = (cref, cat)
        if name not in S.found:
            S.found.append(name)
    init = cls.__dict__.get("__init__")
    if type(init) is _FunctionType and id(init) not in S.wrapper_ids:
        if not _wrap_init(cls, init):
            _probe_error("cannot wrap %s.__init__" % name)


def __build_class__(func, name, *bases, **kwds):
    cls = _orig_build_class(func, name, *bases, **kwds)
    try:
        code = getattr(func, "__code__", None)
        if (S.hooks_on and code is not None and isinstance(cls, type)
                and code.co_filename == S.script_co_file):
            if not _tm_is_tracing():
                _late_wrap()
            _adopt_class(cls, name)
    except BaseException:
        _probe_error("__build_class__")
    return cls


def _need_scan():
    """True if some Game/Player class creates instances the wrappers do not
    see (no own __init__, or one added after class creation)."""
    for cref, name, cat in S.adopted:
        if cat:
            cls = cref()
            if cls is not None and id(getattr(cls, "__init__", None)) not in S.wrapper_ids:
                return True
    return False


def _late_wrap():
    """Wrap an __init__ added after class creation (e.g. by @dataclass).
    Runs when the next class is built and when tracemalloc.start() is
    called, never while tracing, so its allocations are not traced."""
    for cref, name, cat in S.adopted:
        cls = cref()
        if cls is None:
            continue
        init = cls.__dict__.get("__init__")
        if type(init) is _FunctionType and id(init) not in S.wrapper_ids:
            _wrap_init(cls, init)


def start(nframe=1, /):
    """tracemalloc.start replacement: the original, after wrapping late
    __init__ methods (tracing is still off then)."""
    if S.hooks_on and not _tm_is_tracing():
        try:
            _late_wrap()
        except BaseException:
            _probe_error("late wrap")
    return _tm_start(nframe)


def _scan_instances():
    objs = _gc_get_objects()
    try:
        for o in objs:
            t = type(o)
            if t.__weakrefoffset__ and _category_of(t) and _index_of(o) < 0:
                _register(o, None)
    finally:
        objs = None
        o = None


# --------------------------------------------------------------------------
# Describing references.
# --------------------------------------------------------------------------
def _module_dicts():
    out = {}
    try:
        for name, m in list(_sys.modules.items()):
            if type(m) is _ModuleType:
                try:
                    out[id(_object_getattribute(m, "__dict__"))] = name
                except BaseException:
                    pass
    except BaseException:
        pass
    return out


def _attr_candidates(obj):
    names = list(S.attr_names)
    try:
        for k in type(obj).__mro__:
            sl = k.__dict__.get("__slots__")
            if isinstance(sl, str):
                names.append(sl)
            elif sl is not None:
                for s in sl:
                    if isinstance(s, str):
                        names.append(s)
    except BaseException:
        pass
    return names


def _attrs_holding(obj, value, allow_mat):
    """Names of obj's attributes whose value is `value` (identity)."""
    out = []
    for name in _attr_candidates(obj):
        if name in out:
            continue
        ok, v = _safe_attr(obj, name)
        if ok and v is value:
            out.append(name)
        v = None
    if not out and allow_mat:
        try:
            d = _object_getattribute(obj, "__dict__")
            if type(d) is dict:
                for k, v in _dict_items(d):
                    if v is value:
                        out.append(str(k))
            d = None
            v = None
        except BaseException:
            pass
    return out


def _dict_owned_by(d, owner, allow_mat):
    """Is dict d the namespace (__dict__) of owner?"""
    try:
        if isinstance(owner, type):
            for x in _gc_get_referents(owner.__dict__):
                if x is d:
                    return True
            return False
        t = type(owner)
        if t is _ModuleType:
            return _object_getattribute(owner, "__dict__") is d
        if t in (dict, list, tuple, set, frozenset, _CellType, _FrameType):
            return False
        if getattr(t, "__dictoffset__", 0) == 0:
            return False
        if _VER < (3, 11) or allow_mat:
            return _object_getattribute(owner, "__dict__") is d
        # 3.11+: reading owner.__dict__ would materialise it.  owner refers
        # to d; if none of its named attributes is d, d is its __dict__.
        return not _attrs_holding(owner, d, False)
    except BaseException:
        return False


def _generic_label(x):
    i = _index_of(x)
    if i >= 0:
        return _label_of_index(i)
    t = type(x)
    if isinstance(x, type):
        return "class %s" % getattr(x, "__name__", "?")
    if t is _ModuleType:
        return "module %s" % getattr(x, "__name__", "?")
    if t is _FunctionType:
        return "function %s()" % getattr(x, "__qualname__", "?")
    if t is _MethodType:
        return "bound method %s" % getattr(getattr(x, "__func__", None), "__qualname__", "?")
    if t is _FrameType:
        return "frame of %s()" % x.f_code.co_name
    if t is _CellType:
        return "closure cell"
    if x is _gc_garbage:
        return "gc.garbage"
    if t in (list, dict, tuple, set, frozenset):
        return t.__name__
    return _label_for(x, -1)


def _key_text(k):
    if isinstance(k, str):
        return _str_repr(_short(_str_str(k)))
    try:
        return _short(repr(k))
    except BaseException:
        return "?"


def _edge_phrases(holder, obj, allow_mat):
    """How `holder` refers to `obj`, as short phrases (without the holder)."""
    out = []
    try:
        t = type(holder)
        if isinstance(holder, dict):
            for k, v in _dict_items(holder):
                if v is obj:
                    out.append("key %s" % _key_text(k))
                if k is obj:
                    out.append("a key")
        elif isinstance(holder, (list, tuple)):
            i = 0
            for v in holder:
                if v is obj:
                    out.append("item [%d]" % i)
                    if len(out) >= 3:
                        break
                i += 1
        elif isinstance(holder, (set, frozenset)):
            out.append("element")
        elif t is _CellType:
            out.append("cell contents")
        elif t is _FunctionType:
            out.append("__globals__" if getattr(holder, "__globals__", None) is obj
                       else "closure or default")
        elif t is _MethodType:
            out.append("__self__" if holder.__self__ is obj else "__func__")
        elif t is _FrameType:
            out.append("a local variable")
        elif isinstance(holder, type):
            out.append("class attribute")
        else:
            for n in _attrs_holding(holder, obj, allow_mat):
                out.append("attribute %s" % _str_repr(n))
    except BaseException:
        pass
    if not out:
        out.append("reference")
    return out


def _dict_owner(d, ignore, allow_mat):
    refs = _gc_get_referrers(d)
    try:
        for r in refs:
            if id(r) in ignore or r is refs:
                continue
            if _dict_owned_by(d, r, allow_mat):
                return r
        return None
    finally:
        refs = None
        r = None


def _holder_context(c, ignore, moddicts, allow_mat):
    """One-level description of what holds container c."""
    refs = _gc_get_referrers(c)
    try:
        for r in refs:
            rid = id(r)
            if rid in ignore or r is refs:
                continue
            if type(r) is _FrameType and _is_probe_code(r.f_code):
                continue
            mname = moddicts.get(rid)
            if mname is not None:
                for k, v in _dict_items(r):
                    if v is c:
                        return "global variable %s of module %s" % (_key_text(k), mname)
                continue
            if r is _gc_garbage:
                return "gc.garbage"
            if isinstance(r, dict):
                owner = _dict_owner(r, ignore, allow_mat)
                if owner is not None:
                    for k, v in _dict_items(r):
                        if v is c:
                            return "%s attribute %s" % (_generic_label(owner), _key_text(k))
                return "%s of a dict" % _edge_phrases(r, c, allow_mat)[0]
            p = _edge_phrases(r, c, allow_mat)[0]
            return "%s %s" % (_generic_label(r), p) if p != "reference" else _generic_label(r)
        return "holder not visible to the gc"
    finally:
        refs = None
        r = None
        owner = None


def _describe_referrers(target):
    """Strings describing the gc-visible referrers of target."""
    out = []
    moddicts = _module_dicts()
    refs = _gc_get_referrers(target)
    ignore = {id(refs), id(out)}
    try:
        for r in refs:
            if len(out) >= _MAX_REFERRERS:
                out.append("...")
                break
            rid = id(r)
            if rid in ignore:
                continue
            t = type(r)
            if t is _FrameType:
                if not _is_probe_code(r.f_code):
                    out.append("frame of %s() (not running)" % r.f_code.co_name)
                continue
            mname = moddicts.get(rid)
            if mname is not None:
                for k, v in _dict_items(r):
                    if v is target:
                        out.append("global variable %s of module %s" % (_key_text(k), mname))
                continue
            if r is _gc_garbage:
                out.append("gc.garbage (DEBUG_SAVEALL)")
                continue
            if isinstance(r, dict):
                owner = _dict_owner(r, ignore, False)
                if owner is not None:
                    lab = _generic_label(owner)
                    word = "class attribute" if isinstance(owner, type) else "attribute"
                    for k, v in _dict_items(r):
                        if v is target:
                            out.append("%s %s %s" % (lab, word, _key_text(k)))
                    owner = None
                    continue
                ctx = _holder_context(r, ignore, moddicts, False)
                for p in _edge_phrases(r, target, False):
                    out.append("%s of dict (%s)" % (p, ctx))
                continue
            if t is _CellType:
                out.append(_cell_owner(r, ignore))
                continue
            if t is _MethodType:
                out.append("bound method %s (its __self__)" % _generic_label(r)[13:])
                continue
            if t in (list, tuple, set, frozenset):
                ctx = _holder_context(r, ignore, moddicts, False)
                for p in _edge_phrases(r, target, False):
                    out.append("%s of %s (%s)" % (p, t.__name__, ctx))
                continue
            lab = _generic_label(r)
            for p in _edge_phrases(r, target, False):
                out.append("%s %s" % (lab, p) if p != "reference" else lab)
    except BaseException:
        _probe_error("referrers")
    finally:
        refs = None
        r = None
        v = None
        owner = None
    return out


# --------------------------------------------------------------------------
# Keep-alive chain (snapshot 2, after its verdict was recorded).
# --------------------------------------------------------------------------
def _frame_roots():
    """id(value) -> description, for the locals of every running frame that
    is not the probe's.  Reads f_locals: only called after snapshot 2's
    verdict.  On <= 3.12 the frame's f_locals snapshot dict is emptied again
    afterwards so that it does not keep deleted locals alive."""
    roots = {}
    frames = _current_frames()
    tops = list(frames.values())
    frames = None
    try:
        for f in tops:
            while f is not None:
                code = f.f_code
                fn = code.co_filename
                if not _is_probe_code(code) and fn != _tm_file:
                    if code.co_flags & _CO_OPTIMIZED:
                        loc = f.f_locals
                        try:
                            for k in list(loc.keys()):
                                try:
                                    v = loc[k]
                                except BaseException:
                                    continue
                                if id(v) not in roots:
                                    roots[id(v)] = "local variable %s in %s()" % (
                                        _key_text(k), code.co_name)
                                v = None
                        finally:
                            if _VER <= (3, 12) and type(loc) is dict:
                                loc.clear()
                            loc = None
                    elif f.f_locals is not f.f_globals:
                        loc = f.f_locals
                        if type(loc) is dict:
                            for k, v in _dict_items(loc):
                                if id(v) not in roots:
                                    roots[id(v)] = "name %s in the body of %s" % (
                                        _key_text(k), code.co_name)
                            v = None
                        loc = None
                f = f.f_back
    finally:
        tops = None
        f = None
    return roots


def _closure_name(func, closure, cell):
    try:
        for k, c in enumerate(closure):
            if c is cell:
                return func.__code__.co_freevars[k]
    except BaseException:
        pass
    return "?"


def _render_chain(root_desc, path):
    """path: [x0 (held by the root), ..., target].  Instance __dict__ hops
    become "attribute 'x'", closure tuple and cell hops "closure variable
    'x'"."""
    parts = [root_desc, _generic_label(path[0])]
    n = len(path)
    i = 0
    while i < n - 1:
        a = path[i]
        b = path[i + 1]
        if (type(a) is _FunctionType and i + 3 < n and b is a.__closure__
                and type(path[i + 2]) is _CellType):
            parts.append("closure variable %s" % _str_repr(_closure_name(a, b, path[i + 2])))
            parts.append(_generic_label(path[i + 3]))
            i += 3
            continue
        if i + 2 < n and isinstance(b, dict) and _dict_owned_by(b, a, True):
            word = "class attribute" if isinstance(a, type) else "attribute"
            c = path[i + 2]
            keys = [k for k, v in _dict_items(b) if v is c]
            parts.append("%s %s" % (word, _key_text(keys[0]) if keys else "?"))
            parts.append(_generic_label(c))
            i += 2
            continue
        parts.append(_edge_phrases(a, b, True)[0])
        parts.append(_generic_label(b))
        i += 1
    a = b = c = None
    return " -> ".join(parts)


def _cell_owner(cell, ignore):
    """'closure variable 'x' of function f()' for a cell, if found."""
    refs = _gc_get_referrers(cell)
    try:
        for t in refs:
            if type(t) is tuple and id(t) not in ignore:
                refs2 = _gc_get_referrers(t)
                for f in refs2:
                    if type(f) is _FunctionType and f.__closure__ is t:
                        return "closure variable %s of function %s()" % (
                            _str_repr(_closure_name(f, t, cell)), f.__qualname__)
                refs2 = None
                f = None
        return "closure cell"
    finally:
        refs = None
        t = None


def _chain_for(target, roots, moddicts, deadline):
    nodes = [target]
    parent = [-1]
    depth = [0]
    index = {id(target): 0}
    ignore = {id(nodes), id(parent), id(depth), id(index)}
    found = None
    head = 0
    path = None
    try:
        stopped = False
        while head < len(nodes):
            if len(nodes) >= _MAX_CHAIN_NODES or _process_time() > deadline:
                stopped = True
                break
            i = head
            head += 1
            obj = nodes[i]
            rd = roots.get(id(obj))
            if rd is not None:
                found = (i, rd)
                break
            if depth[i] >= _MAX_CHAIN_DEPTH:
                continue
            refs = _gc_get_referrers(obj)
            for r in refs:
                rid = id(r)
                if rid in index or rid in ignore or r is refs:
                    continue
                mname = moddicts.get(rid)
                if mname is not None:
                    for k, v in _dict_items(r):
                        if v is obj:
                            found = (i, "global variable %s of module %s" % (_key_text(k), mname))
                            break
                    v = None
                    if found is not None:
                        break
                    continue
                t = type(r)
                if t is _FrameType and _is_probe_code(r.f_code):
                    continue
                if isinstance(r, _ReferenceType) or t in _ProxyTypes:
                    continue
                index[rid] = len(nodes)
                nodes.append(r)
                parent.append(i)
                depth.append(depth[i] + 1)
            refs = None
            r = None
            obj = None
            if found is not None:
                break
        if found is None:
            if stopped:
                return "no root found within the search limits"
            return "kept alive by something the gc cannot see"
        i, rd = found
        path = []
        while i != -1:
            path.append(nodes[i])
            i = parent[i]
        return _render_chain(rd, path)
    finally:
        nodes = None
        path = None
        obj = None
        r = None
        refs = None


# --------------------------------------------------------------------------
# take_snapshot hook.
# --------------------------------------------------------------------------
class _SnapshotHook(_tm_Snapshot):
    """Stands in for `Snapshot` in the globals of the original take_snapshot
    code.  The instance is allocated by the same `Snapshot(traces, ...)` call
    on tracemalloc.py's own line; its __init__ runs the real one first, then
    records.  Pickles as a plain tracemalloc.Snapshot."""
    __slots__ = ()

    def __init__(self, traces, traceback_limit):
        _tm_Snapshot_init(self, traces, traceback_limit)
        if S.hooks_on:
            _after_snapshot(self, traces, traceback_limit)

    def __reduce_ex__(self, protocol):
        return (_tm_Snapshot, (self.traces._traces, self.traceback_limit))


_SnapshotHook.__name__ = "Snapshot"
_SnapshotHook.__qualname__ = "Snapshot"
_SnapshotHook.__module__ = "tracemalloc"
# type(snapshot) is this class: its methods are sealed (_seal)
_SnapshotHook.__init__ = _seal(_SnapshotHook.__dict__["__init__"])
_SnapshotHook.__reduce_ex__ = _seal(_SnapshotHook.__dict__["__reduce_ex__"])


def _after_snapshot(snap, traces, limit):
    was = _gc_isenabled()
    _gc_disable()
    t0 = _process_time()
    # the audit hook ignores the probe's own gc.get_referents calls without
    # walking the stack for each (which would materialise frame objects)
    au = getattr(S, "audit", None)
    busy = au[0][1] if au is not None else 0
    if au is not None:
        au[0][1] = 1
    try:
        _on_snapshot(snap, traces, limit)
    except BaseException:
        _probe_error("snapshot")
    finally:
        if au is not None:
            au[0][1] = busy
        au = None
        S.CPU[0] += _process_time() - t0
        if was:
            _gc_enable()


def _on_snapshot(snap, traces, limit):
    k = S.nsnap
    # instances the wrappers cannot see are found (and given the current
    # phase) before this snapshot counts
    if _need_scan():
        _scan_instances()
    S.nsnap = k + 1
    idx = k + 1
    if k < _SNAPCAP:
        S.SNAP_OBJ[k] = snap
        S.SNAP_TRACES[k] = traces
        S.SNAP_LIMIT[k] = limit
    if k >= _MAX_SNAPSHOTS_LISTED:
        return      # not in the record: only counted (and kept for reports)
    # frame 0 = here, 1 = _after_snapshot, 2 = Snapshot.__init__ (hook),
    # 3 = take_snapshot; the student's frame is further out
    func, line = _site_at(3)
    live_g = live_p = 0
    games = []
    light = S.CPU[0] > _SNAP_CPU    # referrers are not described any more
    n = S.N[0]
    A_wr = S.A_wr
    A_cat = S.A_cat
    i = 0
    while i < n:
        wr = A_wr[i]
        o = wr() if wr is not None else None
        if o is not None:
            if A_cat[i] == 1:
                live_g += 1
                if idx == 1:
                    S.A_alive1[i] = 1
                if len(games) < _MAX_GAMES_PER_SNAPSHOT:
                    _set_label(i, o)    # a name set after __init__ shows up
                    games.append('{"label": %s, "refcount": %d, "referrers": [%s]}' % (
                        _json_str(_label_of_index(i)), _getrefcount(o) - 1,
                        "" if light else ", ".join([_json_str(x) for x in _describe_referrers(o)])))
            else:
                live_p += 1
        o = None
        i += 1
    wr = None
    A_wr = A_cat = None
    extra = ""
    if len(_gc_garbage):
        # with gc.DEBUG_SAVEALL the collector clears the weak references of
        # unreachable objects (the probe records them as freed) but keeps the
        # objects in gc.garbage
        gg = gp = 0
        for o in _gc_garbage:
            c = _category_of(type(o))
            if c == 1:
                gg += 1
            elif c == 2:
                gp += 1
        o = None
        extra = ', "in_gc_garbage": {%s: %d, %s: %d}' % (
            _json_str(S.game_name), gg, _json_str(S.player_name), gp)
    if light and live_g:
        extra += ', "referrers_skipped": true'
    frag = '{"index": %d, "line": %s, "function": %s, "live": {%s: %d, %s: %d}, "games": [%s]%s}' % (
        idx, "null" if line is None else "%d" % line,
        "null" if func is None else _json_str(func),
        _json_str(S.game_name), live_g, _json_str(S.player_name), live_p, ", ".join(games), extra)
    games = None
    if k < _SNAPCAP:
        packed = _text_put(frag)
        if packed >= 0:
            S.SNAP_OFF[k] = packed >> 24
            S.SNAP_LEN[k] = packed & 0xFFFFFF
    frag = None
    if idx == 1:
        S.players_alive_snap1 = live_p
        c = 0
        i = 0
        while i < n:
            if S.A_cat[i] == 2 and S.A_phase[i] == 0:
                c += 1
            i += 1
        S.players_created_snap1 = c
    if k < _MAX_OBSERVED:
        if S.OBS_DEADLINE[0] == 0.0:
            S.OBS_DEADLINE[0] = _process_time() + _OBS_CPU
        try:
            _observe(k, line)
        except BaseException:
            _probe_error("observe")
    if idx == 2:
        # snapshot 2's verdict is recorded above; only now may frame locals
        # be read
        _compute_kept_alive()


def _compute_kept_alive():
    n = S.N[0]
    live = []
    i = 0
    while i < n:
        wr = S.A_wr[i]
        if S.A_cat[i] == 1 and wr is not None and wr() is not None:
            live.append(i)
        i += 1
    wr = None
    if not live:
        return
    roots = _frame_roots()
    moddicts = _module_dicts()
    frags = []
    deadline = _process_time() + _CHAINS_CPU
    for i in live[:_MAX_CHAINS]:
        o = S.A_wr[i]()
        if o is None:
            continue
        try:
            chain = _chain_for(o, roots, moddicts, deadline)
        except BaseException:
            _probe_error("chain")
            chain = "kept alive by something the gc cannot see"
        o = None
        frags.append('{"label": %s, "chain": %s}' % (_json_str(_label_of_index(i)),
                                                     _json_str(chain)))
    packed = _text_put(", ".join(frags))
    if packed >= 0:
        S.KEPT[0] = packed >> 24
        S.KEPT[1] = packed & 0xFFFFFF


# --------------------------------------------------------------------------
# After the script: tampering, gc state, reports, self-test.
# --------------------------------------------------------------------------
_TM_CLASSES = ("Snapshot", "Statistic", "StatisticDiff", "Traceback", "Frame",
               "Trace", "_Traces", "Filter", "DomainFilter", "BaseFilter")


def _take_baselines():
    S.mod_base = []
    for name, mod in (("gc", gc), ("weakref", weakref), ("tracemalloc", tracemalloc)):
        S.mod_base.append((name, mod, dict(_object_getattribute(mod, "__dict__"))))
    S.cls_base = []
    for cname in _TM_CLASSES:
        cls = getattr(tracemalloc, cname, None)
        if isinstance(cls, type):
            S.cls_base.append((cname, cls, dict(cls.__dict__)))


def _tamper_check():
    out = []
    for name, mod, base in S.mod_base:
        if _sys.modules.get(name) is not mod:
            out.append("sys.modules[%s]" % _str_repr(name))
        cur = _object_getattribute(mod, "__dict__")
        for k, v in _dict_items(base):
            if k not in cur or cur[k] is not v:
                out.append("%s.%s" % (name, k))
    for cname, cls, base in S.cls_base:
        cur = cls.__dict__
        for k, v in _dict_items(base):
            if k not in cur or cur[k] is not v:
                out.append("tracemalloc.%s.%s" % (cname, k))
        for k in cur:
            if k not in base:
                out.append("tracemalloc.%s.%s" % (cname, k))
    if not any(c is _gc_callback_sealed for c in _gc_callbacks):
        out.append("gc.callbacks")
    res = []
    for x in sorted(out):
        if x not in res:
            res.append(x)
    return res


def _gc_state():
    st = {"enabled": None, "debug_saveall": None, "garbage": None, "frozen": None, "frozen_by_probe": None}
    try:
        st["enabled"] = bool(_gc_isenabled())
        st["debug_saveall"] = bool(_gc_get_debug() & _gc_DEBUG_SAVEALL)
        st["garbage"] = len(_gc_garbage)
        if _gc_get_freeze_count is not None:
            # what a plain run shows at the script's start (the probe's own
            # freeze comes after), and what the probe froze
            st["frozen"] = getattr(S, "frozen_before", _gc_get_freeze_count())
            st["frozen_by_probe"] = getattr(S, "frozen_by_probe", 0)
    except BaseException:
        _probe_error("gc_state")
    return st


def _load_private_tracemalloc():
    """A private copy of Lib/tracemalloc.py: the reports are recomputed with
    classes and a _format_size the submission cannot have patched."""
    try:
        ns = {"__name__": "grader_probe_tracemalloc", "__file__": _tm_file,
              "__builtins__": _builtins_dict}
        # The loader reuses the interpreter's own __pycache__ bytecode when
        # it is current (compiling the file costs a few ms every run) and
        # compiles the source otherwise.
        from importlib.machinery import SourceFileLoader
        code = SourceFileLoader("grader_probe_tracemalloc", _tm_file).get_code("grader_probe_tracemalloc")
        exec(code, ns)
        ns["Snapshot"], ns["_compare_grouped_stats"], ns["Statistic"], ns["StatisticDiff"]
        return ns
    except BaseException:
        _probe_error("private tracemalloc")
        return dict(_object_getattribute(tracemalloc, "__dict__"))


def _stat_mentions(st, base):
    try:
        for fr in st.traceback:
            fn = fr.filename
            if fn == S.script_co_file or fn.endswith(base):
                return True
    except BaseException:
        pass
    return False


def _reports():
    """Recompute the statistic lines a genuine report could contain (see
    PROTOCOL.md, 6).  Groupings are computed once per (snapshot, key,
    cumulative) and the work stops after _REPORTS_CPU seconds of CPU, so a
    script with deep tracebacks cannot push the run over its CPU limit."""
    out = []
    seen = set()
    used = [0]
    base = _os_path.basename(S.script_arg)
    tm = S.private_tm
    deadline = _process_time() + _REPORTS_CPU
    try:
        PS = tm["Snapshot"]
        compare = tm["_compare_grouped_stats"]
        diff_key = tm["StatisticDiff"]._sort_key
        stat_key = tm["Statistic"]._sort_key
        m = min(S.nsnap, _MAX_REPORT_SNAPSHOTS, _SNAPCAP)
        snaps = [PS(S.SNAP_TRACES[k], S.SNAP_LIMIT[k]) for k in range(m)]
    except BaseException:
        _probe_error("reports")
        return out
    groups = {}
    rate = [0.0]    # CPU seconds per (trace x frame), measured as we go

    def grouped(k, key, cum):
        g = groups.get((k, key, cum))
        if g is None:
            units = len(S.SNAP_TRACES[k]) * max(1, S.SNAP_LIMIT[k]) * (2 if cum else 1)
            t = _process_time()
            if t + units * rate[0] > deadline:
                raise _OverBudget()
            g = groups[(k, key, cum)] = snaps[k]._group_by(key, cum)
            if units:
                rate[0] = max(rate[0], (_process_time() - t) / units)
        return g

    def add(s):
        if s not in seen:
            if used[0] + len(s) > _REPORTS_BUDGET:
                S.reports_truncated = True
                return
            seen.add(s)
            used[0] += len(s) + 4
            out.append(s)

    def emit(stats):
        for st in stats[:10]:
            add(str(st))
        for st in stats:
            if _stat_mentions(st, base):
                add(str(st))

    def diff(new, old, key, cum):
        st = compare(dict(grouped(old, key, cum)), grouped(new, key, cum))
        st.sort(reverse=True, key=diff_key)
        return st

    combos = (("lineno", False), ("lineno", True), ("filename", False),
              ("filename", True), ("traceback", False))
    n = len(snaps)
    if all(S.SNAP_LIMIT[k] <= 1 for k in range(n)):
        # One frame per trace (tracemalloc.start()'s default): a traceback
        # is its one frame, and a cumulative grouping counts each trace's
        # one frame once, so those three print exactly the lines of
        # "lineno" and "filename" (Lib/tracemalloc.py, Snapshot._group_by).
        combos = (("lineno", False), ("filename", False))
    work = []
    # required: later.compare_to(earlier) for every ordered pair
    for key, cum in combos:
        for j in range(n):
            for i in range(j):
                work.append((0, j, i, key, cum))
    # extensions (also genuine output): reversed comparisons, statistics()
    for key, cum in combos:
        for j in range(n):
            for i in range(j):
                work.append((0, i, j, key, cum))
        for k in range(n):
            work.append((1, k, k, key, cum))
    for kind, a, b, key, cum in work:
        try:
            if kind == 0:
                emit(diff(a, b, key, cum))
            else:
                st = list(grouped(a, key, cum).values())
                st.sort(reverse=True, key=stat_key)
                emit(st)
        except _OverBudget:
            S.reports_truncated = True
        except BaseException:
            _probe_error("reports")
            break
    return out


class _OverBudget(Exception):
    pass


_ATOMIC = (str, bytes, int, float, complex, bool, type(None), bytearray)
_OBS_FIELDS = 8     # per observed snapshot, in S.OBS (see _observe)
_OBS_GAMES, _OBS_PLAYERS, _OBS_STRONG, _OBS_CYCLE, _OBS_REACH, _OBS_HELD, _OBS_LINE, _OBS_FLAGS = range(8)
_OBS_OVER = 1       # a search ran out of its budget: nothing is concluded
_MAX_OBSERVED = 4   # snapshots observed
_OBS_NODES = 1000000
_OBS_CPU = 2.0      # seconds of CPU for all observations together


_HEAPTYPE = 1 << 9
# type's own getter: a metaclass cannot put a property of its own in the way
_type_flags = type.__dict__["__flags__"].__get__
_SliceType = slice
_gc_is_tracked = gc.is_tracked


def _strong_edges(x, skip):
    """What x holds strongly, as a traversal from the collector's point of
    view (gc.get_referents: no student code runs, nothing can be refused),
    plus the two kinds of object that hold references without the collector
    knowing on some versions: a code object's constants and a slice's ends.
    Not followed: atoms, objects the collector does not track (by CPython's
    rules they hold no tracked object), a function's __globals__ and
    __builtins__ (a global is a root, not something an object holds), the
    namespaces of the
    modules loaded before the script (`skip`; a module the script made is
    followed, registered or not), static types (the builtins), running
    frames (`skip`: their locals are roots; a finished frame is followed,
    its caller included), and the probe's own objects.  Classes made at
    run time are followed into their namespaces, the student's and any
    other.  Weak references are followed into what they hold strongly (a
    subclass's attributes, the callback), never to their referent."""
    t = type(x)
    if t in _ATOMIC:
        return ()
    if t is _CodeType:
        if _id(x) in _PROBE_CODES or _id(x) in _SEALED_CODES or _DISGUISED.get(_id(x)) is x:
            return ()   # the probe's own: a sealed stand-in's constant is the probe's function
        return [c for c in x.co_consts if type(c) not in _ATOMIC and _id(c) not in skip]
    if t is _SliceType:
        return [c for c in (x.start, x.stop, x.step) if type(c) not in _ATOMIC and _id(c) not in skip]
    if issubclass(t, type) and not (_type_flags(x) & _HEAPTYPE):
        return ()
    g = b = None
    if t is _FunctionType:
        g = x.__globals__
        b = getattr(x, "__builtins__", None)     # 3.10+: the builtins it runs with
    out = []
    for y in _gc_get_referents(x):
        ty = type(y)
        if ty in _ATOMIC or _id(y) in skip or y is g or y is b:
            continue
        if ty is not _CodeType and ty is not _SliceType and not _gc_is_tracked(y):
            continue
        if issubclass(ty, type) and not (_type_flags(y) & _HEAPTYPE):
            continue
        out.append(y)
    return out


_id = id


def _spend(budget):
    """One more object searched: budget = [objects left, CPU deadline]."""
    budget[0] -= 1
    if budget[0] <= 0 or (budget[0] & 511 == 0 and _process_time() > budget[1]):
        raise _OverBudget()


def _edges_memo(skip):
    """_strong_edges, each object's computed once per observation (the
    searches below walk the same objects again and again)."""
    memo = {}

    def edges(x):
        e = memo.get(_id(x))
        if e is None:
            e = memo[_id(x)] = _strong_edges(x, skip)
        return e
    return edges, memo


def _bfs(sources, hit, edges, budget):
    """Breadth-first search over `edges` (_edges_memo) from `sources`; stops at the
    first object for which hit(obj) is true.  Returns the path [source, ...,
    obj] or None; raises _OverBudget past the budget."""
    nodes = list(sources)
    parent = [-1] * len(nodes)
    seen = {_id(x) for x in nodes}
    head = 0
    try:
        while head < len(nodes):
            x = nodes[head]
            i = head
            head += 1
            _spend(budget)
            for y in edges(x):
                yid = _id(y)
                if yid in seen:
                    continue
                seen.add(yid)
                nodes.append(y)
                parent.append(i)
                if hit(y):
                    path = []
                    j = len(nodes) - 1
                    while j != -1:
                        path.append(nodes[j])
                        j = parent[j]
                    path.reverse()
                    return path
        return None
    finally:
        nodes = parent = None
        x = y = None


def _on_cycles(starts, edges, budget):
    """The ids of the objects of `starts` that lie on a strong cycle: the
    strongly connected components of the graph they reach (Tarjan's
    algorithm, iterative), in one pass whatever their number."""
    index, low, onstack, selfloop, out = {}, {}, set(), set(), set()
    want = {_id(x) for x in starts}
    stack, keep, work = [], [], []
    n = 0
    try:
        for s0 in starts:
            if _id(s0) in index:
                continue
            index[_id(s0)] = low[_id(s0)] = n
            n += 1
            stack.append(s0)
            keep.append(s0)
            onstack.add(_id(s0))
            work.append((s0, iter(edges(s0))))
            while work:
                v, it = work[-1]
                vid = _id(v)
                pushed = False
                for w in it:
                    wid = _id(w)
                    if wid not in index:
                        _spend(budget)
                        index[wid] = low[wid] = n
                        n += 1
                        stack.append(w)
                        keep.append(w)
                        onstack.add(wid)
                        work.append((w, iter(edges(w))))
                        pushed = True
                        break
                    if wid in onstack:
                        if index[wid] < low[vid]:
                            low[vid] = index[wid]
                        if wid == vid:
                            selfloop.add(vid)
                if pushed:
                    continue
                work.pop()
                if work:
                    uid = _id(work[-1][0])
                    if low[vid] < low[uid]:
                        low[uid] = low[vid]
                if low[vid] == index[vid]:
                    comp = []
                    while True:
                        w = stack.pop()
                        onstack.discard(_id(w))
                        comp.append(_id(w))
                        if _id(w) == vid:
                            break
                    if len(comp) > 1 or vid in selfloop:
                        for c in comp:
                            if c in want:
                                out.add(c)
        return out
    finally:
        stack = keep = work = None
        v = w = it = s0 = None


def _render_path(path, k):
    """The whole chain from snapshot 2 on; at snapshot 1 only its ends:
    naming each hop reads attributes (exceptions, frames, cycles) whose
    garbage would otherwise show in the script's own second snapshot when
    it collects nothing in between.  The same chain is rendered in full at
    snapshot 2 if it still exists then."""
    if k == 0:
        return "%s -> ... -> %s" % (_generic_label(path[0]), _generic_label(path[-1]))
    return _render_chain("", path)[4:]


def _watched_alive():
    """Every live instance of the watched classes, whatever its class was
    made to look like: the rows the probe tracks plus a scan of the
    collector's objects (instances that cannot be weakly referenced, or
    that the __init__ wrappers did not see)."""
    games, players = [], []
    seen = set()
    n = S.N[0]
    i = 0
    while i < n:
        wr = S.A_wr[i]
        o = wr() if wr is not None else None
        if o is not None:
            (games if S.A_cat[i] == 1 else players).append(o)
            seen.add(_id(o))
        o = None
        i += 1
    wr = None
    objs = _gc_get_objects()
    cats = {}       # id(type) -> category: one look-up per type, not per object
    try:
        for o in objs:
            t = type(o)
            c = cats.get(_id(t))
            if c is None:
                c = cats[_id(t)] = _category_of(t)
            if c and _id(o) not in seen:
                (games if c == 1 else players).append(o)
    finally:
        objs = None
        o = t = None
    return games, players


def _observe(k, line):
    """Judge the objects the script itself created, as they are at its
    snapshot k+1: whether a Player holds a Game strongly, whether any
    watched object lies on a strong reference cycle, whether each Player
    reaches a Game (strongly or through any weak reference to it) and is
    held by one.  Counts go to S.OBS, the first failing chain to S.OBS_TXT."""
    base = k * _OBS_FIELDS
    S.OBS[base + _OBS_LINE] = -1 if line is None else line
    games, players = _watched_alive()
    S.OBS[base + _OBS_GAMES] = len(games)
    S.OBS[base + _OBS_PLAYERS] = len(players)
    if not games and not players:
        return
    gids = {_id(g) for g in games}
    pids = {_id(p) for p in players}
    weak = set()
    for g in games:
        for w in _getweakrefs(g):
            weak.add(_id(w))
    w = g = None
    skip = {_id(games), _id(players), _id(gids), _id(pids), _id(weak), _id(S.__dict__),
            _id(_PROBE_NS), _id(_builtins_dict)}
    # the namespaces of the modules loaded before the script, and the frames
    # running now (their locals are roots: the chains of kept_alive)
    skip.update(S.start_moddicts)
    _running_ids(skip)
    for a in (S.A_wr, S.SNAP_OBJ, S.SNAP_TRACES, S.A_func, S.A_dfunc, S.adopted):
        skip.add(_id(a))
    budget = [_OBS_NODES, S.OBS_DEADLINE[0]]
    edges, memo = _edges_memo(skip)
    skip.add(_id(memo))
    detail = None
    try:
        if S.OBS_SPENT[0]:
            raise _OverBudget()     # an earlier snapshot used the budget up
        # a Player's strong path to a Game: one search from all Players
        path = _bfs(players, lambda y: _id(y) in gids, edges, budget) if games and players else None
        S.OBS[base + _OBS_STRONG] = 0 if path is None else 1
        if path is not None:
            detail = "a Player holds a Game strongly: " + _render_path(path, k)
        path = None
        # reaching a Game: strongly, or through a weak reference or proxy to it
        reach = 0
        if games:
            for p in players:
                if _bfs([p], lambda y: _id(y) in gids or _id(y) in weak, edges, budget) is not None:
                    reach += 1
        S.OBS[base + _OBS_REACH] = reach
        # held strongly by a Game: one search from all Games
        held = set()

        def mark(y):
            if _id(y) in pids:
                held.add(_id(y))
            return False
        if games and players:
            _bfs(games, mark, edges, budget)
        S.OBS[base + _OBS_HELD] = len(held)
        # strong cycles through a watched object
        everyone = games + players
        cyc = _on_cycles(everyone, edges, budget)
        S.OBS[base + _OBS_CYCLE] = len(cyc)
        if cyc and detail is None:
            for x in everyone:
                if _id(x) in cyc:
                    xid = _id(x)
                    path = _bfs([x], lambda y: _id(y) == xid, edges, budget)
                    if path is not None:
                        detail = "a reference cycle: " + _render_path(path, k)
                    break
        everyone = x = path = None
    except _OverBudget:
        S.OBS_SPENT[0] = 1
        S.OBS[base + _OBS_FLAGS] |= _OBS_OVER
        detail = ("the objects reachable from your Games and Players are too many to search "
                  "(over %d objects or %.0f s of CPU)" % (_OBS_NODES, _OBS_CPU))
    finally:
        games = players = None
        p = x = path = None
        memo.clear()
        memo = edges = None
    if detail is not None and not S.OBS_TXT[k]:
        packed = _text_put("at snapshot %d (line %s): %s" % (
            k + 1, "?" if line is None else line, _short_chain(detail)))
        if packed >= 0:
            S.OBS_TXT[k] = packed


def _short_chain(s):
    return s if len(s) <= 600 else s[:600] + "..."


def _obs_row(k):
    base = k * _OBS_FIELDS
    return [S.OBS[base + j] for j in range(_OBS_FIELDS)]


def _observed():
    """The verdict facts from the observations (PROTOCOL.md, 7)."""
    m = min(S.nsnap, _MAX_OBSERVED)
    rows = [_obs_row(k) for k in range(m)]
    snaps = []
    for k in range(m):
        r = rows[k]
        snaps.append({"index": k + 1, "line": None if r[_OBS_LINE] < 0 else r[_OBS_LINE],
                      "games": r[_OBS_GAMES], "players": r[_OBS_PLAYERS],
                      "a_player_holds_a_game": bool(r[_OBS_STRONG]), "objects_on_a_cycle": r[_OBS_CYCLE],
                      "players_reaching_a_game": r[_OBS_REACH], "players_held_by_a_game": r[_OBS_HELD],
                      "searched": not (r[_OBS_FLAGS] & _OBS_OVER)})
    over = any(r[_OBS_FLAGS] & _OBS_OVER for r in rows)
    both = [r for r in rows if r[_OBS_GAMES] and r[_OBS_PLAYERS]]
    collected = 0
    for i in range(S.N[0]):
        if S.A_dhow[i] == 2:
            collected += 1
    out = {"snapshots": snaps, "weak_link": None, "no_cycle": None, "freed": None,
           "players_reach_game": None, "game_holds_players": None,
           "freed_by_collector": collected, "not_judged": None, "freed_not_judged": None, "detail": ""}
    details = [_text_get(S.OBS_TXT[k] >> 24, S.OBS_TXT[k] & 0xFFFFFF) for k in range(m) if S.OBS_TXT[k]]
    if S.nsnap == 0:
        e = S.exception
        if e is not None:
            out["not_judged"] = ("your script stopped with %s at line %s before its first tracemalloc snapshot, "
                                 "so its objects could not be looked at" % (e.get("type"), e.get("line")))
        else:
            out["not_judged"] = ("your script took no tracemalloc snapshot, so there was no moment to look at "
                                 "its objects")
    elif over:
        out["not_judged"] = details[0] if details else "a search ran out of its budget"
    elif not both:
        r1 = rows[0]
        out["not_judged"] = ("at your first snapshot (line %s) there were %d %s and %d %s alive; the checks look at "
                             "the Games and Players your script created, alive together at a snapshot" % (
                                 "?" if r1[_OBS_LINE] < 0 else r1[_OBS_LINE], r1[_OBS_GAMES], S.game_name,
                                 r1[_OBS_PLAYERS], S.player_name))
    if not over and both:
        out["weak_link"] = all(r[_OBS_STRONG] == 0 for r in both)
    if not over and any(r[_OBS_GAMES] for r in rows):
        out["no_cycle"] = all(r[_OBS_CYCLE] == 0 for r in rows) and collected == 0
    if m >= 2 and rows[0][_OBS_GAMES]:
        out["freed"] = rows[1][_OBS_GAMES] == 0     # counts: no search needed
    elif S.nsnap == 1:
        out["freed_not_judged"] = ("your script took one tracemalloc snapshot; the Game must be gone by the "
                                   "second")
    elif m >= 2:
        out["freed_not_judged"] = "no Game was alive at your first snapshot (line %s)" % (
            "?" if rows[0][_OBS_LINE] < 0 else rows[0][_OBS_LINE])
    if out["freed"] is None and "freed_not_judged" not in out:
        out["freed_not_judged"] = out["not_judged"]
    if not over and m >= 1 and rows[0][_OBS_GAMES] and rows[0][_OBS_PLAYERS]:
        r1 = rows[0]
        out["players_reach_game"] = r1[_OBS_REACH] == r1[_OBS_PLAYERS]
        out["game_holds_players"] = r1[_OBS_HELD] == r1[_OBS_PLAYERS]
    parts = list(details)
    if collected:
        parts.append("%d of your %s/%s objects were freed by the cycle collector, not by reference counting" % (
            collected, S.game_name, S.player_name))
    if out["players_reach_game"] is False:
        parts.append("at snapshot 1, %d of %d Players could not reach a live Game" % (
            rows[0][_OBS_PLAYERS] - rows[0][_OBS_REACH], rows[0][_OBS_PLAYERS]))
    if out["game_holds_players"] is False:
        parts.append("at snapshot 1, %d of %d Players were not held by a Game" % (
            rows[0][_OBS_PLAYERS] - rows[0][_OBS_HELD], rows[0][_OBS_PLAYERS]))
    if out["freed"] is False:
        parts.append("%d %s still alive at snapshot 2" % (rows[1][_OBS_GAMES], S.game_name))
    out["detail"] = "; ".join(parts) if parts else (
        "no Player held a Game strongly, nothing was on a reference cycle" if both else "")
    return out


# --------------------------------------------------------------------------
# JSON (own encoder: nothing the submission can patch).
# --------------------------------------------------------------------------
_JSON_ESC = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t",
             "\b": "\\b", "\f": "\\f"}


def _json_str(s):
    # A str subclass from the submission could answer the tests below (or
    # iterate) as it likes: work on an exact copy.
    if type(s) is not str:
        s = _str_str(s)
    # Most strings (names, labels, file paths) are printable ASCII without
    # a quote or backslash: as they are.  The loop costs ~1 us a character.
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        return '"' + s + '"'
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch in _JSON_ESC:
            out.append(_JSON_ESC[ch])
        elif 0x20 <= o < 0x7F:
            out.append(ch)
        elif o < 0x10000:
            out.append("\\u%04x" % o)
        else:
            o -= 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 | (o >> 10), 0xDC00 | (o & 0x3FF)))
    out.append('"')
    return "".join(out)


def _json(o):
    if o is None:
        return "null"
    if o is True:
        return "true"
    if o is False:
        return "false"
    t = type(o)
    if t is _RawJSON:
        return _str_str(o)
    if t is int:
        return int.__repr__(o)
    if t is float:
        if o != o or o in (float("inf"), float("-inf")):
            return "null"
        return float.__repr__(o)
    if t is str:
        return _json_str(o)
    if t in (list, tuple):
        return "[" + ", ".join([_json(x) for x in o]) + "]"
    if t is dict:
        return "{" + ", ".join(["%s: %s" % (_json_str(str(k)), _json(v))
                                for k, v in _dict_items(o)]) + "}"
    return _json_str(str(o))


# --------------------------------------------------------------------------
# The record.
# --------------------------------------------------------------------------
def _freed_of(i):
    h = S.A_dhow[i]
    if not h:
        return None
    line = S.A_dline[i]
    return {"how": _HOW[h], "line": None if line < 0 else line,
            "function": S.A_dfunc[i], "phase": S.A_dphase[i]}


def _main_game():
    """The Game the verdict is about: the first one alive at snapshot 1,
    else the first one created."""
    first = -1
    for i in range(S.N[0]):
        if S.A_cat[i] == 1:
            if S.A_alive1[i]:
                return i
            if first < 0:
                first = i
    return first


def _build_record():
    g = _main_game()
    alive2 = None
    game_freed = None
    if g >= 0 and S.A_track[g]:
        if S.nsnap >= 2:
            alive2 = (not S.A_dhow[g]) or S.A_dphase[g] >= 2
        game_freed = _freed_of(g)
    # at most _MAX_LISTED_INSTANCES rows: Games first (the main one always),
    # then Players, listed in creation order
    rows = [i for i in range(S.N[0]) if S.A_cat[i] == 1][:_MAX_LISTED_GAMES]
    if g >= 0 and g not in rows:
        rows.append(g)
    for i in range(S.N[0]):
        if len(rows) >= _MAX_LISTED_INSTANCES:
            break
        if S.A_cat[i] != 1:
            rows.append(i)
    rows.sort()
    instances = []
    for i in rows:
        line = S.A_line[i]
        instances.append({"class": _cat_name(S.A_cat[i]), "label": _label_of_index(i),
                          "created_line": None if line < 0 else line,
                          "created_function": S.A_func[i], "created_phase": S.A_phase[i],
                          "tracked": bool(S.A_track[i]), "freed": _freed_of(i)})
    snaps = []
    for k in range(min(S.nsnap, _SNAPCAP, _MAX_SNAPSHOTS_LISTED)):
        if S.SNAP_LEN[k]:
            snaps.append(_RawJSON(_text_get(S.SNAP_OFF[k], S.SNAP_LEN[k])))
    kept = _RawJSON("[" + _text_get(S.KEPT[0], S.KEPT[1]) + "]")
    attempts, attempts_dropped, blocking = _attempts()
    errors = list(S.errors)
    return {
        "probe_version": PROBE_VERSION,
        "token": S.token,
        "python": {"version": _sys.version.split()[0],
                   "implementation": _sys.implementation.name,
                   "executable": _sys.executable},
        "script": S.script_arg,
        "classes": {"game": S.game_name, "player": S.player_name, "found": list(S.found)},
        "completed": S.completed,
        "exit_code": S.exit_code,
        "exit_reason": S.exit_reason,
        "exception": S.exception,
        "instances": instances,
        "instances_dropped": S.N[3] + S.N[0] - len(instances),
        "snapshots": snaps,
        "snapshots_taken": S.nsnap,
        "game_alive_at_snapshot2": alive2,
        "players_alive_at_snapshot1": S.players_alive_snap1,
        "players_created_before_snapshot1": S.players_created_snap1,
        "kept_alive": kept,
        "game_freed": game_freed,
        "tampered": S.tampered,
        "gc_state": S.gc_state,
        "reports": S.reports,
        "reports_truncated": S.reports_truncated,
        "observed": _observed(),
        "attempts": attempts,
        "attempts_dropped": attempts_dropped,
        "attempts_blocking": blocking,
        "probe_errors": errors,
    }


def _audit_off():
    a = getattr(S, "audit", None)
    if a is not None:
        a[0][0] = 0


def _attempts():
    a = getattr(S, "audit", None)
    if a is None:
        return [], 0, []
    return ([{"category": c, "event": e, "detail": d, "line": ln, "blocked": b}
             for c, e, d, ln, b in a[1]], a[0][2], sorted(a[2]))


def _write_record():
    _audit_off()
    if S.written or S.fd is None or _os_getpid() != S.pid:
        return
    S.written = True
    try:
        rec = _build_record()
        text = "GRADER-PROBE %s %s\n" % (S.token, _json(rec))
        if len(text) > _RECORD_BUDGET:
            # keep under the grader's channel limit: shed the bulkiest parts
            base = _os_path.basename(S.script_arg)
            rec["reports"] = [r for r in rec["reports"] if base in r][:200]
            rec["reports_truncated"] = True
            rec["snapshots"] = rec["snapshots"][:4]
            rec["instances"] = rec["instances"][:50]
            rec["instances_dropped"] = S.N[3] + S.N[0] - len(rec["instances"])
            text = "GRADER-PROBE %s %s\n" % (S.token, _json(rec))
    except BaseException:
        _probe_error("build record")
        text = "GRADER-PROBE %s %s\n" % (S.token, _json({
            "probe_version": PROBE_VERSION, "token": S.token,
            "probe_errors": ["cannot build the record"]}))
    data = text.encode("ascii", "backslashreplace")
    try:
        while data:
            n = _os_write(S.fd, data)
            data = data[n:]
    except BaseException:
        pass
    try:
        _os_close(S.fd)
    except BaseException:
        pass


def _check_tampering():
    try:
        for x in _tamper_check():
            if x not in S.tampered:
                S.tampered.append(x)
        S.tampered.sort()
    except BaseException:
        _probe_error("tamper")


def _post_script_analysis():
    """Right after the submission's code ended: tampering, gc state and
    the recomputed reports."""
    if S.analysed:
        return
    S.analysed = True
    _check_tampering()
    S.gc_state = _gc_state()
    try:
        S.reports = _reports()
    except BaseException:
        _probe_error("reports")


def _collect_leftovers():
    """Garbage the submission left is collected with its stdout and stderr
    in place, so that a __del__ that prints does so as at a normal exit."""
    _audit_off()
    try:
        _gc_collect()
    except BaseException:
        pass


def _teardown_main():
    """Mimic interpreter shutdown for the submission's namespace so that
    objects it kept until the end are recorded as freed at "exit"."""
    d = S.main_dict
    for k in ("last_type", "last_value", "last_traceback", "last_exc"):
        try:
            if k in _sys.__dict__:
                setattr(_sys, k, None)
        except BaseException:
            pass
    try:
        for k in list(d):
            if isinstance(k, str) and k.startswith("_") and not k.startswith("__"):
                d[k] = None
        for k in list(d):
            if k != "__builtins__":
                d[k] = None
    except BaseException:
        _probe_error("teardown")
    try:
        _gc_collect()
    except BaseException:
        pass


def _unfreeze():
    """gc.unfreeze as the script sees it: thawing would hand the probe's
    state to gc.get_objects(), so the call is recorded as an attempt on the
    probe (which denies the object facts their credit), then made."""
    a = getattr(S, "audit", None)
    if a is not None and a[0][0] and len(a[1]) < _AUDIT_MAX:
        func, line = _site(1)
        a[1].append(("probe", "gc.unfreeze", "thawed the objects the grader froze (gc.unfreeze)", line, False))
    a = None
    return _gc_unfreeze()


def _atexit_backup():
    if S.finishing or S.written or _os_getpid() != S.pid:
        return
    S.finishing = True
    S.after_script = True
    if S.exit_reason is None:
        S.exit_reason = "atexit"
    _post_script_analysis()
    _collect_leftovers()
    _write_record()


def _os_exit_wrapper(status, /):
    try:
        if _os_getpid() == S.pid and not S.written:
            S.after_script = True
            S.completed = False
            S.exit_reason = "os_exit"
            try:
                S.exit_code = int(status) & 0xFF
            except BaseException:
                S.exit_code = None
            if not S.finishing:
                S.finishing = True
                _post_script_analysis()
            _audit_off()
            _write_record()
    except BaseException:
        pass
    _os_exit(status)


_os_exit_wrapper.__name__ = "_exit"
_os_exit_wrapper.__qualname__ = "_exit"


# --------------------------------------------------------------------------
# Exceptions.
# --------------------------------------------------------------------------
def _strip_tb(tb):
    """Unlink the probe's own frames from a traceback chain."""
    head = prev = None
    while tb is not None:
        nxt = tb.tb_next
        if not _is_probe_code(tb.tb_frame.f_code):
            if prev is None:
                head = tb
            elif prev.tb_next is not tb:
                try:
                    prev.tb_next = tb
                except BaseException:
                    pass
            prev = tb
        tb = nxt
    if prev is not None and prev.tb_next is not None:
        try:
            prev.tb_next = None
        except BaseException:
            pass
    return head


def _strip_exc(e, seen):
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        try:
            e.__traceback__ = _strip_tb(e.__traceback__)
        except BaseException:
            pass
        if e.__cause__ is not None:
            _strip_exc(e.__cause__, seen)
        e = e.__context__


def _exception_record(e):
    rec = {"type": type(e).__name__, "message": None, "file": None, "line": None,
           "function": None}
    try:
        msg = str(e)
        rec["message"] = msg if len(msg) <= 2000 else msg[:2000] + "..."
    except BaseException:
        rec["message"] = "<unprintable>"
    tb = e.__traceback__
    last = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == S.script_co_file:
            last = tb
        tb = tb.tb_next
    if last is not None:
        rec["file"] = _os_path.basename(last.tb_frame.f_code.co_filename)
        rec["line"] = last.tb_lineno
        rec["function"] = last.tb_frame.f_code.co_name
    last = None
    if isinstance(e, SyntaxError):
        if e.filename:
            rec["file"] = _os_path.basename(str(e.filename))
        rec["line"] = e.lineno
        if e.msg is not None:
            rec["message"] = str(e.msg)
    return rec


def _print_exception(e):
    """Print an uncaught exception the way the interpreter would."""
    _strip_exc(e, set())
    tb = e.__traceback__
    try:
        _sys.last_type = type(e)
        _sys.last_value = e
        _sys.last_traceback = tb
        if _VER >= (3, 12):
            _sys.last_exc = e
    except BaseException:
        pass
    hook = _sys.__dict__.get("excepthook")
    try:
        if hook is None:
            try:
                _sys.__stderr__.write("sys.excepthook is missing\n")
            except BaseException:
                pass
            hook = _sys.__excepthook__
        hook(type(e), e, tb)
    except BaseException as e2:
        try:
            _strip_exc(e2, set())
            _sys.stderr.write("Error in sys.excepthook:\n")
            _sys.__excepthook__(type(e2), e2, e2.__traceback__)
            _sys.stderr.write("\nOriginal exception was:\n")
            _sys.__excepthook__(type(e), e, tb)
        except BaseException:
            pass
    try:
        _sys.stderr.flush()
    except BaseException:
        pass


def _system_exit_code(e):
    """Python's handling of an uncaught SystemExit: returns (value to raise
    at the very end, exit status the OS will see)."""
    code = e.code
    if code is None:
        return 0, 0
    if isinstance(code, int):
        return code, int(code) & 0xFF
    try:
        err = _sys.stderr
        if err is None:
            raise AttributeError("stderr")
        err.write(str(code) + "\n")
        err.flush()
    except BaseException:
        try:
            _os_write(2, (str(code) + "\n").encode("utf-8", "backslashreplace"))
        except BaseException:
            pass
    return 1, 1


# --------------------------------------------------------------------------
# Warm-up: run every hook once while tracemalloc is off.
# --------------------------------------------------------------------------
_WARMUP_SOURCE = '''
class {G}:
    def __init__(self, name):
        self.name = name
        self.players = []

class {P}:
    def __init__(self, name, game):
        self.name = name
        self.game = game

class _Weak{P}({P}):
    def __init__(self, name, game):
        super().__init__(name, game)
        self.game = _weakref_ref(game)

class _Bare{G}:
    pass

def _warm():
    game = {G}("w")
    for i in range(3):
        player = {P}("p%d" % i, game)
        game.players.append(player)
    holder = [game]
    d = {{"g": game}}
    def _cl():
        return game
    bm = game.__init__
    _snap()
    holder = None
    d = None
    _cl = None
    bm = None
    del game
    _collect(0)
    _snap()
    del player
    _collect(0)
    game = {G}("w2")
    player = _Weak{P}("q", game)
    game.players.append(player)
    _snap()
    del game
    _snap()
    del player
    x = {G}(5)
    del x

_warm()
'''


def _warmup():
    src = _WARMUP_SOURCE.replace("{G}", S.game_name).replace("{P}", S.player_name)
    src = src.replace("{{", "{").replace("}}", "}")
    bi = dict(_builtins_dict)
    bi["__build_class__"] = __build_class__
    ns = {"__name__": "__grader_warmup__", "__builtins__": bi,
          "_snap": lambda: _SnapshotHook([], 1), "_collect": _collect_sealed,
          "_weakref_ref": _wref}
    was_enabled = _gc_isenabled()
    # Everything alive so far goes into the collector's permanent
    # generation, which gc.get_referrers and gc.get_objects do not walk:
    # the warm-up's searches then look through its own few objects instead
    # of the whole heap (about 2 ms less per run), and find the same
    # holders.  Thawed below, before anything else runs.  Only when nothing
    # is frozen yet: thawing would also thaw what the interpreter froze at
    # start-up (375 objects on 3.12.1), which the submission would see.
    # The young generations are collected first, as the end of the warm-up
    # did alone before: frozen, their garbage would outlive it and land in
    # gc.garbage of a submission that sets DEBUG_SAVEALL.
    frozen = _gc_get_freeze_count is not None and _gc_get_freeze_count() == 0
    if frozen:
        _gc_collect(1)
        _gc_freeze()
    try:
        S.hooks_on = True
        exec(compile(src, S.script_co_file, "exec", dont_inherit=True), ns)
        _frame_roots()
        _json(_build_record())
        _probe_error("warm-up")
    except BaseException:
        pass
    finally:
        if frozen:
            _gc_unfreeze()
        S.hooks_on = False
        ns.clear()
        ns = None
        bi = None
        # generations 0 and 1 only: a full collection would also empty the
        # free lists, which the unprobed interpreter has filled at start-up
        _gc_collect(1)
        if was_enabled:
            _gc_enable()


# --------------------------------------------------------------------------
# PEP 578 audit hook: what the submission attempts (PROTOCOL.md 4.2).
# --------------------------------------------------------------------------
_AUDIT_CATEGORIES = ("network", "subprocess", "write_outside", "ctypes")
_AUDIT_MAX = 50
_AUDIT_DETAIL_MAX = 200


def _temp_root():
    """tempfile.gettempdir()'s answer without importing tempfile (an extra
    import changes the interpreter's free-list stock, see 5): the first of
    $TMPDIR, $TEMP, $TMP, /tmp, /var/tmp, /usr/tmp that is a writable
    directory, else the current directory."""
    tf = _sys.modules.get("tempfile")
    if tf is not None:
        try:
            return _os_path.realpath(tf.gettempdir())
        except BaseException:
            pass
    cands = [_environ.get(k) for k in ("TMPDIR", "TEMP", "TMP")]
    cands += ["/tmp", "/var/tmp", "/usr/tmp"]
    for c in cands:
        if c and _os_path.isdir(c) and os.access(c, os.W_OK | os.X_OK):
            return _os_path.realpath(c)
    return _os_path.realpath(os.getcwd())


def _make_audit_hook(script_co_file, roots, blocked, probe_objs, wrapper_ids,
                     probe_files, disguised, probe_codes=_PROBE_CODES):
    """Returns (hook, state, rows).  Everything the hook needs is captured
    here; state = [active, busy, dropped]; rows = the recorded attempts as
    tuples (category, event, detail, line, blocked)."""
    events = frozenset((
        "socket.connect", "socket.bind", "socket.sendto", "socket.getaddrinfo",
        "socket.gethostbyname",
        "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
        "os.fork", "os.forkpty",
        "open",
        "import", "ctypes.dlopen",
        "sys.setprofile", "sys.settrace", "sys._current_frames", "sys.addaudithook",
        "sys.monitoring.register_callback", "object.__setattr__", "object.__delattr__",
        "object.__getattr__", "gc.get_objects", "gc.get_referrers", "gc.get_referents",
    ))
    gc_ev = {"gc.get_objects": "listed every object the collector tracks (gc.get_objects)",
             "gc.get_referrers": "looked up an object's referrers (gc.get_referrers)",
             "gc.get_referents": "looked up an object's referents (gc.get_referents)"}
    sealed = _SEALED_CODES
    FrameType, FunctionType, CodeType = _FrameType, _FunctionType, _CodeType
    net = {"socket.connect": "connect to", "socket.bind": "bind to",
           "socket.sendto": "send to", "socket.getaddrinfo": "look up",
           "socket.gethostbyname": "look up"}
    probe_ev = {"sys.setprofile": "installed a profile function (sys.setprofile)",
                "sys.settrace": "installed a trace function (sys.settrace)",
                "sys._current_frames": "read every thread's frames (sys._current_frames)",
                "sys.addaudithook": "added an audit hook",
                "sys.monitoring.register_callback": "registered a sys.monitoring callback"}
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    blocked = frozenset(blocked)
    state = _AUDIT_STATE
    rows = []
    seen = set()
    getframe = _getframe
    realpath = _os_path.realpath
    fsdecode = os.fsdecode
    fspath = os.fspath
    PermErr = PermissionError
    _str, _bytes, _int, _tuple, _list, _len, _id, _repr = str, bytes, int, tuple, list, len, id, repr
    roots = tuple(roots)
    objs = probe_objs

    def text(x):
        if isinstance(x, _bytes):
            return fsdecode(x)
        if isinstance(x, _str):
            return _str.__str__(x)
        if isinstance(x, _int) or x is None:
            return _repr(x)
        return "<%s>" % type(x).__name__

    def addr(a):
        if isinstance(a, _tuple) and _len(a) >= 2:
            return "%s:%s" % (text(a[0]), text(a[1]))
        return text(a)

    def argv(a):
        if isinstance(a, (_str, _bytes)):
            return text(a)
        if isinstance(a, (_list, _tuple)):
            return " ".join(text(x) for x in a[:20])
        return text(a)

    def where():
        """(student line or None, is the probe's own call)"""
        try:
            f = getframe(2)
        except ValueError:      # raised from C with no Python caller
            return None, False
        while f is not None:
            c = f.f_code
            if c.co_filename == script_co_file:
                return f.f_lineno, False
            if _id(c) in probe_codes or c.co_filename in probe_files or disguised.get(_id(c)) is c:
                return None, True
            f = f.f_back
        return None, False

    def classify(event, args):
        """(category, detail) or None"""
        if event == "open":
            path, mode, flags = args[0], args[1], args[2]
            if isinstance(mode, _str):
                if not ("w" in mode or "a" in mode or "x" in mode or "+" in mode):
                    return None
            elif not (flags & write_flags):
                return None
            if isinstance(path, _int):
                return None
            if not isinstance(path, (_str, _bytes)):
                path = fspath(path)
            p = realpath(text(path))
            if p == "/dev/null":
                return None
            for r in roots:
                if p == r or p.startswith(r + "/") or r == "/":
                    return None
            return "write_outside", "tried to write to %s" % p
        if event in net:
            if event == "socket.getaddrinfo":
                a = text(args[0]) if args[1] is None else "%s:%s" % (text(args[0]), text(args[1]))
            elif event == "socket.gethostbyname":
                a = text(args[0])
            else:
                a = addr(args[1])
            return "network", "tried to %s %s" % (net[event], a)
        if event == "import":
            if args[0] in ("ctypes", "_ctypes"):
                return "ctypes", "imported %s" % args[0]
            return None
        if event == "ctypes.dlopen":
            return "ctypes", "tried to load a shared library: %s" % (
                "the process itself" if args[0] is None else text(args[0]))
        if event == "subprocess.Popen":
            return "subprocess", "tried to start a process: %s" % argv(args[1])
        if event == "os.system":
            return "subprocess", "tried to run a shell command: %s" % argv(args[0])
        if event == "os.exec":
            return "subprocess", "tried to exec: %s" % argv(args[1])
        if event == "os.posix_spawn":
            return "subprocess", "tried to spawn: %s" % argv(args[1])
        if event == "os.spawn":
            return "subprocess", "tried to spawn: %s" % argv(args[2])
        if event == "os.fork" or event == "os.forkpty":
            return "subprocess", "tried to fork (%s)" % event
        if event in probe_ev:
            return "probe", probe_ev[event]
        if event in gc_ev:
            # the probe's own functions and code, looked into: the way from a
            # sealed stand-in to the probe's namespace without __code__
            for o in (args[0] if type(args[0]) is tuple else ()):
                t = type(o)
                c = o.__code__ if t is FunctionType else (o if t is CodeType else None)
                if c is not None and (_id(c) in probe_codes or _id(c) in sealed):
                    return "probe", "looked inside the grader's %s with %s" % (
                        "function " + text(o.__name__) if t is FunctionType else "code", event)
            return "introspection", gc_ev[event]
        if event == "object.__getattr__":
            # reading the code or namespace of the probe's own frames and
            # functions: the only ways in that the trampoline leaves
            o, name = args[0], args[1]
            t = type(o)
            if t is FrameType and name == "f_code":
                if _id(o.f_code) in probe_codes or disguised.get(_id(o.f_code)) is o.f_code:
                    return "introspection", "read the code of a frame of the grader's runtime"
                return None
            if t is FunctionType and name == "__code__":
                # a sealed stand-in's code holds the probe's function: the
                # one way in from what the script can hold
                c = o.__code__
                if _id(c) in sealed:
                    return "probe", "read the code of the grader's function %s" % text(o.__name__)
                if _id(c) in probe_codes or disguised.get(_id(c)) is c:
                    return "introspection", "read the code of the grader's function %s" % text(o.__name__)
            return None
        # object.__setattr__ / __delattr__ (obj, name[, value])
        o = args[0]
        for x in objs:
            if x is o:
                break
        else:
            if _id(o) not in wrapper_ids:
                return None
        verb = "set" if event == "object.__setattr__" else "deleted"
        return "probe", "%s attribute %s of the probe's %s" % (
            verb, text(args[1]), text(getattr(o, "__name__", None)))

    def hook(event, args):
        if event not in events or not state[0] or state[1]:
            return
        state[1] = 1
        veto = None
        try:
            try:
                cd = classify(event, args)
                if cd is not None:
                    line, own = where()
                    if not own:
                        cat, detail = cd
                        detail = detail[:_AUDIT_DETAIL_MAX]
                        b = cat in blocked
                        key = (cat, detail)
                        if key not in seen:
                            if _len(seen) < 4096:
                                seen.add(key)
                            if _len(rows) < _AUDIT_MAX:
                                rows.append((cat, event, detail, line, b))
                            else:
                                state[2] += 1
                        if b:
                            veto = "blocked by the grader: " + detail
            except BaseException:
                pass
        finally:
            state[1] = 0
        if veto is not None:
            raise PermErr(veto)

    return hook, state, rows


# --------------------------------------------------------------------------
# Entry point.
# --------------------------------------------------------------------------
def _setup_fd():
    raw = _environ.get("GRADER_PROBE_FD")
    token = _environ.get("GRADER_PROBE_TOKEN")
    token_file = _environ.get("GRADER_PROBE_TOKEN_FILE")
    classes = _environ.get("GRADER_PROBE_CLASSES")
    for k in ("GRADER_PROBE_FD", "GRADER_PROBE_TOKEN", "GRADER_PROBE_TOKEN_FILE", "GRADER_PROBE_CLASSES"):
        try:
            del _environ[k]
        except KeyError:
            pass
    if token is None and token_file:
        # Deleting an environment variable does not remove it from
        # /proc/self/environ, which the submission can read; a file that we
        # read and delete before any student code runs leaves no trace.
        try:
            with open(token_file, "r") as f:
                token = f.read().strip()
        except OSError:
            token = None
        try:
            _os_unlink(token_file)
        except OSError:
            pass
    if raw is None or token is None:
        return None, None, classes, "GRADER_PROBE_FD and GRADER_PROBE_TOKEN must be set"
    if not token or any(c not in "0123456789abcdefABCDEF" for c in token):
        return None, None, classes, "GRADER_PROBE_TOKEN must be hexadecimal"
    try:
        fd = int(raw)
        if fd < 0:
            raise ValueError(raw)
    except ValueError:
        return None, None, classes, "GRADER_PROBE_FD is not a file descriptor number"
    try:
        _os_fstat(fd)
    except OSError:
        return None, None, classes, "GRADER_PROBE_FD %d is not open" % fd
    # What fcntl(F_DUPFD_CLOEXEC, base) does, without importing fcntl (an
    # extension module the unprobed run does not load): the first free
    # descriptor from base up.  Nothing else runs yet, so no other thread
    # can take it in between.
    high = None
    for base in (1000, 500, 250, 100, 64, 32, 16, 11):
        for cand in range(base, base + 16):
            try:
                _os_fstat(cand)
                continue        # taken
            except OSError:
                pass
            try:
                high = _os_dup2(fd, cand, False)
            except OSError:
                break           # past RLIMIT_NOFILE: a lower base
            break
        if high is not None:
            break
    if high is None:
        return None, None, classes, "cannot duplicate GRADER_PROBE_FD"
    if high != fd:
        try:
            _os_close(fd)
        except OSError:
            pass
    return high, token, classes, None


def _collect_names(code, out):
    for n in code.co_names:
        out.add(n)
    for c in code.co_consts:
        if type(c) is _CodeType:
            _collect_names(c, out)
        elif type(c) is str and c.isidentifier():
            out.add(c)


def main(bootstrap_files):
    """Sets everything up and returns the function that runs the script
    (the bootstrap calls it: see _trampoline), or ends the process."""
    for bf in bootstrap_files:
        _PROBE_FILES.add(bf)
    S.boot_file = bootstrap_files[-1] if bootstrap_files else _CORE_FILE
    _collect_probe_codes()
    block_raw = _environ.get("GRADER_PROBE_BLOCK") or ""
    try:
        del _environ["GRADER_PROBE_BLOCK"]
    except KeyError:
        pass
    fd, token, classes, err = _setup_fd()
    argv = list(_sys.argv[1:])
    if err is not None or not argv:
        try:
            _sys.stderr.write("grader_probe: %s\n" % (err or "usage: grader_probe.py SCRIPT"))
        except BaseException:
            pass
        raise SystemExit(2)
    S.game_name, S.player_name = "Game", "Player"
    if classes:
        parts = [p.strip() for p in classes.split(",")]
        if len(parts) == 2 and all(p.isidentifier() for p in parts) and parts[0] != parts[1]:
            S.game_name, S.player_name = parts
    S.fd = fd
    S.token = token
    S.pid = _os_getpid()
    S.wrapper_ids = {}
    S.main_dict = {}
    S.start_moddicts = frozenset(_module_dicts())   # again just before the script
    script = argv[0]
    S.script_arg = script
    abs_script = _os_path.abspath(script)
    # 3.8 compiles the main script under the path as typed, 3.9+ absolute
    S.script_co_file = script if _VER < (3, 9) else abs_script
    S.attr_names = ["name", "game", "players"]
    _reset_state()

    # -- hooks that must exist before the submission imports anything
    _gc_callbacks.append(_gc_callback_sealed)
    S.private_tm = _load_private_tracemalloc()
    tm_globals = dict(_object_getattribute(tracemalloc, "__dict__"))
    tm_globals["Snapshot"] = _SnapshotHook
    take_snapshot = _FunctionType(_tm_take_snapshot.__code__, tm_globals, "take_snapshot",
                                  _tm_take_snapshot.__defaults__, _tm_take_snapshot.__closure__)
    take_snapshot.__qualname__ = _tm_take_snapshot.__qualname__
    take_snapshot.__doc__ = _tm_take_snapshot.__doc__
    take_snapshot.__module__ = _tm_take_snapshot.__module__
    tracemalloc.take_snapshot = take_snapshot
    start.__module__ = "tracemalloc"
    start.__doc__ = _tm_start.__doc__
    start_sealed = _seal(start)
    tracemalloc.start = start_sealed
    collect.__module__ = "gc"
    collect.__doc__ = _gc_collect.__doc__
    gc.collect = _collect_sealed
    unfreeze_sealed = _seal(_unfreeze, _gc_unfreeze)
    gc.unfreeze = unfreeze_sealed
    _take_baselines()
    _warmup()
    _reset_state()
    build_class_sealed = _seal(__build_class__)
    _builtins_module.__build_class__ = build_class_sealed
    os_exit_sealed = _seal(_os_exit_wrapper)
    os._exit = os_exit_sealed
    posix = _sys.modules.get("posix")
    if posix is not None and getattr(posix, "_exit", None) is _os_exit:
        posix._exit = os_exit_sealed
    _atexit_register(_atexit_backup)

    # -- the audit hook (irremovable; active only while student code runs)
    blocked = [c for c in (x.strip() for x in block_raw.split(",")) if c in _AUDIT_CATEGORIES]
    probe_objs = [take_snapshot, start_sealed, _collect_sealed, os_exit_sealed, build_class_sealed, unfreeze_sealed,
                  _SnapshotHook, _Ref, _on_death_sealed, _gc_callback_sealed, _register_sealed]
    script_dir = _os_path.dirname(_os_path.realpath(abs_script))
    try:
        hook, astate, arows = _make_audit_hook(
            S.script_co_file, (script_dir, _temp_root()), blocked, probe_objs,
            S.wrapper_ids, _PROBE_FILES, _DISGUISED)
        probe_objs.append(hook)
        _sys.addaudithook(hook)
        S.audit = (astate, arows, blocked)
    except BaseException:
        _probe_error("audit hook")
    hook = astate = arows = probe_objs = None

    _sys.argv[:] = [script]
    _sys.path[0] = _os_path.dirname(_os_path.realpath(abs_script))
    code = None
    try:
        with open(abs_script, "rb") as fh:
            source = fh.read()
        _check_decoding(source, S.script_co_file)
        code = compile(source, S.script_co_file, "exec", dont_inherit=True)
        source = None
        names = set(S.attr_names)
        _collect_names(code, names)
        S.attr_names = sorted(names)
    except BaseException as e:
        _finish(e)
    box = [None, None]
    run = _trampoline(box)
    # The bootstrap's own namespace (its frame is below the script's) is
    # emptied: nothing of the probe's is left there.
    od = _object_getattribute(_sys.modules["__main__"], "__dict__")
    od.clear()
    od["__builtins__"] = _builtins_module
    od = None
    # Everything alive now, the probe's state and functions included, goes
    # to the collector's permanent generation, where gc.get_objects() and
    # gc.get_referrers() do not look: the script cannot find the probe's
    # state through them.  What the script makes from here on (its
    # namespace included) is searched as usual.  gc.unfreeze() is recorded
    # as an attempt on the probe.
    S.start_moddicts = frozenset(_module_dicts())
    before = _gc_get_freeze_count() if _gc_get_freeze_count is not None else 0
    S.frozen_before = before
    _gc_freeze()
    S.frozen_by_probe = (_gc_get_freeze_count() if _gc_get_freeze_count is not None else 0) - before
    # -- the submission's __main__, made after the freeze
    mod = _ModuleType("__main__")
    d = _object_getattribute(mod, "__dict__")
    d["__file__"] = script if _VER < (3, 9) else abs_script
    d["__loader__"] = _SourceFileLoader("__main__", d["__file__"])
    d["__spec__"] = None
    d["__package__"] = None
    d["__cached__"] = None
    d["__annotations__"] = {}
    d["__builtins__"] = _builtins_module
    S.main_dict = d
    _sys.modules["__main__"] = mod
    mod = None
    box[0] = code
    box[1] = d
    box = code = d = None
    a = getattr(S, "audit", None)
    if a is not None:
        a[0][0] = 1
    a = None
    S.hooks_on = True
    return run


def _trampoline(box):
    """The function the bootstrap calls to run the script.  Its code holds,
    as constants (reading a frame's f_code is audited), a list the caller
    fills with the script's code and globals, and _finish: the frame holds
    nothing else of the probe's.  Made before the freeze (see main), so
    gc.get_objects() does not list those constants either.  Its globals are
    a fresh dict with a copy of the builtins, so a script that reaches it
    changes nothing the probe uses (and cannot shadow the names it calls
    after the script).  Tracebacks never show it (_strip_tb)."""
    src = ("def run():\n"
           "    try:\n"
           "        exec(*next(iter(('<B>',))))\n"
           "    except BaseException as e:\n"
           "        next(iter(('<F>',)))(e)\n"
           "    next(iter(('<F>',)))(None)\n")
    outer = compile(src, S.boot_file, "exec", dont_inherit=True)
    fc = [c for c in outer.co_consts if type(c) is _CodeType][0]
    held = (box,)
    swap = {("<B>",): held, ("<F>",): (_finish,)}
    consts = tuple(swap.get(c, c) if type(c) is tuple else c for c in fc.co_consts)
    if sum(1 for c in consts if c is held) != 1 or consts.count((_finish,)) != 1:
        raise RuntimeError("cannot build the trampoline")
    fc = fc.replace(co_consts=consts, co_name="<module>")
    _PROBE_CODES.add(id(fc))
    _DISGUISED[id(fc)] = fc
    return _FunctionType(fc, {"__builtins__": dict(_builtins_dict)}, "<module>")


def _check_decoding(source, filename):
    """The interpreter reads a script file strictly (PEP 263): without a
    coding cookie or BOM, bytes that are not UTF-8 are a SyntaxError, even
    in a comment, where compile() of the same bytes would let them pass."""
    if source.startswith(b"\xef\xbb\xbf"):
        return
    for ln in source.split(b"\n", 2)[:2]:
        s = ln.lstrip(b" \t\f")
        if s.startswith(b"#") and b"coding" in s:
            return      # compile() applies the declared encoding itself
        if s and not s.startswith(b"#"):
            break
    try:
        source.decode("utf-8")
    except UnicodeDecodeError as e:
        line = source.count(b"\n", 0, e.start) + 1
        pep = "http://python.org/dev/peps/pep-0263/" if _VER < (3, 9) else "https://peps.python.org/pep-0263/"
        err = SyntaxError("Non-UTF-8 code starting with '\\x%02x' in file %s on line %d, but no encoding "
                          "declared; see %s for details" % (source[e.start], S.script_arg, line, pep))
        err.filename = S.script_co_file
        err.lineno = line
        raise err


def _finish(e):
    """The script has ended (e: what it raised, or None).  Never returns."""
    final_raise = 0
    sigint = False
    S.after_script = True
    if e is None:
        S.completed = True
        S.exit_reason = "normal"
        S.exit_code = 0
    elif isinstance(e, SystemExit):
        S.exit_reason = "system_exit"
        final_raise, S.exit_code = _system_exit_code(e)
    else:
        S.exception = _exception_record(e)
        if isinstance(e, KeyboardInterrupt):
            S.exit_reason = "keyboard_interrupt"
            S.exit_code = 130
            sigint = True
        else:
            S.exit_reason = "exception"
            S.exit_code = 1
        final_raise = 1
        _print_exception(e)
    e = None

    S.finishing = True
    try:
        _post_script_analysis()
    except BaseException:
        _probe_error("analysis")
    # Non-daemon threads are joined and the submission's atexit handlers run
    # now, as Python would do at exit (the probe's own handler, registered
    # first, does nothing when called here).
    try:
        th = _sys.modules.get("threading")
        if th is not None and hasattr(th, "_shutdown"):
            th._shutdown()
    except BaseException:
        pass
    try:
        if _atexit_run is not None:
            _atexit_run()
    except BaseException:
        pass
    _check_tampering()
    _collect_leftovers()
    _teardown_main()
    _write_record()
    if sigint:
        try:
            _sys.stdout.flush()
        except BaseException:
            pass
        _signal_handler(_SIGINT, _SIG_DFL)
        _os_kill(_os_getpid(), _SIGINT)
    raise SystemExit(final_raise)
