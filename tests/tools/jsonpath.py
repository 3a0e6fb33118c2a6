"""Helpers for depickle JSON documents (format "depickle.json", version 1).

Shared by tests/tools/check_json.py and by any Python test that needs to
look inside a depickle JSON document.

  IdTable(root)                   every "$id" -> the value that carries it
  navigate(root, path, ids)       follow an npz-style path ("a/0/b")
  decode_ndarray(node)            {"$ndarray": ...} -> numpy.ndarray
  dtype_from_json(D)              JSON dtype (str or descr list) -> np.dtype
  compare_arrays(expected, got)   list of mismatch strings ([] if bit-exact)
  Encoder                         reference encoder: live Python object ->
                                  the same JSON, used by the self-test

Path convention (same as fixtures/generate.py, see fixtures/README.md):
  "$ref"                  resolved transparently (also refs to enclosing
                          values, i.e. cycles)
  object ("$class")       component "$args" / "$kwargs" / "$listitems" /
                          "$dictitems" selects that member; any other
                          component is looked up in "$state": a dict (plain
                          or "$dict"), or a 2-"$tuple" (dict_or_null,
                          slots_dict) whose two dicts are merged; any other
                          state value is navigated as itself (e.g. a tuple
                          state is indexed)
  plain JSON object       key ("$id" is not a key)
  "$dict"                 the pair whose key is that string
  JSON array / "$list" / "$tuple"   decimal index
  "$ndarray" dtype "|O"   decimal flat row-major index into "data"
An empty path ("") designates the root itself.
"""

import base64
import binascii
import math
import types

import numpy as np

MAX_SAFE = 2 ** 53

WRAPPER_KEYS = (
    "$int", "$float", "$tuple", "$list", "$set", "$bytes", "$dict",
    "$ndarray", "$scalar", "$dtype", "$global", "$class", "$ref",
)


class DecodeError(Exception):
    pass


# ---------------------------------------------------------------------------
# Classification of JSON nodes
# ---------------------------------------------------------------------------
def wrapper_kind(node):
    """The "$..." form of a JSON object, or "dict" for a plain dict, or None
    when node is not a JSON object."""
    if not isinstance(node, dict):
        return None
    for k in WRAPPER_KEYS:
        if k in node:
            return k
    return "dict"


def plain_items(node):
    """Items of a plain JSON-object dict (without its "$id")."""
    return [(k, v) for k, v in node.items() if k != "$id"]


class IdTable:
    """Map "$id" -> node, built by an iterative walk (no recursion limit)."""

    def __init__(self, root):
        self.ids = {}
        stack = [root]
        while stack:
            n = stack.pop()
            if isinstance(n, list):
                stack.extend(n)
            elif isinstance(n, dict):
                if "$id" in n:
                    i = n["$id"]
                    if i in self.ids:
                        raise DecodeError("duplicate $id %r" % (i,))
                    self.ids[i] = n
                for k, v in n.items():
                    if k != "$id":
                        stack.append(v)

    def resolve(self, node):
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            r = node["$ref"]
            if r not in self.ids:
                raise DecodeError("dangling $ref %r" % (r,))
            node = self.ids[r]
            seen += 1
            if seen > len(self.ids) + 1:
                raise DecodeError("$ref loop")
        return node


def _index(seq, comp, what):
    try:
        i = int(comp)
    except ValueError:
        raise DecodeError("%s index %r is not an integer" % (what, comp))
    if str(i) != comp or not 0 <= i < len(seq):
        raise DecodeError("%s index %s out of range (len %d)"
                          % (what, comp, len(seq)))
    return seq[i]


def _dict_lookup(node, key, ids):
    """Look key up in a dict VALUE (plain or $dict). Returns (found, v)."""
    node = ids.resolve(node)
    kind = wrapper_kind(node)
    if kind == "dict":
        if key != "$id" and key in node:
            return True, node[key]
        return False, None
    if kind == "$dict":
        for pair in node["$dict"]:
            if isinstance(pair, list) and len(pair) == 2:
                k = ids.resolve(pair[0])
                if isinstance(k, str) and k == key:
                    return True, pair[1]
        return False, None
    if isinstance(node, list):  # list of [k, v] pairs
        for pair in node:
            pair = ids.resolve(pair)
            if isinstance(pair, dict) and "$tuple" in pair:
                pair = pair["$tuple"]
            if isinstance(pair, list) and len(pair) == 2:
                k = ids.resolve(pair[0])
                if isinstance(k, str) and k == key:
                    return True, pair[1]
        return False, None
    raise DecodeError("not a dict: %s" % describe(node))


def _is_dict_value(node):
    return node is None or wrapper_kind(node) in ("dict", "$dict")


def step(node, comp, ids):
    """One path component."""
    node = ids.resolve(node)
    kind = wrapper_kind(node)
    if isinstance(node, list):
        return _index(node, comp, "list")
    if kind == "$list":
        return _index(node["$list"], comp, "list")
    if kind == "$tuple":
        return _index(node["$tuple"], comp, "tuple")
    if kind == "dict" or kind == "$dict":
        found, v = _dict_lookup(node, comp, ids)
        if not found:
            raise DecodeError("key %r not in dict" % comp)
        return v
    if kind == "$ndarray":
        arr = node["$ndarray"]
        if arr.get("dtype") != "|O":
            raise DecodeError("cannot index into non-object ndarray")
        return _index(arr["data"], comp, "object ndarray")
    if kind == "$class":
        if comp in ("$args", "$kwargs", "$listitems", "$dictitems"):
            if comp not in node:
                raise DecodeError("object has no %s" % comp)
            return node[comp]
        state = ids.resolve(node.get("$state"))
        if state is None:
            raise DecodeError("object %s has null state" % node["$class"])
        if wrapper_kind(state) == "$tuple":
            t = state["$tuple"]
            if (len(t) == 2 and _is_dict_value(ids.resolve(t[0]))
                    and wrapper_kind(ids.resolve(t[1])) in ("dict", "$dict")):
                for part in (t[0], t[1]):
                    part = ids.resolve(part)
                    if part is None:
                        continue
                    found, v = _dict_lookup(part, comp, ids)
                    if found:
                        return v
                raise DecodeError("key %r not in state of %s"
                                  % (comp, node["$class"]))
        try:
            return step(state, comp, ids)
        except DecodeError as e:
            raise DecodeError("in state of %s: %s" % (node["$class"], e))
    raise DecodeError("cannot navigate into %s" % describe(node))


def navigate(root, path, ids):
    """Follow an npz path; returns the (ref-resolved) node."""
    node = root
    done = []
    if path != "":
        for comp in path.split("/"):
            try:
                node = step(node, comp, ids)
            except DecodeError as e:
                raise DecodeError("at %r: %s" % ("/".join(done) or "<root>", e))
            done.append(comp)
    node = ids.resolve(node)
    # An object whose state *is* the addressed value (e.g. a tuple state).
    while wrapper_kind(node) == "$class" and wrapper_kind(
            ids.resolve(node.get("$state"))) == "$ndarray":
        node = ids.resolve(node["$state"])
    return node


def describe(node, limit=60):
    if isinstance(node, dict):
        k = wrapper_kind(node)
        if k == "$class":
            return "object %s" % node.get("$class")
        if k == "$ndarray":
            a = node["$ndarray"]
            return "ndarray %s %s" % (a.get("dtype"), a.get("shape"))
        if k == "dict":
            return "dict with %d keys" % len(plain_items(node))
        return k
    if isinstance(node, list):
        return "list of %d" % len(node)
    s = repr(node)
    return s if len(s) <= limit else s[:limit] + "..."


# ---------------------------------------------------------------------------
# dtype
# ---------------------------------------------------------------------------
def _descr_from_json(d):
    if not isinstance(d, list):
        raise DecodeError("structured dtype must be a list")
    out = []
    for f in d:
        if not isinstance(f, list) or len(f) not in (2, 3) \
                or not isinstance(f[0], str):
            raise DecodeError("bad descr field %r" % (f,))
        t = f[1]
        if isinstance(t, list):
            t = _descr_from_json(t)
        elif not isinstance(t, str):
            raise DecodeError("bad descr field type %r" % (t,))
        if len(f) == 3:
            if not isinstance(f[2], list) or not all(
                    type(x) is int and x >= 0 for x in f[2]):
                raise DecodeError("bad subarray shape %r" % (f[2],))
            out.append((f[0], t, tuple(f[2])))
        else:
            out.append((f[0], t))
    return out


def dtype_from_json(d):
    try:
        if isinstance(d, str):
            return np.dtype(d)
        if isinstance(d, list):
            return np.lib.format.descr_to_dtype(_descr_from_json(d))
    except (TypeError, ValueError) as e:
        raise DecodeError("bad dtype %r: %s" % (d, e))
    raise DecodeError("bad dtype %r" % (d,))


def dtype_to_json(dt):
    """np.dtype -> JSON form (what the writer is expected to emit)."""
    if dt.names is not None:
        return _descr_to_json(dt.descr)
    return dt.str


def _descr_to_json(descr):
    out = []
    for f in descr:
        t = f[1]
        t = _descr_to_json(t) if isinstance(t, list) else t
        out.append([f[0], t] + ([list(f[2])] if len(f) == 3 else []))
    return out


# ---------------------------------------------------------------------------
# ndarray decoding
# ---------------------------------------------------------------------------
def _json_int(v, where):
    if type(v) is int:
        if abs(v) > MAX_SAFE:
            raise DecodeError("%s: integer %d beyond 2^53 must be {\"$int\"}"
                              % (where, v))
        return v
    if isinstance(v, dict) and set(v) == {"$int"} and isinstance(
            v["$int"], str):
        s = v["$int"]
        try:
            i = int(s, 10)
        except ValueError:
            raise DecodeError("%s: bad $int %r" % (where, s))
        if str(i) != s:
            raise DecodeError("%s: non-canonical $int %r" % (where, s))
        if abs(i) <= MAX_SAFE:
            raise DecodeError("%s: $int %s within 2^53 must be a plain "
                              "integer" % (where, s))
        return i
    raise DecodeError("%s: expected integer, got %s" % (where, describe(v)))


_FLOAT_SPECIAL = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _json_float(v, where):
    if type(v) is float:
        return v
    if type(v) is int:  # tolerated: the value is still exact
        return float(v) if abs(v) <= MAX_SAFE else _overflow(where)
    if isinstance(v, dict) and set(v) == {"$float"} \
            and v["$float"] in _FLOAT_SPECIAL:
        return _FLOAT_SPECIAL[v["$float"]]
    raise DecodeError("%s: expected float, got %s" % (where, describe(v)))


def _overflow(where):
    raise DecodeError("%s: integer literal too large for a float" % where)


def _b64(v, where):
    if not (isinstance(v, dict) and "$bytes" in v
            and set(v) <= {"$bytes", "$bytearray"}
            and isinstance(v["$bytes"], str)):
        raise DecodeError("%s: expected {\"$bytes\"}, got %s"
                          % (where, describe(v)))
    try:
        return base64.b64decode(v["$bytes"].encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as e:
        raise DecodeError("%s: bad base64: %s" % (where, e))


def _flatten(values, shape, where):
    """Flatten len(shape) levels of nested lists, checking the shape."""
    if not shape:
        return list(values)
    out = []
    for v in values:
        _flatten_one(v, shape, out, where)
    return out


def _flatten_one(v, shape, out, where):
    if not shape:
        out.append(v)
        return
    if not isinstance(v, list) or len(v) != shape[0]:
        raise DecodeError("%s: subarray value does not have shape %r"
                          % (where, tuple(shape)))
    for e in v:
        _flatten_one(e, shape[1:], out, where)


def decode_elements(values, dt, shape, where="data"):
    """Decode a flat list of element encodings into an array."""
    n = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if len(values) != n:
        raise DecodeError("%s: %d elements for shape %r" %
                          (where, len(values), tuple(shape)))
    out = np.zeros(shape, dtype=dt)  # zeroed: padding is deterministic
    flat = out.reshape(-1)  # a view (fresh C-contiguous array)
    kind = dt.kind
    if dt.names is not None:
        for j, name in enumerate(dt.names):
            fdt = dt.fields[name][0]
            col = []
            for i, rec in enumerate(values):
                if not isinstance(rec, list) or len(rec) != len(dt.names):
                    raise DecodeError("%s[%d]: record must be a list of %d "
                                      "field values" % (where, i,
                                                        len(dt.names)))
                col.append(rec[j])
            if fdt.subdtype is not None:
                base, sub = fdt.subdtype
                col = _flatten(col, sub, "%s.%s" % (where, name))
                arr = decode_elements(col, base, (n,) + tuple(sub),
                                      "%s.%s" % (where, name))
            else:
                arr = decode_elements(col, fdt, (n,), "%s.%s" % (where, name))
            flat[name] = arr
        return out
    if kind == "b":
        for i, v in enumerate(values):
            if type(v) is not bool:
                raise DecodeError("%s[%d]: expected true/false" % (where, i))
        flat[...] = values
    elif kind in "iu":
        info = np.iinfo(dt)
        ints = [_json_int(v, "%s[%d]" % (where, i))
                for i, v in enumerate(values)]
        for i, v in enumerate(ints):
            if not info.min <= v <= info.max:
                raise DecodeError("%s[%d]: %d out of range for %s"
                                  % (where, i, v, dt.str))
        flat[...] = np.array(ints, dtype=object).astype(dt) if ints else []
    elif kind == "f":
        fl = [_json_float(v, "%s[%d]" % (where, i))
              for i, v in enumerate(values)]
        # Parse as double, then cast (float32 values are written in their
        # float32-shortest form, which the double -> float32 cast recovers).
        flat[...] = np.array(fl, dtype=np.float64).astype(dt)
    elif kind == "c":
        half = np.dtype(dt.byteorder + "f%d" % (dt.itemsize // 2))
        parts = []
        for i, v in enumerate(values):
            if not isinstance(v, list) or len(v) != 2:
                raise DecodeError("%s[%d]: complex must be [re, im]"
                                  % (where, i))
            parts.append(_json_float(v[0], "%s[%d].re" % (where, i)))
            parts.append(_json_float(v[1], "%s[%d].im" % (where, i)))
        pair = np.array(parts, dtype=np.float64).astype(half)
        flat.view(half)[...] = pair
    elif kind == "U":
        nchars = dt.itemsize // 4
        for i, v in enumerate(values):
            if not isinstance(v, str):
                raise DecodeError("%s[%d]: expected string" % (where, i))
            if len(v) > nchars:
                raise DecodeError("%s[%d]: %d chars exceed %s"
                                  % (where, i, len(v), dt.str))
            if v.endswith("\x00"):
                raise DecodeError("%s[%d]: trailing NUL not stripped"
                                  % (where, i))
            flat[i] = v
    elif kind == "S":
        for i, v in enumerate(values):
            b = _b64(v, "%s[%d]" % (where, i))
            if len(b) > dt.itemsize:
                raise DecodeError("%s[%d]: %d bytes exceed %s"
                                  % (where, i, len(b), dt.str))
            if b.endswith(b"\x00"):
                raise DecodeError("%s[%d]: trailing NUL not stripped"
                                  % (where, i))
            flat[i] = b
    elif kind == "V":
        raw = flat.view(np.uint8).reshape(n, dt.itemsize)
        for i, v in enumerate(values):
            b = _b64(v, "%s[%d]" % (where, i))
            if len(b) != dt.itemsize:
                raise DecodeError("%s[%d]: %d bytes for %s"
                                  % (where, i, len(b), dt.str))
            raw[i] = np.frombuffer(b, dtype=np.uint8)
    elif kind in "Mm":
        ints = [_json_int(v, "%s[%d]" % (where, i))
                for i, v in enumerate(values)]
        i64 = np.dtype(dt.byteorder.replace("|", "=") + "i8")
        for i, v in enumerate(ints):
            if not -(2 ** 63) <= v < 2 ** 63:
                raise DecodeError("%s[%d]: out of int64 range" % (where, i))
        flat.view(i64)[...] = np.array(ints, dtype=object).astype(i64) \
            if ints else []
    elif kind == "O":
        for i, v in enumerate(values):
            flat[i] = v  # raw JSON VALUE; not interpreted here
    else:
        raise DecodeError("%s: unsupported dtype %s" % (where, dt.str))
    return out


def decode_ndarray(node):
    """{"$ndarray": {...}} -> numpy array (object arrays hold raw JSON)."""
    if wrapper_kind(node) != "$ndarray":
        raise DecodeError("not an ndarray: %s" % describe(node))
    a = node["$ndarray"]
    if not isinstance(a, dict) or not {"dtype", "shape", "data"} <= set(a):
        raise DecodeError("$ndarray needs dtype, shape and data")
    dt = dtype_from_json(a["dtype"])
    shape = a["shape"]
    if not isinstance(shape, list) or not all(
            type(s) is int and s >= 0 for s in shape):
        raise DecodeError("bad shape %r" % (shape,))
    if not isinstance(a["data"], list):
        raise DecodeError("data must be a list")
    return decode_elements(a["data"], dt, tuple(shape))


# ---------------------------------------------------------------------------
# Bit-exact comparison
# ---------------------------------------------------------------------------
def _float_view_dtype(dt):
    """For float/complex dtypes: the float dtype of one component."""
    if dt.kind == "f":
        return dt
    return np.dtype(dt.byteorder + "f%d" % (dt.itemsize // 2))


def compare_bits(expected, got, where=""):
    """Compare two arrays of equal dtype and shape bit for bit.

    Padding bytes of structured dtypes are not compared (each named field
    is compared on its own).  NaN payloads are not compared: JSON only says
    "nan", so two NaNs are equal whatever their sign and payload bits.
    Returns a list of mismatch descriptions."""
    dt = expected.dtype
    if dt.names is not None:
        out = []
        for name in dt.names:
            out += compare_bits(expected[name], got[name],
                                "%s.%s" % (where, name))
        return out
    if dt.subdtype is not None:  # only reached via fields
        dt = dt.subdtype[0]
    e = np.ascontiguousarray(expected)
    g = np.ascontiguousarray(got)
    if e.dtype.kind in "fc":
        fdt = _float_view_dtype(e.dtype)
        ef = e.view(fdt).reshape(-1)
        gf = g.view(fdt).reshape(-1)
        eb = ef.view(np.uint8).reshape(-1, fdt.itemsize)
        gb = gf.view(np.uint8).reshape(-1, fdt.itemsize)
        ok = (eb == gb).all(axis=1) | (np.isnan(ef) & np.isnan(gf))
        if e.dtype.kind == "c":
            ok = ok.reshape(-1, 2).all(axis=1)
        bad = np.flatnonzero(~ok)
    else:
        isz = e.dtype.itemsize
        if isz == 0:
            return []
        eb = e.reshape(-1).view(np.uint8).reshape(-1, isz)
        gb = g.reshape(-1).view(np.uint8).reshape(-1, isz)
        bad = np.flatnonzero(~(eb == gb).all(axis=1))
    if len(bad) == 0:
        return []
    i = int(bad[0])
    ev = e.reshape(-1)[i]
    gv = g.reshape(-1)[i]
    return ["%s: %d element(s) differ, first at flat index %d: expected %r "
            "(%s), got %r (%s)" % (where or "data", len(bad), i, ev,
                                   _hex(e.reshape(-1)[i:i + 1]), gv,
                                   _hex(g.reshape(-1)[i:i + 1]))]


def _hex(a):
    return a.view(np.uint8).tobytes().hex()


def compare_arrays(expected, node):
    """Compare an expected array with a JSON {"$ndarray"} node."""
    if wrapper_kind(node) != "$ndarray":
        return ["expected an ndarray, found %s" % describe(node)]
    a = node["$ndarray"]
    jd = a.get("dtype")
    dt = expected.dtype
    if dt.names is not None:
        if not isinstance(jd, list):
            return ["dtype: expected structured %r, got %r"
                    % (dtype_to_json(dt), jd)]
        try:
            gdt = dtype_from_json(jd)
        except DecodeError as e:
            return [str(e)]
        if gdt != dt or gdt.itemsize != dt.itemsize:
            return ["dtype: expected %r (itemsize %d), got %r (itemsize %d)"
                    % (dtype_to_json(dt), dt.itemsize, jd, gdt.itemsize)]
    elif jd != dt.str:
        return ["dtype: expected %r, got %r" % (dt.str, jd)]
    if a.get("shape") != list(expected.shape):
        return ["shape: expected %r, got %r" % (list(expected.shape),
                                                a.get("shape"))]
    try:
        got = decode_ndarray(node)
    except DecodeError as e:
        return [str(e)]
    return compare_bits(expected, got)


# ---------------------------------------------------------------------------
# Reference encoder (live Python objects -> depickle JSON)
# ---------------------------------------------------------------------------
class RawNumber(str):
    """A JSON number token written verbatim by dumps()."""


def _short_float(v, dt):
    """Shortest round-trip decimal of v in dtype dt, as a JSON number."""
    x = dt.type(v)
    if not np.isfinite(x):
        return {"$float": "nan" if np.isnan(x) else
                ("inf" if x > 0 else "-inf")}
    if dt.itemsize >= 8:
        return float(x)  # repr(float) is shortest round-trip
    s = np.format_float_scientific(x, unique=True, trim="-")
    mant, exp = s.split("e")
    if mant.endswith("."):
        mant = mant[:-1]
    return RawNumber("%se%d" % (mant, int(exp)))


def _int_value(v):
    v = int(v)
    return v if abs(v) <= MAX_SAFE else {"$int": str(v)}


def _py_float(v):
    if math.isnan(v):
        return {"$float": "nan"}
    if math.isinf(v):
        return {"$float": "inf" if v > 0 else "-inf"}
    return float(v)


def dumps(value):
    """Minimal JSON writer honouring RawNumber; never writes NaN/Infinity."""
    import json
    parts = []

    def w(v):
        if isinstance(v, RawNumber):
            parts.append(str(v))
        elif v is None or isinstance(v, (bool, int, str)):
            parts.append(json.dumps(v, ensure_ascii=False))
        elif isinstance(v, float):
            if not math.isfinite(v):
                raise ValueError("non-finite float in JSON")
            parts.append(repr(v))
        elif isinstance(v, list):
            parts.append("[")
            for i, e in enumerate(v):
                if i:
                    parts.append(",")
                w(e)
            parts.append("]")
        elif isinstance(v, dict):
            parts.append("{")
            for i, (k, e) in enumerate(v.items()):
                if i:
                    parts.append(",")
                parts.append(json.dumps(k, ensure_ascii=False))
                parts.append(":")
                w(e)
            parts.append("}")
        else:
            raise TypeError(type(v))
    w(value)
    return "".join(parts)


class Encoder:
    """Encode a live object graph the way pickle reduces it.

    This is a test-side reference for the JSON contract, not a depickler:
    it only reads objects that already exist in this process."""

    def __init__(self, protocol=4):
        self.protocol = protocol
        self._memo = {}     # id(obj) -> $id
        self._keep = []     # keep reduce results alive (stable ids)
        self._used = set()  # $ids that are referenced

    def encode_document(self, root, source, sklearn_version=None):
        body = self.encode(root)
        body = self._strip_ids(body)
        return {"format": "depickle.json", "version": 1, "source": source,
                "sklearn_version": sklearn_version, "root": body}

    # -- sharing -----------------------------------------------------------
    def _shared(self, obj):
        key = id(obj)
        if key in self._memo:
            self._used.add(self._memo[key])
            return {"$ref": self._memo[key]}
        return None

    def _new_id(self, obj):
        n = len(self._memo)
        self._memo[id(obj)] = n
        self._keep.append(obj)
        return n

    def _strip_ids(self, v):
        """Drop "$id"s nobody refers to (and unwrap {"$id","$list"})."""
        stack = [v]
        while stack:
            n = stack.pop()
            if isinstance(n, list):
                for i, e in enumerate(n):
                    if (isinstance(e, dict) and "$list" in e
                            and e.get("$id") not in self._used):
                        n[i] = e = e["$list"]
                    stack.append(e)
            elif isinstance(n, dict):
                if "$id" in n and n["$id"] not in self._used:
                    del n["$id"]
                for k in list(n):
                    e = n[k]
                    if (isinstance(e, dict) and "$list" in e
                            and e.get("$id") not in self._used):
                        n[k] = e = e["$list"]
                    stack.append(e)
        if isinstance(v, dict) and "$list" in v and v.get("$id") \
                not in self._used:
            v = v["$list"]
        return v

    # -- values ------------------------------------------------------------
    def encode(self, obj):
        if obj is None or type(obj) in (bool, str):
            return obj
        if type(obj) is int:
            return _int_value(obj)
        if type(obj) is float:
            return _py_float(obj)
        if isinstance(obj, np.generic):
            return {"$scalar": {"dtype": dtype_to_json(obj.dtype),
                                "value": self._element(obj, obj.dtype)}}
        if isinstance(obj, np.dtype):
            return {"$dtype": dtype_to_json(obj)}
        if isinstance(obj, (type, types.FunctionType,
                            types.BuiltinFunctionType)):
            return {"$global": "%s.%s" % (obj.__module__, obj.__qualname__)}
        ref = self._shared(obj)
        if ref is not None:
            return ref
        t = type(obj)
        if t in (bytes, bytearray):
            out = {"$bytes": base64.b64encode(bytes(obj)).decode("ascii")}
            if t is bytearray:
                out["$bytearray"] = True
            out["$id"] = self._new_id(obj)
            return out
        if t is list:
            n = self._new_id(obj)
            return {"$id": n, "$list": [self.encode(e) for e in obj]}
        if t is tuple:
            n = self._new_id(obj)
            return {"$tuple": [self.encode(e) for e in obj], "$id": n}
        if t in (set, frozenset):
            n = self._new_id(obj)
            out = {"$set": [self.encode(e) for e in obj], "$id": n}
            if t is frozenset:
                out["$frozen"] = True
            return out
        if t is dict:
            n = self._new_id(obj)
            return self._dict(obj.items(), n)
        if isinstance(obj, np.ndarray):
            n = self._new_id(obj)
            arr = {"dtype": dtype_to_json(obj.dtype), "shape": list(obj.shape),
                   "data": [self._element(e, obj.dtype)
                            for e in obj.reshape(-1, order="C")]}
            if t is not np.ndarray:
                arr["class"] = "%s.%s" % (t.__module__, t.__qualname__)
            return {"$ndarray": arr, "$id": n}
        return self._object(obj)

    def _dict(self, items, n=None):
        items = list(items)
        if all(isinstance(k, str) and not k.startswith("$") for k, _ in items):
            out = {}
            if n is not None:
                out["$id"] = n
            for k, v in items:
                out[k] = self.encode(v)
            return out
        out = {"$dict": [[self.encode(k), self.encode(v)] for k, v in items]}
        if n is not None:
            out["$id"] = n
        return out

    def _object(self, obj):
        import copyreg
        n = self._new_id(obj)
        reducer = copyreg.dispatch_table.get(type(obj))
        rv = reducer(obj) if reducer else obj.__reduce_ex__(self.protocol)
        if isinstance(rv, str):
            return {"$global": "%s.%s" % (type(obj).__module__, rv)}
        rv = tuple(rv) + (None,) * (6 - len(rv))
        func, args, state, listitems, dictitems = rv[:5]
        self._keep.append(rv)
        kwargs = None
        if func is copyreg.__newobj__:
            cls, args = args[0], args[1:]
        elif func is getattr(copyreg, "__newobj_ex__", None):
            cls, args, kwargs = args[0], args[1], args[2]
        else:
            cls = func
        out = {"$class": "%s.%s" % (cls.__module__, cls.__qualname__),
               "$args": [self.encode(a) for a in args],
               "$state": None if state is None else self.encode(state),
               "$id": n}
        if kwargs:
            out["$kwargs"] = self._dict(kwargs.items())
        if listitems is not None:
            out["$listitems"] = [self.encode(e) for e in listitems]
        if dictitems is not None:
            out["$dictitems"] = self._dict(list(dictitems))
        return out

    def _element(self, e, dt):
        if dt.names is not None:
            return [self._field(e[name], dt.fields[name][0])
                    for name in dt.names]
        k = dt.kind
        if k == "b":
            return bool(e)
        if k in "iu":
            return _int_value(e)
        if k == "f":
            return _short_float(e, dt)
        if k == "c":
            half = np.dtype(dt.byteorder + "f%d" % (dt.itemsize // 2))
            return [_short_float(np.real(e), half), _short_float(np.imag(e),
                                                                half)]
        if k == "U":
            return str(e)
        if k == "S":
            return {"$bytes": base64.b64encode(bytes(e)).decode("ascii")}
        if k == "V":
            return {"$bytes": base64.b64encode(bytes(e)).decode("ascii")}
        if k in "Mm":
            # numpy scalars are native-endian: the raw int64 count
            return _int_value(np.asarray(e).astype(np.int64)[()])
        if k == "O":
            return self.encode(e)
        raise TypeError(dt)

    def _field(self, v, fdt):
        if fdt.subdtype is not None:
            return self._nested(np.asarray(v), fdt.subdtype[0])
        return self._element(v, fdt)

    def _nested(self, a, base):
        if a.ndim == 0:
            return self._element(a[()], base)
        return [self._nested(a[i], base) for i in range(a.shape[0])]
