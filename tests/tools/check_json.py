#!/usr/bin/python3
"""Check a depickle JSON document against the schema and expected arrays.

  check_json.py --schema schemas/depickle.schema.json DOC.json [EXPECTED.arrays.npz]
                [--manifest fixtures/MANIFEST.tsv] [--name NAME] [--max-errors N]
  check_json.py --decode-root DOC.json [--depth N]
  check_json.py --self-test [--schema schemas/depickle.schema.json]

Checking:
  1. DOC.json is parsed with json.load (standard int/float parsing; NaN /
     Infinity literals and duplicate object keys are rejected) and validated
     against the JSON Schema (Draft 2020-12).
  2. For every key of EXPECTED.arrays.npz (a path, see fixtures/README.md)
     the JSON is navigated to an {"$ndarray"} and compared with the expected
     array: dtype (numpy dtype.str; for structured dtypes the descr must give
     an equal dtype with the same itemsize), shape, and the data bit for bit.
     Padding bytes of structured records are not compared (each named field
     is).  NaNs compare equal whatever their sign/payload bits, because JSON
     only says {"$float": "nan"}; -0.0 and 0.0 do differ.
  3. With --manifest, "source" (sha256, bytes, container, protocol) is
     compared with the MANIFEST.tsv row of NAME (default: the npz file name
     without .arrays.npz, or DOC.json's name without .json).

Prints one line per mismatch and exits 1, or prints "N arrays ok" and exits
0.  Exit status 2 means the command line or an input file is unusable.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import jsonpath  # noqa: E402
from jsonpath import DecodeError  # noqa: E402

DEFAULT_SCHEMA = os.path.join(os.path.dirname(os.path.dirname(HERE)),
                              "schemas", "depickle.schema.json")


class InputError(Exception):
    pass


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------
def _reject_constant(name):
    raise ValueError("non-standard JSON constant %s (use {\"$float\"})" % name)


def _pairs_no_duplicates(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError("duplicate key %r in JSON object" % k)
        d[k] = v
    return d


def load_json_text(text):
    return json.loads(text, parse_constant=_reject_constant,
                      object_pairs_hook=_pairs_no_duplicates)


def load_json(path):
    try:
        with open(path, "rb") as f:
            raw = f.read()
        return load_json_text(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
        raise InputError("%s: cannot read JSON: %s" % (path, e))


def make_validator(schema_path):
    import jsonschema
    try:
        with open(schema_path) as f:
            schema = json.load(f)
    except (OSError, ValueError) as e:
        raise InputError("%s: cannot read schema: %s" % (schema_path, e))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _short(s, n=160):
    s = str(s)
    return s if len(s) <= n else s[:n] + "..."


def schema_errors(validator, doc, limit):
    from jsonschema.exceptions import best_match
    out = []
    errors = sorted(validator.iter_errors(doc),
                    key=lambda e: list(map(str, e.absolute_path)))
    for err in errors[:limit]:
        # anyOf failures: report the most specific sub-error.
        e = best_match([err]) if err.context else err
        where = "/".join(str(p) for p in e.absolute_path) or "<document>"
        out.append("schema: at %s: %s" % (where, _short(e.message)))
    if len(errors) > limit:
        out.append("schema: ... %d more errors" % (len(errors) - limit))
    return out


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------
def check_arrays(doc, expected):
    """expected: mapping path -> ndarray.  Returns (n_ok, mismatches)."""
    problems = []
    try:
        ids = jsonpath.IdTable(doc.get("root"))
    except DecodeError as e:
        return 0, ["ids: %s" % e]
    ok = 0
    for path in expected:
        exp = expected[path]
        label = path if path != "" else "<root>"
        try:
            node = jsonpath.navigate(doc.get("root"), path, ids)
        except DecodeError as e:
            problems.append("%s: not found: %s" % (label, e))
            continue
        except RecursionError:
            problems.append("%s: not found: nesting too deep" % label)
            continue
        errs = jsonpath.compare_arrays(exp, node)
        if errs:
            problems.extend("%s: %s" % (label, m) for m in errs)
        else:
            ok += 1
    return ok, problems


def load_npz(path):
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError) as e:
        raise InputError("%s: cannot read npz: %s" % (path, e))


def check_manifest(doc, manifest_path, name):
    try:
        with open(manifest_path) as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise InputError("%s: %s" % (manifest_path, e))
    header = lines[0].split("\t")
    for line in lines[1:]:
        row = dict(zip(header, line.split("\t")))
        if row.get("name") == name:
            break
    else:
        raise InputError("%s: no fixture named %r" % (manifest_path, name))
    src = doc.get("source") or {}
    want = {"sha256": row["sha256"], "bytes": int(row["bytes"]),
            "container": row["container"], "protocol": int(row["protocol"])}
    return ["source.%s: expected %r, got %r" % (k, v, src.get(k))
            for k, v in want.items() if src.get(k) != v]


def run_check(args):
    validator = make_validator(args.schema)
    doc = load_json(args.doc)
    problems = schema_errors(validator, doc, args.max_errors)
    n_ok = 0
    n_expected = 0
    if args.npz:
        expected = load_npz(args.npz)
        n_expected = len(expected)
        if isinstance(doc, dict):
            n_ok, errs = check_arrays(doc, expected)
            problems += errs
    if args.manifest:
        name = args.name
        if name is None:
            base = os.path.basename(args.npz or args.doc)
            for suffix in (".arrays.npz", ".json"):
                if base.endswith(suffix):
                    base = base[:-len(suffix)]
            name = base
        if isinstance(doc, dict):
            problems += check_manifest(doc, args.manifest, name)
    for p in problems:
        print(p)
    if problems:
        print("FAILED: %d problem(s); %d of %d arrays ok"
              % (len(problems), n_ok, n_expected), file=sys.stderr)
        return 1
    print("%d arrays ok" % n_ok)
    return 0


# ---------------------------------------------------------------------------
# --decode-root
# ---------------------------------------------------------------------------
def summarize(node, ids, depth, indent="", seen=None, out=None):
    """Outline of a JSON VALUE as Python-like reprs."""
    if out is None:
        out = []
    if seen is None:
        seen = set()
    pad = indent

    def line(s):
        out.append(pad + s)

    if isinstance(node, dict) and "$ref" in node:
        line("<ref %s>" % node["$ref"])
        return out
    kind = jsonpath.wrapper_kind(node)
    if depth < 0:
        line("...")
        return out
    if kind is None and not isinstance(node, list):
        line(repr(node))
        return out
    if isinstance(node, list) or kind in ("$list", "$tuple", "$set"):
        items = node if isinstance(node, list) else node[kind]
        op, cl = {"$tuple": "(", "$set": "{"}.get(kind, "["), \
            {"$tuple": ")", "$set": "}"}.get(kind, "]")
        line("%s  # %d items" % (op, len(items)))
        for e in items[:20]:
            summarize(e, ids, depth - 1, indent + "  ", seen, out)
        if len(items) > 20:
            out.append(indent + "  ... %d more" % (len(items) - 20))
        out.append(indent + cl)
        return out
    if kind == "dict" or kind == "$dict":
        items = jsonpath.plain_items(node) if kind == "dict" else \
            [(k, v) for k, v in node["$dict"]]
        line("{  # dict, %d keys" % len(items))
        for k, v in items[:50]:
            sub = summarize(v, ids, depth - 1, indent + "    ", seen, [])
            out.append(indent + "  %r: %s" % (k if isinstance(k, str) else
                                             jsonpath.describe(k),
                                             sub[0].strip()))
            out.extend(sub[1:])
        if len(items) > 50:
            out.append(indent + "  ... %d more" % (len(items) - 50))
        out.append(indent + "}")
        return out
    if kind == "$class":
        line("%s(  # object" % node["$class"])
        if node.get("$args"):
            out.append(indent + "  $args:")
            summarize(node["$args"], ids, depth - 1, indent + "    ", seen,
                      out)
        out.append(indent + "  $state:")
        summarize(node.get("$state"), ids, depth - 1, indent + "    ", seen,
                  out)
        for k in ("$kwargs", "$listitems", "$dictitems"):
            if k in node:
                out.append(indent + "  %s:" % k)
                summarize(node[k], ids, depth - 1, indent + "    ", seen, out)
        out.append(indent + ")")
        return out
    if kind == "$ndarray":
        a = node["$ndarray"]
        try:
            arr = jsonpath.decode_ndarray(node)
            if arr.dtype.kind == "O":
                line("ndarray(dtype=object, shape=%s)" % (arr.shape,))
                for i, e in enumerate(a["data"][:20]):
                    summarize(e, ids, depth - 1, indent + "  [%d] " % i, seen,
                              out)
            else:
                text = np.array2string(arr, threshold=8, edgeitems=2,
                                       max_line_width=100)
                line("ndarray(dtype=%s, shape=%s) %s"
                     % (a["dtype"] if isinstance(a["dtype"], str) else
                        "structured", tuple(a["shape"]),
                        " ".join(text.split())))
        except DecodeError as e:
            line("ndarray <undecodable: %s>" % e)
        return out
    if kind == "$scalar":
        line("numpy scalar %s %r" % (node["$scalar"].get("dtype"),
                                     node["$scalar"].get("value")))
        return out
    if kind == "$int":
        line(node["$int"])
        return out
    if kind == "$float":
        line("float(%r)" % node["$float"])
        return out
    if kind == "$bytes":
        line("%s(%d bytes)" % ("bytearray" if node.get("$bytearray")
                               else "bytes", len(node["$bytes"]) * 3 // 4))
        return out
    if kind == "$dtype":
        line("dtype(%r)" % (node["$dtype"],))
        return out
    if kind == "$global":
        line("<global %s>" % node["$global"])
        return out
    line(jsonpath.describe(node))
    return out


def run_decode_root(args):
    doc = load_json(args.decode_root)
    if not isinstance(doc, dict):
        raise InputError("not a depickle document")
    print("source: %s" % json.dumps(doc.get("source")))
    print("sklearn_version: %r" % doc.get("sklearn_version"))
    ids = jsonpath.IdTable(doc.get("root"))
    print("\n".join(summarize(doc.get("root"), ids, args.depth)))
    return 0


# ---------------------------------------------------------------------------
# --self-test
# ---------------------------------------------------------------------------
_SHA = "0" * 64


def _doc(root, **over):
    d = {"format": "depickle.json", "version": 1,
         "source": {"sha256": _SHA, "bytes": 10, "container": "pickle",
                    "protocol": 4},
         "sklearn_version": "1.2.1", "root": root}
    d.update(over)
    return d


VALID_ROOTS = [
    None, True, 3, -(2 ** 53), 1.5, "text", [], {},
    {"a": 1, "b": [1.0, None]},
    {"$int": "18446744073709551615"}, {"$int": "-9007199254740993"},
    {"$float": "nan"}, {"$float": "-inf"},
    {"$tuple": [1, "x"]}, {"$set": [1, 2]}, {"$set": [], "$frozen": True},
    {"$bytes": ""}, {"$bytes": "AAE="}, {"$bytes": "YWJj", "$bytearray": True},
    {"$dict": [[1, "one"], ["$x", 2]]},
    {"$id": 0, "$list": [{"$ref": 0}]},
    {"$id": 0, "k": {"$ref": 0}},
    {"$ndarray": {"dtype": "<f8", "shape": [2], "data": [1.0, {"$float": "inf"}]}},
    {"$ndarray": {"dtype": "|b1", "shape": [0], "data": []}},
    {"$ndarray": {"dtype": "<c16", "shape": [1], "data": [[1.0, -0.0]]}},
    {"$ndarray": {"dtype": "|O", "shape": [1, 1], "data": [{"$tuple": []}]},
     "$id": 3},
    {"$ndarray": {"dtype": [["a", "<i8"], ["", "|V8"], ["b", "<f8", [2]]],
                  "shape": [1], "data": [[1, [0.5, 2.0]]]}},
    {"$ndarray": {"dtype": "<f8", "shape": [1], "data": [1.0],
                  "class": "numpy.matrix"}},
    {"$scalar": {"dtype": "<i4", "value": 7}},
    {"$scalar": {"dtype": "<M8[ns]", "value": {"$int": "-9223372036854775808"}}},
    {"$dtype": "<f4"}, {"$dtype": [["x", "<f4"]]},
    {"$global": "numpy.float64"},
    {"$class": "sklearn.linear_model._base.LinearRegression", "$args": [],
     "$state": {"coef_": {"$ndarray": {"dtype": "<f8", "shape": [1],
                                       "data": [0.25]}},
                "_sklearn_version": "1.2.1"}, "$id": 1},
    {"$class": "collections.OrderedDict", "$args": [], "$state": None,
     "$dictitems": {"a": 1}, "$listitems": [1], "$kwargs": {"x": 1}},
    {"$class": "x.Y", "$args": [], "$state": {"$tuple": [None, {"s": 1}]}},
]

INVALID_DOCS = [
    ("wrong format", _doc(None, format="depickle")),
    ("wrong version", _doc(None, version=2)),
    ("missing root", {k: v for k, v in _doc(None).items() if k != "root"}),
    ("extra top-level key", _doc(None, extra=1)),
    ("bad sha256", _doc(None, source={"sha256": "ABC", "bytes": 1,
                                      "container": "pickle", "protocol": 4})),
    ("protocol 6", _doc(None, source={"sha256": _SHA, "bytes": 1,
                                      "container": "pickle", "protocol": 6})),
    ("unknown container", _doc(None, source={"sha256": _SHA, "bytes": 1,
                                             "container": "tar",
                                             "protocol": 4})),
    ("source extra key", _doc(None, source={"sha256": _SHA, "bytes": 1,
                                            "container": "pickle",
                                            "protocol": 4, "x": 1})),
    ("sklearn_version number", _doc(None, sklearn_version=1.2)),
    ("plain dict with $ key", _doc({"$x": 1})),
    ("$int not a string", _doc({"$int": 5})),
    ("$int with junk", _doc({"$int": "12a"})),
    ("$float unknown", _doc({"$float": "NaN"})),
    ("$tuple not array", _doc({"$tuple": 5})),
    ("$tuple extra key", _doc({"$tuple": [], "x": 1})),
    ("$set frozen false", _doc({"$set": [], "$frozen": False})),
    ("$bytes bad base64", _doc({"$bytes": "abc"})),
    ("$bytearray false", _doc({"$bytes": "", "$bytearray": False})),
    ("$dict pair of 3", _doc({"$dict": [[1, 2, 3]]})),
    ("$ref string", _doc({"$ref": "1"})),
    ("$ref with extra", _doc({"$ref": 1, "$id": 2})),
    ("$list without $id", _doc({"$list": []})),
    ("$id negative", _doc({"$id": -1, "a": 1})),
    ("ndarray missing data", _doc({"$ndarray": {"dtype": "<f8",
                                                "shape": [1]}})),
    ("ndarray negative shape", _doc({"$ndarray": {"dtype": "<f8",
                                                  "shape": [-1], "data": []}})),
    ("ndarray bad dtype", _doc({"$ndarray": {"dtype": "float64", "shape": [0],
                                             "data": []}})),
    ("ndarray float as string", _doc({"$ndarray": {"dtype": "<f8",
                                                   "shape": [1],
                                                   "data": ["1.0"]}})),
    ("ndarray bool as int", _doc({"$ndarray": {"dtype": "|b1", "shape": [1],
                                               "data": [1]}})),
    ("ndarray int as float", _doc({"$ndarray": {"dtype": "<i8", "shape": [1],
                                                "data": [1.5]}})),
    ("ndarray complex scalar", _doc({"$ndarray": {"dtype": "<c16",
                                                  "shape": [1],
                                                  "data": [1.0]}})),
    ("ndarray bytes as string", _doc({"$ndarray": {"dtype": "|S2",
                                                   "shape": [1],
                                                   "data": ["ab"]}})),
    ("ndarray extra key", _doc({"$ndarray": {"dtype": "<f8", "shape": [0],
                                             "data": [], "order": "C"}})),
    ("descr field of 4", _doc({"$ndarray": {"dtype": [["a", "<f8", [1], 0]],
                                            "shape": [0], "data": []}})),
    ("object without $state", _doc({"$class": "a.B", "$args": []})),
    ("object bad class", _doc({"$class": "NoModule", "$args": [],
                               "$state": None})),
    ("object unknown member", _doc({"$class": "a.B", "$args": [],
                                    "$state": None, "$foo": 1})),
    ("$global with space", _doc({"$global": "a b"})),
    ("$scalar float as string", _doc({"$scalar": {"dtype": "<f8",
                                                  "value": "1"}})),
    ("$dtype number", _doc({"$dtype": 8})),
]


def _self_test_schema(validator, failures):
    for i, root in enumerate(VALID_ROOTS):
        errs = schema_errors(validator, _doc(root), 3)
        if errs:
            failures.append("valid example %d rejected: %s %s"
                            % (i, json.dumps(root)[:80], errs))
    for what, doc in INVALID_DOCS:
        if not schema_errors(validator, doc, 1):
            failures.append("invalid example accepted: " + what)


class _Custom:
    """An object whose reduce uses REDUCE args and a tuple state."""

    def __init__(self, a, b):
        self.a, self.b = a, b

    def __reduce__(self):
        return (_Custom, (self.a, 1), (self.b, "x"))


class _Slots:
    __slots__ = ("s",)

    def __init__(self, s):
        self.s = s


class _DictSub(dict):
    pass


def _zoo():
    z = {}
    z["bool"] = np.array([[True, False]])
    z["i8"] = np.array([2 ** 53, -(2 ** 63), 2 ** 63 - 1, 0], dtype=np.int64)
    z["u8"] = np.array([2 ** 64 - 1], dtype=np.uint64)
    z["i2be"] = np.array([-2, 300], dtype=">i2")
    z["f2"] = np.array([0.1, 65504.0], dtype=np.float16)
    z["f4"] = np.array([0.1, 1e-45, 3.4028235e38, -0.0, np.nan, 16777217.0],
                       dtype=np.float32)
    z["f8"] = np.array([0.1, 5e-324, -0.0, np.inf, -np.inf, 1e22, 1 / 3])
    z["f8be_F"] = np.asfortranarray(np.arange(6.0).reshape(2, 3) / 7).astype(
        ">f8", order="F")
    z["c16"] = np.array([1 + 2j, complex(np.nan, -0.0)])
    z["c8"] = np.array([0.1 - 0.2j], dtype=np.complex64)
    z["U"] = np.array(["", "héllo", "日本"])
    z["S"] = np.array([b"", b"a\x00b"], dtype="S4")
    z["V"] = np.array([b"\x00\x01\xff"], dtype="V3")
    z["M"] = np.array(["2021-01-01", "NaT"], dtype="datetime64[D]")
    z["m"] = np.array([-1, 5], dtype=">m8[s]")
    z["empty"] = np.zeros((0, 2), dtype=np.int32)
    z["0d"] = np.array(4.5)
    aligned = np.dtype([("a", "u1"), ("b", "<f8"), ("c", "<i4", (2, 2)),
                        ("n", [("x", ">f4"), ("y", "S2")])], align=True)
    rec = np.zeros(2, dtype=aligned)
    rec["a"] = [1, 2]
    rec["b"] = [np.nan, -0.0]
    rec["c"] = np.arange(8).reshape(2, 2, 2)
    rec["n"]["x"] = [1.5, -2.25]
    rec["n"]["y"] = [b"ab", b"c"]
    z["rec"] = rec
    return z


def _self_test_roundtrip(validator, failures):
    from jsonpath import Encoder, dumps
    zoo = _zoo()
    shared = np.arange(3.0)
    objarr = np.empty((2, 2), dtype=object)
    objarr[0, 1] = np.array([1, 2], dtype=np.int16)
    objarr[1, 0] = (np.array([7.0]),)
    sub = _DictSub(k=np.array([9], dtype=np.uint8))
    cycle = []
    cycle.append(cycle)
    root = {
        "zoo": zoo,
        "obj": _Custom(np.array([1.0, 2.0]), (np.array([3]), shared)),
        "slots": _Slots(np.array([5.5])),
        "sub": sub,
        "objarr": objarr,
        "shared1": shared, "shared2": shared,
        "cycle": cycle,
        "nonstr": {1: np.array([1])},
        "scalars": [np.float32(0.1), np.int64(-3), np.bool_(True),
                    np.datetime64("2020-01-01", "s")],
    }
    expected = {"zoo/" + k: v for k, v in zoo.items()}
    expected.update({
        "obj/$args/0": root["obj"].a,
        "obj/0/0": np.array([3]), "obj/0/1": shared,
        "slots/s": np.array([5.5]),
        "sub/$dictitems/k": np.array([9], dtype=np.uint8),
        "objarr/1": objarr[0, 1], "objarr/2/0": np.array([7.0]),
        "shared1": shared, "shared2": shared,
    })
    enc = Encoder(protocol=4)
    doc = enc.encode_document(root, {"sha256": _SHA, "bytes": 1,
                                     "container": "pickle", "protocol": 4})
    text = dumps(doc)
    doc = load_json_text(text)
    errs = schema_errors(validator, doc, 5)
    if errs:
        failures.append("round-trip document fails the schema: %s" % errs)
    n_ok, errs = check_arrays(doc, expected)
    if errs or n_ok != len(expected):
        failures.append("round-trip mismatches: %s" % errs[:5])
    if '"$ref"' not in text:
        failures.append("round-trip: expected a $ref for shared values")

    # Mutations that must be detected.
    def mutated(fn):
        d = load_json_text(text)
        fn(d["root"])
        return d

    def set_in(key, field, value):
        return lambda r: r["zoo"][key]["$ndarray"].__setitem__(field, value)

    def set_data(key, i, value):
        return lambda r: r["zoo"][key]["$ndarray"]["data"].__setitem__(
            i, value)

    cases = [
        ("float changed in last bit", set_data("f8", 0, 0.10000000000000002)),
        ("-0.0 written as 0.0", set_data("f8", 2, 0.0)),
        ("nan written as number", set_data("f4", 4, 0.0)),
        ("float32 off by one ulp", set_data("f4", 0, 0.10000001)),
        ("int64 off by one", set_data("i8", 0, {"$int": "9007199254740993"})),
        ("small int as $int", set_data("i8", 3, {"$int": "0"})),
        ("big int as plain int", set_data("i8", 0, 2 ** 53 + 1)),
        ("uint64 overflow", set_data("u8", 0,
                                     {"$int": "18446744073709551616"})),
        ("bool as int", set_data("bool", 0, 1)),
        ("wrong dtype", set_in("f8", "dtype", "<f4")),
        ("byte order lost", set_in("i2be", "dtype", "<i2")),
        ("wrong shape", set_in("bool", "shape", [2])),
        ("wrong element count",
         lambda r: r["zoo"]["f8"]["$ndarray"]["data"].pop()),
        ("string too long", set_data("U", 0, "toolong")),
        ("bytes changed", set_data("S", 1, {"$bytes": "YQBj"})),
        ("void wrong length", set_data("V", 0, {"$bytes": "AAE="})),
        ("datetime changed", set_data("M", 0, 18629)),
        ("structured field changed",
         lambda r: r["zoo"]["rec"]["$ndarray"]["data"][0].__setitem__(0, 9)),
        ("structured subarray changed",
         lambda r: r["zoo"]["rec"]["$ndarray"]["data"][1][2][0].__setitem__(
             1, 99)),
        ("structured nested changed",
         lambda r: r["zoo"]["rec"]["$ndarray"]["data"][1][3].__setitem__(
             0, -2.5)),
        ("structured padding dropped from descr",
         lambda r: r["zoo"]["rec"]["$ndarray"].__setitem__(
             "dtype", [f for f in r["zoo"]["rec"]["$ndarray"]["dtype"]
                       if f[0] != ""])),
        ("fortran data written in memory order",
         lambda r: r["zoo"]["f8be_F"]["$ndarray"].__setitem__(
             "data", [r["zoo"]["f8be_F"]["$ndarray"]["data"][i]
                      for i in (0, 3, 1, 4, 2, 5)])),
        ("complex imag sign", lambda r: r["zoo"]["c16"]["$ndarray"]["data"][
            1].__setitem__(1, 0.0)),
        ("path missing", lambda r: r["zoo"].pop("0d")),
        ("array replaced by list",
         lambda r: r["zoo"].__setitem__("empty", [])),
    ]
    for what, fn in cases:
        d = mutated(fn)
        n_ok, errs = check_arrays(d, expected)
        if not errs:
            failures.append("mutation not detected: " + what)

    # Float32 shortest decimal -> double -> float32 recovers the value.
    rng = np.random.RandomState(0)
    bits = rng.randint(0, 2 ** 32, size=20000, dtype=np.uint64).astype(
        np.uint32)
    f = bits.view(np.float32)
    f = f[np.isfinite(f)]
    txt = [np.format_float_scientific(x, unique=True) for x in f]
    back = np.array([float(t) for t in txt]).astype(np.float32)
    if not np.array_equal(back.view(np.uint32), f.view(np.uint32)):
        failures.append("float32 shortest-decimal round trip failed")


def run_self_test(args):
    failures = []
    validator = make_validator(args.schema)
    _self_test_schema(validator, failures)
    _self_test_roundtrip(validator, failures)
    for f in failures:
        print("self-test: " + f)
    n = len(VALID_ROOTS) + len(INVALID_DOCS)
    if failures:
        print("self-test FAILED (%d problem(s))" % len(failures))
        return 1
    print("self-test ok (%d schema examples, round trip and mutations)" % n)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Validate a depickle JSON document and compare its "
                    "arrays bit-exactly with an expected .arrays.npz.")
    ap.add_argument("--schema", default=DEFAULT_SCHEMA,
                    help="JSON Schema (default: %(default)s)")
    ap.add_argument("doc", nargs="?", help="depickle JSON document")
    ap.add_argument("npz", nargs="?", help="expected <name>.arrays.npz")
    ap.add_argument("--manifest", help="also check 'source' against this "
                    "MANIFEST.tsv")
    ap.add_argument("--name", help="fixture name for --manifest")
    ap.add_argument("--max-errors", type=int, default=20,
                    help="schema errors to print (default 20)")
    ap.add_argument("--decode-root", metavar="DOC",
                    help="print an outline of DOC's root and exit")
    ap.add_argument("--depth", type=int, default=6,
                    help="outline depth for --decode-root")
    ap.add_argument("--self-test", action="store_true",
                    help="check the schema and checker on built-in examples")
    args = ap.parse_args(argv)
    try:
        if args.self_test:
            return run_self_test(args)
        if args.decode_root:
            return run_decode_root(args)
        if not args.doc:
            ap.error("DOC.json is required")
        return run_check(args)
    except InputError as e:
        print("error: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
