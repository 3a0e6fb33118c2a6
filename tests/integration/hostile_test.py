#!/usr/bin/python3
"""depickle against the hostile corpus (tests/hostile/generate.py).

Usage:  hostile_test.py DEPICKLE [--no-ulimit] [--stack-mib N] [--jobs N] [--timeout S] [--only FILE ...] [--keep]
        hostile_test.py --show-canary

Generates the corpus into a temporary directory (with a temporary canary
directory), then for every file runs `depickle scan FILE` and
`depickle convert FILE -o OUT.{json,onnx,h5}` under an address-space limit of
4 GiB (RLIMIT_AS; --no-ulimit for ASan builds, which reserve far more virtual
memory), a stack of 2 MiB (RLIMIT_STACK, a quarter of Linux's default: the
nesting limit must hold with room to spare; ASan builds, whose frames are
several times larger, pass --stack-mib 64) and a timeout, and checks:

  * the exit code is one of MANIFEST's expect_convert (ONNX may also give 4
    where 0 is expected, unless the manifest names per-format codes);
  * no signal, no exit 70, no timeout;
  * a failure prints exactly one stderr line "depickle: <category>: ..." whose
    category matches the exit code, and leaves nothing in the output
    directory (neither OUT nor a .OUT.depickle-XXXXXX temporary);
  * a success leaves OUT and nothing else; shared-reference bombs stay small;
  * ONNX refusals of corrupt trees name the tree and the node;
  * the scan verdict matches expect_scan: with `scan --json` (when the binary
    has it) exactly; with the older text output "refused" stands for unsafe
    or unknown;
  * peak RSS of each process (wait4) stays under 4 GiB;
  * afterwards no CDIR/*.ran canary exists: nothing in the corpus ran.

Nothing is ever unpickled by this test. --show-canary is the one exception,
for a developer's note only: it builds the two simplest payloads and runs the
REAL pickle.load on them in a throwaway directory to show the canary appears.

Exit status: 0 all checks passed, 1 a check failed, 2 usage.
"""

import argparse
import concurrent.futures
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GENERATOR = os.path.join(ROOT, "tests", "hostile", "generate.py")
SAFE_FIXTURE = os.path.join(ROOT, "fixtures", "models", "logistic_binary.pkl")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

GiB = 1 << 30
AS_LIMIT = 4 * GiB
FORMATS = ("json", "onnx", "h5")
CATEGORY = {1: ("refused",), 2: ("usage",), 3: ("malformed", "truncated"), 4: ("unsupported",),
            5: ("limit exceeded",), 6: ("output failed",), 70: ("internal error",)}
SMALL_OUTPUT = {"dag_bomb": 1 << 20, "self_reference": 1 << 20}
# Every corpus file is small; only decompression bombs may legitimately make
# depickle hold a lot (up to max_decompressed_bytes = 2 GiB).
RSS_BUDGET = 1 * GiB
RSS_EXEMPT = {"decompression_bomb"}
CONTROL = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]")


# ---------------------------------------------------------------------------
# Running a child with limits and measuring its peak RSS.


class _Popen(subprocess.Popen):
    """Popen that reaps with wait4 to keep the child's own rusage."""

    rusage = None

    def _try_wait(self, wait_flags):
        try:
            pid, sts, ru = os.wait4(self.pid, wait_flags)
        except ChildProcessError:  # as Popen._try_wait: the status is lost
            return (self.pid, 0)
        if pid == self.pid:
            self.rusage = ru
        return (pid, sts)


class Result:
    def __init__(self, rc, out, err, seconds, rss_kib, timed_out):
        self.rc, self.out, self.err = rc, out, err
        self.seconds, self.rss_kib, self.timed_out = seconds, rss_kib, timed_out


STACK_BYTES = 2 << 20  # --stack-mib


def run(args, timeout, ulimit, cwd=None):
    def limits():
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_STACK, (STACK_BYTES, STACK_BYTES))
        if ulimit:
            resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))

    t0 = time.monotonic()
    p = _Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limits,
               start_new_session=True, cwd=cwd)
    timed_out = False
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(p.pid, signal.SIGKILL)  # the session we started for this child only
        except ProcessLookupError:
            pass
        out, err = p.communicate()
    rss = p.rusage.ru_maxrss if p.rusage is not None else -1
    return Result(p.returncode, out, err, time.monotonic() - t0, rss, timed_out)


# ---------------------------------------------------------------------------
# Manifest


def parse_expect(text):
    """'1|3' or 'json=0;onnx=3;h5=0' -> {format: set of codes}."""
    if "=" in text:
        out = {}
        for part in text.split(";"):
            fmt, codes = part.split("=")
            out[fmt] = {int(c) for c in codes.split("|")}
        assert set(out) == set(FORMATS), text
        return out
    base = {int(c) for c in text.split("|")}
    return {"json": base, "h5": base, "onnx": base | ({4} if 0 in base else set())}


def read_manifest(corpus):
    rows = []
    with open(os.path.join(corpus, "MANIFEST.tsv")) as f:
        header = f.readline().rstrip("\n").split("\t")
        assert header == ["file", "technique", "expect_scan", "expect_convert", "note"], header
        for line in f:
            name, technique, scan, convert, note = line.rstrip("\n").split("\t")
            rows.append({"file": name, "technique": technique, "scan": scan,
                         "convert": parse_expect(convert), "convert_text": convert, "note": note,
                         "size": os.path.getsize(os.path.join(corpus, name))})
    return rows


# ---------------------------------------------------------------------------
# Checks


def clean(text):
    """Text safe to print: control characters (from hostile names) escaped."""
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: "\\x%02x" % ord(m.group()), text)


def stderr_problems(res, rc):
    """The one-line error contract of a failed run."""
    err = res.err.decode("utf-8", "replace")
    problems = []
    lines = err.split("\n")
    if not err.endswith("\n") or err.count("\n") != 1:
        problems.append("stderr has %d lines, expected exactly one" % err.count("\n"))
    first = lines[0]
    if CONTROL.search(res.err):
        problems.append("stderr holds raw control characters %r"
                        % sorted({chr(c) for c in res.err if c < 0x20 and c != 10 or c == 0x7f}))
    if not first.startswith("depickle: "):
        problems.append("stderr does not start with 'depickle: ': %r" % first[:200])
    else:
        cats = CATEGORY.get(rc, ())
        if cats and not any(first.startswith("depickle: %s:" % c) for c in cats):
            problems.append("exit %d but category in %r" % (rc, first[:120]))
    return problems


def offset_warning(res):
    """The contract: 'depickle: <category>: <what> at byte <offset> ...'."""
    if res.rc not in (0, None) and res.rc > 0 and b" at byte " not in res.err:
        return "no 'at byte <offset>' in: %s" % res.err.decode("utf-8", "replace").strip()[:160]
    return None


def check_convert(row, fmt, res, outdir, out_path):
    problems = []
    want = row["convert"][fmt]
    if res.timed_out:
        return ["timed out (hang?)"]
    if res.rc < 0:
        problems.append("killed by signal %d" % -res.rc)
    elif res.rc == 70:
        problems.append("internal error (exit 70)")
    if res.rc not in want:
        problems.append("exit %d, expected %s" % (res.rc, "|".join(map(str, sorted(want)))))
    left = sorted(os.listdir(outdir))
    if res.rc != 0:
        problems += stderr_problems(res, res.rc)
        if left:
            problems.append("failed run left files behind: %s" % left)
    else:
        if not os.path.exists(out_path):
            problems.append("exit 0 but no output file")
        extra = [f for f in left if f != os.path.basename(out_path)]
        if extra:
            problems.append("temporary files left behind: %s" % extra)
        cap = SMALL_OUTPUT.get(row["technique"])
        if cap and os.path.exists(out_path) and os.path.getsize(out_path) > cap:
            problems.append("output is %d bytes (shared references expanded?)"
                            % os.path.getsize(out_path))
    if res.rss_kib * 1024 > AS_LIMIT:
        problems.append("peak RSS %d MiB exceeds 4 GiB" % (res.rss_kib // 1024))
    elif res.rss_kib * 1024 > RSS_BUDGET and row["technique"] not in RSS_EXEMPT:
        problems.append("peak RSS %d MiB for a %d-byte input (budget 1 GiB)"
                        % (res.rss_kib // 1024, row["size"]))
    if row["technique"] == "tree_corruption" and fmt == "onnx" and res.rc == 3:
        if not re.search(r"tree .*node -?\d+", res.err.decode("utf-8", "replace")):
            problems.append("ONNX refusal does not name the tree and node: %r"
                            % res.err.decode("utf-8", "replace").strip()[:200])
    return problems


def scan_verdict(res, path, json_mode):
    """(verdict, detail) parsed from scan's stdout."""
    text = res.out.decode("utf-8", "replace")
    if json_mode:
        for line in text.splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if obj.get("file") == path:
                return obj.get("verdict"), obj
        return None, text[:300]
    prefix = path + ": "
    for line in text.splitlines():
        if line.startswith(prefix):
            rest = line[len(prefix):]
            for v in ("safe", "refused", "invalid"):
                if rest == v or rest.startswith(v + " ") or rest.startswith(v + ":"):
                    return v, rest
            return None, rest
    return None, text[:300]


def check_scan(row, res, path, json_mode):
    if res.timed_out:
        return ["scan timed out (hang?)"], None
    problems = []
    if res.rc < 0:
        problems.append("scan killed by signal %d" % -res.rc)
    elif res.rc == 70:
        problems.append("scan: internal error (exit 70)")
    verdict, detail = scan_verdict(res, path, json_mode)
    want = row["scan"]
    if json_mode:
        ok = verdict == want
        rc_want = {"safe": 0, "unsafe": 1, "unknown": 1, "invalid": 2}.get(verdict)
    else:
        ok = verdict == {"safe": "safe", "unsafe": "refused", "unknown": "refused",
                         "invalid": "invalid"}[want]
        rc_want = {"safe": 0, "refused": 1, "invalid": 2}.get(verdict)
    if verdict is None:
        problems.append("scan printed no verdict for the file: %r" % (detail,))
    elif not ok:
        d = detail if isinstance(detail, str) else json.dumps(detail)[:300]
        problems.append("scan verdict %s, expected %s (%s)" % (verdict, want, d[:200]))
    if verdict is not None and rc_want is not None and res.rc != rc_want:
        problems.append("scan verdict %s but exit %d" % (verdict, res.rc))
    if res.rss_kib * 1024 > AS_LIMIT:
        problems.append("scan peak RSS %d MiB exceeds 4 GiB" % (res.rss_kib // 1024))
    elif res.rss_kib * 1024 > RSS_BUDGET and row["technique"] not in RSS_EXEMPT:
        problems.append("scan peak RSS %d MiB (budget 1 GiB)" % (res.rss_kib // 1024))
    if CONTROL.search(res.out):
        problems.append("scan output holds raw control characters")
    if res.err and res.rc != 2:
        problems.append("scan wrote to stderr: %r" % res.err[:200])
    return problems, verdict


# ---------------------------------------------------------------------------


def probe_json_scan(depickle, ulimit):
    res = run([depickle, "scan", "--json", SAFE_FIXTURE], 60, ulimit)
    if res.rc == 2 and b"usage" in res.err:
        return False
    try:
        obj = json.loads(res.out.decode().splitlines()[0])
    except (ValueError, IndexError):
        print("scan --json exits %d without JSON; using the text output" % res.rc)
        return False
    if obj.get("verdict") != "safe":
        print("WARNING: scan --json says %r for %s" % (obj.get("verdict"), SAFE_FIXTURE))
    return True


def generate(corpus, canary, only=None):
    args = [PYTHON, GENERATOR, "--out", corpus, "--canary-dir", canary]
    if only:
        args += ["--only", *only]
    r = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        sys.exit("generator failed:\n" + r.stdout + r.stderr)
    return r.stdout.strip()


def main_test(a):
    global STACK_BYTES
    STACK_BYTES = a.stack_mib << 20
    depickle = os.path.abspath(a.depickle)
    ulimit = not a.no_ulimit
    tmp = tempfile.mkdtemp(prefix="depickle-hostile-")
    corpus = os.path.join(tmp, "corpus")
    canary = os.path.join(tmp, "canary")
    outroot = os.path.join(tmp, "out")
    os.makedirs(canary)
    os.makedirs(outroot)
    t0 = time.monotonic()
    try:
        print("generator: " + generate(corpus, canary, a.only))
        rows = read_manifest(corpus)
        json_mode = probe_json_scan(depickle, ulimit)
        print("scan output: %s; address-space limit: %s; timeout %ds; %d jobs"
              % ("--json" if json_mode else "text (no --json yet)",
                 "4 GiB" if ulimit else "none (--no-ulimit)", a.timeout, a.jobs))

        results = {r["file"]: {"problems": [], "warnings": [], "codes": {}, "rss": {}, "secs": {}}
                   for r in rows}
        lock = threading.Lock()

        def job(row, kind):
            path = os.path.join(corpus, row["file"])
            if kind == "scan":
                args = [depickle, "scan", path] + (["--json"] if json_mode else [])
                res = run(args, a.timeout, ulimit)
                problems, verdict = check_scan(row, res, path, json_mode)
                code = "%s/%s" % (verdict, res.rc)
            else:
                outdir = os.path.join(outroot, row["file"] + "." + kind)
                os.makedirs(outdir)
                out_path = os.path.join(outdir, "out." + kind)
                res = run([depickle, "convert", path, "-o", out_path], a.timeout, ulimit)
                problems = check_convert(row, kind, res, outdir, out_path)
                warning = None if res.timed_out else offset_warning(res)
                if warning:
                    with lock:
                        results[row["file"]]["warnings"].append("%s: %s" % (kind, warning))
                code = "T/O" if res.timed_out else str(res.rc)
                if res.rc != 0 and not res.timed_out:
                    with lock:
                        results[row["file"]].setdefault("stderr", {})[kind] = \
                            res.err.decode("utf-8", "replace").strip()
            with lock:
                r = results[row["file"]]
                r["codes"][kind] = code
                r["rss"][kind] = res.rss_kib
                r["secs"][kind] = res.seconds
                r["problems"] += ["%s: %s" % (kind, p) for p in problems]

        # Slow cases first, so two workers stay busy until the end.
        order = sorted(rows, key=lambda r: r["technique"] != "decompression_bomb")
        jobs = [(r, k) for r in order for k in ("scan",) + FORMATS]
        with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
            for f in concurrent.futures.as_completed([pool.submit(job, r, k) for r, k in jobs]):
                f.result()

        ran = sorted(os.listdir(canary))
        failed = 0
        warned = 0
        by_tech = {}
        max_rss = (0, "")
        for row in rows:
            r = results[row["file"]]
            rss = max(r["rss"].values())
            for kind, v in r["rss"].items():
                if v > max_rss[0]:
                    max_rss = (v, "%s (%s)" % (row["file"], kind))
            if any(x.startswith(row["file"] + ".ran") for x in ran):
                r["problems"].append("CANARY %s.ran EXISTS: the payload ran" % row["file"])
            ok = not r["problems"]
            failed += not ok
            t = by_tech.setdefault(row["technique"], [0, 0])
            t[0 if ok else 1] += 1
            print("%s %-44s scan=%-11s json=%-3s onnx=%-3s h5=%-3s rss=%5dMiB %5.1fs%s"
                  % ("ok  " if ok else "FAIL", row["file"], r["codes"]["scan"], r["codes"]["json"],
                     r["codes"]["onnx"], r["codes"]["h5"], rss // 1024, max(r["secs"].values()),
                     "" if ok else "  [expect scan=%s convert=%s]" % (row["scan"],
                                                                        row["convert_text"])))
            for p in r["problems"]:
                print("       - " + clean(p))
            for w in r["warnings"]:
                print("       ~ warning: " + clean(w))
                warned += 1
            if not ok:
                for kind, err in sorted(r.get("stderr", {}).items()):
                    print("       %s stderr: %s" % (kind, clean(err[:300])))
        if ran:
            print("CANARIES FOUND in %s: %s" % (canary, ran))
            failed += 1
        print()
        print("%-28s %5s %5s" % ("technique", "pass", "fail"))
        for tech in sorted(by_tech):
            print("%-28s %5d %5d" % (tech, *by_tech[tech]))
        print()
        print("%d files, %d processes, %d failed, %d warnings; canaries: %s; peak RSS %d MiB in %s; "
              "%.0fs" % (len(rows), len(jobs), failed, warned, "none" if not ran else len(ran),
                 max_rss[0] // 1024, max_rss[1], time.monotonic() - t0))
        return 1 if failed else 0
    finally:
        if a.keep:
            print("kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------


BANNER = """
##########################################################################
#  WARNING: --show-canary runs the REAL pickle.load on two hostile files  #
#  (posix.system at protocols 0 and 4). Their only action is `touch` of   #
#  a file inside a throwaway temporary canary directory, shown below.     #
#  This is a demonstration for a developer's note, never part of a test.  #
##########################################################################
"""


def show_canary():
    import pickletools
    print(BANNER)
    tmp = tempfile.mkdtemp(prefix="depickle-canary-demo-")
    corpus = os.path.join(tmp, "corpus")
    canary = os.path.join(tmp, "canary")
    os.makedirs(canary)
    names = ["posix_system_p0.pkl", "posix_system_p4.pkl"]
    created = 0
    try:
        generate(corpus, canary, names)
        for name in names:
            path = os.path.join(corpus, name)
            with open(path, "rb") as f:
                data = f.read()
            # The only argument must be `touch <canary>/<name>.ran`.
            strings = [arg for op, arg, _ in pickletools.genops(data) if isinstance(arg, str)]
            want = "touch " + os.path.join(canary, name + ".ran")
            assert want in strings and all(s in ("posix system", want) or s in ("posix", "system")
                                           for s in strings), strings
            print("== %s  (%d bytes)" % (name, len(data)))
            pickletools.dis(data, out=sys.stdout)
            before = os.path.exists(os.path.join(canary, name + ".ran"))
            r = subprocess.run([PYTHON, "-c", "import pickle, sys; pickle.load(open(sys.argv[1], 'rb'))",
                                path], cwd=tmp, capture_output=True, text=True, timeout=30)
            after = os.path.exists(os.path.join(canary, name + ".ran"))
            created += after and not before
            print("python3 pickle.load exit %d; canary %s before, %s after: %s"
                  % (r.returncode, "present" if before else "absent",
                     "PRESENT" if after else "absent",
                     "the payload RAN" if after and not before else "no effect"))
            if r.stderr.strip():
                print("  stderr: " + r.stderr.strip()[:300])
        print("\ncanary directory %s now holds: %s" % (canary, sorted(os.listdir(canary))))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        print("removed " + tmp)
    return 0 if created == len(names) else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("depickle", nargs="?", help="path of the depickle binary")
    ap.add_argument("--no-ulimit", action="store_true",
                    help="no RLIMIT_AS (ASan builds reserve huge virtual memory)")
    ap.add_argument("--stack-mib", type=int, default=2,
                    help="RLIMIT_STACK of each depickle process, in MiB")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=60, help="seconds per process")
    ap.add_argument("--only", nargs="+", help="run only these corpus files")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--show-canary", action="store_true",
                    help="demonstrate that two payloads DO run under the real pickle.load")
    a = ap.parse_args()
    if a.show_canary:
        return show_canary()
    if not a.depickle:
        ap.error("DEPICKLE is required")
    return main_test(a)


if __name__ == "__main__":
    sys.exit(main())
