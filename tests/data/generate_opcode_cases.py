#!/usr/bin/python3
"""Writes tests/data/opcode_cases.json: pickle byte strings and what
depickle's restricted VM must make of them.

Each case is a pickle produced by Python's own ``pickle`` module (or, where
Python cannot emit an opcode or the stream must be hostile/malformed,
assembled by hand here) plus either

* ``expect``: the ``root`` value of depickle's JSON output, in the JSON VALUE
  encoding (computed by ``pickle.loads`` of the same bytes and the encoder
  below, so Python itself vouches for the value), or
* ``error``: ``{"category": ..., "offset": ...}`` -- the error depickle must
  raise and the byte offset of the opcode that fails.

Run with Debian's interpreter (numpy 1.24 / scikit-learn 1.2.1)::

    /usr/bin/python3 tests/data/generate_opcode_cases.py          # writes the JSON
    /usr/bin/python3 tests/data/generate_opcode_cases.py --check  # compare only

The output is deterministic: the script re-executes itself with
PYTHONHASHSEED=0 so that set iteration order (and hence the pickles of sets
of strings) is stable. Exits non-zero if an opcode of pickletools.opcodes is
not covered (every opcode by a successful case, except the seven that
depickle refuses, which must appear in refused cases).
"""

import base64
import collections
import copyreg
import io
import json
import math
import os
import pickle
import pickletools
import platform
import re
import sys

if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.base import BaseEstimator  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "opcode_cases.json")
EXPECTED_PYTHON = "3.11.2"

# Opcodes depickle refuses by design; they may only appear in refused cases.
REFUSED_OPCODES = {"PERSID", "BINPERSID", "EXT1", "EXT2", "EXT4", "NEXT_BUFFER", "READONLY_BUFFER"}
CATEGORIES = {"refused", "malformed", "truncated", "limit"}

# Module spellings depickle reports under their Python 3 names
# (schemas/allowlist/renames.tsv, Python 2 part).
PY2_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}

MAX_EXACT_INT = 2**53


# ---------------------------------------------------------------------------
# Small helpers


def opcode_names(data):
    """Distinct opcode names in order of first appearance, as far as
    pickletools.genops can parse the stream."""
    names = []
    try:
        for op, _arg, _pos in pickletools.genops(data):
            if op.name not in names:
                names.append(op.name)
    except Exception:  # noqa: BLE001 - malformed on purpose
        pass
    return names


def offset_of(data, opname, nth=0):
    """Byte offset of the nth occurrence of opcode `opname` (genops must
    parse at least that far)."""
    seen = 0
    try:
        for op, _arg, pos in pickletools.genops(data):
            if op.name == opname:
                if seen == nth:
                    return pos
                seen += 1
    except Exception:  # noqa: BLE001
        pass
    raise AssertionError(f"opcode {opname} #{nth} not found in {data!r}")


def written_globals(data):
    """Maps canonical 'module.name' -> spelling in the file, for globals named
    by GLOBAL/INST with an old (Python 2) module spelling."""
    out = {}
    seen = {}
    for op, arg, _pos in pickletools.genops(data):
        if op.name in ("GLOBAL", "INST"):
            module, name = arg.split(" ", 1)
            canonical = f"{PY2_MODULES.get(module, module)}.{name}"
            written = f"{module}.{name}"
            prev = seen.setdefault(canonical, written)
            if prev != written:
                raise AssertionError(f"{canonical} spelled both {prev} and {written}")
            if written != canonical:
                out[canonical] = written
    return out


def frame(body):
    """FRAME opcode + 8-byte length + body."""
    return b"\x95" + len(body).to_bytes(8, "little") + body


def u32(n):
    return n.to_bytes(4, "little")


def u64(n):
    return n.to_bytes(8, "little")


def binfloat(x):
    import struct

    return b"G" + struct.pack(">d", x)


# ---------------------------------------------------------------------------
# The JSON VALUE encoder (Python object graph -> depickle's JSON encoding)


class Node:
    """A compound value: kind plus children, in output order."""

    __slots__ = ("kind", "obj", "items", "pairs", "data", "cls", "args", "state", "kwargs",
                 "dictitems", "array")

    def __init__(self, kind, obj):
        self.kind = kind
        self.obj = obj
        self.items = None
        self.pairs = None
        self.data = None
        self.cls = None
        self.args = None
        self.state = None
        self.kwargs = None
        self.dictitems = None
        self.array = None


def class_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


class Encoder:
    """Encodes what pickle.loads returned. `pickled_as` maps canonical global
    names to their spelling in the pickle (for "$pickled_as")."""

    def __init__(self, pickled_as=None):
        self.pickled_as = pickled_as or {}
        self.nodes = {}  # id(obj) -> Node (the objects are kept alive by Node.obj)
        self.counts = {}
        self.ids = {}

    # -- classification
    def node(self, obj):
        """The Node of a compound value, or None for scalars."""
        key = id(obj)
        if key in self.nodes:
            return self.nodes[key]
        n = None
        t = type(obj)
        if isinstance(obj, np.ndarray):
            if obj.dtype.hasobject or obj.dtype.fields is not None:
                raise AssertionError("object/structured arrays are not encoded here")
            n = Node("ndarray", obj)
            n.array = obj
        elif isinstance(obj, (np.generic, np.dtype)):
            return None
        elif t is list:
            n = Node("list", obj)
            n.items = list(obj)
        elif t is tuple:
            n = Node("tuple", obj)
            n.items = list(obj)
        elif t is set:
            n = Node("set", obj)
            n.items = list(obj)
        elif t is frozenset:
            n = Node("frozenset", obj)
            n.items = list(obj)
        elif t is dict or t is collections.OrderedDict:
            n = Node("dict", obj)
            n.pairs = list(obj.items())
        elif t is bytes or t is bytearray:
            n = Node("bytes", obj)
            n.data = bytes(obj)
        elif t is collections.defaultdict:
            n = Node("object", obj)
            n.cls = "collections.defaultdict"
            n.args = [obj.default_factory]
            n.dictitems = Node("dict", None) if obj else None
            if n.dictitems is not None:
                n.dictitems.pairs = list(obj.items())
        elif t is slice:
            n = Node("object", obj)
            n.cls = "builtins.slice"
            n.args = [obj.start, obj.stop, obj.step]
        elif t is complex:
            n = Node("object", obj)
            n.cls = "builtins.complex"
            n.args = [obj.real, obj.imag]
        elif t is object:
            n = Node("object", obj)
            n.cls = "builtins.object"
            n.args = []
        elif isinstance(obj, BaseEstimator) and t.__module__.startswith("sklearn."):
            # copyreg._reconstructor / NEWOBJ with no arguments, then BUILD
            # with __getstate__()'s dict (which carries _sklearn_version).
            n = Node("object", obj)
            n.cls = class_name(t)
            n.args = []
            n.state = obj.__getstate__()
        else:
            return None
        self.nodes[key] = n
        return n

    @staticmethod
    def shareable(n):
        # The empty tuple is a singleton in CPython, but pickle never memoizes
        # it: every EMPTY_TUPLE / MARK TUPLE makes a fresh value in depickle.
        return not (n.kind == "tuple" and not n.items)

    def children(self, n):
        if n.kind in ("list", "tuple", "set", "frozenset"):
            return list(n.items)
        if n.kind == "dict":
            return [x for kv in n.pairs for x in kv]
        if n.kind == "object":
            out = list(n.args)
            if n.state is not None:
                out.append(n.state)
            if n.kwargs is not None:
                out.append(n.kwargs)
            if n.dictitems is not None:
                out.extend(x for kv in n.dictitems.pairs for x in kv)
            return out
        return []

    def count(self, root):
        todo = [root]
        while todo:
            obj = todo.pop()
            n = self.node(obj)
            if n is None:
                continue
            if not self.shareable(n):
                todo.extend(reversed(self.children(n)))
                continue
            self.counts[id(obj)] = self.counts.get(id(obj), 0) + 1
            if self.counts[id(obj)] == 1:
                todo.extend(reversed(self.children(n)))

    def encode(self, root):
        self.count(root)
        return self.value(root)

    # -- output
    def global_value(self, name):
        out = {"$global": name}
        if name in self.pickled_as:
            out["$pickled_as"] = self.pickled_as[name]
        return out

    def value(self, obj):
        if obj is None or isinstance(obj, bool):
            return obj
        if isinstance(obj, np.dtype):
            return {"$dtype": obj.str}
        if isinstance(obj, np.generic):
            return {"$scalar": {"dtype": obj.dtype.str, "value": self.value(obj.item())}}
        if isinstance(obj, int):
            return obj if -MAX_EXACT_INT <= obj <= MAX_EXACT_INT else {"$int": str(obj)}
        if isinstance(obj, float):
            if math.isnan(obj):
                return {"$float": "nan"}
            if math.isinf(obj):
                return {"$float": "inf" if obj > 0 else "-inf"}
            return obj
        if isinstance(obj, str):
            return obj
        if isinstance(obj, type):
            return self.global_value(class_name(obj))
        n = self.node(obj)
        if n is None:
            raise AssertionError(f"no encoding for {type(obj)!r}: {obj!r}")
        ident = None
        if self.shareable(n) and self.counts.get(id(obj), 0) > 1:
            if id(obj) in self.ids:
                return {"$ref": self.ids[id(obj)]}
            ident = self.ids[id(obj)] = len(self.ids)
        head = {} if ident is None else {"$id": ident}
        if n.kind == "list":
            items = [self.value(x) for x in n.items]
            return items if ident is None else {**head, "$list": items}
        if n.kind in ("tuple", "set", "frozenset"):
            out = {**head, ("$tuple" if n.kind == "tuple" else "$set"): [self.value(x) for x in n.items]}
            if n.kind == "frozenset":
                out["$frozen"] = True
            return out
        if n.kind == "dict":
            return {**head, **self.dict_body(n.pairs)}
        if n.kind == "bytes":
            out = {**head, "$bytes": base64.b64encode(n.data).decode("ascii")}
            if type(obj) is bytearray:
                out["$bytearray"] = True
            return out
        if n.kind == "ndarray":
            a = n.array
            data = [self.value(x) for x in a.ravel(order="C").tolist()]
            return {**head, "$ndarray": {"dtype": a.dtype.str, "shape": list(a.shape), "data": data}}
        if n.kind == "object":
            out = {**head, "$class": n.cls}
            if n.cls in self.pickled_as:
                out["$pickled_as"] = self.pickled_as[n.cls]
            out["$args"] = [self.value(x) for x in n.args]
            out["$state"] = None if n.state is None else self.value(n.state)
            if n.kwargs is not None:
                out["$kwargs"] = self.value(n.kwargs)
            if n.dictitems is not None:
                out["$dictitems"] = self.dict_body(n.dictitems.pairs)
            return out
        raise AssertionError(n.kind)

    def dict_body(self, pairs):
        if all(isinstance(k, str) and not k.startswith("$") for k, _ in pairs):
            return {k: self.value(v) for k, v in pairs}
        return {"$dict": [[self.value(k), self.value(v)] for k, v in pairs]}


def has_set(obj, seen=None):
    """Whether the loaded value holds a set/frozenset (-> "unordered")."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return False
    seen.add(id(obj))
    if isinstance(obj, (set, frozenset)):
        return True
    if isinstance(obj, (list, tuple)):
        return any(has_set(x, seen) for x in obj)
    if isinstance(obj, dict):
        return any(has_set(k, seen) or has_set(v, seen) for k, v in obj.items())
    return False


# ---------------------------------------------------------------------------
# Case collection

CASES = []
NAMES = set()
NAME_RE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*$")
ACCEPT_NOTE = "pickle.loads accepts"


def add(case):
    name = case["name"]
    assert NAME_RE.match(name), name
    assert name not in NAMES, f"duplicate case name {name}"
    NAMES.add(name)
    CASES.append(case)


def ok(name, about, data, *, loads_kw=None, expect=None, check=None, unordered=None, opcodes=None):
    """A successful case. `expect` defaults to encoding pickle.loads(data);
    when given (the C++ value differs from Python's object), `check` must
    confirm what Python made of the bytes. `opcodes` only for streams
    pickletools cannot parse (a non-ASCII Python 2 STRING)."""
    loaded = pickle.loads(data, **(loads_kw or {}))
    if opcodes is not None:
        assert opcode_names(data) != opcodes, f"{name}: pickletools parses it, drop opcodes="
        assert not {"GLOBAL", "INST", "STACK_GLOBAL"} & set(opcodes), f"{name}: globals need genops"
    if expect is None:
        expect = Encoder({} if opcodes is not None else written_globals(data)).encode(loaded)
    else:
        assert check is not None and check(loaded), f"{name}: Python's value disagrees: {loaded!r}"
    case = {"name": name, "about": about, "pickle_hex": data.hex(),
            "opcodes": opcodes if opcodes is not None else opcode_names(data), "expect": expect}
    if unordered is None:
        unordered = has_set(loaded)
    if unordered:
        case["unordered"] = True
    add(case)


def err(name, about, data, category, offset, *, python="fails", loads=None):
    """A failing case. `python` says what Python does with the bytes:
    "fails" (pickle.loads raises), "accepts" (pickle.loads returns a value
    although depickle refuses on purpose; `about` must say so), or "nocheck"
    (never loaded: only disassembled)."""
    assert category in CATEGORIES
    assert 0 <= offset <= len(data), (name, offset, len(data))
    loads = loads or pickle.loads
    if python == "fails":
        try:
            value = loads(data)
        except Exception:  # noqa: BLE001 - any failure will do
            pass
        else:
            raise AssertionError(f"{name}: Python accepted it: {value!r}")
    elif python == "accepts":
        loads(data)
        assert ACCEPT_NOTE in about, f"{name}: about must note that {ACCEPT_NOTE}"
    elif python == "nocheck":
        pickletools.dis(data, out=io.StringIO())
    else:
        raise AssertionError(python)
    add({"name": name, "about": about, "pickle_hex": data.hex(), "opcodes": opcode_names(data),
         "error": {"category": category, "offset": offset}})


# ---------------------------------------------------------------------------
# 1. pickle.dumps at every protocol

INTS = [0, 1, 255, 256, 65535, 65536, -1, -255, -256, -65536, 100000, 2**31 - 1, -(2**31),
        2**31, -(2**31) - 1, 2**53, -(2**53), 2**53 + 1, -(2**53) - 1, 2**63 - 1, 2**63,
        -(2**63), -(2**63) - 1, 2**64, 2**100, -(2**100)]
INT_300_BYTES = 7 * 256**299 + 123456789  # 300 bytes: LONG4 at protocol 2+
FLOATS = [0.0, 0.1, -0.0, 1.0, -2.5, 1e300, -1e-300, 5e-324, float("inf"), float("-inf"),
          float("nan")]
STRINGS = ["", "abc", "é€😀", "a\\b\nc\r\x00\x1a\t\"'", "x" * 300, "y" * 255, "z" * 256]
BYTES = [b"", b"abc", b"\x00\xff\n\\", bytes(range(256)) + b"\x80" * 44]
BYTEARRAYS = [bytearray(), bytearray(b"ab\x00\xff")]


def per_protocol_values():
    shared = [1]
    shared_bytes = b"xy"
    pair = (1, 2)
    self_list = [1]
    self_list.append(self_list)
    self_dict = {"a": 1}
    self_dict["self"] = self_dict
    rec_tuple = ([],)
    rec_tuple[0].append(rec_tuple)
    dd = collections.defaultdict(list)
    dd["a"].append(1)
    dd["b"]
    return [
        ("scalars", "None, True, False and ints: small, 1/2/4-byte boundaries, 2^31, the 2^53 "
         "boundary, 2^63, -2^63-1, 2^64, +-2^100", [None, True, False] + INTS),
        ("int_300_bytes", "an int of 300 bytes (LONG4 at protocol 2+, LONG text below)", INT_300_BYTES),
        ("floats", "floats: 0.1, -0.0, 1e300, subnormal, +-inf, nan", FLOATS),
        ("strings", "str: empty, ASCII, non-ASCII, escapes/control chars, 300 chars, 255/256 chars",
         STRINGS),
        ("lone_surrogate", "a lone surrogate '\\ud800' (pickle writes it with surrogatepass)",
         "\ud800"),
        ("bytes_bytearray", "bytes: empty (bytes() below protocol 3), short, with escapes, 300 bytes; "
         "bytearray: empty and short (BYTEARRAY8 at protocol 5)", BYTES + BYTEARRAYS),
        ("containers", "tuples of size 0-4; nested lists and dicts: str keys, int keys, a '$' key, "
         "a tuple key, empties",
         {"tuples": [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)], "list": [1, [2, [3, []]]],
          "str_keys": {"a": 1, "b": None}, "int_keys": {1: "one", -2: "two"},
          "dollar_key": {"$ref": 0, "x": 1}, "tuple_key": {(5, 6): "pair"}, "empty_dict": {},
          "empty_list": [], "nested": {"t": (7, [8, {"u": (9,)}])}}),
        ("sets", "set, frozenset, empty ones, nested frozenset, a set of str",
         {"set": {1, 2, 3}, "frozenset": frozenset({4, 5}), "empty_set": set(),
          "empty_frozenset": frozenset(), "nested": frozenset({frozenset({6})}),
          "strs": {"a", "b", "c"}}),
        ("shared_and_cycles", "shared list, bytes and tuple (dict key and value), self-referencing "
         "list and dict: $id/$ref",
         [shared, shared, shared_bytes, shared_bytes, {pair: pair}, self_list, self_dict]),
        ("recursive_tuple", "a tuple inside a list inside itself: POP / POP_MARK then GET of the "
         "memoized tuple", rec_tuple),
        ("objects", "OrderedDict (a plain dict), defaultdict(list) ($dictitems), slice(1, 5, 2), "
         "complex(1, 2), object(), and the classes list, set, OrderedDict as values ($global)",
         [collections.OrderedDict([("b", 1), ("a", 2)]), dd, slice(1, 5, 2), complex(1, 2), object(),
          list, set, collections.OrderedDict]),
    ]


def protocol_cases():
    for proto in range(6):
        for key, about, value in per_protocol_values():
            data = pickle.dumps(value, protocol=proto)
            ok(f"p{proto}_{key}", f"pickle.dumps(protocol={proto}): {about}", data)


# ---------------------------------------------------------------------------
# 2. Further Python-made pickles


def more_python_cases():
    for proto in (0, 2, 4):
        data = pickle.dumps(StandardScaler(), protocol=proto)
        via = "copy_reg._reconstructor(cls, object, None) + BUILD" if proto < 2 else "NEWOBJ + BUILD"
        ok(f"p{proto}_sklearn_estimator", f"pickle.dumps(StandardScaler(), protocol={proto}): {via}", data)

    data = pickle.dumps(np.array([1.0, 2.0]), protocol=2)
    ok("p2_numpy_array", "numpy float64 array at protocol 2 (_reconstruct, _codecs.encode data)", data)
    data = pickle.dumps(np.array([1.0, 2.0]), protocol=5)
    ok("p5_numpy_array", "numpy float64 array at protocol 5 (in-band _frombuffer of a BYTEARRAY8)", data)
    data = pickle.dumps([np.int64(3), np.float64(2.5), np.dtype("f8")], protocol=4)
    ok("p4_numpy_scalars_dtype", "numpy int64 and float64 scalars and a dtype (shared via the memo)", data)

    many = [[] for _ in range(300)]
    many.append(many[-1])
    ok("p2_long_memo", "300 memoized lists, the last referenced twice: LONG_BINPUT, LONG_BINGET",
       pickle.dumps(many, protocol=2))
    ok("p4_long_memo", "300 MEMOIZEd lists, the last referenced twice: LONG_BINGET",
       pickle.dumps(many, protocol=4))
    ok("p2_appends_batches", "a list of 1001 items: APPENDS in batches of 1000, then APPEND",
       pickle.dumps(list(range(1001)), protocol=2))
    ok("p2_setitems_batches", "a dict of 1001 items: SETITEMS in batches of 1000, then SETITEM",
       pickle.dumps({f"k{i}": i for i in range(1001)}, protocol=2))
    ok("p4_additems_batches", "a set of 1001 ints: ADDITEMS in batches of 1000",
       pickle.dumps(set(range(1001)), protocol=4))


# ---------------------------------------------------------------------------
# 3. Hand-written pickles (opcodes and spellings Python 3 does not emit)


def hand_cases():
    ok("p0_int_bool_true", "INT 'I01' is True (protocol 0/1 spelling)", b"I01\n.")
    ok("p0_int_bool_false", "INT 'I00' is False (protocol 0/1 spelling)", b"I00\n.")
    ok("p0_int_text_big", "INT text beyond int64 (Python 2 wrote INT for ints, LONG for longs)",
       b"I-9223372036854775809\n.")
    ok("p0_long_text_py2", "LONG text with the Python 2 'L' suffix, a leading '+', -0 and a big value",
       b"(L+12L\nL-0L\nL123456789012345678901234567890L\nl.")
    ok("p0_string_escapes", "Python 2 STRING with \\n, \\x00 and \\' escapes", b"S'a\\nb\\x00\\''\n.")
    ok("p0_string_double_quoted", "Python 2 STRING in double quotes with \\t and \\\\",
       b'S"it\'s\\t\\\\"\n.')
    ok("p0_string_latin1", "Python 2 STRING with a non-ASCII \\xe9 escape: decoded as latin-1 "
       "(Python needs encoding='latin1'; pickletools cannot parse it)", b"S'caf\\xe9'\n.",
       loads_kw={"encoding": "latin1"}, opcodes=["STRING", "STOP"])
    ok("p1_binstring", "Python 2 BINSTRING (4-byte length)", b"T\x03\x00\x00\x00abc.")
    ok("p1_short_binstring_latin1", "Python 2 SHORT_BINSTRING with a raw 0xE9 byte: latin-1 text "
       "(Python needs encoding='latin1')", b"U\x03ab\xe9.", loads_kw={"encoding": "latin1"})
    # What Python 2.7 writes for {'a': [1, 2.5, u'\xe9'], 'b': (True, None)} at protocol 2.
    py2 = (b"\x80\x02}q\x00(U\x01aq\x01]q\x02(K\x01" + binfloat(2.5)
           + b"X\x02\x00\x00\x00\xc3\xa9q\x03eU\x01bq\x04\x88N\x86q\x05u.")
    ok("p2_python2_dict", "a Python 2.7 protocol 2 pickle: SHORT_BINSTRING keys, BINUNICODE, "
       "NEWTRUE, TUPLE2, SETITEMS", py2)
    ok("p0_unicode_raw_escape", "UNICODE with raw-unicode-escape: \\u00e9, \\u20ac, \\U0001f600, "
       "a raw latin-1 byte and an escaped backslash", b"V\\u00e9\\u20ac\\U0001f600\xe9\\u005c\n.")
    ok("p0_float_text", "FLOAT text: decimal, exponent, -0.0, inf and nan spellings",
       b"(F1.5\nF-2e-3\nF1e+300\nF-0.0\nFinf\nF-inf\nFnan\nl.")
    ok("p0_pop", "POP of a value (MARK 1 2 POP LIST -> [1])", b"(I1\nI2\n0l.")
    ok("p0_pop_mark_itself", "POP right after MARK discards the MARK (as Python does)", b"I7\n(0.")
    ok("p0_pop_mark_opcode", "POP_MARK discards everything since the MARK", b"I7\n(I8\nI9\n1.")
    ok("p2_dup", "DUP: the same list twice in a TUPLE2 ($id/$ref)", b"\x80\x02]2\x86.")
    ok("p0_inst_py2_slice", "INST '__builtin__ slice' with MARKed arguments (Python 2 name)",
       b"(I1\nI5\nI2\ni__builtin__\nslice\n.")
    ok("p1_inst_slice", "INST 'builtins slice' with BININT1 arguments", b"(K\x01K\x05K\x02ibuiltins\nslice\n.")
    ok("p0_obj_py2_slice", "OBJ with the class GLOBAL '__builtin__ slice' above the MARK",
       b"(c__builtin__\nslice\nI1\nI5\nI2\no.")
    ok("p1_obj_complex", "OBJ builtins.complex with BINFLOAT arguments",
       b"(cbuiltins\ncomplex\n" + binfloat(1.0) + binfloat(2.0) + b"o.")
    ok("p0_copy_reg_reconstructor", "copy_reg._reconstructor(__builtin__.object, __builtin__.object, None)",
       b"ccopy_reg\n_reconstructor\n(c__builtin__\nobject\nc__builtin__\nobject\nNtR.")
    ok("p0_global_py2_set_call", "GLOBAL '__builtin__ set' called with a list (Python 2 spelling)",
       b"c__builtin__\nset\n((lI1\naI2\natR.")
    ok("p2_bytes_builtin_call", "builtins.bytes called with one bytes argument",
       b"\x80\x03cbuiltins\nbytes\nC\x02ab\x85R.")

    body = (b"\x8c\x08builtins\x94\x8c\x07complex\x94\x93\x94)}\x94(\x8c\x04real\x94"
            + binfloat(1.0) + b"\x8c\x04imag\x94" + binfloat(2.0) + b"u\x92\x94.")
    ok("p4_newobj_ex_kwargs", "NEWOBJ_EX complex((), {'real': 1.0, 'imag': 2.0}): $kwargs "
       "(Python builds (1+2j); depickle records the call)", b"\x80\x04" + frame(body),
       expect={"$class": "builtins.complex", "$args": [], "$state": None,
               "$kwargs": {"real": 1.0, "imag": 2.0}},
       check=lambda v: v == complex(1, 2))
    body = b"\x8c\x08builtins\x94\x8c\x05slice\x94\x93\x94K\x01K\x05K\x02\x87\x94}\x94\x92\x94."
    ok("p4_newobj_ex_empty_kwargs", "NEWOBJ_EX slice((1, 5, 2), {}): empty kwargs are not written",
       b"\x80\x04" + frame(body))
    ok("p4_binunicode8", "BINUNICODE8 (8-byte length) with non-ASCII text",
       b"\x80\x04\x8d" + u64(5) + "é€".encode() + b".")
    ok("p4_binbytes8", "BINBYTES8 (8-byte length)", b"\x80\x04\x8e" + u64(3) + b"a\x00b.")
    ok("p5_bytearray8_empty", "BYTEARRAY8 of length 0", b"\x80\x05\x96" + u64(0) + b".")

    # A proper pickle re-framed into two frames at an opcode boundary.
    inner = pickle.dumps({"a": [1, 2, 3], "b": "text"}, protocol=4)
    assert inner[2:3] == b"\x95"
    body = inner[11:]
    cut = offset_of(inner, "SHORT_BINUNICODE", 1) - 11
    ok("p4_two_frames", "the same pickle split into two FRAMEs at an opcode boundary",
       b"\x80\x04" + frame(body[:cut]) + frame(body[cut:]))
    ok("p4_unframed_between_frames", "an opcode outside any frame between two frames (as Python "
       "writes large bytes)", b"\x80\x04" + frame(b"]\x94(K\x01") + b"B" + u32(3) + b"abc\x94"
       + frame(b"K\x02e."))
    ok("p4_frame_empty", "a FRAME of length 0 (no frame), then unframed opcodes",
       b"\x80\x04" + frame(b"") + b"K\x05.")


# ---------------------------------------------------------------------------
# 4. Errors


class PersistentPickler(pickle.Pickler):
    MARKER = object()

    def persistent_id(self, obj):
        return "ref-1" if obj is self.MARKER else None


def persistent_dumps(proto):
    buf = io.BytesIO()
    PersistentPickler(buf, protocol=proto).dump([1, PersistentPickler.MARKER])
    return buf.getvalue()


def extension_dumps(code):
    copyreg.add_extension("collections", "OrderedDict", code)
    try:
        data = pickle.dumps(collections.OrderedDict, protocol=2)
        assert pickle.loads(data) is collections.OrderedDict  # Python resolves it via the registry
    finally:
        copyreg.remove_extension("collections", "OrderedDict", code)
    return data


def error_cases():
    # -- refused: allow-list
    data = b"cos\nsystem\n(S'echo depickle'\ntR."
    err("refused_global_os_system_p0", "GLOBAL 'os system' (the classic payload; never loaded here)",
        data, "refused", 0, python="nocheck")
    body = (b"\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\techo pwnd\x94\x85\x94R\x94.")
    data = b"\x80\x04" + frame(body)
    err("refused_stack_global_posix_system_p4", "STACK_GLOBAL 'posix' 'system' (never loaded here)",
        data, "refused", offset_of(data, "STACK_GLOBAL"), python="nocheck")
    data = b"(S'echo depickle'\nios\nsystem\n."
    err("refused_inst_os_system_p0", "INST 'os system' (never loaded here)", data, "refused",
        offset_of(data, "INST"), python="nocheck")
    data = b"\x80\x02cbuiltins\neval\n."
    err("refused_builtins_eval", "GLOBAL 'builtins eval' (a reference only; pickle.loads accepts it "
        "and returns the function)", data, "refused", 2, python="accepts")
    data = b"\x80\x02c__builtin__\neval\n."
    err("refused_builtins_eval_py2_name", "GLOBAL '__builtin__ eval': the Python 2 name is refused too "
        "(pickle.loads accepts it and returns the function)", data, "refused", 2, python="accepts")
    data = b"\x80\x04" + frame(b"\x8c\x08builtins\x94\x8c\x07getattr\x94\x93\x94.")
    err("refused_builtins_getattr", "STACK_GLOBAL 'builtins' 'getattr' (pickle.loads accepts it "
        "and returns the function)", data, "refused", offset_of(data, "STACK_GLOBAL"),
        python="accepts")
    data = b"\x80\x04" + frame(b"\x8c\x05numpy\x94\x8c\x1ccore.multiarray._reconstruct\x94\x93\x94.")
    err("refused_dotted_name_stack_global", "STACK_GLOBAL 'numpy' 'core.multiarray._reconstruct': "
        "exact pairs only, no attribute walking (pickle.loads accepts it at protocol 4 and returns "
        "the function)", data, "refused", offset_of(data, "STACK_GLOBAL"), python="accepts")
    data = b"\x80\x02cnumpy\ncore.multiarray._reconstruct\n."
    err("refused_dotted_name_global_p2", "GLOBAL 'numpy core.multiarray._reconstruct' at protocol 2",
        data, "refused", 2)
    data = b"\x80\x04" + frame(b"\x8c\x0anumpy.core\x94\x8c\x0amultiarray\x94\x93\x94.")
    err("refused_module_as_global", "STACK_GLOBAL 'numpy.core' 'multiarray' names a module, not an "
        "allowed pair (pickle.loads accepts it and returns the module)", data, "refused",
        offset_of(data, "STACK_GLOBAL"), python="accepts")
    # -- refused: calls of things that are not classes
    data = b"\x80\x02X\x01\x00\x00\x00a)R."
    err("refused_reduce_on_str", "REDUCE with a str as the callable (calling a non-class)", data,
        "refused", offset_of(data, "REDUCE"))
    data = b"\x80\x02K\x01)\x81."
    err("refused_newobj_on_int", "NEWOBJ with an int as the class", data, "refused",
        offset_of(data, "NEWOBJ"))
    data = b"\x80\x02cnumpy\nadd\nK\x01K\x02\x86R."
    err("refused_call_of_value_only_function", "REDUCE of numpy.add, allow-listed as a value only "
        "(pickle.loads accepts it and calls the ufunc)", data, "refused", offset_of(data, "REDUCE"),
        python="accepts")
    data = b"\x80\x02cbuiltins\nlist\n}X\x01\x00\x00\x00xK\x01sb."
    err("refused_build_on_class", "BUILD setting attributes of the class builtins.list", data,
        "refused", offset_of(data, "BUILD"))
    # -- refused: opcodes that load data from outside the pickle
    data = persistent_dumps(0)
    err("refused_persid_p0", "PERSID from a Pickler with persistent_id (protocol 0)", data,
        "refused", offset_of(data, "PERSID"))
    data = persistent_dumps(2)
    err("refused_binpersid_p2", "BINPERSID from a Pickler with persistent_id (protocol 2)", data,
        "refused", offset_of(data, "BINPERSID"))
    for code, op in ((240, "EXT1"), (0x1234, "EXT2"), (0x123456, "EXT4")):
        data = extension_dumps(code)
        err(f"refused_{op.lower()}", f"{op} (copyreg extension code {code:#x} for "
            "collections.OrderedDict); pickle.loads accepts it only while the same code is "
            "registered in the loading process", data, "refused", offset_of(data, op))
    data = pickle.dumps(pickle.PickleBuffer(b"ab"), protocol=5, buffer_callback=[].append)
    assert data == b"\x80\x05\x97\x98."
    err("refused_next_buffer_readonly", "NEXT_BUFFER + READONLY_BUFFER of an out-of-band readonly "
        "buffer (pickle.dumps with buffer_callback)", data, "refused", 2)
    data = pickle.dumps(pickle.PickleBuffer(bytearray(b"ab")), protocol=5, buffer_callback=[].append)
    assert data == b"\x80\x05\x97."
    err("refused_next_buffer_writable", "NEXT_BUFFER of an out-of-band writable buffer", data,
        "refused", 2)
    data = b"\x80\x05C\x02ab\x98."
    err("refused_readonly_buffer_in_band", "READONLY_BUFFER applied to in-band bytes (pickle.loads "
        "accepts it and returns the bytes)", data, "refused", offset_of(data, "READONLY_BUFFER"),
        python="accepts")

    # -- malformed / truncated
    err("malformed_unknown_opcode_ff", "unknown opcode byte 0xFF", b"\x80\x02\xff.", "malformed", 2)
    err("malformed_empty_input", "empty input", b"", "malformed", 0)
    err("malformed_unsupported_protocol", "PROTO 6", b"\x80\x06N.", "malformed", 0)
    err("truncated_missing_stop", "input ends without STOP (offset = input length)",
        b"\x80\x02K\x01", "truncated", 4)
    err("truncated_missing_stop_p0", "protocol 0 input ends without STOP", b"I1\n", "truncated", 3)
    err("truncated_text_line", "input ends inside an INT text argument (no newline)",
        b"\x80\x02I12", "truncated", 2)
    err("truncated_binint_argument", "input ends inside a BININT argument", b"\x80\x02J\x01\x02",
        "truncated", 2)
    err("truncated_binunicode_length", "input ends inside BINUNICODE's 4-byte length",
        b"\x80\x03X\x05\x00", "truncated", 2)
    err("truncated_binunicode_data", "BINUNICODE declares 5 bytes, 2 follow",
        b"\x80\x03X\x05\x00\x00\x00ab", "truncated", 2)
    err("truncated_binbytes_1gib", "BINBYTES declares 1 GiB with 4 bytes left",
        b"\x80\x03B\x00\x00\x00\x40abc.", "truncated", 2)
    err("truncated_long4_huge_count", "LONG4 declares 2^31-1 bytes with 2 bytes left",
        b"\x80\x02\x8b\xff\xff\xff\x7f\x00.", "truncated", 2)
    err("malformed_long4_negative_count", "LONG4 with a negative byte count",
        b"\x80\x02\x8b\xff\xff\xff\xff.", "malformed", 2)
    err("truncated_frame_longer_than_input", "FRAME declares 100 bytes, 2 follow",
        b"\x80\x04\x95" + u64(100) + b"N.", "truncated", 2)
    err("malformed_pop_empty_stack", "POP on an empty stack", b"0.", "malformed", 0)
    err("malformed_append_underflow", "APPEND with only the list on the stack", b")a.", "malformed", 1)
    err("malformed_stop_empty_stack", "STOP with nothing on the stack", b"\x80\x02.", "malformed", 2)
    err("malformed_tuple1_below_mark", "MARK then TUPLE1 with nothing above the mark (an item below it)",
        b"\x80\x02K\x01(\x85.", "malformed", 5)
    err("malformed_pop_mark_without_mark", "POP_MARK with no MARK", b"\x80\x02K\x011.", "malformed", 4)
    err("malformed_dict_odd_items", "DICT with an odd number of items above the MARK",
        b"(K\x01d.", "malformed", 3)
    err("malformed_obj_without_class", "OBJ with nothing above the MARK", b"(o.", "malformed", 1)
    err("malformed_memo_get_empty", "BINGET of an empty memo slot", b"\x80\x02h\x05.", "malformed", 2)
    err("malformed_memo_get_text_empty", "GET of an empty memo slot (protocol 0)",
        b"I1\np0\ng3\n.", "malformed", 6)
    err("malformed_memo_long_binget_empty", "LONG_BINGET of an empty memo slot",
        b"\x80\x02Nq\x00j\x01\x00\x00\x00.", "malformed", 5)
    err("malformed_append_to_dict", "APPEND to a dict", b"\x80\x02}K\x01a.", "malformed", 5)
    err("malformed_setitem_on_list", "SETITEM on a list", b"\x80\x02]K\x01K\x02s.", "malformed", 7)
    err("malformed_additems_to_list", "ADDITEMS to a list", b"\x80\x04](K\x01\x90.", "malformed", 6)
    err("malformed_build_on_int", "BUILD on an int", b"\x80\x02K\x01}b.", "malformed", 5)
    err("malformed_invalid_utf8_binunicode", "BINUNICODE holding invalid UTF-8 (0xFF 0xFE)",
        b"\x80\x03X\x02\x00\x00\x00\xff\xfe.", "malformed", 2)
    err("malformed_invalid_utf8_short_binunicode", "SHORT_BINUNICODE holding a lone continuation byte",
        b"\x80\x04\x8c\x01\x80.", "malformed", 2)
    data = b"\x80\x04C\x08builtins\x8c\x03set\x93."
    err("malformed_stack_global_bytes_operand", "STACK_GLOBAL with a bytes module operand", data,
        "malformed", offset_of(data, "STACK_GLOBAL"))
    data = pickle.dumps(1, protocol=4) + b"X"
    err("malformed_trailing_byte", "one byte after STOP (pickle.loads accepts it and ignores the "
        "rest; depickle refuses data hidden after the pickle)", data, "malformed",
        len(pickle.dumps(1, protocol=4)), python="accepts")
    first = pickle.dumps([1], protocol=2)
    data = first + pickle.dumps("second", protocol=2)
    err("malformed_trailing_second_pickle", "a second pickle after STOP (pickle.loads accepts it "
        "and returns the first)", data, "malformed", len(first), python="accepts")
    # FRAME of 3 bytes holding '\x8c\x05h' of SHORT_BINUNICODE 'hello'.
    data = b"\x80\x04\x95" + u64(3) + b"\x8c\x05hello\x94."
    err("malformed_frame_straddle", "an opcode argument crossing the end of its FRAME (pickle.loads "
        "accepts it: the C unpickler does not check frame ends; pickle._loads raises)", data,
        "malformed", 11, python="accepts")
    assert_fails(pickle._loads, data)
    data = b"\x80\x04\x95" + u64(12) + b"\x95" + u64(3) + b"K\x01."
    err("malformed_frame_inside_frame", "a FRAME starting before the current frame ends "
        "(pickle.loads accepts it; pickle._loads raises)", data, "malformed", 11, python="accepts")
    assert_fails(pickle._loads, data)
    data = b"\x80\x04\x95" + u64(2) + b"I1\n."
    err("malformed_text_line_crosses_frame", "an INT text argument whose newline lies beyond its "
        "FRAME (pickle.loads accepts it; pickle._loads raises)", data, "malformed", 11,
        python="accepts")
    assert_fails(pickle._loads, data)

    # -- limits (defaults: max_int_bytes 4096, max_memo 2^24)
    data = pickle.dumps(1 << 40000, protocol=2)
    err("limit_long4_over_max_int_bytes", "a 5001-byte int from pickle.dumps(1 << 40000): beyond "
        "the default max_int_bytes of 4096 (pickle.loads accepts it)", data, "limit",
        offset_of(data, "LONG4"), python="accepts")
    data = b"L" + b"9" * 5000 + b"L\n."
    err("limit_long_text_over_max_int_bytes", "LONG text of 5000 digits: beyond max_int_bytes "
        "(Python 3.11 fails too, on its 4300-digit str->int limit)", data, "limit", 0)
    data = b"\x80\x02Nr" + u32(1 << 24) + b"."
    err("limit_memo_index", "LONG_BINPUT at index 2^24, beyond the default max_memo "
        "(pickle.loads accepts it; checked with pickle._loads, whose memo is a dict, as the C "
        "unpickler would allocate a 2^25-entry memo array)",
        data, "limit", 3, python="accepts", loads=pickle._loads)


def assert_fails(loads, data):
    try:
        loads(data)
    except Exception:  # noqa: BLE001
        return
    raise AssertionError(f"{loads.__name__} accepted {data!r}")


# ---------------------------------------------------------------------------


def check_coverage():
    all_ops = {op.name for op in pickletools.opcodes}
    assert len(all_ops) == 68, len(all_ops)
    ok_ops = set()
    refused_ops = set()
    for c in CASES:
        if "expect" in c:
            ok_ops.update(c["opcodes"])
        elif c["error"]["category"] == "refused":
            refused_ops.update(c["opcodes"])
    missing_ok = sorted(all_ops - REFUSED_OPCODES - ok_ops)
    missing_refused = sorted(REFUSED_OPCODES - refused_ops)
    leaked = sorted(ok_ops & REFUSED_OPCODES)
    problems = []
    if missing_ok:
        problems.append(f"opcodes without a successful case: {missing_ok}")
    if missing_refused:
        problems.append(f"refused opcodes without a refused case: {missing_refused}")
    if leaked:
        problems.append(f"refused opcodes in successful cases: {leaked}")
    return len(all_ops), sorted(ok_ops), sorted(refused_ops), problems


def render(doc):
    lines = ["{", f'"generated_by": {json.dumps(doc["generated_by"])},',
             f'"python": {json.dumps(doc["python"])},', '"cases": [']
    for i, c in enumerate(doc["cases"]):
        sep = "," if i + 1 < len(doc["cases"]) else ""
        lines.append(json.dumps(c, ensure_ascii=True, allow_nan=False) + sep)
    lines.append("]}")
    return "\n".join(lines) + "\n"


def main():
    if platform.python_version() != EXPECTED_PYTHON:
        print(f"warning: Python {platform.python_version()}, the committed table was made with "
              f"{EXPECTED_PYTHON}", file=sys.stderr)
    if sklearn.__version__ != "1.2.1" or not np.__version__.startswith("1.24"):
        print(f"warning: sklearn {sklearn.__version__} / numpy {np.__version__}; expected 1.2.1 / 1.24",
              file=sys.stderr)
    protocol_cases()
    more_python_cases()
    hand_cases()
    error_cases()
    total, ok_ops, refused_ops, problems = check_coverage()
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    if problems:
        return 1
    doc = {"generated_by": "tests/data/generate_opcode_cases.py (Python pickle + hand-assembled streams)",
           "python": platform.python_version(), "cases": CASES}
    text = render(doc)
    assert json.loads(text)["cases"] == json.loads(json.dumps(CASES))
    n_ok = sum("expect" in c for c in CASES)
    print(f"{len(CASES)} cases ({n_ok} ok, {len(CASES) - n_ok} errors); "
          f"{len(ok_ops)} opcodes in successful cases + {len(set(refused_ops) & REFUSED_OPCODES)} refused "
          f"of {total}: coverage complete", file=sys.stderr)
    if "--check" in sys.argv[1:]:
        with open(OUT, encoding="ascii") as f:
            same = f.read() == text
        print("identical" if same else f"{OUT} differs", file=sys.stderr)
        return 0 if same else 1
    with open(OUT, "w", encoding="ascii") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
