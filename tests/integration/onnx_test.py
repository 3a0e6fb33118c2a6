#!/usr/bin/env python3
"""ONNX output of depickle checked against scikit-learn, run by ONNX Runtime.

For every row of tests/integration/onnx_expected.tsv (fixture names from
fixtures/MANIFEST.tsv whose oracle column is 1):

* `expect ok`: `DEPICKLE convert fixtures/<file> -o TMP/<name>.onnx` (plus `--double`
  for the `double` variant) must exit 0, and a second conversion must give the same
  bytes. The file must pass python onnx's checker and carry depickle's metadata
  (producer_name, source_sha256 = MANIFEST sha256, sklearn_version, estimator_class;
  opsets '' and 'ai.onnx.ml'; single graph input `X`). All models are then run in ONE
  Node process (tests/node/run_models.js, onnxruntime-node) on the oracle's `X`
  (fixtures/expected/<name>.oracle.npz) and compared with what scikit-learn computed:
    classifiers   `label` == predict (exactly; string labels as str), and
                  `probabilities` ~ predict_proba (1e-5 absolute), or, without
                  predict_proba, ~ decision_function (rtol 1e-5 + atol 1e-5; a binary
                  1-D d is compared with the [N, 2] scores [-d, d]);
    regressors    `variable` ~ predict (flattened; rtol 1e-5, atol 1e-6);
    transformers  `variable` ~ transform (same shape; rtol 1e-5, atol 1e-6).
  NaN must match NaN. Column 3 of the tsv may override the tolerance; the `double`
  variant feeds X as float64 and expects float64 outputs.
* `expect unsupported`: exit 4 with one stderr line starting `depickle: unsupported:`,
  and no output file.

Prints one line per row (`ok NAME ...` / `FAIL NAME: reason`) and a summary; exits 1 if
any row fails, 0 otherwise, 77 (ctest skip) if node, onnxruntime-node or python onnx
is missing.

Usage: onnx_test.py DEPICKLE [--only NAME ...] [--keep DIR] [--node NODE]
       onnx_test.py --self-test     (checks this harness on hand-built ONNX models)

Run with Debian's /usr/bin/python3 (numpy, python3-onnx).
"""
import argparse
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(ROOT, "fixtures")
EXPECTED_TSV = os.path.join(HERE, "onnx_expected.tsv")
RUNNER = os.path.join(ROOT, "tests", "node", "run_models.js")
ORT_NODE = os.path.join(ROOT, "tests", "node", "node_modules", "onnxruntime-node")

SKIP = 77  # ctest SKIP_RETURN_CODE
CONVERT_TIMEOUT = 120
NODE_TIMEOUT = 900

# Default tolerances (rtol, atol) per kind of compared output.
TOL_PROBA = (0.0, 1e-5)
TOL_SCORES = (1e-5, 1e-5)
TOL_VALUES = (1e-5, 1e-6)


# --------------------------------------------------------------------------- inputs

def read_manifest(path):
    rows = {}
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            if not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            rows[parts[0]] = dict(zip(header, parts))
    return rows


class Entry:
    def __init__(self, lineno, name, expect, tol, tol_text, variant):
        self.lineno = lineno
        self.name = name
        self.expect = expect
        self.tol = tol            # None or {"rtol": x, "atol": y} (either key optional)
        self.tol_text = tol_text  # as written, for messages
        self.variant = variant    # "-" or "double"

    @property
    def double(self):
        return self.variant == "double"

    @property
    def label(self):
        return self.name + (" [double]" if self.double else "")

    @property
    def stem(self):
        return self.name + (".double" if self.double else "")


def parse_tolerance(text):
    if text == "-":
        return None
    tol = {}
    for part in text.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep or key not in ("rtol", "atol") or key in tol:
            raise ValueError("bad tolerance %r (want rtol=R, atol=A or rtol=R,atol=A)" % text)
        v = float(value)
        if not (v >= 0 and math.isfinite(v)):
            raise ValueError("bad tolerance %r" % text)
        tol[key] = v
    return tol


def read_expectations(path):
    """Returns (entries, errors); errors are (label, message) for malformed lines."""
    entries, errors, seen = [], [], set()
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            if line.startswith("#") or not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            where = "%s:%d" % (os.path.basename(path), lineno)
            if len(parts) != 4:
                errors.append((where, "expected 4 tab-separated columns, got %d" % len(parts)))
                continue
            name, expect, tol_text, variant = parts
            if expect not in ("ok", "unsupported"):
                errors.append((where, "expect must be ok or unsupported, not %r" % expect))
                continue
            if variant not in ("-", "double"):
                errors.append((where, "variant must be - or double, not %r" % variant))
                continue
            try:
                tol = parse_tolerance(tol_text)
            except ValueError as e:
                errors.append((where, str(e)))
                continue
            if (name, variant) in seen:
                errors.append((where, "duplicate row for %s %s" % (name, variant)))
                continue
            seen.add((name, variant))
            entries.append(Entry(lineno, name, expect, tol, tol_text, variant))
    return entries, errors


def tolerance(default, override):
    """(rtol, atol) for one comparison: rtol=R alone means atol=R/10."""
    if not override:
        return default
    rtol = override.get("rtol", default[0])
    if "atol" in override:
        atol = override["atol"]
    elif "rtol" in override:
        atol = override["rtol"] / 10
    else:
        atol = default[1]
    return rtol, atol


# ---------------------------------------------------------------------- comparisons

class Mismatch(Exception):
    pass


def fmt(v):
    return "%.9g" % v if isinstance(v, (float, np.floating)) else repr(v)


def compare_float(what, got, want, tol):
    """Raises Mismatch unless |got-want| <= atol + rtol*|want| everywhere (NaN==NaN).
    Returns a short 'max error' note."""
    rtol, atol = tol
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    if got.shape != want.shape:
        raise Mismatch("%s: shape %s, expected %s" % (what, list(got.shape), list(want.shape)))
    if got.size == 0:
        return "%s empty" % what
    gnan, wnan = np.isnan(got), np.isnan(want)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(got - want)
        same = (got == want) | (gnan & wnan)          # also equal infinities
        diff[same] = 0.0
        diff[gnan != wnan] = np.inf
        limit = atol + rtol * np.abs(np.where(np.isfinite(want), want, 0.0))
        bad = ~(diff <= limit)
        rel = np.where(diff == 0, 0.0, diff / np.maximum(np.abs(want), np.finfo(np.float64).tiny))
    finite = np.isfinite(diff)
    max_abs = float(diff[finite].max()) if finite.any() else 0.0
    max_rel = float(rel[finite].max()) if finite.any() else 0.0
    if bad.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.where(bad, diff / np.maximum(limit, 1e-300), -1.0)
        worst = np.unravel_index(int(np.argmax(score)), got.shape)
        nan_bad = int((gnan != wnan).sum())
        raise Mismatch("%s: %d/%d values off (rtol=%g, atol=%g)%s; max abs err %.3g, max rel "
                       "err %.3g; worst at %s: got %s, expected %s"
                       % (what, int(bad.sum()), got.size, rtol, atol,
                          ", %d of them NaN vs number" % nan_bad if nan_bad else "",
                          max_abs, max_rel, list(map(int, worst)), fmt(got[worst]),
                          fmt(want[worst])))
    return "%s max abs %.2g rel %.2g" % (what, max_abs, max_rel)


def tensor_array(out):
    """run_models.js tensor -> numpy array (strings stay str)."""
    t, dims, data = out["type"], out["dims"], out["data"]
    if t in ("float32", "float64", "float16"):
        arr = np.array([float(v) for v in data], np.float64)  # "nan"/"inf"/"-inf" parse too
    elif t == "string":
        arr = np.array([str(v) for v in data], object)
    elif t == "bool":
        arr = np.array([bool(v) for v in data], np.bool_)
    else:  # integer types; big int64 values arrive as decimal strings
        arr = np.array([int(v) for v in data], object)
        try:
            arr = arr.astype(np.int64)
        except OverflowError:
            pass
    n = int(np.prod(dims)) if dims else 1
    if arr.size != n:
        raise Mismatch("tensor of type %s dims %s carries %d values" % (t, dims, arr.size))
    return arr.reshape(dims)


def need_output(result, name, types, what):
    outs = result.get("outputs", {})
    if name not in outs:
        raise Mismatch("no %s output %r (tensor outputs: %s; skipped: %s)"
                       % (what, name, sorted(outs), result.get("skipped", [])))
    out = outs[name]
    if out["type"] not in types:
        raise Mismatch("output %r has type %s, expected %s" % (name, out["type"], "/".join(types)))
    return tensor_array(out)


def oracle_kind(oracle):
    if "predict_proba" in oracle or "decision_function" in oracle:
        return "classifier"
    if "predict" in oracle:
        return "regressor" if oracle["predict"].dtype.kind == "f" else "classifier"
    if "transform" in oracle:
        return "transformer"
    return None


def check_outputs(result, oracle, entry, float64_reference=None):
    """Compares one run_models.js result with the oracle. Returns notes; raises Mismatch."""
    if "error" in result:
        raise Mismatch("onnxruntime: %s" % result["error"])
    if result.get("input_names") != ["X"]:
        raise Mismatch("model inputs are %s, expected ['X']" % result.get("input_names"))
    X = oracle["X"]
    n = X.shape[0]
    ftype = "float64" if entry.double else "float32"
    kind = oracle_kind(oracle)
    notes = []
    if kind == "classifier":
        pred = oracle["predict"]
        label = need_output(result, "label", ("int64", "string", "bool"), "label")
        if list(label.shape) != [n]:
            raise Mismatch("label: shape %s, expected [%d]" % (list(label.shape), n))
        if pred.dtype.kind in "USO":
            if label.dtype != object or not all(isinstance(v, str) for v in label.flat):
                raise Mismatch("label is %s, expected string labels"
                               % result["outputs"]["label"]["type"])
            want = [str(v) for v in pred]
            got = [str(v) for v in label]
        else:
            if label.dtype == object and any(isinstance(v, str) for v in label.flat):
                raise Mismatch("label is string, expected numeric labels like %r" % pred[0])
            want = [v.item() for v in pred]
            got = [v.item() if hasattr(v, "item") else v for v in label]
        wrong = [i for i in range(n) if got[i] != want[i]]
        if wrong:
            i = wrong[0]
            raise Mismatch("label: %d/%d differ from predict; first at row %d: got %r, "
                           "expected %r" % (len(wrong), n, i, got[i], want[i]))
        notes.append("label %d/%d" % (n, n))
        if "predict_proba" in oracle or "decision_function" in oracle:
            prob = need_output(result, "probabilities", (ftype,), "probabilities")
            if "predict_proba" in oracle:
                notes.append(compare_float("probabilities", prob, oracle["predict_proba"],
                                           tolerance(TOL_PROBA, entry.tol)))
            else:
                d = np.asarray(oracle["decision_function"], np.float64)
                if d.ndim == 1:
                    if list(prob.shape) != [n, 2]:
                        raise Mismatch("probabilities: shape %s, expected [%d, 2] = [-d, d] "
                                       "for a binary decision_function"
                                       % (list(prob.shape), n))
                    tol = tolerance(TOL_SCORES, entry.tol)
                    notes.append(compare_float("probabilities[:, 1] (vs d)", prob[:, 1], d, tol))
                    compare_float("probabilities[:, 0] (vs -d)", prob[:, 0], -d, tol)
                else:
                    notes.append(compare_float("probabilities (vs decision_function)", prob, d,
                                               tolerance(TOL_SCORES, entry.tol)))
    elif kind == "regressor":
        var = need_output(result, "variable", (ftype,), "regressor")
        want = np.asarray(oracle["predict"], np.float64)
        if var.ndim == 0 or var.shape[0] != n or var.size != want.size:
            raise Mismatch("variable: shape %s does not hold predict's %s"
                           % (list(var.shape), list(want.shape)))
        want = want.reshape(n, -1)
        ref_note = ""
        if entry.double and oracle["predict"].dtype.itemsize < 8:
            if float64_reference is None:
                raise Mismatch("the oracle's predict is %s: it cannot check a double model to "
                               "%s" % (oracle["predict"].dtype, entry.tol_text))
            want, ref_note = float64_reference.reshape(n, -1), " (float64 reference)"
        notes.append(compare_float("variable", var.reshape(n, -1), want,
                                   tolerance(TOL_VALUES, entry.tol)) + ref_note)
    elif kind == "transformer":
        var = need_output(result, "variable", (ftype,), "transformer")
        want = np.asarray(oracle["transform"], np.float64)
        ref_note = ""
        if entry.double and oracle["transform"].dtype.itemsize < 8:
            if float64_reference is None:
                raise Mismatch("the oracle's transform is %s: it cannot check a double model to "
                               "%s" % (oracle["transform"].dtype, entry.tol_text))
            want, ref_note = float64_reference, " (float64 reference)"
        notes.append(compare_float("variable", var, want, tolerance(TOL_VALUES, entry.tol))
                     + ref_note)
    else:
        raise Mismatch("the oracle has none of predict, predict_proba, decision_function, "
                       "transform: %s" % sorted(oracle))
    return notes


def float64_reference(entry, manifest_row, fixtures_dir, X64, oracle):
    """For the double variant of an estimator whose oracle scikit-learn computed in float32
    (float32 X stays float32 in StandardScaler), scikit-learn's float64 result rebuilt from
    the fitted arrays; validated against the float32 oracle. None if not known."""
    if not entry.double:
        return None
    cls = manifest_row.get("class", "")
    path = os.path.join(fixtures_dir, "expected", entry.name + ".arrays.npz")
    if cls.endswith(".StandardScaler") and os.path.exists(path):
        arrays = np.load(path, allow_pickle=False)
        ref = X64.copy()
        if "mean_" in arrays.files:       # with_mean=True
            ref -= arrays["mean_"].astype(np.float64)
        if "scale_" in arrays.files:      # with_std=True
            ref /= arrays["scale_"].astype(np.float64)
        compare_float("float64 reference vs float32 oracle", ref, oracle["transform"],
                      (1e-5, 1e-6))
        return ref
    return None


# ------------------------------------------------------------------ structural check

def check_structure(path, entry, manifest_row, n_features):
    import onnx
    m = onnx.load(path)
    try:
        onnx.checker.check_model(m)
    except Exception as e:  # onnx.checker.ValidationError and friends
        raise Mismatch("onnx.checker: %s" % str(e).strip().splitlines()[0])
    if not m.ir_version:
        raise Mismatch("ir_version is not set")
    domains = {o.domain for o in m.opset_import}
    if not domains & {"", "ai.onnx"}:
        raise Mismatch("opset imports %s lack the default domain ''" % sorted(domains))
    if "ai.onnx.ml" not in domains:
        raise Mismatch("opset imports %s lack 'ai.onnx.ml'" % sorted(domains))
    if m.producer_name != "depickle":
        raise Mismatch("producer_name is %r, expected 'depickle'" % m.producer_name)
    props = {p.key: p.value for p in m.metadata_props}
    for key in ("source_sha256", "sklearn_version", "estimator_class"):
        if not props.get(key):
            raise Mismatch("metadata_props lack %r (have %s)" % (key, sorted(props)))
    if props["source_sha256"] != manifest_row["sha256"]:
        raise Mismatch("metadata source_sha256 %s != MANIFEST sha256 %s"
                       % (props["source_sha256"], manifest_row["sha256"]))
    if manifest_row.get("sklearn") and props["sklearn_version"] != manifest_row["sklearn"]:
        raise Mismatch("metadata sklearn_version %r != MANIFEST %r"
                       % (props["sklearn_version"], manifest_row["sklearn"]))
    cls = manifest_row.get("class", "")
    names = {props["estimator_class"], props.get("estimator_pickled_as", "")}
    if cls and cls not in names and not any(n and cls.endswith("." + n) for n in names):
        raise Mismatch("metadata estimator_class %r does not name MANIFEST class %r"
                       % (props["estimator_class"], cls))
    inits = {i.name for i in m.graph.initializer}
    inputs = [i for i in m.graph.input if i.name not in inits]
    if [i.name for i in inputs] != ["X"]:
        raise Mismatch("graph inputs are %s, expected ['X']" % [i.name for i in inputs])
    tt = inputs[0].type.tensor_type
    want_elem = onnx.TensorProto.DOUBLE if entry.double else onnx.TensorProto.FLOAT
    if tt.elem_type != want_elem:
        raise Mismatch("input X has element type %s, expected %s"
                       % (onnx.TensorProto.DataType.Name(tt.elem_type),
                          onnx.TensorProto.DataType.Name(want_elem)))
    dims = tt.shape.dim
    if len(dims) != 2:
        raise Mismatch("input X has rank %d, expected 2" % len(dims))
    if dims[1].HasField("dim_value") and dims[1].dim_value != n_features:
        raise Mismatch("input X has %d features, the oracle %d" % (dims[1].dim_value, n_features))


# ------------------------------------------------------------------------- running

def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def run_convert(depickle, src, out, double):
    cmd = list(depickle) + ["convert", src, "-o", out] + (["--double"] if double else [])
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=CONVERT_TIMEOUT)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(cmd, -1, "", "timed out after %ds" % CONVERT_TIMEOUT)


def run_node_jobs(node, runner, jobs, tmp):
    """Runs all jobs in one Node process; if it dies, reruns the jobs left without a result
    in a fresh process, after blaming the first of them. Returns {out: (result, note)}."""
    results = {}
    pending = list(jobs)
    attempt = 0
    while pending:
        attempt += 1
        jobs_file = os.path.join(tmp, "jobs.%d.json" % attempt)
        with open(jobs_file, "w") as f:
            json.dump(pending, f)
        try:
            p = subprocess.run([node, runner, jobs_file], capture_output=True, text=True,
                               timeout=NODE_TIMEOUT)
            rc, err = p.returncode, p.stderr.strip()
        except subprocess.TimeoutExpired:
            rc, err = None, "timed out after %ds" % NODE_TIMEOUT
        left = []
        for job in pending:
            try:
                with open(job["out"]) as f:
                    results[job["out"]] = json.load(f)
            except (OSError, ValueError):
                left.append(job)
        if not left:
            break
        why = "run_models.js %s: %s" % ("exit %s" % rc if rc is not None else "killed",
                                         (err.splitlines() or ["(no stderr)"])[-1][:300])
        if rc in (0, 1, 2):
            # It finished (results could not be written) or could not read the jobs file:
            # running it again will not help.
            for job in left:
                results[job["out"]] = {"error": "no result (%s)" % why}
            break
        # The runner died (crash, signal, timeout) before this job wrote its result: blame
        # it and go on with the rest in a fresh process.
        results[left[0]["out"]] = {"error": "no result (%s)" % why}
        pending = left[1:]
    return results


def run_suite(depickle, fixtures_dir, tsv_path, node, runner, work, only=None, emit=print):
    """Runs every row; returns {label: (ok, message)} in tsv order (emitting a line each)."""
    manifest = read_manifest(os.path.join(fixtures_dir, "MANIFEST.tsv"))
    entries, errors = read_expectations(tsv_path)
    outcome = {}

    def done(label, ok, msg):
        outcome[label] = (ok, msg)

    for where, msg in errors:
        done(where, False, msg)
    if only:
        entries = [e for e in entries if e.name in only]
    jobs, pending = [], []
    for e in entries:
        row = manifest.get(e.name)
        if row is None:
            done(e.label, False, "not in fixtures/MANIFEST.tsv")
            continue
        src = os.path.join(fixtures_dir, row["file"])
        out = os.path.join(work, e.stem + ".onnx")
        run = run_convert(depickle, src, out, e.double)
        msg = run.stderr.strip()
        if e.expect == "unsupported":
            if run.returncode != 4:
                done(e.label, False, "exit %d, expected 4 (unsupported)%s"
                     % (run.returncode, ": " + msg.splitlines()[0] if msg else ""))
            elif "\n" in msg or not msg.startswith("depickle: unsupported:"):
                done(e.label, False, "stderr %r is not one line starting 'depickle: unsupported:'"
                     % msg[:300])
            elif os.path.exists(out):
                done(e.label, False, "a refused conversion left %s behind" % out)
            else:
                done(e.label, True, "(exit 4: %s)" % msg[len("depickle: "):][:120])
            continue
        if row.get("oracle") != "1":
            done(e.label, False, "MANIFEST says there is no oracle to compare with")
            continue
        if run.returncode != 0:
            done(e.label, False, "convert exit %d: %s" % (run.returncode,
                                                           (msg.splitlines() or [""])[0][:300]))
            continue
        if not os.path.isfile(out):
            done(e.label, False, "convert exited 0 but wrote no %s" % out)
            continue
        out2 = os.path.join(work, e.stem + ".2.onnx")
        run2 = run_convert(depickle, src, out2, e.double)
        if run2.returncode != 0 or not os.path.isfile(out2):
            done(e.label, False, "second conversion: exit %d: %s"
                 % (run2.returncode, run2.stderr.strip()[:300]))
            continue
        with open(out, "rb") as f1, open(out2, "rb") as f2:
            b1, b2 = f1.read(), f2.read()
        if b1 != b2:
            done(e.label, False, "not deterministic: a second conversion differs (%d vs %d bytes,"
                 " first difference at byte %d)" % (len(b1), len(b2), first_diff(b1, b2)))
            continue
        oracle_path = os.path.join(fixtures_dir, "expected", e.name + ".oracle.npz")
        try:
            with np.load(oracle_path, allow_pickle=False) as z:
                oracle = {k: z[k] for k in z.files}
        except (OSError, ValueError) as ex:
            done(e.label, False, "cannot read %s: %s" % (oracle_path, ex))
            continue
        X = oracle.get("X")
        if X is None or X.dtype.kind != "f" or X.ndim != 2:
            done(e.label, False, "oracle X is not a 2-D float array")
            continue
        try:
            check_structure(out, e, row, X.shape[1])
        except Mismatch as ex:
            done(e.label, False, "structure: %s" % ex)
            continue
        xdtype = "<f8" if e.double else "<f4"
        xfile = os.path.join(work, e.stem + ".X.bin")
        Xfeed = X.astype(xdtype)
        with open(xfile, "wb") as f:
            f.write(np.ascontiguousarray(Xfeed).tobytes(order="C"))
        res = os.path.join(work, e.stem + ".result.json")
        jobs.append({"model": out, "out": res,
                     "inputs": {"X": {"type": "float64" if e.double else "float32",
                                      "shape": list(X.shape), "file": xfile}}})
        pending.append((e, row, oracle, res, Xfeed))
    if jobs:
        results = run_node_jobs(node, runner, jobs, work)
        for e, row, oracle, res, Xfeed in pending:
            result = results.get(res, {"error": "no result"})
            try:
                ref = float64_reference(e, row, fixtures_dir, Xfeed.astype(np.float64), oracle)
                notes = check_outputs(result, oracle, e, ref)
            except Mismatch as ex:
                done(e.label, False, str(ex) + (" [tolerance %s]" % e.tol_text if e.tol else ""))
                continue
            if e.tol:
                notes.append("tolerance override %s" % e.tol_text)
            done(e.label, True, "(%s)" % "; ".join(notes))
    # One line per row, in tsv order.
    order = [w for w, _ in errors] + [e.label for e in entries]
    ordered = {k: outcome[k] for k in order if k in outcome}
    for label, (ok, msg) in ordered.items():
        emit(("ok %s%s" % (label, "  " + msg if msg else "")) if ok else "FAIL %s: %s" % (label, msg))
    return ordered


def prerequisites(node):
    missing = []
    if not shutil.which(node):
        missing.append("node (%s)" % node)
    if not os.path.isdir(ORT_NODE):
        missing.append("onnxruntime-node (%s; run npm ci in tests/node)" % ORT_NODE)
    try:
        import onnx  # noqa: F401
    except ImportError:
        missing.append("python onnx (use /usr/bin/python3 with python3-onnx)")
    return missing


def summarize(outcome, emit=print):
    failed = [k for k, (ok, _) in outcome.items() if not ok]
    emit("")
    emit("onnx: %d ok, %d failed, %d rows" % (len(outcome) - len(failed), len(failed), len(outcome)))
    return 1 if failed else 0


# ------------------------------------------------------------------------ self-test

def self_test(node):
    """Runs run_suite on hand-built ONNX models through a fake depickle, then checks that
    each row came out as intended (the wrong models must FAIL, and for the right reason)."""
    import onnx
    from onnx import helper as oh, TensorProto as TP

    tmp = tempfile.mkdtemp(prefix="depickle-onnx-selftest-")
    fx = os.path.join(tmp, "fixtures")
    os.makedirs(os.path.join(fx, "models"))
    os.makedirs(os.path.join(fx, "expected"))
    built = os.path.join(tmp, "built")
    os.makedirs(built)
    rng = np.random.RandomState(0)
    manifest_rows = []
    fake_map = {}

    def fixture(name, cls):
        data = ("not a pickle: %s\n" % name).encode()
        path = os.path.join(fx, "models", name + ".pkl")
        with open(path, "wb") as f:
            f.write(data)
        sha = hashlib.sha256(data).hexdigest()
        manifest_rows.append([name, "models/%s.pkl" % name, sha, str(len(data)), cls, "4",
                              "pickle", "1.2.1", "1.24.2", "1.2.0", "0", "1"])
        return sha

    def save_model(key, nodes, inputs, outputs, inits, sha, cls, producer="depickle",
                   extra_props=None, doc=""):
        g = oh.make_graph(nodes, key, inputs, outputs, initializer=inits)
        m = oh.make_model(g, producer_name=producer,
                          opset_imports=[oh.make_opsetid("", 15), oh.make_opsetid("ai.onnx.ml", 1)])
        m.ir_version = 8
        m.doc_string = doc
        props = {"source_sha256": sha, "sklearn_version": "1.2.1", "estimator_class": cls}
        props.update(extra_props or {})
        oh.set_model_props(m, props)
        path = os.path.join(built, key + ".onnx")
        onnx.save(m, path)
        return path

    def oracle(name, **arrays):
        np.savez(os.path.join(fx, "expected", name + ".oracle.npz"), **arrays)

    def t(name, arr, elem=TP.FLOAT):
        arr = np.asarray(arr)
        if elem == TP.STRING:
            return oh.make_tensor(name, TP.STRING, arr.shape, [s.encode() for s in arr.flat])
        return oh.make_tensor(name, elem, arr.shape, arr.flatten().tolist())

    def xin(nf, elem=TP.FLOAT, name="X"):
        return oh.make_tensor_value_info(name, elem, [None, nf])

    # --- regressors: variable = X @ w + b (float32 / double) ---------------------------
    F = 3
    X = (rng.randn(20, F) * 2).astype(np.float32)
    w = np.array([1.5, -2.25, 0.75])
    b = 3.0
    pred = X.astype(np.float64) @ w + b

    def linreg(key, name, sha, w_, double=False, cast_float=False, producer="depickle",
               input_name="X", props=None, b_=b):
        elem = TP.DOUBLE if double else TP.FLOAT
        inits = [t("W", np.asarray(w_).reshape(F, 1), elem), t("B", np.array([b_]), elem)]
        nodes = []
        xname = input_name
        if cast_float:  # a "double" model that computes in float32 inside
            inits = [t("W", np.asarray(w_).reshape(F, 1)), t("B", np.array([b_]))]
            nodes.append(oh.make_node("Cast", [xname], ["Xf"], to=TP.FLOAT))
            xname = "Xf"
        nodes += [oh.make_node("MatMul", [xname, "W"], ["XW"]),
                  oh.make_node("Add", ["XW", "B"], ["V" if cast_float else "variable"])]
        if cast_float:
            nodes.append(oh.make_node("Cast", ["V"], ["variable"], to=TP.DOUBLE))
        return save_model(key, nodes, [xin(F, elem, input_name)],
                          [oh.make_tensor_value_info("variable", elem, [None, 1])], inits, sha,
                          "sklearn.linear_model._base.LinearRegression", producer=producer,
                          extra_props=props)

    cls_lr = "sklearn.linear_model._base.LinearRegression"
    for name in ("reg_ok", "reg_wrong", "reg_lossy_double", "reg_bad_producer", "reg_bad_input",
                 "reg_bad_sha", "reg_nondeterministic", "reg_tolerance", "reg_convert_error"):
        sha = fixture(name, cls_lr)
        oracle(name, X=X, predict=pred)
        if name == "reg_ok":
            fake_map[name] = {"onnx": linreg(name, name, sha, w)}
            fake_map[name + "|double"] = {"onnx": linreg(name + "_d", name, sha, w, double=True)}
        elif name == "reg_wrong":
            fake_map[name] = {"onnx": linreg(name, name, sha, w * (1 + 1e-3))}
        elif name == "reg_lossy_double":
            fake_map[name] = {"onnx": linreg(name, name, sha, w)}
            fake_map[name + "|double"] = {"onnx": linreg(name + "_d", name, sha, w, double=True,
                                                         cast_float=True)}
        elif name == "reg_bad_producer":
            fake_map[name] = {"onnx": linreg(name, name, sha, w, producer="skl2onnx")}
        elif name == "reg_bad_input":
            fake_map[name] = {"onnx": linreg(name, name, sha, w, input_name="input")}
        elif name == "reg_bad_sha":
            fake_map[name] = {"onnx": linreg(name, name, "0" * 64, w)}
        elif name == "reg_nondeterministic":
            fake_map[name] = {"onnx": linreg(name, name, sha, w),
                              "onnx2": linreg(name + "_2", name, sha, w, props={"run": "2"})}
        elif name == "reg_tolerance":  # 2e-4 relative error: fails 1e-5, passes rtol=1e-3
            fake_map[name] = {"onnx": linreg(name, name, sha, w * (1 + 2e-4),
                                              b_=b * (1 + 2e-4))}
        elif name == "reg_convert_error":
            fake_map[name] = {"exit": 3, "msg": "depickle: malformed: truncated at byte 9"}

    # --- multiclass classifier: int64 labels via ArgMax/Gather, softmax probabilities ---
    C = 3
    Xc = (rng.randn(40, F) * 2).astype(np.float32)
    Wc = np.array([[1.0, -0.5, 0.2], [-1.0, 0.8, 0.1], [0.3, 0.3, -1.2]])
    bc = np.array([0.1, -0.2, 0.05])
    s = Xc.astype(np.float64) @ Wc + bc
    top2 = np.sort(s, axis=1)[:, -2:]
    Xc, s = Xc[top2[:, 1] - top2[:, 0] > 1e-3], s[top2[:, 1] - top2[:, 0] > 1e-3]  # no near-ties
    proba = np.exp(s - s.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    classes = np.array([3, 5, 7])
    str_classes = np.array(["ant", "bee", "cat"])

    def clf(key, sha, cls, labels, label_elem=TP.INT64, proba_scale=None):
        inits = [t("W", Wc), t("B", bc), t("classes", labels, label_elem)]
        nodes = [oh.make_node("MatMul", ["X", "W"], ["XW"]),
                 oh.make_node("Add", ["XW", "B"], ["S"]),
                 oh.make_node("Softmax", ["S"], ["P" if proba_scale else "probabilities"], axis=1)]
        if proba_scale:
            inits.append(t("k", np.array([proba_scale])))
            nodes.append(oh.make_node("Mul", ["P", "k"], ["probabilities"]))
        nodes += [oh.make_node("ArgMax", ["probabilities"], ["idx"], axis=1, keepdims=0),
                  oh.make_node("Gather", ["classes", "idx"], ["label"], axis=0)]
        zm = {"classlabels_strings": [str(v) for v in labels]} if label_elem == TP.STRING \
            else {"classlabels_int64s": [int(v) for v in labels]}
        nodes.append(oh.make_node("ZipMap", ["probabilities"], ["output_probability"],
                                  domain="ai.onnx.ml", **zm))
        key_type = TP.STRING if label_elem == TP.STRING else TP.INT64
        mt = onnx.TypeProto()
        mt.map_type.key_type = key_type
        mt.map_type.value_type.CopyFrom(oh.make_tensor_type_proto(TP.FLOAT, []))
        outputs = [oh.make_tensor_value_info("label", label_elem, [None]),
                   oh.make_tensor_value_info("probabilities", TP.FLOAT, [None, C]),
                   oh.make_value_info("output_probability", oh.make_sequence_type_proto(mt))]
        return save_model(key, nodes, [xin(F)], outputs, inits, sha, cls)

    cls_log = "sklearn.linear_model._logistic.LogisticRegression"
    for name in ("clf_ok", "clf_wrong_label", "clf_wrong_proba", "clf_string", "clf_string_wrong"):
        sha = fixture(name, cls_log)
        if name.startswith("clf_string"):
            oracle(name, X=Xc, predict=str_classes[s.argmax(axis=1)], predict_proba=proba,
                   decision_function=s)
            labels = str_classes if name == "clf_string" else str_classes[[0, 2, 1]]
            fake_map[name] = {"onnx": clf(name, sha, cls_log, labels, TP.STRING)}
        else:
            oracle(name, X=Xc, predict=classes[s.argmax(axis=1)], predict_proba=proba,
                   decision_function=s)
            labels = classes[[0, 2, 1]] if name == "clf_wrong_label" else classes
            fake_map[name] = {"onnx": clf(name, sha, cls_log, labels,
                                          proba_scale=1.001 if name == "clf_wrong_proba" else None)}

    # --- binary classifier without predict_proba: probabilities = [-d, d] --------------
    wd = np.array([0.5, -1.0, 0.25])
    Xb = (rng.randn(30, F) * 2).astype(np.float32)
    d = Xb.astype(np.float64) @ wd - 0.3
    Xb, d = Xb[np.abs(d) > 1e-3], d[np.abs(d) > 1e-3]

    def svc(key, sha, swapped=False):
        inits = [t("W", wd.reshape(F, 1)), t("B", np.array([-0.3])), t("zero", np.array([0.0])),
                 t("classes", np.array([0, 1]), TP.INT64)]
        nodes = [oh.make_node("MatMul", ["X", "W"], ["XW"]),
                 oh.make_node("Add", ["XW", "B"], ["D"]),
                 oh.make_node("Neg", ["D"], ["ND"]),
                 oh.make_node("Concat", ["D", "ND"] if swapped else ["ND", "D"], ["probabilities"],
                              axis=1),
                 oh.make_node("Greater", ["D", "zero"], ["pos"]),
                 oh.make_node("Cast", ["pos"], ["pos64"], to=TP.INT64),
                 oh.make_node("Flatten", ["pos64"], ["posf"], axis=0),
                 oh.make_node("Squeeze", ["posf", "ax0"], ["idx"]),
                 oh.make_node("Gather", ["classes", "idx"], ["label"], axis=0)]
        inits.append(t("ax0", np.array([0]), TP.INT64))
        outputs = [oh.make_tensor_value_info("label", TP.INT64, [None]),
                   oh.make_tensor_value_info("probabilities", TP.FLOAT, [None, 2])]
        return save_model(key, nodes, [xin(F)], outputs, inits, sha, "sklearn.svm._classes.LinearSVC")

    for name in ("svc_binary_ok", "svc_binary_swapped"):
        sha = fixture(name, "sklearn.svm._classes.LinearSVC")
        oracle(name, X=Xb, predict=(d > 0).astype(np.int64), decision_function=d)
        fake_map[name] = {"onnx": svc(name, sha, swapped=name.endswith("swapped"))}

    # --- transformer with NaN passthrough: (X - mean) / scale ---------------------------
    Xs = (rng.randn(20, F) * 3 + 1).astype(np.float32)
    Xs[2, 1] = np.nan
    Xs[7, 0] = np.nan
    mean = np.array([1.0, 0.5, -0.25])
    scale = np.array([2.0, 3.0, 0.5])
    transform = (Xs - mean.astype(np.float32)) / scale.astype(np.float32)  # float32 like sklearn

    def scaler(key, sha, nan_to_zero=False, double=False):
        elem = TP.DOUBLE if double else TP.FLOAT
        inits = [t("M", mean, elem), t("S", scale, elem)]
        nodes = [oh.make_node("Sub", ["X", "M"], ["C"]),
                 oh.make_node("Div", ["C", "S"], ["V" if nan_to_zero else "variable"])]
        if nan_to_zero:
            inits.append(t("z", np.array([0.0]), elem))
            nodes += [oh.make_node("IsNaN", ["V"], ["isn"]),
                      oh.make_node("Where", ["isn", "z", "V"], ["variable"])]
        return save_model(key, nodes, [xin(F, elem)],
                          [oh.make_tensor_value_info("variable", elem, [None, F])], inits, sha,
                          "sklearn.preprocessing._data.StandardScaler")

    for name in ("scaler_nan", "scaler_nan_wrong"):
        sha = fixture(name, "sklearn.preprocessing._data.StandardScaler")
        oracle(name, X=Xs, transform=transform)
        np.savez(os.path.join(fx, "expected", name + ".arrays.npz"), mean_=mean, scale_=scale,
                 var_=scale ** 2)
        fake_map[name] = {"onnx": scaler(name, sha, nan_to_zero=name.endswith("wrong"))}
        fake_map[name + "|double"] = {"onnx": scaler(name + "_d", sha, double=True,
                                                     nan_to_zero=name.endswith("wrong"))}

    # --- unsupported -----------------------------------------------------------------
    for name, spec in (("unsup_ok", {"exit": 4, "msg": "depickle: unsupported: onnx: no "
                                                      "converter for sklearn.svm._classes.SVC"}),
                       ("unsup_converts", {"onnx": fake_map["reg_ok"]["onnx"]}),
                       ("unsup_two_lines", {"exit": 4, "msg": "depickle: unsupported: x\nmore"})):
        fixture(name, "sklearn.svm._classes.SVC")
        oracle(name, X=X, predict=pred)
        fake_map[name] = spec

    with open(os.path.join(fx, "MANIFEST.tsv"), "w") as f:
        f.write("name\tfile\tsha256\tbytes\tclass\tprotocol\tcontainer\tsklearn\tnumpy\tjoblib"
                "\tarrays\toracle\n")
        for r in manifest_rows:
            f.write("\t".join(r) + "\n")
    with open(os.path.join(tmp, "fake_map.json"), "w") as f:
        json.dump(fake_map, f)
    fake = os.path.join(tmp, "fake_depickle")
    with open(fake, "w") as f:
        f.write("""#!%s
# Stands in for depickle: "converts" by copying a prebuilt ONNX file.
import json, os, shutil, sys
spec = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_map.json")))
a = sys.argv[1:]
assert a[0] == "convert", a
src, out = a[1], a[a.index("-o") + 1]
key = os.path.basename(src)[:-len(".pkl")] + ("|double" if "--double" in a else "")
e = spec.get(key)
if e is None:
    sys.stderr.write("depickle: usage: fake has no %%s\\n" %% key); sys.exit(2)
if "exit" in e:
    sys.stderr.write(e["msg"] + "\\n"); sys.exit(e["exit"])
shutil.copyfile(e["onnx2"] if out.endswith(".2.onnx") and "onnx2" in e else e["onnx"], out)
""" % sys.executable)
    os.chmod(fake, 0o755)

    tsv = os.path.join(tmp, "onnx_expected.tsv")
    rows = [("reg_ok", "ok", "-", "-"), ("reg_ok", "ok", "rtol=1e-9", "double"),
            ("reg_wrong", "ok", "-", "-"),
            ("reg_lossy_double", "ok", "-", "-"), ("reg_lossy_double", "ok", "rtol=1e-9", "double"),
            ("reg_bad_producer", "ok", "-", "-"), ("reg_bad_input", "ok", "-", "-"),
            ("reg_bad_sha", "ok", "-", "-"), ("reg_nondeterministic", "ok", "-", "-"),
            ("reg_tolerance", "ok", "rtol=1e-3", "-"), ("reg_convert_error", "ok", "-", "-"),
            ("clf_ok", "ok", "-", "-"), ("clf_wrong_label", "ok", "-", "-"),
            ("clf_wrong_proba", "ok", "-", "-"), ("clf_string", "ok", "-", "-"),
            ("clf_string_wrong", "ok", "-", "-"),
            ("svc_binary_ok", "ok", "-", "-"), ("svc_binary_swapped", "ok", "-", "-"),
            ("scaler_nan", "ok", "-", "-"), ("scaler_nan", "ok", "rtol=1e-9", "double"),
            ("scaler_nan_wrong", "ok", "-", "-"),
            ("unsup_ok", "unsupported", "-", "-"), ("unsup_converts", "unsupported", "-", "-"),
            ("unsup_two_lines", "unsupported", "-", "-"),
            ("not_in_manifest", "ok", "-", "-")]
    with open(tsv, "w") as f:
        f.write("# self-test expectations\nname\tok\n")  # line 2: malformed on purpose
        for r in rows:
            f.write("\t".join(r) + "\n")

    # label -> (should pass, substring of the line)
    want = {
        "onnx_expected.tsv:2": (False, "4 tab-separated columns"),
        "reg_ok": (True, "variable max abs"),
        "reg_ok [double]": (True, "variable max abs"),
        "reg_wrong": (False, "variable: 20/20 values off"),
        "reg_lossy_double": (True, ""),
        "reg_lossy_double [double]": (False, "values off (rtol=1e-09, atol=1e-10)"),
        "reg_bad_producer": (False, "producer_name is 'skl2onnx'"),
        "reg_bad_input": (False, "graph inputs are ['input']"),
        "reg_bad_sha": (False, "source_sha256 0000"),
        "reg_nondeterministic": (False, "not deterministic"),
        "reg_tolerance": (True, "tolerance override rtol=1e-3"),
        "reg_convert_error": (False, "convert exit 3: depickle: malformed"),
        "clf_ok": (True, "probabilities max abs"),
        "clf_wrong_label": (False, "label: "),
        "clf_wrong_proba": (False, "probabilities: "),
        "clf_string": (True, "label"),
        "clf_string_wrong": (False, "label: "),
        "svc_binary_ok": (True, "probabilities[:, 1] (vs d)"),
        "svc_binary_swapped": (False, "probabilities[:, 1] (vs d)"),
        "scaler_nan": (True, "variable max abs"),
        "scaler_nan [double]": (True, "(float64 reference)"),
        "scaler_nan_wrong": (False, "expected nan"),
        "unsup_ok": (True, "exit 4"),
        "unsup_converts": (False, "exit 0, expected 4"),
        "unsup_two_lines": (False, "is not one line"),
        "not_in_manifest": (False, "not in fixtures/MANIFEST.tsv"),
    }
    # The reference for a float32 oracle must be good enough, and the wrong-NaN double
    # model must fail too.
    want["scaler_nan_wrong [double]"] = (False, "expected nan")
    rows.append(("scaler_nan_wrong", "ok", "rtol=1e-9", "double"))
    with open(tsv, "a") as f:
        f.write("\t".join(rows[-1]) + "\n")

    work = os.path.join(tmp, "work")
    os.makedirs(work)
    lines = []

    def emit(line):
        lines.append(line)
        print("  | " + line)

    print("self-test: running the harness on hand-built models in %s" % tmp)
    outcome = run_suite([fake], fx, tsv, node, RUNNER, work, emit=emit)
    problems = []
    for label, (should_pass, needle) in want.items():
        if label not in outcome:
            problems.append("%s: no outcome" % label)
            continue
        ok, msg = outcome[label]
        if ok != should_pass or needle not in msg:
            problems.append("%s: %s %r; wanted %s containing %r"
                            % (label, "ok" if ok else "FAIL", msg, "ok" if should_pass else "FAIL",
                               needle))
    for label in outcome:
        if label not in want:
            problems.append("%s: unexpected row" % label)
    # ZipMap output skipped, not fetched:
    with open(os.path.join(work, "clf_ok.result.json")) as f:
        r = json.load(f)
    if r.get("skipped") != ["output_probability"] or "output_probability" in r["outputs"]:
        problems.append("clf_ok: ZipMap output not reported as skipped: %s" % r.get("skipped"))
    if r["outputs"]["label"]["type"] != "int64":
        problems.append("clf_ok: label type %s" % r["outputs"]["label"]["type"])
    # run_models.js encodings: int64 beyond 2^53 as a string, NaN/Inf as strings, bool.
    enc = os.path.join(built, "encodings.onnx")
    g = oh.make_graph(
        [oh.make_node("Div", ["X", "zero"], ["q"]),
         oh.make_node("IsNaN", ["q"], ["isnan"]),
         oh.make_node("Constant", [], ["big"],
                      value=oh.make_tensor("c", TP.INT64, [3], [2 ** 53 + 1, -5, -(2 ** 62)]))],
        "enc", [xin(3)],
        [oh.make_tensor_value_info("q", TP.FLOAT, [None, 3]),
         oh.make_tensor_value_info("isnan", TP.BOOL, [None, 3]),
         oh.make_tensor_value_info("big", TP.INT64, [3])],
        initializer=[t("zero", np.array([0.0]))])
    m = oh.make_model(g, opset_imports=[oh.make_opsetid("", 15)])
    m.ir_version = 8
    onnx.save(m, enc)
    xfile = os.path.join(work, "enc.bin")
    np.array([[1, -1, 0]], "<f4").tofile(xfile)
    enc_out = os.path.join(work, "enc.json")
    job = {"model": enc, "out": enc_out,
           "inputs": {"X": {"type": "float32", "shape": [1, 3], "file": xfile}}}
    r = run_node_jobs(node, RUNNER, [job], work)[enc_out]
    want_enc = {"q": {"type": "float32", "dims": [1, 3], "data": ["inf", "-inf", "nan"]},
                "isnan": {"type": "bool", "dims": [1, 3], "data": [False, False, True]},
                "big": {"type": "int64", "dims": [3],
                        "data": ["9007199254740993", -5, str(-(2 ** 62))]}}
    if r.get("outputs") != want_enc:
        problems.append("run_models.js encodings: got %s" % json.dumps(r)[:500])
    # A runner that dies mid-way: the job it died on is blamed, the others still run.
    fake_node = os.path.join(tmp, "fake_node")
    with open(fake_node, "w") as f:
        f.write("""#!%s
import json, os, signal, sys
for job in json.load(open(sys.argv[2])):
    if "crash" in job["model"]:
        os.kill(os.getpid(), signal.SIGKILL)
    json.dump({"error": "fake ran " + job["model"]}, open(job["out"], "w"))
""" % sys.executable)
    os.chmod(fake_node, 0o755)
    jobs = [{"model": m_, "out": os.path.join(work, "crash.%d.json" % i), "inputs": {}}
            for i, m_ in enumerate(["a", "crash1", "b", "crash2", "c"])]
    rs = run_node_jobs(fake_node, RUNNER, jobs, work)
    got = [rs.get(j["out"], {}).get("error", "") for j in jobs]
    if not (got[0] == "fake ran a" and got[2] == "fake ran b" and got[4] == "fake ran c"
            and got[1].startswith("no result (run_models.js exit -9")
            and got[3].startswith("no result")):
        problems.append("crash recovery: %s" % got)
    # The real expectations file must parse and name real fixtures with an oracle.
    entries, errors = read_expectations(EXPECTED_TSV)
    manifest = read_manifest(os.path.join(FIXTURES, "MANIFEST.tsv"))
    problems += ["onnx_expected.tsv: %s: %s" % e for e in errors]
    problems += ["onnx_expected.tsv: %s is not in MANIFEST.tsv or has no oracle" % e.name
                 for e in entries if manifest.get(e.name, {}).get("oracle") != "1"]
    print()
    if problems:
        for p in problems:
            print("SELF-TEST PROBLEM", p)
        print("self-test: FAILED (%d problems; files kept in %s)" % (len(problems), tmp))
        return 1
    shutil.rmtree(tmp)
    print("self-test: ok (%d rows behaved as intended; real onnx_expected.tsv: %d rows parse)"
          % (len(want), len(entries)))
    return 0


# ---------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("depickle", nargs="?", help="path to the depickle binary")
    ap.add_argument("--self-test", action="store_true",
                    help="check this harness on hand-built ONNX models (no depickle needed)")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="run only these fixtures")
    ap.add_argument("--keep", metavar="DIR", help="write the ONNX files and results to DIR")
    ap.add_argument("--node", default=os.environ.get("NODE", "node"), help="node executable")
    ap.add_argument("--fixtures", default=FIXTURES, help="fixture folder with MANIFEST.tsv")
    ap.add_argument("--expected", default=EXPECTED_TSV, help="expectations (onnx_expected.tsv)")
    args = ap.parse_args()
    missing = prerequisites(args.node)
    if missing:
        print("SKIP: missing %s" % ", ".join(missing))
        return SKIP
    if args.self_test:
        return self_test(args.node)
    if not args.depickle:
        ap.error("DEPICKLE is required (or --self-test)")
    depickle = [os.path.abspath(args.depickle)]
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        outcome = run_suite(depickle, args.fixtures, args.expected, args.node, RUNNER,
                            os.path.abspath(args.keep), only=args.only)
    else:
        with tempfile.TemporaryDirectory(prefix="depickle-onnx-") as tmp:
            outcome = run_suite(depickle, args.fixtures, args.expected, args.node, RUNNER, tmp,
                                only=args.only)
    if args.only:
        unknown = sorted(set(args.only) - {k.split(" ")[0] for k in outcome})
        for name in unknown:
            outcome[name] = (False, "not in onnx_expected.tsv")
            print("FAIL %s: not in onnx_expected.tsv" % name)
    return summarize(outcome)


if __name__ == "__main__":
    sys.exit(main())
