#!/usr/bin/env python3
"""The real-world corpus (../shared/corpus/realworld, 58 files from public
repositories, scikit-learn 0.17-1.9) through `depickle scan` and
`depickle convert -o x.json`.

Each file's outcome must match tests/integration/corpus_expected.tsv: exit 0
and a schema-valid document, or the expected exit code and a one-line message
naming the reason. `scan` must agree: 0 for convertible files, 1 for refused
ones, 2 for files that cannot be read. Prints a summary table.

Usage: corpus_test.py DEPICKLE [CORPUS_DIR] [--table docs/compatibility.md]
With --table, also writes the per-file results as a Markdown table.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
import check_json  # noqa: E402

SKIP = 77  # ctest SKIP_RETURN_CODE


def expectations():
    rows = {}
    with open(os.path.join(HERE, "corpus_expected.tsv")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            rows[parts[0]] = (int(parts[1]), parts[2] if len(parts) > 2 else "",
                              int(parts[3]) if len(parts) > 3 and parts[3] else None)
    return rows


def check_allow_global(depickle, path, name, tmp, counts, row):
    """A refused file whose globals are all merely unknown (third-party
    classes, none known to run code) converts to JSON and HDF5 when those
    globals are allowed explicitly (--allow-global): they are recorded, never
    run. Returns a failure message or None."""
    import json
    scan = subprocess.run([depickle, "scan", "--json", path], capture_output=True, text=True,
                          timeout=120)
    report = json.loads(scan.stdout)
    findings = report["findings"]
    if any(f["category"] == "unsafe" for f in findings):
        counts["unsafe"] = counts.get("unsafe", 0) + 1
        row["allowed"] = "no (globals known to run code)"
        return None  # stays refused: e.g. dill-made classes
    names = sorted({f["global"] for f in findings if "global" in f})
    args = [a for n in names for a in ("--allow-global", n)]
    for ext in ("json", "h5"):
        out = os.path.join(tmp, "%s.allowed.%s" % (name, ext))
        r = subprocess.run([depickle, "convert", path, "-o", out, *args], capture_output=True,
                           text=True, timeout=120)
        if r.returncode != 0:
            return "%s: with --allow-global for %s: %s exit %d: %s" % (
                name, ", ".join(names), ext, r.returncode, r.stderr.strip())
    counts["allowed"] = counts.get("allowed", 0) + 1
    row["allowed"] = "yes (%d globals)" % len(names)
    print("  allowed: %s (%d globals)" % (name, len(names)))
    return None


def run_onnx_models(models, tmp):
    """Runs each converted corpus model in ONNX Runtime on random rows (there is
    no oracle: the corpus is never unpickled) and checks the outputs' shapes,
    that probabilities are finite and sum to 1, and that labels are consistent
    with them."""
    import json
    import numpy as np
    import onnx
    node = shutil.which("node")
    if not models or node is None:
        return [] if not models else ["node not found: cannot run the corpus ONNX models"]
    rng = np.random.default_rng(0)
    jobs = []
    for name, model in models:
        m = onnx.load(model)
        n_features = m.graph.input[0].type.tensor_type.shape.dim[1].dim_value
        X = rng.normal(size=(16, n_features)).astype(np.float32)
        xfile = os.path.join(tmp, name + ".x.bin")
        X.tofile(xfile)
        jobs.append({"model": model, "out": os.path.join(tmp, name + ".result.json"),
                     "inputs": {"X": {"type": "float32", "shape": [16, n_features], "file": xfile}}})
    jobfile = os.path.join(tmp, "jobs.json")
    with open(jobfile, "w") as f:
        json.dump(jobs, f)
    subprocess.run([node, os.path.join(ROOT, "tests", "node", "run_models.js"), jobfile],
                   check=True, timeout=300)
    failures = []
    for (name, _), job in zip(models, jobs):
        with open(job["out"]) as f:
            result = json.load(f)
        if "error" in result:
            failures.append("%s: ONNX Runtime: %s" % (name, result["error"]))
            continue
        outs = result["outputs"]
        if "probabilities" in outs:
            p = np.array(outs["probabilities"]["data"], dtype=float).reshape(outs["probabilities"]["dims"])
            labels = outs["label"]["data"]
            ok = (p.shape[0] == 16 and len(labels) == 16 and np.all(np.isfinite(p))
                  and np.allclose(p.sum(axis=1), 1, atol=1e-5))
        else:
            v = np.array(outs["variable"]["data"], dtype=float)
            ok = v.shape[0] >= 16 and np.all(np.isfinite(v))
        print("onnx %-61s %s" % (name, "ok" if ok else "BAD OUTPUT"))
        if not ok:
            failures.append("%s: ONNX Runtime outputs are malformed: %s" % (name, json.dumps(outs)[:300]))
    return failures


def manifest(corpus):
    rows = {}
    with open(os.path.join(corpus, "MANIFEST.tsv")) as f:
        lines = f.read().splitlines()
    header = lines[0].split("\t")
    for line in lines[1:]:
        row = dict(zip(header, line.split("\t")))
        rows[row["file"]] = row
    return rows


def write_table(path, table, corpus):
    meta = manifest(corpus)
    def version_key(name):
        v = meta.get(name, {}).get("sklearn_version", "none")
        parts = [int(p) if p.isdigit() else 0 for p in v.replace("post", ".").split(".")[:3]] if v != "none" else [0]
        return (parts, name)
    mark = {0: "yes"}
    lines = [
        "# Compatibility: the real-world corpus",
        "",
        "Generated by `tests/integration/corpus_test.py build/depickle --table docs/compatibility.md`",
        "from the 58 real pickles in `../shared/corpus/realworld` (public repositories,",
        "scikit-learn 0.17-1.9; never unpickled). Columns: the scikit-learn version the file",
        "records (MANIFEST), its container as depickle detects it, and the exit code of",
        "`depickle convert` to JSON, HDF5 and ONNX (0 = converted; 1 = refused; 3 = malformed;",
        "4 = no converter), `scan`'s verdict, and whether a refused file converts to JSON and",
        "HDF5 with `--allow-global` for its third-party globals.",
        "",
        "| file | sklearn | container | JSON | HDF5 | ONNX | scan | with --allow-global | reason |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in sorted(table, key=version_key):
        t = table[name]
        m = meta.get(name, {})
        def cell(v):
            return "-" if v is None else ("**0**" if v == 0 else str(v))
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            name, m.get("sklearn_version", "?"), t.get("container") or m.get("container", "?"),
            cell(t.get("json")), cell(t.get("hdf5")), cell(t.get("onnx")), t.get("scan", "?"),
            t.get("allowed", "-"), t.get("reason", "").replace(corpus, "<corpus>").replace("|", "\\|")))
    summary = {}
    for t in table.values():
        summary[t.get("json")] = summary.get(t.get("json"), 0) + 1
    lines += ["", "Totals: %d files; JSON: %s." % (len(table), ", ".join(
        "%d exit %s" % (v, k) for k, v in sorted(summary.items(), key=lambda kv: str(kv[0])))), ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def main():
    args = sys.argv[1:]
    table_path = None
    if "--table" in args:
        i = args.index("--table")
        table_path = args[i + 1]
        del args[i:i + 2]
    depickle = args[0]
    corpus = args[1] if len(args) > 1 else os.path.join(
        os.path.dirname(ROOT), "shared", "corpus", "realworld")
    if not os.path.isdir(corpus):
        print("corpus not found at %s (it lives beside the project root in ../shared)" % corpus)
        return SKIP
    expected = expectations()
    present = sorted(f for f in os.listdir(corpus)
                     if f not in ("MANIFEST.tsv", "scan_details.jsonl"))
    validator = check_json.make_validator(os.path.join(ROOT, "schemas", "depickle.schema.json"))
    failures = []
    counts = {}
    onnx_models = []
    table = {}
    missing = sorted(set(expected) - set(present))
    unknown = sorted(set(present) - set(expected))
    failures += ["expected file missing from the corpus: %s" % f for f in missing]
    failures += ["corpus file without an expectation: %s" % f for f in unknown]
    with tempfile.TemporaryDirectory() as tmp:
        for name in present:
            if name not in expected:
                continue
            want_rc, want_msg, want_onnx = expected[name]
            path = os.path.join(corpus, name)
            out = os.path.join(tmp, name + ".json")
            run = subprocess.run([depickle, "convert", path, "-o", out],
                                 capture_output=True, text=True, timeout=120)
            scan = subprocess.run([depickle, "scan", path], capture_output=True, text=True,
                                  timeout=120)
            msg = run.stderr.strip()
            counts[run.returncode] = counts.get(run.returncode, 0) + 1
            row = table.setdefault(name, {})
            row["json"] = run.returncode
            row["scan"] = scan.stdout.split(":", 2)[1].strip().split()[0] if ":" in scan.stdout else "?"
            row["reason"] = msg[len("depickle: "):] if run.returncode else ""
            if run.returncode == 0:
                row["container"] = json.load(open(out))["source"]["container"]
            status = "ok"
            if run.returncode != want_rc:
                status = "exit %d, expected %d" % (run.returncode, want_rc)
            elif want_rc != 0 and (want_msg not in msg or "\n" in msg
                                   or not msg.startswith("depickle: ")):
                status = "message %r lacks %r (or is not one line)" % (msg, want_msg)
            elif want_rc == 0:
                doc = check_json.load_json(out)
                errs = check_json.schema_errors(validator, doc, 3)
                if errs:
                    status = "schema: %s" % errs[0]
            elif os.path.exists(out):
                status = "a failed conversion left %s behind" % out
            want_scan = 0 if want_rc == 0 else 1 if want_rc == 1 else 2
            if scan.returncode != want_scan:
                status = "scan exit %d, expected %d: %s" % (scan.returncode, want_scan,
                                                            scan.stdout.strip()[:200])
            print("%-66s %d  %s" % (name, run.returncode, msg if run.returncode else ""))
            if status != "ok":
                failures.append("%s: %s" % (name, status))
            if want_rc == 0:
                h5 = os.path.join(tmp, name + ".h5")
                r5 = subprocess.run([depickle, "convert", path, "-o", h5], capture_output=True,
                                    text=True, timeout=120)
                row["hdf5"] = r5.returncode
                if r5.returncode != 0:
                    failures.append("%s: HDF5 exit %d: %s" % (name, r5.returncode, r5.stderr.strip()))
                else:
                    counts["hdf5"] = counts.get("hdf5", 0) + 1
            if want_rc == 1:
                status = check_allow_global(depickle, path, name, tmp, counts, row)
                if status:
                    failures.append(status)
            if want_onnx is not None:
                model = os.path.join(tmp, name + ".onnx")
                conv = subprocess.run([depickle, "convert", path, "-o", model],
                                      capture_output=True, text=True, timeout=120)
                row["onnx"] = conv.returncode
                if conv.returncode == 4:
                    row["reason"] = conv.stderr.strip()[len("depickle: "):]
                if conv.returncode != want_onnx:
                    failures.append("%s: onnx exit %d, expected %d: %s" % (
                        name, conv.returncode, want_onnx, conv.stderr.strip()))
                elif want_onnx == 0:
                    onnx_models.append((name, model))
                elif not conv.stderr.startswith("depickle: unsupported: "):
                    failures.append("%s: onnx refusal is not one 'unsupported' line" % name)
        failures += run_onnx_models(onnx_models, tmp)
    print()
    print("to ONNX and run in ONNX Runtime: %d" % len(onnx_models))
    print("to HDF5: %d; refused files converting with --allow-global: %d; refused with globals "
          "known to run code: %d" % (counts.pop("hdf5", 0), counts.pop("allowed", 0),
                                     counts.pop("unsafe", 0)))
    print("converted: %d, refused (1): %d, malformed (3): %d, other: %d; %d files"
          % (counts.get(0, 0), counts.get(1, 0), counts.get(3, 0),
             sum(v for k, v in counts.items() if k not in (0, 1, 3)), sum(counts.values())))
    if table_path:
        write_table(table_path, table, corpus)
        print("wrote", table_path)
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
