#!/usr/bin/env python3
"""HDF5 output of depickle checked against the layout contract.

The contract is schemas/hdf5-layout.md. For every row of fixtures/MANIFEST.tsv:

* `DEPICKLE convert fixtures/<file> -o TMP/<name>.h5` must exit 0 and
  `h5dump -H TMP/<name>.h5` (Debian: hdf5-tools) must exit 0.
* Root attributes: `format` == "depickle.hdf5", `version` == 1 (int64),
  `class` == the MANIFEST class, `source_sha256` == the MANIFEST sha256,
  `source_container` / `source_protocol` == the MANIFEST row,
  `sklearn_version` == the JSON output's `sklearn_version` (or "unknown"),
  `depickle_version` a string. Every string attribute anywhere in the file is
  variable-length UTF-8 (h5py returns `str`).
* Every array of fixtures/expected/<name>.arrays.npz is found at its path and
  is bit-exact. The npz key is a `/`-joined path (fixtures/README.md); in the
  file each component is a child of the current group (names escaped as the
  layout says: `%` -> `%25`, `/` -> `%2F`, `.` -> `%2E`, "" -> `%00`);
  `$args`, `$dictitems`, `$listitems` are child groups of an object's group,
  and when an object's group has a `$state` child (a state that is not a
  dict) the other components are looked up in `$state` (a 2-tuple state
  `(dict_or_None, slots_dict)` may be `$state/0` + `$state/1`). Compared:
  dtype (h5py's dtype == the npz dtype, byte order included; structured:
  names, formats, offsets, itemsize), shape, and bytes (`tobytes()`, NaN
  payloads and structured padding included). `<U` arrays must be
  variable-length UTF-8 string datasets holding the same strings;
  datetime64/timedelta64 arrays int64 datasets of the same byte order with
  attribute `numpy_dtype` == the npz dtype string; `|S` arrays fixed-length
  byte strings.
* Scalars of the root object (from the JSON output's root `$state`: str, bool,
  int, float, None) are root attributes of the contract's types (str, numpy
  bool enum, int64, float64, h5py.Empty), with the same values. For
  `LogisticRegression` roots `C` (float), `penalty` (str), `max_iter` (int)
  and `fit_intercept` (numpy bool) must be there.
* Named checks: `pipeline_scaler_logistic` `/steps/1/1` has `class` ending in
  `LogisticRegression`; `random_forest_classifier`
  `/estimators_/0/tree_/nodes` is a compound dataset with field `left_child`;
  `gradient_boosting_classifier_multi` `/estimators_` is an object-array group
  (`python_type` = `ndarray`, `shape`) and `/estimators_/0/tree_/values` a
  dataset; `numpy_dtype_zoo*` special values (numpy scalar, dtype marker,
  str and None elements of an object array).
* Sharing: every `$ref` in the JSON output (`DEPICKLE convert ... -o
  TMP/<name>.json`) to an ndarray or an object names two paths that must be
  hard links to one HDF5 object (same file number and address, both links
  `HardLink`). `numpy_dtype_zoo` must have `shared_a` / `shared_b`.
* `--compress 4`: `joblib_forest` converted with `--compress 4` reads back
  bit-exact; a generated pickle holding a 4 MiB array converts to a chunked
  dataset (chunks ~1 MiB along the first axis), deflate level 4 with
  `--compress 4`, none without, bit-exact both ways.

Prints `ok NAME` / `FAIL NAME: reason` lines and a summary. Exit 0 if all
pass, 1 on any failure, 77 (ctest skip) if numpy or h5py is missing. A
missing `h5dump` is a failure.

Usage: hdf5_test.py DEPICKLE [--only NAME ...] [--keep DIR]
       hdf5_test.py --self-test   (checks this checker on hand-made files)

Run with Debian's /usr/bin/python3 (python3-h5py, python3-numpy).
"""
import argparse
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import zipfile

SKIP = 77

try:
    import numpy as np
    import h5py
except ImportError as _e:  # pragma: no cover - environment dependent
    print("SKIP: %s (use Debian's /usr/bin/python3 with python3-h5py)" % _e)
    sys.exit(SKIP)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(ROOT, "fixtures")
MANIFEST = os.path.join(FIXTURES, "MANIFEST.tsv")
sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
import jsonpath  # noqa: E402

CONVERT_TIMEOUT = 120
H5DUMP_TIMEOUT = 60
MIB = 1 << 20

# Root attributes that describe the file; a root object's own attribute of the
# same name cannot be told apart, so those are not compared as hyperparameters.
RESERVED_ROOT_ATTRS = ("format", "version", "class", "sklearn_version", "source_sha256",
                       "source_container", "source_protocol", "depickle_version",
                       "python_type", "pickled_as", "non_str_keys")
OBJECT_MEMBERS = ("$args", "$dictitems", "$listitems")


class HarnessError(Exception):
    """A problem of this test's own inputs (not of the file under test)."""


# --------------------------------------------------------------------------- inputs

def read_manifest(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    header = lines[0].split("\t")
    rows = []
    for line in lines[1:]:
        if line.strip():
            rows.append(dict(zip(header, line.split("\t"))))
    return rows


def load_npz(path):
    """The arrays of an npz, exactly. np.load (numpy 1.24) does not keep the
    padding bytes of a structured dtype with gaps (it returns uninitialized
    memory there), so structured arrays are re-read from the raw .npy data."""
    with np.load(path, allow_pickle=False) as z:
        out = {k: z[k] for k in z.files}
    structured = [k for k, v in out.items() if v.dtype.names is not None]
    if structured:
        with zipfile.ZipFile(path) as zf:
            for k in structured:
                a = out[k]
                with zf.open(k + ".npy") as fh:
                    version = np.lib.format.read_magic(fh)
                    if version == (1, 0):
                        shape, fortran, _ = np.lib.format.read_array_header_1_0(fh)
                    else:
                        shape, fortran, _ = np.lib.format.read_array_header_2_0(fh)
                    data = fh.read()
                if len(data) != a.nbytes:
                    raise HarnessError("%s: %s: %d data bytes, expected %d"
                                       % (path, k, len(data), a.nbytes))
                raw = np.frombuffer(data, dtype=a.dtype)
                raw = raw.reshape(shape[::-1]).T if fortran else raw.reshape(shape)
                out[k] = np.ascontiguousarray(raw)
    return out


# --------------------------------------------------------------------------- HDF5 paths

def escape_name(key):
    """A key as the layout stores it as an HDF5 link/attribute name."""
    if key == "":
        return "%00"
    if key == ".":
        return "%2E"
    return key.replace("%", "%25").replace("/", "%2F")


def _attr_str(obj, name):
    """A string attribute's value, or None (absent / not a str)."""
    if name not in obj.attrs:
        return None
    v = obj.attrs[name]
    return v if isinstance(v, str) else None


def _is_object_group(node):
    return isinstance(node, h5py.Group) and "class" in node.attrs


def _state_parts(group):
    """The groups in which an object's state members live: the object's group
    itself (dict state), or its `$state` (any other state); a 2-tuple state
    (dict_or_None, slots_dict) written as `$state/0` + `$state/1` is merged."""
    if "$state" not in group:
        return [group]
    st = group["$state"]
    if isinstance(st, h5py.Group) and _attr_str(st, "python_type") == "tuple":
        first = st.get("0")
        second = st.get("1")
        first_none = "0" in st.attrs and isinstance(st.attrs["0"], h5py.Empty)
        is_dict = [isinstance(g, h5py.Group) and _attr_str(g, "python_type") == "dict"
                   for g in (first, second)]
        if len(st) + len(st.attrs) - ("python_type" in st.attrs) == 2 and is_dict[1] and (
                is_dict[0] or first_none):
            return ([first] if is_dict[0] else []) + [second]
    return [st]


def h5_lookup(root, path):
    """Follow an npz path in an HDF5 file.

    Returns (kind, parent, name) with kind "link" (parent[name] is a group or
    dataset) or "attr" (parent.attrs[name]); raises KeyError with a message
    when the path does not exist."""
    node = root
    comps = path.split("/") if path != "" else []
    if not comps:
        return "root", None, None
    done = []
    for i, comp in enumerate(comps):
        last = i == len(comps) - 1
        if not isinstance(node, h5py.Group):
            raise KeyError("at %r: %s is a dataset, cannot look up %r"
                           % ("/".join(done) or "<root>", node.name, comp))
        name = escape_name(comp)
        if _is_object_group(node) and comp not in OBJECT_MEMBERS:
            places = _state_parts(node)
        else:
            places = [node]
        found = None
        for g in places:
            if not isinstance(g, h5py.Group):
                continue
            if name in g:
                found = ("link", g, name)
                break
            if last and name in g.attrs:
                found = ("attr", g, name)
                break
        if found is None:
            where = ", ".join(sorted({g.name for g in places if isinstance(g, h5py.Group)}))
            raise KeyError("at %r: no member %r in %s" % ("/".join(done) or "<root>", name, where))
        kind, parent, nm = found
        if kind == "attr":
            return found
        node = parent[nm]
        done.append(comp)
        if last:
            return found
    raise AssertionError("unreachable")


def h5_get(root, path):
    """The group/dataset at an npz path (KeyError if absent or an attribute)."""
    kind, parent, name = h5_lookup(root, path)
    if kind == "root":
        return root
    if kind == "attr":
        raise KeyError("%r is an attribute of %s, not a dataset or group" % (name, parent.name))
    return parent[name]


# --------------------------------------------------------------------------- comparisons

def _hex(b):
    return b.hex() if len(b) <= 32 else b[:32].hex() + "..."


def _meaningful_mask(dt):
    """Per-record byte mask: True for bytes that belong to a field."""
    if dt.subdtype is not None:
        base, shape = dt.subdtype
        return np.tile(_meaningful_mask(base), int(np.prod(shape)))
    if dt.names is None:
        return np.ones(dt.itemsize, dtype=bool)
    mask = np.zeros(dt.itemsize, dtype=bool)
    for name in dt.names:
        fdt, off = dt.fields[name][:2]
        mask[off:off + fdt.itemsize] |= _meaningful_mask(fdt)
    return mask


def _dtype_desc(dt):
    if dt.names is None:
        return dt.str
    return "{names %s, formats %s, offsets %s, itemsize %d}" % (
        list(dt.names), [dt.fields[n][0].str if dt.fields[n][0].names is None
                         else _dtype_desc(dt.fields[n][0]) for n in dt.names],
        [dt.fields[n][1] for n in dt.names], dt.itemsize)


def _structured_equal(a, b):
    """Same names, field dtypes (recursively), offsets and itemsize."""
    if a.names is None or b.names is None:
        return a == b
    if a.names != b.names or a.itemsize != b.itemsize:
        return False
    for n in a.names:
        fa, oa = a.fields[n][:2]
        fb, ob = b.fields[n][:2]
        if oa != ob or fa.shape != fb.shape:
            return False
        if not _structured_equal(fa.base, fb.base):
            return False
    return True


def _first_diff(exp, got_bytes):
    """(flat index, expected bytes, got bytes) of the first differing element."""
    eb = np.frombuffer(np.ascontiguousarray(exp).tobytes(), np.uint8)
    gb = np.frombuffer(got_bytes, np.uint8)
    isz = max(exp.dtype.itemsize, 1)
    i = int(np.flatnonzero(eb != gb)[0])
    k = i // isz
    return k, eb[k * isz:(k + 1) * isz].tobytes(), gb[k * isz:(k + 1) * isz].tobytes()


def _vlen_utf8(type_id):
    return (isinstance(type_id, h5py.h5t.TypeStringID) and type_id.is_variable_str()
            and type_id.get_cset() == h5py.h5t.CSET_UTF8)


def compare_dataset(ds, exp):
    """Mismatches between dataset ds and expected array exp ([] if bit-exact)."""
    if not isinstance(ds, h5py.Dataset):
        return ["expected a dataset, found a group (%s)" % ds.name]
    shape = tuple(ds.shape) if ds.shape is not None else None
    if shape != tuple(exp.shape):
        return ["shape: expected %s, got %s" % (tuple(exp.shape), shape)]
    kind = exp.dtype.kind
    tid = ds.id.get_type()

    if kind == "U":
        if not _vlen_utf8(tid):
            return ["dtype: expected a variable-length UTF-8 string dataset for %s, got %s"
                    % (exp.dtype.str, _h5type_desc(tid, ds.dtype))]
        got = ds.asstr()[()] if exp.size else np.empty(exp.shape, dtype=object)
        got = np.asarray(got, dtype=object).reshape(exp.shape)
        for i, (e, g) in enumerate(zip(exp.reshape(-1), got.reshape(-1))):
            if not isinstance(g, str) or g != str(e):
                return ["string at flat index %d: expected %r, got %r" % (i, str(e), g)]
        return []

    if kind in "Mm":
        want = np.dtype(exp.dtype.str[0] + "i8")
        if ds.dtype != want:
            return ["dtype: expected %s (int64 of the same byte order) for %s, got %s"
                    % (want.str, exp.dtype.str, _dtype_desc(ds.dtype))]
        nd = ds.attrs.get("numpy_dtype")
        if not isinstance(nd, str) or nd != exp.dtype.str:
            return ["attribute numpy_dtype: expected %r, got %r" % (exp.dtype.str, nd)]
        view_as = want
    else:
        if exp.dtype.names is not None:
            if ds.dtype.names is None or not _structured_equal(ds.dtype, exp.dtype):
                return ["dtype: expected %s, got %s"
                        % (_dtype_desc(exp.dtype), _dtype_desc(ds.dtype))]
        elif ds.dtype != exp.dtype or ds.dtype.str != exp.dtype.str:
            return ["dtype: expected %s, got %s" % (exp.dtype.str, _h5type_desc(tid, ds.dtype))]
        if kind == "S" and (not isinstance(tid, h5py.h5t.TypeStringID)
                            or tid.is_variable_str()):
            return ["dtype: expected fixed-length byte strings for %s, got %s"
                    % (exp.dtype.str, _h5type_desc(tid, ds.dtype))]
        view_as = exp.dtype

    got = np.empty(exp.shape, dtype=ds.dtype)
    if exp.size:
        ds.read_direct(got)
    if got.dtype.str != view_as.str and got.dtype.names is None:
        return ["h5py read %s, expected %s" % (got.dtype.str, view_as.str)]
    gb = got.tobytes()
    eb = np.ascontiguousarray(exp).tobytes()
    if gb == eb:
        return []
    if len(gb) != len(eb):
        return ["data: expected %d bytes, got %d" % (len(eb), len(gb))]
    if exp.dtype.names is not None:
        mask = np.tile(_meaningful_mask(exp.dtype), exp.size)
        e8 = np.frombuffer(eb, np.uint8)
        g8 = np.frombuffer(gb, np.uint8)
        if (e8[mask] == g8[mask]).all():
            return ["data: field values equal but padding bytes differ"]
    k, ev, gv = _first_diff(exp, gb)
    return ["data differs, first at flat index %d: expected %s, got %s"
            % (k, _hex(ev), _hex(gv))]


def _h5type_desc(tid, dt):
    if isinstance(tid, h5py.h5t.TypeStringID):
        cset = "utf-8" if tid.get_cset() == h5py.h5t.CSET_UTF8 else "ascii"
        if tid.is_variable_str():
            return "variable-length %s string" % cset
        return "fixed-length %s string (%d bytes)" % (cset, tid.get_size())
    return _dtype_desc(dt)


# --------------------------------------------------------------------------- file checks

def _is_int64(v):
    return isinstance(v, np.integer) and v.dtype == np.int64


def check_root(f, row, ref):
    """Root attributes against the MANIFEST row and the JSON reference."""
    out = []
    a = f.attrs

    def want_str(name, value=None):
        if name not in a:
            out.append("root attribute %r missing" % name)
            return
        v = a[name]
        if not isinstance(v, str):
            out.append("root attribute %r: expected a str, got %r (%s)" % (name, v, type(v).__name__))
        elif value is not None and v != value:
            out.append("root attribute %r: expected %r, got %r" % (name, value, v))

    def want_int(name, value):
        if name not in a:
            out.append("root attribute %r missing" % name)
            return
        v = a[name]
        if not _is_int64(v):
            out.append("root attribute %r: expected an int64 scalar, got %r (%s)"
                       % (name, v, getattr(v, "dtype", type(v).__name__)))
        elif int(v) != value:
            out.append("root attribute %r: expected %d, got %d" % (name, value, int(v)))

    want_str("format", "depickle.hdf5")
    want_int("version", 1)
    want_str("class", row["class"])
    want_str("source_sha256", row["sha256"])
    want_str("source_container", row["container"])
    want_int("source_protocol", int(row["protocol"]))
    want_str("depickle_version")
    is_sklearn = row["class"].startswith("sklearn.")
    if ref is not None:
        expect = ref.get("sklearn_version") or "unknown"
    else:
        expect = row["sklearn"] if is_sklearn else None
    want_str("sklearn_version", expect)
    if is_sklearn and expect != row["sklearn"] and a.get("sklearn_version") != row["sklearn"]:
        out.append("root attribute 'sklearn_version': expected MANIFEST's %r, got %r"
                   % (row["sklearn"], a.get("sklearn_version")))
    return out


def check_string_attributes(f):
    """Every string attribute in the file is variable-length UTF-8 -> str."""
    out = []
    objs = [("/", f)]

    def visit(name, obj):
        objs.append(("/" + name, obj))

    f.visititems(visit)  # each object once, even with hard links and cycles
    for where, obj in objs:
        for name in obj.attrs:
            aid = obj.attrs.get_id(name)
            tid = aid.get_type()
            if not isinstance(tid, h5py.h5t.TypeStringID):
                continue
            if not _vlen_utf8(tid):
                out.append("%s attribute %r: %s, expected variable-length UTF-8"
                           % (where, name, _h5type_desc(tid, None)))
                continue
            if aid.shape is None:  # null dataspace: None written with a string type
                continue
            v = obj.attrs[name]
            vals = v.reshape(-1).tolist() if isinstance(v, np.ndarray) else [v]
            if not all(isinstance(x, str) for x in vals):
                out.append("%s attribute %r: h5py returned %r, not str" % (where, name, v))
        if len(out) > 10:
            out.append("... (more string attribute problems)")
            break
    return out


def check_arrays(f, expected):
    """Returns (n_ok, problems)."""
    ok, out = 0, []
    for path in sorted(expected):
        exp = expected[path]
        try:
            kind, parent, name = h5_lookup(f, path)
        except KeyError as e:
            out.append("%s: not found: %s" % (path, e.args[0]))
            continue
        if kind == "attr":
            out.append("%s: is an attribute of %s, expected a dataset" % (path, parent.name))
            continue
        node = f if kind == "root" else parent[name]
        # An object whose state is the array itself (navigate() does the same).
        while _is_object_group(node) and "$state" in node and isinstance(
                node["$state"], h5py.Dataset):
            node = node["$state"]
        errs = compare_dataset(node, exp)
        if errs:
            out += ["%s: %s" % (path, m) for m in errs]
        else:
            ok += 1
    return ok, out


def _scalar_problem(v, want):
    """Why HDF5 attribute value v does not hold the JSON scalar want (or None)."""
    if want is None:
        return None if isinstance(v, h5py.Empty) else "expected None (h5py.Empty), got %r" % (v,)
    if isinstance(want, bool):
        if not isinstance(v, np.bool_):
            return "expected a numpy bool, got %r (%s)" % (v, type(v).__name__)
        return None if bool(v) == want else "expected %r, got %r" % (want, v)
    if isinstance(want, int):
        if not _is_int64(v):
            return "expected an int64, got %r (%s)" % (v, getattr(v, "dtype", type(v).__name__))
        return None if int(v) == want else "expected %d, got %d" % (want, int(v))
    if isinstance(want, float):
        if not (isinstance(v, np.floating) and v.dtype == np.float64):
            return "expected a float64, got %r (%s)" % (v, getattr(v, "dtype", type(v).__name__))
        same = float(v) == want or (want != want and v != v)
        return None if same else "expected %r, got %r" % (want, float(v))
    if isinstance(want, str):
        if not isinstance(v, str):
            return "expected a str, got %r (%s)" % (v, type(v).__name__)
        return None if v == want else "expected %r, got %r" % (want, v)
    return None


def check_root_scalars(f, scalars):
    """scalars: name -> JSON scalar of the root object's state."""
    out = []
    for key, want in sorted(scalars.items()):
        if key in RESERVED_ROOT_ATTRS:
            continue
        name = escape_name(key)
        if name not in f.attrs:
            out.append("root attribute %r (a %s in the pickle) missing"
                       % (name, "None" if want is None else type(want).__name__))
            continue
        p = _scalar_problem(f.attrs[name], want)
        if p:
            out.append("root attribute %r: %s" % (name, p))
    return out


def check_class_specific(f, cls):
    out = []
    if cls.endswith(".LogisticRegression"):
        a = f.attrs
        for name, test, what in (
                ("C", lambda v: isinstance(v, np.floating) and v.dtype == np.float64, "float64"),
                ("penalty", lambda v: isinstance(v, str), "str"),
                ("max_iter", _is_int64, "int64"),
                ("fit_intercept", lambda v: isinstance(v, np.bool_), "numpy bool")):
            if name not in a:
                out.append("LogisticRegression root attribute %r missing" % name)
            elif not test(a[name]):
                out.append("LogisticRegression root attribute %r: expected %s, got %r (%s)"
                           % (name, what, a[name], type(a[name]).__name__))
    return out


def _group_with_class(f, path, suffix):
    try:
        g = h5_get(f, path)
    except KeyError as e:
        return ["%s: not found: %s" % (path, e.args[0])]
    if not isinstance(g, h5py.Group):
        return ["%s: expected an object group, got a dataset" % path]
    c = g.attrs.get("class")
    if not isinstance(c, str) or not c.endswith(suffix):
        return ["%s: attribute class %r does not end in %r" % (path, c, suffix)]
    return []


def check_named(f, name):
    """Checks tied to particular fixtures."""
    out = []
    if name == "pipeline_scaler_logistic":
        out += _group_with_class(f, "steps/1/1", "LogisticRegression")
        try:
            steps = h5_get(f, "steps")
            if _attr_str(steps, "python_type") != "list":
                out.append("steps: python_type %r, expected 'list'" % steps.attrs.get("python_type"))
            if _attr_str(h5_get(f, "steps/1"), "python_type") != "tuple":
                out.append("steps/1: python_type is not 'tuple'")
        except KeyError as e:
            out.append("steps: %s" % e.args[0])
    if name == "random_forest_classifier":
        out += _group_with_class(f, "estimators_/0/tree_", "sklearn.tree._tree.Tree")
        try:
            ds = h5_get(f, "estimators_/0/tree_/nodes")
            if not isinstance(ds, h5py.Dataset) or ds.dtype.names is None:
                out.append("estimators_/0/tree_/nodes: not a compound dataset")
            elif "left_child" not in ds.dtype.names:
                out.append("estimators_/0/tree_/nodes: no field left_child (fields %s)"
                           % (ds.dtype.names,))
        except KeyError as e:
            out.append("estimators_/0/tree_/nodes: not found: %s" % e.args[0])
    if name == "gradient_boosting_classifier_multi":
        try:
            g = h5_get(f, "estimators_")
            if not isinstance(g, h5py.Group) or _attr_str(g, "python_type") != "ndarray":
                out.append("estimators_: expected a group with python_type 'ndarray'")
            else:
                shp = g.attrs.get("shape")
                if shp is None or np.asarray(shp).ndim != 1 or len(shp) != 2:
                    out.append("estimators_: attribute shape %r, expected 2 dimensions" % (shp,))
            ds = h5_get(f, "estimators_/0/tree_/values")
            if not isinstance(ds, h5py.Dataset):
                out.append("estimators_/0/tree_/values: not a dataset")
        except KeyError as e:
            out.append("estimators_: %s" % e.args[0])
    if name.startswith("numpy_dtype_zoo"):
        out += _check_zoo_specials(f)
    return out


def _attr_at(f, path):
    kind, parent, name = h5_lookup(f, path)
    if kind != "attr":
        raise KeyError("%s is a %s, expected an attribute"
                       % (path, "group" if isinstance(parent[name], h5py.Group) else "dataset"))
    return parent, name, parent.attrs[name]


def _check_zoo_specials(f):
    out = []
    try:
        _, _, v = _attr_at(f, "nested/scalar")
        if not (isinstance(v, np.floating) and v.dtype == np.float64 and float(v) == 1.5):
            out.append("nested/scalar: expected float64 attribute 1.5, got %r" % (v,))
        parent, name, v = _attr_at(f, "nested/dtype")
        if v != ">i4" or parent.attrs.get(name + ".python_type") != "dtype":
            out.append("nested/dtype: expected '>i4' with %s.python_type='dtype', got %r, %r"
                       % (name, v, parent.attrs.get(name + ".python_type")))
        g = h5_get(f, "object_2d")
        if _attr_str(g, "python_type") != "ndarray" or list(np.asarray(
                g.attrs.get("shape", [])).reshape(-1)) != [2, 2]:
            out.append("object_2d: expected python_type 'ndarray' and shape [2, 2]")
        _, _, v = _attr_at(f, "object_2d/1")
        if v != "text":
            out.append("object_2d/1: expected 'text', got %r" % (v,))
        _, _, v = _attr_at(f, "object_2d/2")
        if not isinstance(v, h5py.Empty):
            out.append("object_2d/2: expected None (h5py.Empty), got %r" % (v,))
        if _attr_str(h5_get(f, "nested/tuple"), "python_type") != "tuple":
            out.append("nested/tuple: python_type is not 'tuple'")
    except KeyError as e:
        out.append("zoo special values: %s" % e.args[0])
    return out


def _link_class(parent, name):
    return type(parent.get(name, getlink=True)).__name__


def check_shared(f, pairs):
    """Every (a, b) must be hard links to one HDF5 object."""
    out = []
    for a, b in pairs:
        try:
            ka, pa, na = h5_lookup(f, a)
            kb, pb, nb = h5_lookup(f, b)
        except KeyError as e:
            out.append("shared %s = %s: not found: %s" % (a, b, e.args[0]))
            continue
        if "attr" in (ka, kb):
            out.append("shared %s = %s: stored as an attribute, expected a group or dataset"
                       % (a, b))
            continue
        oa = f if ka == "root" else pa[na]
        ob = f if kb == "root" else pb[nb]
        ia, ib = h5py.h5o.get_info(oa.id), h5py.h5o.get_info(ob.id)
        if (oa.id.fileno, ia.addr) != (ob.id.fileno, ib.addr):
            out.append("shared %s = %s: two different HDF5 objects (%s, %s), expected one "
                       "object hard-linked twice" % (a, b, oa.name, ob.name))
            continue
        for kind, p, n, path in ((ka, pa, na, a), (kb, pb, nb, b)):
            if kind == "link" and _link_class(p, n) != "HardLink":
                out.append("shared %s: link is a %s, expected a HardLink" % (path, _link_class(p, n)))
    return out


def check_file(path, row, expected, ref, name=None):
    """All checks of one converted file. ref: JSON-derived reference data
    (sklearn_version, root scalars, shared pairs) or None. Returns
    (n_arrays_ok, problems)."""
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        return 0, ["h5py cannot open %s: %s" % (path, e)]
    with f:
        problems = check_root(f, row, ref)
        problems += check_string_attributes(f)
        n_ok, errs = check_arrays(f, expected)
        problems += errs
        problems += check_class_specific(f, row["class"])
        if ref is not None:
            if ref.get("scalars") is not None:
                problems += check_root_scalars(f, ref["scalars"])
            problems += check_shared(f, ref.get("shared", []))
        if name is not None:
            problems += check_named(f, name)
    return n_ok, problems


# --------------------------------------------------------------------------- JSON reference

def _json_dict_items(node, ids):
    """Items (str key, value) of a JSON dict value (plain or $dict); None for
    anything else, including a $ref (its target is walked where it occurs)."""
    kind = jsonpath.wrapper_kind(node)
    if kind == "dict":
        return jsonpath.plain_items(node)
    if kind == "$dict":
        items = []
        for pair in node["$dict"]:
            if isinstance(pair, list) and len(pair) == 2:
                k = ids.resolve(pair[0])
                if isinstance(k, str):
                    items.append((k, pair[1]))
        return items
    return None


def json_reference(doc):
    """From a depickle JSON document: sklearn_version, the root object's
    scalar state (if the root is an object with a dict state) and the pairs of
    npz-style paths (first occurrence, $ref) of shared ndarrays/objects."""
    root = doc.get("root")
    ids = jsonpath.IdTable(root)
    first = {}   # $id -> path
    refs = []    # ($ref id, path)
    stack = [(root, "")]

    def join(p, c):
        return c if p == "" else p + "/" + c

    while stack:
        node, path = stack.pop()
        if isinstance(node, list):
            for i in reversed(range(len(node))):
                stack.append((node[i], join(path, str(i))))
            continue
        if not isinstance(node, dict):
            continue
        if "$ref" in node:
            refs.append((node["$ref"], path))
            continue
        if "$id" in node:
            first.setdefault(node["$id"], path)
        kind = jsonpath.wrapper_kind(node)
        children = []
        if kind == "dict":
            children = [(v, join(path, k)) for k, v in jsonpath.plain_items(node)]
        elif kind == "$dict":
            children = [(v, join(path, k)) for k, v in _json_dict_items(node, ids)]
        elif kind in ("$list", "$tuple"):
            children = [(v, join(path, str(i))) for i, v in enumerate(node[kind])]
        elif kind == "$ndarray":
            arr = node["$ndarray"]
            if arr.get("dtype") == "|O":
                children = [(v, join(path, str(i))) for i, v in enumerate(arr.get("data", []))]
        elif kind == "$class":
            for member in OBJECT_MEMBERS:
                if member in node:
                    m = node[member]
                    items = _json_dict_items(m, ids) if member == "$dictitems" else None
                    if items is not None:
                        children += [(v, join(join(path, member), k)) for k, v in items]
                    else:
                        children.append((m, join(path, member)))
            st = node.get("$state")
            items = _json_dict_items(st, ids) if st is not None else None
            t = st.get("$tuple") if isinstance(st, dict) else None
            if items is not None:
                children += [(v, join(path, k)) for k, v in items]
            elif (t is not None and len(t) == 2
                  and (t[0] is None or _json_dict_items(t[0], ids) is not None)
                  and _json_dict_items(t[1], ids) is not None):
                for part in t:
                    if part is not None:
                        children += [(v, join(path, k)) for k, v in _json_dict_items(part, ids)]
            elif st is not None:
                children.append((st, path))
        stack.extend(reversed(children))

    shared = []
    for rid, path in refs:
        target = ids.ids.get(rid)
        kind = jsonpath.wrapper_kind(target)
        if kind not in ("$ndarray", "$class") or rid not in first:
            continue
        a = first[rid]
        # Sanity check of this walker: both paths must reach the same node.
        na = jsonpath.navigate(root, a, ids)
        nb = jsonpath.navigate(root, path, ids)
        if na is not nb:
            raise HarnessError("JSON walk: %r and %r do not reach the same node" % (a, path))
        shared.append((a, path))

    scalars = None
    r = ids.resolve(root)
    if jsonpath.wrapper_kind(r) == "$class":
        items = _json_dict_items(r.get("$state"), ids) if r.get("$state") is not None else None
        if items is not None:
            scalars = {k: v for k, v in items
                       if v is None or isinstance(v, (bool, int, float, str))}
    sv = doc.get("sklearn_version")
    return {"sklearn_version": sv if isinstance(sv, str) else None,
            "scalars": scalars, "shared": shared}


# --------------------------------------------------------------------------- running

def run(cmd, timeout):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "timed out after %ds" % timeout
    except OSError as e:
        return None, str(e)
    return p.returncode, (p.stderr.strip() or p.stdout.strip())


def convert(depickle, src, out, extra=()):
    rc, msg = run([depickle, "convert", src, "-o", out, *extra], CONVERT_TIMEOUT)
    if rc != 0:
        return "convert %s%s exited %s: %s" % (
            os.path.basename(out), (" " + " ".join(extra)) if extra else "", rc, msg[:400])
    if not os.path.isfile(out):
        return "convert exited 0 but wrote no %s" % os.path.basename(out)
    return None


def h5dump_check(h5dump, path):
    rc, msg = run([h5dump, "-H", path], H5DUMP_TIMEOUT)
    if rc != 0:
        return "h5dump -H exited %s: %s" % (rc, msg.splitlines()[-1][:300] if msg else "")
    return None


def check_compress_big(depickle, h5dump, tmp):
    """A >1 MiB array: chunked; deflate level 4 with --compress 4."""
    problems = []
    big = (np.arange(512 * 1024, dtype=np.float64) % 1000.0).reshape(512, 1024)
    small = np.arange(10, dtype=np.int32)
    src = os.path.join(tmp, "compress_big.pkl")
    with open(src, "wb") as fh:
        pickle.dump({"big": big, "small": small}, fh, protocol=4)
    row = {"class": "dict", "sha256": _sha256(src), "container": "pickle", "protocol": "4",
           "sklearn": ""}
    sizes = {}
    for level in (None, 4):
        out = os.path.join(tmp, "compress_big%s.h5" % ("" if level is None else ".c4"))
        extra = () if level is None else ("--compress", "4")
        err = convert(depickle, src, out, extra)
        if err:
            problems.append(err)
            continue
        sizes[level] = os.path.getsize(out)
        _, errs = check_file(out, row, {"big": big, "small": small},
                             {"sklearn_version": None, "scalars": None, "shared": []})
        problems += errs
        err = h5dump_check(h5dump, out) if h5dump else None
        if err:
            problems.append(err)
        with h5py.File(out, "r") as f:
            ds = f.get("big")
            if not isinstance(ds, h5py.Dataset):
                continue
            tag = "big%s" % ("" if level is None else " (--compress 4)")
            if ds.chunks is None:
                problems.append("%s: %d-byte dataset is not chunked" % (tag, big.nbytes))
            else:
                cbytes = int(np.prod(ds.chunks)) * ds.dtype.itemsize
                if tuple(ds.chunks[1:]) != big.shape[1:]:
                    problems.append("%s: chunks %s not along the first axis" % (tag, ds.chunks))
                if not (MIB // 4 <= cbytes <= 2 * MIB):
                    problems.append("%s: chunk of %d bytes, expected about 1 MiB" % (tag, cbytes))
            if level is None and ds.compression is not None:
                problems.append("%s: compressed (%s) without --compress" % (tag, ds.compression))
            if level is not None and (ds.compression != "gzip" or ds.compression_opts != 4):
                problems.append("%s: compression %r level %r, expected gzip (deflate) level 4"
                                % (tag, ds.compression, ds.compression_opts))
    if len(sizes) == 2 and not sizes[4] < sizes[None]:
        problems.append("--compress 4 file (%d bytes) is not smaller than the plain one (%d)"
                        % (sizes[4], sizes[None]))
    return problems


def _sha256(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        h.update(fh.read())
    return h.hexdigest()


def run_fixtures(args):
    depickle = os.path.abspath(args.depickle)
    h5dump = shutil.which("h5dump")
    rows = read_manifest(MANIFEST)
    if args.only:
        unknown = set(args.only) - {r["name"] for r in rows}
        if unknown:
            print("unknown fixture(s): %s" % ", ".join(sorted(unknown)))
            return 2
        rows = [r for r in rows if r["name"] in args.only]
    failures = []
    arrays_ok = 0

    def report(name, problems, detail=""):
        if problems:
            failures.append(name)
            print("FAIL %s: %s" % (name, problems[0]))
            for p in problems[1:8]:
                print("    %s" % p)
            if len(problems) > 8:
                print("    ... %d more" % (len(problems) - 8))
        else:
            print("ok %s%s" % (name, detail))

    if h5dump is None:
        print("FAIL h5dump: not found on PATH (install Debian's hdf5-tools); "
              "every file must pass `h5dump -H`")
        failures.append("h5dump")

    tmp = args.keep or tempfile.mkdtemp(prefix="depickle-hdf5-")
    os.makedirs(tmp, exist_ok=True)
    try:
        for row in rows:
            name = row["name"]
            src = os.path.join(FIXTURES, row["file"])
            out = os.path.join(tmp, name + ".h5")
            err = convert(depickle, src, out)
            if err:
                report(name, [err])
                continue
            npz = os.path.join(FIXTURES, "expected", name + ".arrays.npz")
            try:
                expected = load_npz(npz) if os.path.exists(npz) else {}
            except (OSError, ValueError, HarnessError) as e:
                report(name, ["cannot read %s: %s" % (os.path.relpath(npz, ROOT), e)])
                continue
            problems = []
            ref = None
            jout = os.path.join(tmp, name + ".json")
            err = convert(depickle, src, jout)
            if err:
                problems.append("reference JSON: " + err)
            else:
                try:
                    with open(jout, encoding="utf-8") as fh:
                        ref = json_reference(json.load(fh))
                except (ValueError, jsonpath.DecodeError, HarnessError) as e:
                    problems.append("reference JSON unusable: %s" % e)
            if name.startswith("numpy_dtype_zoo") and ref is not None and (
                    ("shared_a", "shared_b") not in ref["shared"]):
                problems.append("JSON output does not share shared_a/shared_b (generate.py "
                                "pickles one array twice)")
            n_ok, errs = check_file(out, row, expected, ref, name)
            problems += errs
            arrays_ok += n_ok
            if h5dump:
                err = h5dump_check(h5dump, out)
                if err:
                    problems.append(err)
            n_shared = len(ref["shared"]) if ref else 0
            report(name, problems, " (%d arrays%s)" % (
                n_ok, ", %d shared" % n_shared if n_shared else ""))

        if not args.only or "joblib_forest" in args.only:
            row = next(r for r in read_manifest(MANIFEST) if r["name"] == "joblib_forest")
            out = os.path.join(tmp, "joblib_forest.c4.h5")
            err = convert(depickle, os.path.join(FIXTURES, row["file"]), out, ("--compress", "4"))
            if err:
                report("joblib_forest --compress 4", [err])
            else:
                expected = load_npz(os.path.join(FIXTURES, "expected",
                                                 "joblib_forest.arrays.npz"))
                n_ok, problems = check_file(out, row, expected, None)
                if h5dump:
                    err = h5dump_check(h5dump, out)
                    if err:
                        problems.append(err)
                arrays_ok += n_ok
                report("joblib_forest --compress 4", problems, " (%d arrays)" % n_ok)
            report("compress_big (4 MiB array, chunked, --compress 4)",
                   check_compress_big(depickle, h5dump, tmp))
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    n = len(rows)
    print("%d fixtures, %d arrays bit-exact, %d failure(s)" % (n, arrays_ok, len(failures)))
    return 1 if failures else 0


# --------------------------------------------------------------------------- self-test

_FAKE_SHA = "ab" * 32
_LR = "sklearn.linear_model._logistic.LogisticRegression"


def _fake_expected():
    nan_payload = np.frombuffer(bytes.fromhex("0100000000f8ff7f"), "<f8")[0]
    coef = np.array([[0.25, -1.5, nan_payload]])
    aligned = np.dtype([("left_child", "<i8"), ("feature", "<i8"), ("threshold", "<f8"),
                        ("flag", "u1"), ("w", "<f8")], align=True)  # 7 padding bytes
    nodes = np.zeros(2, dtype=aligned)
    nodes["left_child"] = [1, -1]
    nodes["threshold"] = [0.5, -2.0]
    nodes["flag"] = [1, 0]
    nodes["w"] = [3.0, np.nan]
    nested = np.dtype([("id", "<i4"), ("pt", [("x", "<f4"), ("y", ">f8")]),
                       ("tag", "S2"), ("sub", "<i2", (2,))])
    nrec = np.zeros(2, dtype=nested)
    nrec["id"] = [10, 20]
    nrec["pt"]["y"] = [2.0, 1e300]
    nrec["tag"] = [b"ab", b"c"]
    nrec["sub"] = [[1, 2], [3, 4]]
    shared = np.linspace(0.0, 1.0, 5)
    return {
        "coef_": coef,
        "intercept_": np.array([0.125]),
        "be": np.array([[1.5, -np.nan], [2.0 ** -1074, 3.0]], dtype=">f8"),
        "i2be": np.array([-2, 300], dtype=">i2"),
        "classes_": np.array(["", "a", "héllo", "日本語"]),
        "flags": np.array([True, False, True]),
        "when": np.array(["2021-01-01T00:00:00", "NaT"], dtype="datetime64[ns]"),
        "delta": np.array([1, -5], dtype=">m8[s]"),
        "cplx": np.array([1 + 2j, complex(np.nan, -0.0)]),
        "opaque": np.array([b"\x00\x01\xff", b"abc"], dtype="V3"),
        "fixed": np.array([b"", b"ab", b"\x00x"], dtype="S3"),
        "half": np.array([0.1, -2.5, 65504.0, np.inf], dtype=np.float16),
        "zero": np.array(2.5),
        "empty": np.zeros((0, 3)),
        "fortran": np.asfortranarray(np.arange(12.0).reshape(3, 4) / 7.0),
        "nested": nrec,
        "shared_a": shared,
        "shared_b": shared,
        "tree_/$args/1": np.array([2], dtype=np.intp),
        "tree_/nodes": nodes,
        "tree_/values": np.arange(4.0).reshape(2, 1, 2),
        "kd/_tree/0": np.arange(6.0).reshape(3, 2),
        "gb/1/tree_/values": np.array([[[0.5]]]),
        "named/$dictitems/lr/coef_": np.array([[1.0, 2.0]]),
        "odd/%x/": np.array([7], dtype=np.uint8),  # keys "%x" and "": escaped names
    }


def _build_fake(path, exp, variant=None):
    """A file laid out by hand the way the contract says; `variant` breaks one thing."""
    V = variant
    with h5py.File(path, "w") as f:
        a = f.attrs
        a["format"] = "depickle.hdf5"
        a["version"] = np.int32(1) if V == "version_int32" else np.int64(1)
        a["class"] = np.bytes_(_LR.encode()) if V == "fixed_class_attr" else _LR
        a["sklearn_version"] = "1.2.1"
        a["source_sha256"] = "cd" * 32 if V == "wrong_sha" else _FAKE_SHA
        a["source_container"] = "pickle"
        a["source_protocol"] = np.int64(4)
        a["depickle_version"] = "0.1.0"
        a["C"] = "1.0" if V == "C_as_str" else 1.0
        a["penalty"] = "l2"
        a["max_iter"] = np.int64(100)
        a["fit_intercept"] = np.int64(1) if V == "bool_as_int" else np.bool_(True)
        a["l1_ratio"] = np.float64(0.0) if V == "none_as_zero" else h5py.Empty("f8")
        a["n_features_in_"] = np.int64(3)
        a["_sklearn_version"] = "1.2.1"

        coef = exp["coef_"].copy()
        if V == "bitflip":
            coef.view(np.uint64)[0, 0] ^= np.uint64(1)
        if V == "nan_payload":
            coef[0, 2] = np.nan
        f["coef_"] = coef.reshape(3) if V == "wrong_shape" else coef
        f["intercept_"] = exp["intercept_"]
        f["be"] = exp["be"].astype("<f8") if V == "byteorder" else exp["be"]
        f["i2be"] = exp["i2be"]
        strs = exp["classes_"]
        if V == "fixed_strings":
            f["classes_"] = np.array([s.encode() for s in strs], dtype="S16")
        elif V == "ascii_vlen_strings":
            f.create_dataset("classes_", data=np.array([s.encode() for s in strs], dtype=object),
                             dtype=h5py.string_dtype("ascii"))
        elif V == "wrong_string":
            f.create_dataset("classes_", data=np.array(list(strs[:-1]) + ["日本"], dtype=object),
                             dtype=h5py.string_dtype())
        else:
            f.create_dataset("classes_", data=strs.astype(object), dtype=h5py.string_dtype())
        f["flags"] = exp["flags"]
        for key in ("when", "delta"):
            d = f.create_dataset(key, data=exp[key].view(exp[key].dtype.str[0] + "i8"))
            if not (V == "datetime_no_attr" and key == "when"):
                d.attrs["numpy_dtype"] = exp[key].dtype.str
        f["cplx"] = exp["cplx"]
        f["opaque"] = exp["opaque"]
        f["fixed"] = exp["fixed"]
        f["half"] = exp["half"]
        f["zero"] = exp["zero"]
        f["empty"] = exp["empty"]
        f["fortran"] = np.ascontiguousarray(exp["fortran"]) if V != "fortran_memory_order" \
            else np.frombuffer(np.asfortranarray(exp["fortran"]).tobytes(order="A"),
                               "<f8").reshape(3, 4)
        f["nested"] = exp["nested"]
        f["shared_a"] = exp["shared_a"]
        if V == "soft_link":
            f["shared_b"] = h5py.SoftLink("/shared_a")
        elif V == "copy_not_link":
            f["shared_b"] = exp["shared_b"]
        else:
            f["shared_b"] = f["shared_a"]

        t = f.create_group("tree_")
        t.attrs["class"] = "sklearn.tree._tree.Tree"
        args = t.create_group("$args")
        args.attrs["python_type"] = "tuple"
        args.attrs["0"] = np.int64(3)
        args["1"] = exp["tree_/$args/1"]
        args.attrs["2"] = np.int64(1)
        t.attrs["max_depth"] = np.int64(1)
        t.attrs["node_count"] = np.int64(2)
        nodes = exp["tree_/nodes"]
        if V == "padding_lost":
            packed = np.dtype([(n, nodes.dtype.fields[n][0]) for n in nodes.dtype.names])
            t["nodes"] = nodes.astype(packed)
        elif V == "padding_bytes":
            raw = bytearray(nodes.tobytes())
            raw[25] = 0x5A  # inside the padding after 'flag'
            t["nodes"] = np.frombuffer(bytes(raw), nodes.dtype)
        else:
            t["nodes"] = nodes
        t["values"] = exp["tree_/values"]

        kd = f.create_group("kd")
        kd.attrs["class"] = "sklearn.neighbors._classification.KNeighborsClassifier"
        tree = kd.create_group("_tree")
        tree.attrs["class"] = "sklearn.neighbors._kd_tree.KDTree"
        st = tree.create_group("$state")
        st.attrs["python_type"] = "tuple"
        if V != "missing_path":
            st["0"] = exp["kd/_tree/0"]
        st.attrs["1"] = np.int64(40)

        gb = f.create_group("gb")
        gb.attrs["python_type"] = "ndarray"
        gb.attrs["shape"] = np.array([2, 1], dtype=np.int64)
        gb.attrs["0"] = h5py.Empty("f8")
        e1 = gb.create_group("1")
        e1.attrs["class"] = "sklearn.tree._classes.DecisionTreeRegressor"
        e1.attrs["criterion"] = "friedman_mse"
        t1 = e1.create_group("tree_")
        t1.attrs["class"] = "sklearn.tree._tree.Tree"
        t1["values"] = exp["gb/1/tree_/values"]

        nb = f.create_group("named")
        nb.attrs["class"] = "sklearn.utils._bunch.Bunch"
        di = nb.create_group("$dictitems")
        di.attrs["python_type"] = "dict"
        lr = di.create_group("lr")
        lr.attrs["class"] = _LR
        lr["coef_"] = exp["named/$dictitems/lr/coef_"]
        # A reference cycle: the bunch contains itself (hard link to an ancestor).
        di["self"] = nb

        odd = f.create_group("odd")
        odd.attrs["python_type"] = "dict"
        g = odd.create_group("%25x")
        g.attrs["python_type"] = "dict"
        g["%00"] = exp["odd/%x/"]
        odd.attrs["%2E"] = "a key that is a dot"
    return path


def _fake_ref():
    return {"sklearn_version": "1.2.1",
            "scalars": {"C": 1.0, "penalty": "l2", "max_iter": 100, "fit_intercept": True,
                        "l1_ratio": None, "n_features_in_": 3, "_sklearn_version": "1.2.1"},
            "shared": [("shared_a", "shared_b"), ("named", "named/$dictitems/self")]}


VARIANTS = [
    ("byteorder", "big-endian array written little-endian"),
    ("bitflip", "one bit of a float flipped"),
    ("nan_payload", "NaN payload changed"),
    ("missing_path", "an array missing (under $state)"),
    ("fixed_strings", "<U array as fixed-length strings"),
    ("ascii_vlen_strings", "<U array as variable-length ASCII strings"),
    ("wrong_string", "one string changed"),
    ("wrong_shape", "shape (3,) instead of (1, 3)"),
    ("padding_lost", "compound without padding"),
    ("padding_bytes", "compound padding bytes changed"),
    ("fortran_memory_order", "Fortran array written in memory order"),
    ("datetime_no_attr", "datetime64 without numpy_dtype"),
    ("soft_link", "shared array as a soft link"),
    ("copy_not_link", "shared array written twice"),
    ("fixed_class_attr", "root class as a fixed-length string"),
    ("version_int32", "version as int32"),
    ("wrong_sha", "source_sha256 wrong"),
    ("C_as_str", "C as a string"),
    ("bool_as_int", "fit_intercept as int64"),
    ("none_as_zero", "None as 0.0"),
]


def run_self_test(args):
    failures = []
    h5dump = shutil.which("h5dump")
    tmp = tempfile.mkdtemp(prefix="depickle-hdf5-selftest-")
    try:
        exp0 = _fake_expected()
        npz = os.path.join(tmp, "fake.arrays.npz")
        np.savez(npz, **exp0)
        expected = load_npz(npz)
        if set(expected) != set(exp0):
            failures.append("npz round trip lost keys")
        elif any(expected[k].tobytes() != np.ascontiguousarray(v).tobytes()
                 or expected[k].dtype != v.dtype for k, v in exp0.items()):
            failures.append("load_npz does not return the saved bytes (padding?)")
        man = os.path.join(tmp, "MANIFEST.tsv")
        with open(man, "w", encoding="utf-8") as fh:
            fh.write("name\tfile\tsha256\tbytes\tclass\tprotocol\tcontainer\tsklearn\tnumpy\t"
                     "joblib\tarrays\toracle\n")
            fh.write("fake\tmodels/fake.pkl\t%s\t123\t%s\t4\tpickle\t1.2.1\t1.24.2\t1.2.0\t1\t0\n"
                     % (_FAKE_SHA, _LR))
        row = read_manifest(man)[0]

        good = _build_fake(os.path.join(tmp, "good.h5"), expected)
        n_ok, problems = check_file(good, row, expected, _fake_ref())
        if problems:
            failures.append("the correct file fails: %s" % problems)
        if n_ok != len(expected):
            failures.append("only %d of %d arrays found" % (n_ok, len(expected)))
        if h5dump:
            err = h5dump_check(h5dump, good)
            if err:
                failures.append("correct file: " + err)
        else:
            print("self-test: note: h5dump not installed, not run on the hand-made file")

        for variant, what in VARIANTS:
            bad = _build_fake(os.path.join(tmp, variant + ".h5"), expected, variant)
            _, problems = check_file(bad, row, expected, _fake_ref())
            if not problems:
                failures.append("not detected: %s (%s)" % (variant, what))
            elif args.verbose:
                print("self-test: %s -> %s" % (variant, problems[0]))

        # Missing fixture arrays in the npz direction: an extra expected path.
        extra = dict(expected)
        extra["coef_/nope"] = np.zeros(1)
        _, problems = check_file(good, row, extra, _fake_ref())
        if not any(p.startswith("coef_/nope: not found") for p in problems):
            failures.append("path below a dataset not reported as missing: %s" % problems)
        # A manifest class mismatch.
        _, problems = check_file(good, dict(row, **{"class": _LR + "CV"}), expected, _fake_ref())
        if not problems:
            failures.append("class mismatch not detected")

        # The JSON walker on a document with a shared array, an object and a cycle.
        doc = {"format": "depickle.json", "version": 1, "sklearn_version": "1.2.1",
               "root": {"$class": _LR, "$args": [], "$state": {
                   "C": 1.0, "penalty": "l2", "fit_intercept": True, "l1_ratio": None,
                   "big": {"$int": "99999999999999999999"},
                   "a": {"$id": 0, "$ndarray": {"dtype": "<f8", "shape": [1], "data": [1.0]}},
                   "b": {"$tuple": [{"$ref": 0}, {"$id": 1, "$class": "x.Y", "$args": [],
                                                  "$state": {"$tuple": [1, 2]}}]},
                   "c": {"$dict": [["k", {"$ref": 1}]]},
                   "obj": {"$ndarray": {"dtype": "|O", "shape": [2],
                                        "data": [None, {"$ref": 0}]}}}}}
        ref = json_reference(doc)
        want_shared = [("a", "b/0"), ("b/1", "c/k"), ("a", "obj/1")]
        if sorted(ref["shared"]) != sorted(want_shared):
            failures.append("JSON walker: shared %s, expected %s" % (ref["shared"], want_shared))
        if ref["scalars"] != {"C": 1.0, "penalty": "l2", "fit_intercept": True,
                              "l1_ratio": None}:
            failures.append("JSON walker: scalars %s" % ref["scalars"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for msg in failures:
        print("self-test: " + msg)
    if failures:
        print("self-test FAILED (%d problem(s))" % len(failures))
        return 1
    print("self-test ok (hand-made file passes with %d arrays; %d broken variants detected)"
          % (len(_fake_expected()), len(VARIANTS)))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Check depickle's HDF5 output against schemas/hdf5-layout.md and the "
                    "fixtures' expected arrays.")
    ap.add_argument("depickle", nargs="?", help="the depickle executable")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="only these fixtures")
    ap.add_argument("--keep", metavar="DIR", help="write outputs to DIR and keep them")
    ap.add_argument("--self-test", action="store_true",
                    help="check this checker on hand-made HDF5 files")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="self-test: show what each broken variant was reported as")
    args = ap.parse_args(argv)
    if args.self_test:
        return run_self_test(args)
    if not args.depickle:
        ap.error("DEPICKLE is required (or --self-test)")
    return run_fixtures(args)


if __name__ == "__main__":
    sys.exit(main())
