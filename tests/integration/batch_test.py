#!/usr/bin/env python3
"""depickle batch on a folder mixing good, hostile, corrupt and unrelated
files: the report is right for each file, outputs mirror the tree, nothing
else is touched, symlinks never lead out of the folder, --skip-existing and
--overwrite behave, and the exit status is the most severe failure.

Usage: batch_test.py DEPICKLE
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

from checks import FIX, check, evil_pickle, summary


def tree_hashes(folder):
    out = {}
    for d, _, files in os.walk(folder):
        for f in files:
            p = os.path.join(d, f)
            if not os.path.islink(p):
                out[os.path.relpath(p, folder)] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return out


def main():
    depickle = sys.argv[1]
    tmp = tempfile.mkdtemp()
    src = os.path.join(tmp, "models")
    out = os.path.join(tmp, "converted")
    canary = os.path.join(tmp, "canary")
    os.makedirs(os.path.join(src, "team_a", "old"))
    os.makedirs(os.path.join(src, "team_b"))
    shutil.copy(os.path.join(FIX, "pipeline_scaler_logistic.pkl"), os.path.join(src, "team_a", "pipe.pkl"))
    shutil.copy(os.path.join(FIX, "joblib_forest_xz.joblib.xz"), os.path.join(src, "team_a", "old", "forest.bin"))
    shutil.copy(os.path.join(FIX, "proto0_logistic.pkl"), os.path.join(src, "team_b", "model_v1"))  # no extension
    shutil.copy(os.path.join(FIX, "svc_rbf.pkl"), os.path.join(src, "team_b", "svc.pkl"))
    open(os.path.join(src, "team_b", "evil.pkl"), "wb").write(evil_pickle(canary))
    good = open(os.path.join(FIX, "random_forest_classifier.pkl"), "rb").read()
    open(os.path.join(src, "team_b", "truncated.pkl"), "wb").write(good[: len(good) // 2])
    open(os.path.join(src, "README.md"), "w").write("# notes\n")
    open(os.path.join(src, "team_a", "data.csv"), "w").write("a,b\n1,2\n")
    os.symlink("/etc/passwd", os.path.join(src, "outside_link"))
    os.symlink(os.path.join(src, "team_a", "pipe.pkl"), os.path.join(src, "team_b", "pipe_link.pkl"))
    before = tree_hashes(src)
    report = os.path.join(tmp, "report.json")

    r = subprocess.run([depickle, "batch", src, "-o", out, "--report", report, "-j", "2"],
                       capture_output=True, text=True, timeout=300)
    check(r.returncode == 1, "exit status is the most severe failure (refused: 1), got %d" % r.returncode)
    rep = json.load(open(report))
    files = {f["source"]: f for f in rep["files"]}
    want = {"team_a/pipe.pkl": "converted", "team_a/old/forest.bin": "converted",
            "team_b/model_v1": "converted", "team_b/pipe_link.pkl": "converted",
            "team_b/svc.pkl": "unsupported", "team_b/evil.pkl": "refused",
            "team_b/truncated.pkl": "malformed"}
    check(set(files) == set(want), "the inputs are exactly the pickle files, found by content: %s" % sorted(files))
    for name, result in want.items():
        f = files.get(name, {})
        check(f.get("result") == result, "%s: %s (got %s: %s)" % (name, result, f.get("result"), f.get("message")))
        src_hash = hashlib.sha256(open(os.path.join(src, name), "rb").read()).hexdigest()
        check(f.get("sha256") == src_hash, "%s: source sha256 in the report" % name)
        if result == "converted":
            o = os.path.join(out, f["output"])
            check(os.path.exists(o) and hashlib.sha256(open(o, "rb").read()).hexdigest() == f["output_sha256"],
                  "%s: output %s exists with the reported sha256" % (name, f["output"]))
            check(f["sklearn_version"] == "1.2.1" and f["class"] and f["container"], "%s: version, class, container" % name)
        else:
            check(f["output"] is None and f["message"] and "\n" not in f["message"], "%s: one-line message, no output" % name)
    check(files["team_b/evil.pkl"]["message"].startswith("refused: global 'posix.system'"), "refusal names the global")
    produced = sorted(os.path.relpath(os.path.join(d, x), out) for d, _, fs in os.walk(out) for x in fs)
    check(produced == sorted(f["output"] for f in rep["files"] if f["output"]),
          "only the outputs of converted files exist (no temporary files): %s" % produced)
    check(before == tree_hashes(src), "the source folder is untouched")
    check(not os.path.exists(canary), "the hostile file's payload did not run")

    # Again: existing outputs are skipped unless --overwrite; --skip-existing uses the report.
    r = subprocess.run([depickle, "batch", src, "-o", out], capture_output=True, text=True, timeout=300)
    check("4 skipped" in r.stdout, "existing outputs are not overwritten by default: " + r.stdout.splitlines()[0])
    open(os.path.join(src, "team_a", "pipe.pkl"), "ab").close()
    r = subprocess.run([depickle, "batch", src, "-o", out, "--report", report, "--skip-existing"],
                       capture_output=True, text=True, timeout=300)
    rep2 = {f["source"]: f for f in json.load(open(report))["files"]}
    check(rep2["team_a/pipe.pkl"]["result"] == "skipped", "--skip-existing skips an unchanged source")
    shutil.copy(os.path.join(FIX, "logistic_binary.pkl"), os.path.join(src, "team_a", "pipe.pkl"))
    r = subprocess.run([depickle, "batch", src, "-o", out, "--report", report, "--skip-existing", "--overwrite"],
                       capture_output=True, text=True, timeout=300)
    rep3 = {f["source"]: f for f in json.load(open(report))["files"]}
    check(rep3["team_a/pipe.pkl"]["result"] == "converted" and rep3["team_a/pipe.pkl"]["class"].endswith("LogisticRegression"),
          "a changed source is converted again with --overwrite")
    r = subprocess.run([depickle, "batch", src, "-o", os.path.join(src, "inside")], capture_output=True, text=True)
    check(r.returncode == 2 and not os.path.exists(os.path.join(src, "inside")), "an output folder inside the source is refused")
    r = subprocess.run([depickle, "batch", os.path.join(src, "team_a"), "-o", os.path.join(tmp, "json"), "--to", "json"],
                       capture_output=True, text=True, timeout=300)
    check(r.returncode == 0 and os.path.exists(os.path.join(tmp, "json", "pipe.pkl.json")), "--to json")
    shutil.rmtree(tmp)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
