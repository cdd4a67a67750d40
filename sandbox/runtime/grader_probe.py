"""grader_probe.py: run a student's leaky_app.py under the lifetime probe.

Usage (see PROTOCOL.md):
    GRADER_PROBE_FD=3 GRADER_PROBE_TOKEN=<hex> \
        python3 -E -s -B /abs/path/grader_probe.py leaky_app.py 3>record

This file is only a bootstrap.  It loads probe_core.py (same directory) into a
private namespace whose __builtins__ is a private copy of the builtins dict, so
a submission that rebinds builtins.len, builtins.__import__, ... cannot change
what the probe's own code calls.  Standard library only; CPython 3.8-3.13.
"""


def _cached_code(os):
    """probe_core.py compiled ahead of time by the grader (outside the
    sandbox, so a submission cannot plant code there): compiling 2,000 lines
    on every run costs more than the student's whole script.  The grader
    names the file after the source's SHA-256 and this interpreter; we check
    the bytecode magic and fall back to compiling on any doubt."""
    path = os.environ.pop("GRADER_PROBE_CODE", None)
    if not path:
        return None
    try:
        import marshal
        import sys
        # The frozen module every interpreter starts with: importing the
        # importlib package instead costs a third of a millisecond, and the
        # unprobed run does not have it.
        MAGIC_NUMBER = getattr(sys.modules.get("_frozen_importlib_external"), "MAGIC_NUMBER", None)
        if MAGIC_NUMBER is None:
            from importlib._bootstrap_external import MAGIC_NUMBER
        with open(path, "rb") as f:
            data = f.read()
        header, _, body = data.partition(b"\n")
        fields = header.split(b" ")
        if len(fields) != 3 or fields[0] != b"GRADER-PROBE-CODE" or fields[2] != MAGIC_NUMBER.hex().encode():
            return None
        return marshal.loads(body)
    except Exception:
        return None


def _grader_probe_boot():
    import builtins
    import os
    import sys
    here = os.path.dirname(os.path.abspath(__file__))
    core_path = os.path.join(here, "probe_core.py")
    code = _cached_code(os)
    if code is None:
        with open(core_path, "rb") as f:
            code = compile(f.read(), core_path, "exec", dont_inherit=True)
    ns = {
        "__builtins__": dict(builtins.__dict__),
        "__name__": "grader_probe_core",
        "__file__": core_path,
        "__doc__": None,
    }
    exec(code, ns)
    return ns["main"], (__file__, os.path.abspath(__file__))


_grader_probe_main, _grader_probe_files = _grader_probe_boot()
# main() empties this module's namespace, makes it the script's __main__
# and returns the function that runs the script; that one never returns:
# it ends by raising SystemExit (or dying by SIGINT).  Nothing of the
# probe's is left in a frame the script can walk to.
_grader_probe_main(_grader_probe_files)()
