"""Helpers shared by bench/run and bench/smoke: run a process and measure its
wall time and its own peak RSS.

Peak RSS comes from GNU time (`/usr/bin/time -f %M`), not from wait4 on a
child of this script: Linux carries ru_maxrss across execve (the exec'ing
process's old address space counts), so a child forked or vforked from a
Python process of 100 MB reports at least 100 MB whatever it runs. GNU time
forks from its own ~2 MB image. Wall time is measured here, spawn to reap
(GNU time's own %e has 10 ms resolution); the spawn + GNU time + reap
overhead is the same for every command (bench/run reports it as `true`).
"""

import atexit
import os
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = "/usr/bin/python3"
PICKLE_LOAD = "import pickle,sys; pickle.load(open(sys.argv[1],'rb'))"
JOBLIB_LOAD = "import joblib,sys; joblib.load(sys.argv[1])"

_err_fd, _ERR_PATH = tempfile.mkstemp(prefix="depickle-bench-stderr-")
os.close(_err_fd)
_rss_fd, _RSS_PATH = tempfile.mkstemp(prefix="depickle-bench-rss-")
os.close(_rss_fd)
GNU_TIME = "/usr/bin/time"


@dataclass
class Run:
    wall: float       # seconds, fork to reap
    rss_kb: int       # peak resident set of the command (GNU time %M, KiB)
    code: int         # exit code (negative: killed by that signal)
    stderr: str       # first 2000 bytes of stderr when code != 0


def which(name):
    path = shutil.which(name)
    if path is None:
        raise SystemExit(f"bench: {name} not found (run bench/setup)")
    return path


def run(argv, stdout=os.devnull):
    """Runs argv (argv[0] an absolute path) with stdout to `stdout`."""
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_OPEN, 2, _ERR_PATH, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
    ]
    if not os.access(GNU_TIME, os.X_OK):
        raise SystemExit(f"bench: {GNU_TIME} missing (run bench/setup: Debian package 'time')")
    wrapped = [GNU_TIME, "-f", "%M", "-o", _RSS_PATH, "--"] + list(argv)
    t0 = time.perf_counter()
    pid = os.posix_spawn(GNU_TIME, wrapped, os.environ, file_actions=actions)
    _, status, _ = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    with open(_RSS_PATH) as f:  # "Command exited with non-zero status N" may come first
        lines = f.read().split()
    rss_kb = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    err = ""
    if code != 0:
        with open(_ERR_PATH, "rb") as f:
            err = f.read(2000).decode("utf-8", "replace").strip()
    return Run(wall, rss_kb, code, err)


def remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def loadavg():
    return os.getloadavg()[0]


@atexit.register
def _cleanup():
    remove(_ERR_PATH)
    remove(_RSS_PATH)
