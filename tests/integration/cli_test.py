#!/usr/bin/env python3
"""Command-line contract of depickle: exit codes, one-line errors, stdin and
stdout, atomic outputs that never touch the input, limits, inspect and scan.

Usage: cli_test.py DEPICKLE
"""
import io
import os
import pickletools
import re
import subprocess
import sys
import tempfile

from checks import FIX, check, evil_pickle, summary


def run(args, stdin=None):
    return subprocess.run([DEPICKLE, *args], input=stdin, capture_output=True, timeout=120)


def one_line_error(r):
    err = r.stderr.decode()
    return err.startswith("depickle: ") and err.count("\n") == 1


def main():
    tmp = tempfile.mkdtemp()
    canary = os.path.join(tmp, "canary")
    evil_bytes = evil_pickle(canary)
    logistic = os.path.join(FIX, "logistic_binary.pkl")
    forest = os.path.join(FIX, "joblib_forest_zlib.joblib.z")

    r = run(["--version"])
    check(r.returncode == 0 and r.stdout.startswith(b"depickle "), "--version")
    r = run(["--help"])
    check(r.returncode == 0 and b"Exit codes" in r.stdout, "--help lists the exit codes")
    check(run([]).returncode == 2, "no subcommand: exit 2")
    check(run(["convert", logistic, "-o", "x.json", "--bogus"]).returncode == 2, "unknown option: exit 2")
    r = run(["convert", os.path.join(tmp, "nope.pkl"), "-o", os.path.join(tmp, "a.json")])
    check(r.returncode == 2 and one_line_error(r), "missing input: exit 2, one line")
    r = run(["convert", logistic, "-o", os.path.join(tmp, "a.txt")])
    check(r.returncode == 2 and one_line_error(r), "unknown output extension: exit 2")
    r = run(["convert", logistic, "-o", os.path.join(tmp, "a.bin"), "--to", "xml"])
    check(r.returncode == 2 and one_line_error(r), "unknown --to: exit 2")

    # Output to a file, to stdout, from stdin: identical bytes; twice: identical.
    a = os.path.join(tmp, "a.json")
    check(run(["convert", logistic, "-o", a]).returncode == 0, "convert to a file")
    data = open(a, "rb").read()
    r = run(["convert", logistic, "-o", "-"])
    check(r.returncode == 0 and r.stdout == data, "-o - writes the same JSON to stdout")
    r = run(["convert", "-", "-o", "-", "--to", "json"], stdin=open(logistic, "rb").read())
    check(r.returncode == 0 and r.stdout == data, "input - reads stdin")
    r = run(["convert", "-", "-o", "-"], stdin=open(forest, "rb").read())
    check(r.returncode == 0 and b'"container":"joblib-zlib"' in r.stdout, "compressed stdin")
    b = os.path.join(tmp, "b.json")
    run(["convert", logistic, "-o", b])
    check(open(b, "rb").read() == data, "same input, byte-identical output")
    r = run(["convert", logistic, "-o", os.path.join(tmp, "c.data"), "--to", "json"])
    check(r.returncode == 0, "--to overrides the extension")

    # Provenance: --expect-sha256 refuses before parsing; --manifest records hashes.
    import hashlib
    import json
    digest = hashlib.sha256(open(logistic, "rb").read()).hexdigest()
    onnx_out = os.path.join(tmp, "m.onnx")
    manifest = os.path.join(tmp, "m.manifest.json")
    r = run(["convert", logistic, "-o", onnx_out, "--expect-sha256", digest.upper(), "--manifest", manifest])
    check(r.returncode == 0, "--expect-sha256 with the right hash converts")
    m = json.load(open(manifest))
    check(m["input"]["sha256"] == digest and m["output"]["format"] == "onnx"
          and m["output"]["sha256"] == hashlib.sha256(open(onnx_out, "rb").read()).hexdigest()
          and m["depickle_version"] and m["options"]["opset"] == 15,
          "--manifest records input and output SHA-256, version and options")
    r = run(["convert", logistic, "-o", os.path.join(tmp, "w.onnx"), "--expect-sha256", "0" * 64])
    check(r.returncode == 1 and one_line_error(r) and b"nothing was parsed" in r.stderr
          and not os.path.exists(os.path.join(tmp, "w.onnx")), "--expect-sha256 mismatch: exit 1, no output")
    r = run(["convert", "-", "-o", "-", "--to", "hdf5"], stdin=open(logistic, "rb").read())
    check(r.returncode == 0 and r.stdout[:8] == b"\x89HDF\r\n\x1a\n", "HDF5 to stdout")

    # Failures leave nothing behind and never touch the input or an old output.
    evil = os.path.join(tmp, "evil.pkl")
    open(evil, "wb").write(evil_bytes)
    out = os.path.join(tmp, "evil.json")
    r = run(["convert", evil, "-o", out])
    check(r.returncode == 1 and one_line_error(r), "refused global: exit 1, one line")
    check(b"'posix.system' at byte 0" in r.stderr and b"nothing was executed" in r.stderr,
          "message names the global and its byte offset")
    check(not os.path.exists(out), "refused: no output file")
    check(not os.path.exists(canary), "refused: the payload did not run")
    old = os.path.join(tmp, "old.json")
    open(old, "w").write("old")
    run(["convert", evil, "-o", old])
    check(open(old).read() == "old", "a failed run leaves an existing output untouched")
    check(not [f for f in os.listdir(tmp) if "depickle-" in f], "no temporary files left")
    before = open(evil, "rb").read()
    r = run(["convert", evil, "-o", evil + ".json"])
    check(open(evil, "rb").read() == before, "the input is never modified")
    copy = os.path.join(tmp, "copy.json")
    open(copy, "wb").write(data)
    r = run(["convert", copy, "-o", copy])
    check(r.returncode == 2 and open(copy, "rb").read() == data, "output == input: refused, input kept")
    r = run(["convert", logistic, "-o", os.path.join(tmp, "no", "such", "dir", "x.json")])
    check(r.returncode == 6 and one_line_error(r), "unwritable output: exit 6")

    # Malformed and truncated input: exit 3 with the byte offset.
    raw = open(logistic, "rb").read()
    trunc = os.path.join(tmp, "trunc.pkl")
    open(trunc, "wb").write(raw[: len(raw) // 2])
    r = run(["convert", trunc, "-o", os.path.join(tmp, "t.json")])
    check(r.returncode == 3 and one_line_error(r) and b" at byte " in r.stderr, "truncated: exit 3 with offset")
    empty = os.path.join(tmp, "empty.pkl")
    open(empty, "wb").close()
    r = run(["convert", empty, "-o", os.path.join(tmp, "e.json")])
    check(r.returncode == 3 and one_line_error(r), "empty input: exit 3")
    trailing = os.path.join(tmp, "trailing.pkl")
    open(trailing, "wb").write(raw + b"junk")
    r = run(["convert", trailing, "-o", os.path.join(tmp, "tr.json")])
    check(r.returncode == 3 and b"byte %d" % len(raw) in r.stderr, "trailing bytes after STOP: exit 3 at their offset")

    # Limits: named in the message, exit 5; bad --limit: exit 2.
    r = run(["convert", logistic, "-o", os.path.join(tmp, "l.json"), "--limit", "max_memo=2"])
    check(r.returncode == 5 and b"max_memo" in r.stderr and one_line_error(r), "memo limit: exit 5")
    r = run(["convert", forest, "-o", os.path.join(tmp, "l.json"), "--limit", "max_decompressed_bytes=1000"])
    check(r.returncode == 5 and b"max_decompressed_bytes" in r.stderr, "decompression cap: exit 5")
    check(run(["convert", logistic, "-o", a, "--limit", "nope=1"]).returncode == 2, "unknown limit: exit 2")

    # inspect: the summary, and opcodes at the offsets pickletools reports.
    r = run(["inspect", os.path.join(FIX, "pipeline_scaler_logistic.pkl")])
    out = r.stdout.decode()
    check(r.returncode == 0 and "sklearn    1.2.1" in out and "StandardScaler" in out
          and "coef_: float64[3, 4]" in out, "inspect shows versions, estimators and arrays")
    r = run(["inspect", "--opcodes", logistic])
    ours = [int(m.group(1)) for m in re.finditer(r"^\s*(\d+): ", r.stdout.decode(), re.M)]
    theirs = [pos for _, _, pos in pickletools.genops(raw)]
    check(r.returncode == 0 and ours == theirs, "inspect --opcodes offsets match pickletools")
    r = run(["inspect", "--opcodes", evil])
    check(b"GLOBAL" in r.stdout and b"posix system" in r.stdout, "inspect --opcodes lists a refused file")

    # scan: 0 all safe, 1 any refused, 2 unreadable.
    check(run(["scan", logistic, forest]).returncode == 0, "scan: safe files exit 0")
    r = run(["scan", logistic, evil])
    check(r.returncode == 1 and b"posix.system" in r.stdout, "scan: a refused file exits 1 and names the global")
    check(run(["scan", trunc]).returncode == 2, "scan: a malformed file exits 2")
    # scan DIR walks it: pickles by content or by name (a payload behind an
    # unusual first opcode is still scanned when named .pkl), nothing else.
    folder = os.path.join(tmp, "scan_dir")
    os.makedirs(os.path.join(folder, "sub"))
    open(os.path.join(folder, "sub", "model"), "wb").write(raw)  # no extension: by content
    open(os.path.join(folder, "odd.pkl"), "wb").write(b"S'x'\n0" + evil_bytes)  # STRING, POP, payload
    open(os.path.join(folder, "README.md"), "w").write("# models\n")
    r = run(["scan", "--json", folder])
    import json
    seen = {os.path.relpath(json.loads(line)["file"], folder): json.loads(line)["verdict"]
            for line in r.stdout.decode().splitlines()}
    check(r.returncode == 1 and seen == {"sub/model": "safe", "odd.pkl": "unsafe"},
          "scan DIR: model files by content and by name, README skipped: %s" % seen)

    # Reproducible outputs (build steps, caches, diffs): the same input gives
    # the same bytes in every format, a second later too (HDF5 would otherwise
    # record object modification times).
    import time
    for ext in ("json", "onnx", "h5"):
        first, second = os.path.join(tmp, "r1." + ext), os.path.join(tmp, "r2." + ext)
        r1 = run(["convert", forest, "-o", first])
        time.sleep(1.1)
        r2 = run(["convert", forest, "-o", second])
        same = r1.returncode == r2.returncode == 0 and open(first, "rb").read() == open(second, "rb").read()
        check(same, "convert to .%s twice, a second apart: identical bytes" % ext)

    return summary()


if __name__ == "__main__":
    DEPICKLE = sys.argv[1]
    sys.exit(main())
