#!/usr/bin/python3
"""Generate the hostile-input corpus for depickle.

Usage:  /usr/bin/python3 tests/hostile/generate.py --out DIR --canary-dir CDIR
                                                   [--only NAME ...] [--verify-bombs]

Writes crafted pickle / joblib files into DIR plus DIR/MANIFEST.tsv with the
columns

    file  technique  expect_scan  expect_convert  note

expect_scan is one of safe / unsafe / unknown / invalid (the verdict of
`depickle scan`). expect_convert is the set of acceptable exit codes of
`depickle convert`, either one set for every output format ("1", "3|5") or
one set per format ("json=0;onnx=3;h5=0"). With a single set, the test adds
4 for ONNX wherever 0 is accepted (a safe graph with no estimator at its root
has no ONNX converter).

Every payload that would run code if Python unpickled it creates the file
CDIR/<file>.ran (a `touch`, an `open(..., "w")` or a venv directory), so a
test can prove that nothing ran. The note of such rows starts with "runs:".

NOTHING HERE IS EVER UNPICKLED. The payloads are produced by pickling crafted
objects (`pickle.dumps` of an object whose __reduce__ names os.system - that
only writes bytes) or by assembling opcodes by hand. Real fixtures from
fixtures/models/ are read with pickletools' argument readers and an inert
symbolic stack (see `Walker`): no import, no call.

The output is a function of the arguments only (no clock, fixed random
seeds). Run it with Debian's /usr/bin/python3 (numpy, scikit-learn, joblib,
lz4 and zstandard are needed for a few files).
"""

import argparse
import bz2
import gzip
import io
import json
import lzma
import marshal
import os
import pickle
import pickletools
import random
import shlex
import struct
import sys
import zlib
from pickle import (ADDITEMS, APPEND, APPENDS, BINBYTES, BINBYTES8, BINFLOAT, BINGET, BININT,
                    BININT1, BINPERSID, BINPUT, BINSTRING, BINUNICODE, BINUNICODE8, BUILD,
                    BYTEARRAY8, DICT, DUP, EMPTY_DICT, EMPTY_LIST, EMPTY_SET, EMPTY_TUPLE, EXT1,
                    EXT2, EXT4, FLOAT, FRAME, GLOBAL, INST, INT, LIST, LONG4, LONG_BINGET,
                    LONG_BINPUT, MARK, MEMOIZE, NEWFALSE, NEWOBJ, NEWOBJ_EX, NEWTRUE, NEXT_BUFFER, NONE,
                    OBJ, PERSID, POP, POP_MARK, PROTO, PUT, READONLY_BUFFER, REDUCE,
                    SETITEM, SETITEMS, SHORT_BINBYTES, SHORT_BINSTRING, SHORT_BINUNICODE,
                    STACK_GLOBAL, STOP, STRING, TUPLE, TUPLE1, TUPLE2, UNICODE)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(ROOT, "fixtures", "models")

GiB = 1 << 30
MiB = 1 << 20

# ===========================================================================
# A tiny pickle assembler. Values: None, bool, int, str, bytes, tuple, list,
# dict, or Raw (already assembled opcodes that push exactly one value).
# ===========================================================================


class Raw(bytes):
    """Assembled opcodes that leave one value on the stack."""


def enc(v, proto):
    if isinstance(v, Raw):
        return bytes(v)
    if v is None:
        return NONE
    if v is True or v is False:
        if proto >= 2:
            return NEWTRUE if v else NEWFALSE
        return INT + (b"01" if v else b"00") + b"\n"
    if isinstance(v, int):
        if proto >= 1 and -2**31 <= v < 2**31:
            if 0 <= v < 256:
                return BININT1 + bytes([v])
            return BININT + struct.pack("<i", v)
        return INT + str(v).encode() + b"\n"
    if isinstance(v, float):
        if proto >= 1:
            return BINFLOAT + struct.pack(">d", v)
        return FLOAT + repr(v).encode() + b"\n"
    if isinstance(v, str):
        b = v.encode("utf-8")
        if proto >= 4 and len(b) < 256:
            return SHORT_BINUNICODE + bytes([len(b)]) + b
        if proto >= 1:
            return BINUNICODE + struct.pack("<I", len(b)) + b
        assert "\n" not in v and "\\" not in v, v
        return UNICODE + v.encode("raw_unicode_escape") + b"\n"
    if isinstance(v, (bytes, bytearray)):
        assert proto >= 3, "bytes need protocol 3"
        if len(v) < 256:
            return SHORT_BINBYTES + bytes([len(v)]) + bytes(v)
        return BINBYTES + struct.pack("<I", len(v)) + bytes(v)
    if isinstance(v, tuple):
        return MARK + b"".join(enc(x, proto) for x in v) + TUPLE
    if isinstance(v, list):
        return MARK + b"".join(enc(x, proto) for x in v) + LIST
    if isinstance(v, dict):
        return MARK + b"".join(enc(k, proto) + enc(x, proto) for k, x in v.items()) + DICT
    raise TypeError(type(v))


def text_global(module, name):
    """GLOBAL with text arguments (every protocol)."""
    for part in (module, name):
        assert "\n" not in part
    return Raw(GLOBAL + module.encode("utf-8") + b"\n" + name.encode("utf-8") + b"\n")


def glob(module, name, proto):
    """The way pickle itself spells a global at this protocol."""
    if proto >= 4:
        return Raw(enc(module, proto) + enc(name, proto) + STACK_GLOBAL)
    return text_global(module, name)


def call(fn, *args, proto):
    """fn(*args) with REDUCE; fn is a Raw."""
    return Raw(bytes(fn) + enc(tuple(args), proto) + REDUCE)


def prog(body, proto):
    """A whole pickle: PROTO (protocol >= 2), the body, STOP."""
    head = PROTO + bytes([proto]) if proto >= 2 else b""
    return head + bytes(body) + STOP


def short_unicode(b):
    return SHORT_BINUNICODE + bytes([len(b)]) + b


def binunicode_raw(b):
    return BINUNICODE + struct.pack("<I", len(b)) + b


def frame(n):
    return FRAME + struct.pack("<Q", n)


class Evil:
    """Pickling this writes `posix.system(cmd)` (os.system's __module__ is posix).
    Only ever pickled, never unpickled."""

    def __init__(self, cmd):
        self.cmd = cmd

    def __reduce__(self):
        return (os.system, (self.cmd,))


# ===========================================================================
# An inert reader for trusted fixtures: pickletools' argument readers plus a
# symbolic stack. Globals stay (module, name) pairs; calls stay records.
# Knows joblib's inline arrays (raw bytes after the wrapper's BUILD).
# ===========================================================================


class G:
    def __init__(self, module, name):
        self.module, self.name = module, name


class Obj:
    def __init__(self, fn, args):
        self.fn, self.args, self.state = fn, args, None

    def is_(self, module, name):
        return isinstance(self.fn, G) and (self.fn.module, self.fn.name) == (module, name)


class PBytes(bytes):
    """bytes that remember where their data sits in the file."""
    pos = 0


def _dtype_itemsize(dt):
    import numpy as np  # only np.dtype('<f8')-style parsing of a string
    assert isinstance(dt, Obj) and dt.is_("numpy", "dtype"), "unexpected dtype"
    return np.dtype(dt.args[0]).itemsize


class Walker:
    def __init__(self, data):
        self.data = data
        self.joblib_arrays = []   # (build_offset, data_start, data_end)
        self.ndarrays = []        # (Obj ndarray, state tuple)
        self.ops = []             # (name, pos, end)

    def run(self):
        f = io.BytesIO(self.data)
        stack, marks, memo = [], [], {}

        def pop_mark():
            nonlocal stack
            items = stack[marks[-1]:]
            del stack[marks.pop():]
            return items

        while True:
            pos = f.tell()
            code = f.read(1)
            if not code:
                raise ValueError("no STOP")
            op = pickletools.code2op[code.decode("latin-1")]
            arg = op.arg.reader(f) if op.arg is not None else None
            self.ops.append((op.name, pos, f.tell()))
            n = op.name
            if n in ("PROTO", "FRAME"):
                pass
            elif n == "STOP":
                return stack.pop()
            elif n in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING",
                       "BINSTRING", "SHORT_BINSTRING", "BININT", "BININT1", "BININT2",
                       "LONG1", "LONG4", "INT", "LONG", "BINFLOAT", "FLOAT"):
                stack.append(arg)
            elif n in ("SHORT_BINBYTES", "BINBYTES", "BINBYTES8", "BYTEARRAY8"):
                b = PBytes(arg)
                b.pos = f.tell() - len(arg)
                stack.append(b)
            elif n == "NONE":
                stack.append(None)
            elif n == "NEWTRUE":
                stack.append(True)
            elif n == "NEWFALSE":
                stack.append(False)
            elif n == "EMPTY_TUPLE":
                stack.append(())
            elif n == "EMPTY_LIST":
                stack.append([])
            elif n == "EMPTY_DICT":
                stack.append({})
            elif n == "EMPTY_SET":
                stack.append([])
            elif n == "MARK":
                marks.append(len(stack))
            elif n == "TUPLE":
                stack.append(tuple(pop_mark()))
            elif n in ("TUPLE1", "TUPLE2", "TUPLE3"):
                k = int(n[-1])
                items = stack[-k:]
                del stack[-k:]
                stack.append(tuple(items))
            elif n == "LIST":
                stack.append(pop_mark())
            elif n == "DICT":
                items = pop_mark()
                stack.append(dict(zip(items[::2], items[1::2])))
            elif n == "APPEND":
                v = stack.pop()
                stack[-1].append(v)
            elif n in ("APPENDS", "ADDITEMS"):
                items = pop_mark()
                stack[-1].extend(items)
            elif n == "SETITEM":
                v = stack.pop()
                k = stack.pop()
                stack[-1][k] = v
            elif n == "SETITEMS":
                items = pop_mark()
                for k, v in zip(items[::2], items[1::2]):
                    stack[-1][k] = v
            elif n == "FROZENSET":
                stack.append(pop_mark())
            elif n == "POP":
                stack.pop()
            elif n == "POP_MARK":
                pop_mark()
            elif n == "DUP":
                stack.append(stack[-1])
            elif n in ("MEMOIZE",):
                memo[len(memo)] = stack[-1]
            elif n in ("BINPUT", "LONG_BINPUT", "PUT"):
                memo[arg] = stack[-1]
            elif n in ("BINGET", "LONG_BINGET", "GET"):
                stack.append(memo[arg])
            elif n == "GLOBAL":
                module, name = arg.split(" ", 1)
                stack.append(G(module, name))
            elif n == "STACK_GLOBAL":
                name = stack.pop()
                module = stack.pop()
                stack.append(G(module, name))
            elif n in ("REDUCE", "NEWOBJ"):
                args = stack.pop()
                fn = stack.pop()
                stack.append(Obj(fn, args))
            elif n == "BUILD":
                state = stack.pop()
                target = stack[-1]
                if isinstance(target, Obj):
                    target.state = state
                    if target.is_("joblib.numpy_pickle", "NumpyArrayWrapper"):
                        start = f.tell()
                        if state.get("numpy_array_alignment_bytes") is not None:
                            pad = f.read(1)[0]
                            f.read(pad)
                        count = 1
                        for d in state["shape"]:
                            count *= d
                        end = f.tell() + count * _dtype_itemsize(state["dtype"])
                        self.joblib_arrays.append((pos, start, end))
                        f.seek(end)
                    elif target.is_("numpy.core.multiarray", "_reconstruct"):
                        self.ndarrays.append((target, state))
            else:
                raise ValueError("walker: unhandled opcode %s at %d" % (n, pos))


def unframe(data):
    """The same pickle without FRAME opcodes (framing is optional)."""
    out = []
    ops = list(pickletools.genops(data))
    for i, (op, _arg, pos) in enumerate(ops):
        end = ops[i + 1][2] if i + 1 < len(ops) else pos + 1
        if op.name != "FRAME":
            out.append(data[pos:end])
    return b"".join(out)


def payload_ops(pickled):
    """The opcodes of a pickle that push its one value: without PROTO, FRAME,
    memo puts and STOP (so it can be spliced into another pickle without
    shifting that pickle's memo indices)."""
    out = []
    ops = list(pickletools.genops(pickled))
    for i, (op, _arg, pos) in enumerate(ops):
        end = ops[i + 1][2] if i + 1 < len(ops) else pos + 1
        assert "GET" not in op.name, "payload must not use the memo"
        if op.name in ("PROTO", "FRAME", "STOP", "MEMOIZE", "PUT", "BINPUT", "LONG_BINPUT"):
            continue
        out.append(pickled[pos:end])
    return b"".join(out)


def insert_into_state_dict(data, which, key, value_ops):
    """Insert `key: value` as the first item of the which-th `EMPTY_DICT
    [memo put] MARK` (the state dict of an estimator) of an unframed pickle."""
    ops = list(pickletools.genops(data))
    seen = 0
    for i, (op, _arg, _pos) in enumerate(ops):
        if op.name != "EMPTY_DICT":
            continue
        j = i + 1
        if ops[j][0].name in ("MEMOIZE", "BINPUT", "LONG_BINPUT"):
            j += 1
        if ops[j][0].name != "MARK":
            continue
        if seen == which:
            at = ops[j + 1][2]
            return data[:at] + enc(key, 4) + value_ops + data[at:]
        seen += 1
    raise ValueError("no such state dict")


def npy_bytes():
    """A small valid .npy file (float64 [1337.0, 4242.0])."""
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }"
    header += " " * (64 - 10 - len(header) - 1) + "\n"
    return (b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode()
            + struct.pack("<2d", 1337.0, 4242.0))


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


# ===========================================================================
# Decompression bombs, built without ever holding the inflated data.
# Each inflates to PROTO 4, BINBYTES8 <n>, n zero bytes, STOP: a valid pickle
# of about 3 GiB.
# ===========================================================================

BOMB_ZEROS = 3 * GiB
BOMB_HEAD = PROTO + b"\x04" + BINBYTES8 + struct.pack("<Q", BOMB_ZEROS)
BOMB_TAIL = STOP


def _adler32_zeros(adler, n):
    a, b = adler & 0xFFFF, adler >> 16
    b = (b + (n % 65521) * a) % 65521
    return (b << 16) | a


def zlib_bomb(chunk=4 * MiB):
    """One zlib stream: after a full flush, deflate's output for the next
    identical chunk is identical, so it is computed once and repeated."""
    c = zlib.compressobj(9)
    head = c.compress(BOMB_HEAD) + c.flush(zlib.Z_FULL_FLUSH)
    zero = bytes(chunk)
    first = c.compress(zero) + c.flush(zlib.Z_FULL_FLUSH)
    steady = c.compress(zero) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(zero) + c.flush(zlib.Z_FULL_FLUSH)
    assert steady == again, "deflate did not reach a steady state"
    n = BOMB_ZEROS // chunk
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = raw.compress(BOMB_TAIL) + raw.flush()
    adler = zlib.adler32(BOMB_HEAD)
    adler = _adler32_zeros(adler, BOMB_ZEROS)
    adler = zlib.adler32(BOMB_TAIL, adler)
    return b"".join([head, first, steady * (n - 1), tail, struct.pack(">I", adler)])


def lz4_bomb(chunk=4 * MiB):
    import lz4.frame
    c = lz4.frame.LZ4FrameCompressor(block_size=lz4.frame.BLOCKSIZE_MAX4MB,
                                     content_checksum=False, block_linked=False)
    parts = [c.begin(), c.compress(BOMB_HEAD)]
    zero = bytes(chunk)
    for _ in range(BOMB_ZEROS // chunk):
        parts.append(c.compress(zero))
    parts.append(c.compress(BOMB_TAIL))
    parts.append(c.flush())
    return b"".join(parts)


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _read_varint(b, i):
    n = shift = 0
    while True:
        n |= (b[i] & 0x7F) << shift
        shift += 7
        i += 1
        if not b[i - 1] & 0x80:
            return n, i


def _xz_one_block(data):
    """(stream header, the block, unpadded size, uncompressed size, footer flags)."""
    s = lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32, preset=0)
    header, footer = s[:12], s[-12:]
    assert footer[-2:] == b"YZ"
    index_size = (struct.unpack("<I", footer[4:8])[0] + 1) * 4
    index = s[len(s) - 12 - index_size:len(s) - 12]
    assert index[0] == 0
    count, i = _read_varint(index, 1)
    assert count == 1, "expected one block"
    unpadded, i = _read_varint(index, i)
    usize, i = _read_varint(index, i)
    block = s[12:len(s) - 12 - index_size]
    return header, block, unpadded, usize, footer[8:10]


def xz_bomb(chunk=64 * MiB):
    """One .xz stream whose identical LZMA2 blocks are repeated, with an index
    listing every copy."""
    header, hblock, hu, hs, flags = _xz_one_block(BOMB_HEAD)
    _, zblock, zu, zs, _ = _xz_one_block(bytes(chunk))
    _, tblock, tu, ts, _ = _xz_one_block(BOMB_TAIL)
    n = BOMB_ZEROS // chunk
    records = [(hu, hs)] + [(zu, zs)] * n + [(tu, ts)]
    index = bytearray(b"\x00" + _varint(len(records)))
    for u, s in records:
        index += _varint(u) + _varint(s)
    while len(index) % 4:
        index += b"\x00"
    index += struct.pack("<I", zlib.crc32(index))
    backward = struct.pack("<I", len(index) // 4 - 1)
    footer = struct.pack("<I", zlib.crc32(backward + flags)) + backward + flags + b"YZ"
    return b"".join([header, hblock, zblock * n, tblock, bytes(index), footer])


def zstd_bomb(chunk=4 * MiB):
    import zstandard
    c = zstandard.ZstdCompressor(level=3).compressobj()
    parts = [c.compress(BOMB_HEAD)]
    zero = bytes(chunk)
    for _ in range(BOMB_ZEROS // chunk):
        parts.append(c.compress(zero))
    parts.append(c.compress(BOMB_TAIL))
    parts.append(c.flush())
    return b"".join(parts)


def bz2_bomb(chunk=64 * MiB):
    """Concatenated bzip2 streams (read as one file by Python's bz2 and by
    depickle); one stream of zeros is compressed once and repeated."""
    zero = bz2.compress(bytes(chunk), 9)
    return bz2.compress(BOMB_HEAD) + zero * (BOMB_ZEROS // chunk) + bz2.compress(BOMB_TAIL)


def _reader(data, kind):
    """A file-like decompressing reader over `data`."""
    if kind == "bz2":
        return bz2.BZ2File(io.BytesIO(data))
    if kind == "xz":
        return lzma.LZMAFile(io.BytesIO(data))
    if kind == "lz4":
        import lz4.frame
        return lz4.frame.LZ4FrameFile(io.BytesIO(data))
    if kind == "zstd":
        import zstandard
        return zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data))
    raise ValueError(kind)


def verify_bomb(data, kind):
    """Inflate in bounded chunks (never unpickles) and return the size."""
    total = 0
    if kind == "zlib":  # raw zlib has no file reader
        d = zlib.decompressobj()
        total = len(d.decompress(data, 64 * MiB))
        while not d.eof:
            total += len(d.decompress(d.unconsumed_tail, 64 * MiB))
        return total
    stream = _reader(data, kind)
    while True:
        b = stream.read(64 * MiB)
        if not b:
            return total
        total += len(b)


# ===========================================================================
# The corpus
# ===========================================================================


class Corpus:
    def __init__(self, out, cdir, only=None):
        self.out, self.cdir, self.only = out, cdir, only
        self.rows = []
        for p in (out, cdir):
            assert "\n" not in p and "\t" not in p and "'" not in p and '"' not in p, p

    def wanted(self, name):
        return self.only is None or name in self.only

    def canary(self, name):
        return os.path.join(self.cdir, name + ".ran")

    def touch(self, name):
        return "touch " + shlex.quote(self.canary(name))

    def pycreate(self, name):
        return "open(%s, 'w').close()" % json.dumps(self.canary(name))

    def add(self, name, data, technique, scan, convert, note):
        assert scan in ("safe", "unsafe", "unknown", "invalid"), scan
        assert "\t" not in note and "\n" not in note
        if not self.wanted(name):
            return
        if callable(data):
            data = data()
        with open(os.path.join(self.out, name), "wb") as f:
            f.write(data)
        self.rows.append((name, technique, scan, convert, note))

    def write_manifest(self):
        with open(os.path.join(self.out, "MANIFEST.tsv"), "w") as f:
            f.write("file\ttechnique\texpect_scan\texpect_convert\tnote\n")
            for row in self.rows:
                f.write("\t".join(row) + "\n")


def build(c):  # noqa: C901 - one long list of cases, in the order of the README
    T = c.touch
    PY = c.pycreate

    # -- os/posix.system at every protocol -----------------------------------
    for p in range(6):
        n = "posix_system_p%d.pkl" % p
        c.add(n, pickle.dumps(Evil(T(n)), protocol=p), "os_system", "unsafe", "1",
              "runs: pickle.dumps of an object whose __reduce__ is (os.system, (touch,)), protocol %d" % p)
    n = "os_system_p0.pkl"
    c.add(n, prog(call(text_global("os", "system"), T(n), proto=0), 0), "os_system", "unsafe", "1",
          "runs: GLOBAL 'os system' spelled by hand")
    n = "os_system_p4_stack_global.pkl"
    c.add(n, prog(call(glob("os", "system", 4), T(n), proto=4), 4), "os_system", "unsafe", "1",
          "runs: STACK_GLOBAL os.system")
    n = "nt_system_p2.pkl"
    c.add(n, prog(call(glob("nt", "system", 2), T(n), proto=2), 2), "os_system", "unsafe", "1",
          "Windows spelling of os.system (no canary on Linux: nt does not import)")

    # -- INST / OBJ -------------------------------------------------------------
    n = "inst_os_system.pkl"
    c.add(n, MARK + enc(T(n), 0) + INST + b"os\nsystem\n" + STOP, "inst_obj", "unsafe", "1",
          "runs: INST os system (protocol 0 instantiation calls it)")
    n = "obj_posix_system.pkl"
    c.add(n, MARK + text_global("posix", "system") + enc(T(n), 1) + OBJ + STOP, "inst_obj",
          "unsafe", "1", "runs: OBJ with posix.system as the class (protocol 1)")
    n = "inst_subprocess_call.pkl"
    c.add(n, MARK + enc(["touch", c.canary(n)], 0) + INST + b"subprocess\ncall\n" + STOP,
          "inst_obj", "unsafe", "1", "runs: INST subprocess call with an argv list")

    # -- builtins chains ------------------------------------------------------
    n = "builtins_eval.pkl"
    c.add(n, prog(call(glob("builtins", "eval", 2), PY(n), proto=2), 2), "builtins_chain",
          "unsafe", "1", "runs: builtins.eval(source)")
    n = "builtins_exec.pkl"
    c.add(n, prog(call(glob("builtins", "exec", 4), "import os; os.system(%r)" % T(n), proto=4), 4),
          "builtins_chain", "unsafe", "1", "runs: builtins.exec(source)")
    n = "builtin_py2_eval.pkl"
    c.add(n, prog(call(text_global("__builtin__", "eval"), PY(n), proto=0), 0), "builtins_chain",
          "unsafe", "1", "runs: Python 2 spelling __builtin__.eval (renamed to builtins on load)")
    n = "import_getattr_chain.pkl"
    imp = call(glob("builtins", "__import__", 2), "os", proto=2)
    system = call(glob("builtins", "getattr", 2), imp, "system", proto=2)
    c.add(n, prog(call(system, T(n), proto=2), 2), "builtins_chain", "unsafe", "1",
          "runs: getattr(__import__('os'), 'system')(cmd)")
    n = "compile_functiontype.pkl"
    code = call(glob("builtins", "compile", 4), PY(n), "<hostile>", "exec", proto=4)
    fn = call(glob("types", "FunctionType", 4), code, {}, proto=4)
    c.add(n, prog(call(fn, proto=4), 4), "builtins_chain", "unsafe", "1",
          "runs: FunctionType(compile(src), {})()")
    n = "builtins_open.pkl"
    c.add(n, prog(call(glob("builtins", "open", 4), c.canary(n), "w", proto=4), 4),
          "builtins_chain", "unsafe", "1", "runs: builtins.open(path, 'w') creates the file")
    n = "builtins_getattr_dotted.pkl"
    c.add(n, prog(call(call(glob("builtins", "getattr", 4), call(glob("importlib", "import_module", 4),
                                                                  "os", proto=4), "system", proto=4),
                       T(n), proto=4), 4),
          "builtins_chain", "unsafe", "1", "runs: getattr(importlib.import_module('os'), 'system')(cmd)")

    # -- deny-list gaps: other code-running callables -------------------------
    n = "subprocess_call.pkl"
    c.add(n, prog(call(glob("subprocess", "call", 4), ["touch", c.canary(n)], proto=4), 4),
          "deny_list_gap", "unsafe", "1", "runs: subprocess.call(argv)")
    n = "subprocess_check_output_p2.pkl"
    c.add(n, prog(call(glob("subprocess", "check_output", 2), ["touch", c.canary(n)], proto=2), 2),
          "deny_list_gap", "unsafe", "1", "runs: subprocess.check_output(argv)")
    n = "subprocess_popen_newobj.pkl"
    c.add(n, prog(glob("subprocess", "Popen", 4) + enc((["touch", c.canary(n)],), 4) + NEWOBJ
                  + POP + NONE, 4),
          "deny_list_gap", "unsafe", "1",
          "NEWOBJ of subprocess.Popen without BUILD, result dropped (cls.__new__ only: no canary)")
    n = "runpy_run_code.pkl"
    c.add(n, prog(call(glob("runpy", "_run_code", 4), PY(n), {}, proto=4), 4), "deny_list_gap",
          "unsafe", "1", "runs: runpy._run_code(source, {}) execs the source")
    n = "pip_main.pkl"
    c.add(n, prog(call(glob("pip", "main", 4), ["--version"], proto=4), 4), "deny_list_gap",
          "unsafe", "1", "pip.main(argv) (CVE-2025-1716 shape; harmless argv, no canary)")
    n = "timeit_setup.pkl"
    c.add(n, prog(call(glob("timeit", "timeit", 4), "pass", PY(n), proto=4), 4), "deny_list_gap",
          "unsafe", "1", "runs: timeit.timeit('pass', setup) execs setup")
    n = "cprofile_run.pkl"
    c.add(n, prog(call(glob("cProfile", "run", 4), PY(n), proto=4), 4), "deny_list_gap",
          "unsafe", "1", "runs: cProfile.run(source)")
    n = "profile_run.pkl"
    c.add(n, prog(call(glob("profile", "run", 2), PY(n), proto=2), 2), "deny_list_gap",
          "unsafe", "1", "runs: profile.run(source)")
    n = "bdb_run.pkl"
    c.add(n, prog(call(glob("bdb", "Bdb.run", 4), call(glob("bdb", "Bdb", 4), proto=4), PY(n),
                       proto=4), 4),
          "deny_list_gap", "unsafe", "1", "runs: bdb.Bdb.run(Bdb(), source) via a dotted name")
    n = "code_interpreter_runsource.pkl"
    c.add(n, prog(call(glob("code", "InteractiveInterpreter.runsource", 4),
                       call(glob("code", "InteractiveInterpreter", 4), proto=4), PY(n), proto=4), 4),
          "deny_list_gap", "unsafe", "1", "runs: code.InteractiveInterpreter().runsource(source)")
    n = "pydoc_pipepager.pkl"
    c.add(n, prog(call(glob("pydoc", "pipepager", 4), "x", T(n), proto=4), 4), "deny_list_gap",
          "unsafe", "1", "runs: pydoc.pipepager(text, shell command)")
    n = "venv_create.pkl"
    c.add(n, prog(call(glob("venv", "create", 4), c.canary(n), proto=4), 4), "deny_list_gap",
          "unsafe", "1", "runs: venv.create(path) (the canary is a directory)")
    n = "ctypes_libc_system.pkl"
    libc = call(glob("ctypes", "CDLL", 4), None, proto=4)
    fn = call(glob("builtins", "getattr", 4), libc, "system", proto=4)
    c.add(n, prog(call(fn, T(n).encode(), proto=4), 4), "deny_list_gap", "unsafe", "1",
          "runs: getattr(ctypes.CDLL(None), 'system')(b'touch ...')")
    n = "marshal_loads_function.pkl"
    code = call(glob("marshal", "loads", 4), marshal.dumps(compile(PY(n), "<hostile>", "exec")),
                proto=4)
    fn = call(glob("types", "FunctionType", 4), code, {}, proto=4)
    c.add(n, prog(call(fn, proto=4), 4), "code_objects", "unsafe", "1",
          "runs: FunctionType(marshal.loads(bytecode), {})()")
    n = "types_codetype.pkl"
    src_code = compile(PY(n), "<hostile>", "exec")
    attrs = ["co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_nlocals",
             "co_stacksize", "co_flags", "co_code", "co_consts", "co_names", "co_varnames",
             "co_filename", "co_name"]
    if sys.version_info >= (3, 11):
        attrs += ["co_qualname", "co_firstlineno", "co_linetable", "co_exceptiontable"]
    elif sys.version_info >= (3, 10):
        attrs += ["co_firstlineno", "co_linetable"]
    else:
        attrs += ["co_firstlineno", "co_lnotab"]
    attrs += ["co_freevars", "co_cellvars"]
    code = call(glob("types", "CodeType", 4), *[getattr(src_code, a) for a in attrs], proto=4)
    fn = call(glob("types", "FunctionType", 4), code, {}, proto=4)
    c.add(n, prog(call(fn, proto=4), 4), "code_objects", "unsafe", "1",
          "runs: FunctionType(types.CodeType(...), {})() (arguments of this Python version)")
    n = "cloudpickle_make_function.pkl"
    code = call(glob("marshal", "loads", 4), marshal.dumps(compile(PY(n), "<hostile>", "exec")),
                proto=4)
    fn = call(glob("cloudpickle.cloudpickle", "_make_function", 4), code, {}, "f", None, None,
              proto=4)
    c.add(n, prog(call(fn, proto=4), 4), "code_objects", "unsafe", "1",
          "runs (if cloudpickle is installed): cloudpickle.cloudpickle._make_function(code, ...)()")
    n = "cloudpickle_builtin_type.pkl"
    ctype = call(glob("cloudpickle.cloudpickle", "_builtin_type", 4), "CodeType", proto=4)
    code = call(ctype, *[getattr(compile(PY(n), "<hostile>", "exec"), a) for a in attrs], proto=4)
    fn = call(glob("cloudpickle.cloudpickle", "_builtin_type", 4), "FunctionType", proto=4)
    c.add(n, prog(call(call(fn, code, {}, proto=4), proto=4), 4), "code_objects", "unsafe", "1",
          "runs (if cloudpickle is installed): _builtin_type('CodeType')(...) then FunctionType")
    n = "dill_create_function.pkl"
    code = call(glob("marshal", "loads", 4), marshal.dumps(compile(PY(n), "<hostile>", "exec")),
                proto=4)
    fn = call(glob("dill._dill", "_create_function", 4), code, {}, "f", None, None, proto=4)
    c.add(n, prog(call(fn, proto=4), 4), "code_objects", "unsafe", "1",
          "runs (if dill is installed): dill._dill._create_function(code, ...)()")
    n = "operator_methodcaller.pkl"
    mc = call(glob("operator", "methodcaller", 4), "system", T(n), proto=4)
    c.add(n, prog(call(mc, call(glob("importlib", "import_module", 4), "os", proto=4), proto=4), 4),
          "universal_resolver", "unsafe", "1",
          "runs: operator.methodcaller('system', cmd)(importlib.import_module('os'))")
    n = "operator_attrgetter.pkl"
    ag = call(glob("operator", "attrgetter", 4), "system", proto=4)
    fn = call(ag, call(glob("importlib", "import_module", 4), "os", proto=4), proto=4)
    c.add(n, prog(call(fn, T(n), proto=4), 4), "universal_resolver", "unsafe", "1",
          "runs: operator.attrgetter('system')(import_module('os'))(cmd)")
    n = "functools_partial.pkl"
    part = call(glob("functools", "partial", 4), glob("posix", "system", 4), T(n), proto=4)
    c.add(n, prog(call(part, proto=4), 4), "universal_resolver", "unsafe", "1",
          "runs: functools.partial(posix.system, cmd)()")
    n = "pkgutil_resolve_name.pkl"
    fn = call(glob("pkgutil", "resolve_name", 4), "os:system", proto=4)
    c.add(n, prog(call(fn, T(n), proto=4), 4), "universal_resolver", "unsafe", "1",
          "runs: pkgutil.resolve_name('os:system')(cmd) (GHSA-vvpj-8cmc-gx39)")
    n = "importlib_import_module.pkl"
    mod = call(glob("importlib", "import_module", 2), "subprocess", proto=2)
    fn = call(glob("builtins", "getattr", 2), mod, "call", proto=2)
    c.add(n, prog(call(fn, ["touch", c.canary(n)], proto=2), 2), "universal_resolver", "unsafe",
          "1", "runs: getattr(importlib.import_module('subprocess'), 'call')(argv), protocol 2")
    n = "uuid_get_command_stdout.pkl"
    c.add(n, prog(call(glob("uuid", "_get_command_stdout", 4), "touch", c.canary(n), proto=4), 4),
          "deny_list_gap", "unsafe", "1", "runs: uuid._get_command_stdout('touch', path)")
    n = "osx_support_read_output.pkl"
    c.add(n, prog(call(glob("_osx_support", "_read_output", 4), T(n), proto=4), 4),
          "deny_list_gap", "unsafe", "1", "runs: _osx_support._read_output(cmd) calls os.system")
    n = "imaplib_imap4_stream.pkl"
    c.add(n, prog(call(glob("imaplib", "IMAP4_stream", 4), T(n), proto=4), 4), "deny_list_gap",
          "unsafe", "1", "runs: imaplib.IMAP4_stream(shell command)")
    n = "multiprocessing_spawnv_passfds.pkl"
    c.add(n, prog(call(glob("multiprocessing.util", "spawnv_passfds", 4), b"/usr/bin/touch",
                       [b"touch", c.canary(n).encode()], (), proto=4), 4),
          "deny_list_gap", "unsafe", "1", "runs: multiprocessing.util.spawnv_passfds(path, argv, ())")

    # -- allow-listed reconstructors fed a dangerous callable -----------------
    n = "ufunc_reconstruct_os_system.pkl"
    fn = call(glob("numpy.core", "_ufunc_reconstruct", 2), "posix", "system", proto=2)
    c.add(n, prog(call(fn, T(n), proto=2), 2), "allowlisted_reconstructor", "unsafe", "1",
          "runs: numpy.core._ufunc_reconstruct('posix', 'system') imports and returns os.system")
    n = "copyreg_reconstructor_popen.pkl"
    fn = call(glob("copyreg", "_reconstructor", 2), glob("subprocess", "Popen", 2),
              glob("subprocess", "Popen", 2), ["touch", c.canary(n)], proto=2)
    c.add(n, prog(fn, 2), "allowlisted_reconstructor", "unsafe", "1",
          "runs: copyreg._reconstructor(Popen, Popen, argv) calls Popen.__init__(obj, argv)")
    n = "joblib_wrapper_subclass_system.pkl"
    state = {"subclass": glob("posix", "system", 4), "shape": (1,), "order": "C",
             "dtype": call(glob("numpy", "dtype", 4), "f8", False, True, proto=4),
             "allow_mmap": False}
    body = (glob("joblib.numpy_pickle", "NumpyArrayWrapper", 4) + EMPTY_TUPLE + NEWOBJ
            + enc(state, 4) + BUILD + b"\x00" * 8)
    c.add(n, prog(body, 4), "allowlisted_reconstructor", "unsafe", "1",
          "joblib NumpyArrayWrapper whose subclass is posix.system (no canary)")
    n = "value_function_called.pkl"
    c.add(n, prog(call(glob("sklearn.metrics._classification", "accuracy_score", 4), [0], [0],
                       proto=4), 4),
          "allowlisted_reconstructor", "unknown", "1",
          "calls an allow-listed value-only function (accuracy_score); no code of the file runs")
    n = "build_on_class.pkl"
    c.add(n, prog(glob("sklearn.base", "BaseEstimator", 4) + enc((None, {"__repr__": None}), 4)
                  + BUILD, 4),
          "allowlisted_reconstructor", "unknown", "1",
          "BUILD with slot state on a class object (setattr on the class)")

    # -- dotted / dunder names through allowed modules -----------------------
    n = "numpy_dotted_reconstruct.pkl"
    body = call(glob("numpy", "core.multiarray._reconstruct", 4), glob("numpy", "ndarray", 4),
                (0,), b"b", proto=4)
    c.add(n, prog(body + enc((1, (0,), call(glob("numpy", "dtype", 4), "f8", False, True, proto=4),
                               False, b""), 4) + BUILD, 4),
          "dotted_name", "unknown", "1",
          "numpy + 'core.multiarray._reconstruct' (protocol-4 find_class walks attributes)")
    n = "numpy_builtins_eval.pkl"
    get = glob("builtins", "dict.get", 4)
    ev = call(get, glob("numpy", "__builtins__", 4), "eval", proto=4)
    c.add(n, prog(call(ev, PY(n), proto=4), 4), "dotted_name", "unsafe", "1",
          "runs: dict.get(numpy.__builtins__, 'eval')(source) (modelscan #330); a dunder "
          "attribute (__builtins__) reaches interpreter internals, hence unsafe")
    n = "numpy_ctypeslib_os_system.pkl"
    c.add(n, prog(call(glob("numpy", "ctypeslib.os.system", 4), T(n), proto=4), 4),
          "dotted_name", "unsafe", "1", "runs: numpy + 'ctypeslib.os.system'")
    n = "pathlib_os_system.pkl"
    c.add(n, prog(call(glob("pathlib", "os.system", 4), T(n), proto=4), 4), "dotted_name",
          "unsafe", "1", "runs: pathlib + 'os.system' (fickling GHSA-5j3x)")
    n = "sklearn_dunder_globals.pkl"
    c.add(n, prog(glob("sklearn.base", "BaseEstimator.__init__.__globals__", 4), 4),
          "dotted_name", "unsafe", "1",
          "attribute walk to a function's __globals__ dict (no call); dunder: unsafe")

    # -- look-alike modules ----------------------------------------------------
    n = "lookalike_module_suffix.pkl"
    c.add(n, prog(glob("sklearn.linear_model._logistic_", "LogisticRegression", 4) + EMPTY_TUPLE
                  + NEWOBJ, 4),
          "lookalike", "unknown", "1", "module 'sklearn.linear_model._logistic_' (trailing _)")
    n = "lookalike_module_space.pkl"
    c.add(n, prog(text_global("numpy.core.multiarray ", "_reconstruct"), 2), "lookalike",
          "unknown", "1", "module 'numpy.core.multiarray ' with a trailing space")
    n = "lookalike_homoglyph_numpy.pkl"
    c.add(n, prog(glob("num\u0440y", "dtype", 4), 4), "lookalike", "unknown", "1",
          "module 'num\\u0440y' (Cyrillic er for p)")
    n = "lookalike_homoglyph_eval.pkl"
    c.add(n, prog(call(glob("builtins", "\u0435val", 4), "1", proto=4), 4), "lookalike",
          "unknown", "1", "builtins + '\\u0435val' (Cyrillic ie for e)")
    n = "lookalike_trailing_cr.pkl"
    c.add(n, prog(call(text_global("posix\r", "system"), "true", proto=2), 2), "lookalike",
          "unknown", "1", "GLOBAL module 'posix\\r' (CRLF line ending; does not import)")
    n = "name_with_newline.pkl"
    c.add(n, prog(call(glob("posix\nsystem", "x", 4), "true", proto=4), 4), "lookalike",
          "unknown", "1", "STACK_GLOBAL module 'posix\\nsystem' (a newline inside a name)")
    n = "name_with_terminal_escapes.pkl"
    c.add(n, prog(glob("numpy", "dtype\x1b[2K\r\x1b]0;title\x07\x1b[31mRED", 4), 4), "lookalike",
          "unknown", "1", "a name holding terminal escape sequences (erase line, set title, colour)")
    n = "lookalike_nul_byte.pkl"
    c.add(n, prog(call(glob("posix\x00", "system", 4), "true", proto=4), 4), "lookalike",
          "unknown", "1", "module 'posix\\0' (embedded NUL; does not import)")

    # -- STACK_GLOBAL operands -------------------------------------------------
    n = "sg_from_memo.pkl"
    body = (short_unicode(b"posix") + MEMOIZE + short_unicode(b"system") + MEMOIZE + POP + POP
            + short_unicode(b"numpy") + short_unicode(b"dtype") + POP + POP
            + BINGET + b"\x00" + BINGET + b"\x01" + STACK_GLOBAL + enc((T(n),), 4) + REDUCE)
    c.add(n, prog(body, 4), "stack_global_operands", "unsafe", "1",
          "runs: STACK_GLOBAL from memo (BINGET) after decoy strings 'numpy' 'dtype'")
    n = "sg_from_string.pkl"
    body = (STRING + b"'posix'\n" + STRING + b"'system'\n" + STACK_GLOBAL + enc((T(n),), 4) + REDUCE)
    c.add(n, prog(body, 4), "stack_global_operands", "unsafe", "1",
          "runs: STACK_GLOBAL operands from STRING opcodes (GHSA-9gvj-pp9x-gcfr)")
    n = "sg_from_binstring.pkl"
    body = (SHORT_BINSTRING + b"\x05posix" + BINSTRING + struct.pack("<i", 6) + b"system"
            + STACK_GLOBAL + enc((T(n),), 4) + REDUCE)
    c.add(n, prog(body, 4), "stack_global_operands", "unsafe", "1",
          "runs: STACK_GLOBAL operands from SHORT_BINSTRING/BINSTRING")
    n = "sg_from_ints.pkl"
    c.add(n, prog(BININT1 + b"\x01" + BININT1 + b"\x02" + STACK_GLOBAL, 4), "stack_global_operands",
          "invalid", "3", "STACK_GLOBAL of two ints (Python raises too)")
    n = "sg_int_in_memo.pkl"
    c.add(n, prog(BININT1 + b"\x07" + MEMOIZE + POP + short_unicode(b"posix") + BINGET + b"\x00"
                  + STACK_GLOBAL, 4),
          "stack_global_operands", "invalid", "3", "name taken from a memo slot holding an int")
    n = "sg_bytes_operands.pkl"
    c.add(n, prog(enc(b"posix", 4) + enc(b"system", 4) + STACK_GLOBAL, 4),
          "stack_global_operands", "invalid", "3", "STACK_GLOBAL of bytes (Python requires str)")
    n = "sg_unset_memo.pkl"
    c.add(n, prog(BINGET + b"\x05" + BINGET + b"\x06" + STACK_GLOBAL, 4),
          "stack_global_operands", "invalid", "3", "STACK_GLOBAL operands from unset memo slots")
    n = "payload_then_missing_memo.pkl"
    c.add(n, prog(call(glob("posix", "system", 4), T(n), proto=4) + POP + BINGET + b"\x63", 4),
          "stack_global_operands", "unsafe", "1",
          "runs: posix.system call, then BINGET of an unset slot (keyerror-exploit: Python has "
          "already run the call when it fails)")

    # -- calls hidden by POP / POP_MARK -------------------------------------
    n = "pop_hidden_call.pkl"
    c.add(n, prog(call(text_global("posix", "system"), T(n), proto=2) + POP + NONE, 2),
          "hidden_call", "unsafe", "1", "runs: REDUCE result dropped by POP; the pickle returns None")
    n = "pop_mark_hidden_call.pkl"
    c.add(n, prog(MARK + call(glob("subprocess", "call", 4), ["touch", c.canary(n)], proto=4)
                  + POP_MARK + NONE, 4),
          "hidden_call", "unsafe", "1", "runs: call inside MARK ... POP_MARK")
    n = "pop_hidden_in_fixture.pkl"
    logistic = unframe(fixture("logistic_binary.pkl"))
    c.add(n, logistic[:2] + bytes(call(glob("posix", "system", 4), T(n), proto=4)) + POP
          + logistic[2:], "hidden_call", "unsafe", "1",
          "runs: a dropped posix.system call before a real LogisticRegression")

    # -- nested pickles --------------------------------------------------------
    n = "pickle_loads_nested.pkl"
    c.add(n, prog(call(glob("pickle", "loads", 3), pickle.dumps(Evil(T(n)), 2), proto=3), 3),
          "nested_pickle", "unsafe", "1", "runs: pickle.loads(inner pickle that calls os.system)")
    n = "_pickle_loads_nested.pkl"
    c.add(n, prog(call(glob("_pickle", "loads", 4), pickle.dumps(Evil(T(n)), 4), proto=4), 4),
          "nested_pickle", "unsafe", "1", "runs: _pickle.loads(inner pickle)")

    # -- payloads inside real estimators ---------------------------------------
    n = "logistic_attr_payload.pkl"
    c.add(n, lambda: insert_into_state_dict(unframe(fixture("logistic_binary.pkl")), 0,
                                            "tol_", payload_ops(pickle.dumps(Evil(T(n)), 4))),
          "estimator_attribute", "unsafe", "1",
          "runs: fixtures/models/logistic_binary.pkl with state['tol_'] = Evil (protocol 4)")
    n = "pipeline_step_attr_payload.pkl"
    c.add(n, lambda: insert_into_state_dict(unframe(fixture("pipeline_scaler_logistic.pkl")), 1,
                                            "mean_", payload_ops(pickle.dumps(Evil(T(n)), 4))),
          "estimator_attribute", "unsafe", "1",
          "runs: payload in the state of the Pipeline's first step (StandardScaler)")

    def object_array():
        import numpy as np
        return pickle.dumps(np.array([1.5, Evil(T("ndarray_object_payload.pkl"))], dtype=object), 4)
    c.add("ndarray_object_payload.pkl", object_array, "numpy_object_array", "unsafe", "1",
          "runs: numpy object array whose items include Evil")

    def joblib_bytes(obj):
        import joblib
        bio = io.BytesIO()
        joblib.dump(obj, bio)
        return bio.getvalue()

    def joblib_object_array():
        import numpy as np
        return joblib_bytes({"w": np.array([Evil(T("joblib_object_array_payload.joblib"))],
                                           dtype=object)})
    c.add("joblib_object_array_payload.joblib", joblib_object_array, "numpy_object_array",
          "unsafe", "1", "runs: joblib.dump of an object array holding Evil (nested pickle)")

    # -- joblib: after the first inline array --------------------------------
    forest = fixture("joblib_forest.joblib")
    w = Walker(forest)
    w.run()
    cut = w.joblib_arrays[0][2]

    def after_array(name):
        ins = call(glob("posix", "system", 4), T(name), proto=4) + POP
        return forest[:cut] + bytes(ins) + forest[cut:]
    n = "joblib_forest_payload_after_array.joblib"
    c.add(n, after_array(n), "joblib_after_array", "unsafe", "1",
          "runs: posix.system call + POP spliced after the first raw array of joblib_forest.joblib")
    n = "joblib_forest_pickle_after_array.joblib"
    c.add(n, forest[:cut] + pickle.dumps(Evil(T(n)), 4) + forest[cut:], "joblib_after_array",
          "unsafe", "1",
          "runs: a whole protocol-4 pickle inserted after the first raw array (its STOP ends the load)")
    n = "joblib_forest_appended_pickle.joblib"
    c.add(n, forest + pickle.dumps(Evil(T(n)), 4), "concatenated", "unsafe", "1|3",
          "benign joblib file + a malicious pickle after its STOP (trailing data; a loader that "
          "calls load() again runs it)")

    # -- compressed joblib containers hiding the payload ---------------------
    for suffix, codec in (("z", "zlib"), ("gz", "gzip"), ("bz2", "bz2"), ("lzma", "lzma"),
                          ("xz", "xz"), ("lz4", "lz4"), ("zst", "zstd"), ("zf", "zfile")):
        n = "joblib_payload_%s.joblib.%s" % (codec, suffix)

        def compressed(n=n, codec=codec):
            raw = after_array(n)
            if codec == "zlib":
                return zlib.compress(raw, 3)
            if codec == "gzip":
                return gzip.compress(raw, 3, mtime=0)
            if codec == "bz2":
                return bz2.compress(raw, 3)
            if codec == "lzma":
                return lzma.compress(raw, format=lzma.FORMAT_ALONE, preset=3)
            if codec == "xz":
                return lzma.compress(raw, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=3)
            if codec == "lz4":
                import lz4.frame
                return lz4.frame.compress(raw, compression_level=3)
            if codec == "zstd":
                import zstandard
                return zstandard.ZstdCompressor(level=3).compress(raw)
            return b"ZF" + hex(len(raw)).encode().ljust(19) + zlib.compress(raw, 3)
        c.add(n, compressed, "joblib_compressed", "unsafe", "1",
              "runs: the after-array payload inside a %s container" % codec)

    # -- concatenated pickles ---------------------------------------------------
    n = "concat_benign_then_evil.pkl"
    c.add(n, fixture("logistic_binary.pkl") + pickle.dumps(Evil(T(n)), 2), "concatenated",
          "unsafe", "1|3", "runs if a loader calls load() twice: benign pickle, then a payload")
    n = "concat_evil_then_benign.pkl"
    c.add(n, pickle.dumps(Evil(T(n)), 4) + fixture("logistic_binary.pkl"), "concatenated",
          "unsafe", "1", "runs: payload pickle first, then a benign pickle")

    # -- framing ---------------------------------------------------------------
    body = (short_unicode(b"posix") + short_unicode(b"system") + STACK_GLOBAL)
    n = "frame_straddle.pkl"
    args = enc((T(n),), 4) + REDUCE + STOP
    c.add(n, PROTO + b"\x04" + frame(4) + body + args, "framing", "invalid", "3",
          "runs under CPython's C unpickler: FRAME of 4 bytes ends inside SHORT_BINUNICODE 'posix'")
    n = "frame_in_frame.pkl"
    args = enc((T(n),), 4) + REDUCE + STOP
    rest = body + args
    c.add(n, PROTO + b"\x04" + frame(len(rest) + 9) + frame(len(rest)) + rest, "framing",
          "invalid", "3", "runs under the C unpickler: a FRAME begins inside another FRAME")
    n = "frame_text_straddle.pkl"
    rest = bytes(call(text_global("posix", "system"), T(n), proto=4)) + STOP
    c.add(n, PROTO + b"\x04" + frame(3) + rest, "framing", "invalid", "3",
          "runs under the C unpickler: FRAME ends inside the GLOBAL text line")
    n = "frame_straddle_after_payload.pkl"
    first = bytes(call(glob("posix", "system", 4), T(n), proto=4)) + POP
    c.add(n, PROTO + b"\x04" + frame(len(first) + 2) + first + short_unicode(b"abcdef") + STOP,
          "framing", "unsafe", "1",
          "runs: posix.system call inside a frame, then an opcode straddling the frame end")
    n = "frame_short_nested.pkl"
    inner = pickle.dumps(Evil(T(n)), 4)
    c.add(n, PROTO + b"\x04" + frame(2) + inner[2:], "framing", "invalid", "3",
          "FRAME of 2 bytes followed by the payload's own FRAME (frame inside frame)")

    # -- persistent ids, extension registry, out-of-band buffers --------------
    c.add("persid.pkl", PERSID + b"0\n" + STOP, "out_of_band", "unknown", "1",
          "PERSID (no persistent_load in plain pickle.load)")
    c.add("binpersid.pkl", prog(enc("storage", 2) + BINPERSID, 2), "out_of_band", "unknown", "1",
          "BINPERSID (torch-style persistent id)")
    c.add("ext1.pkl", prog(EXT1 + b"\x01", 2), "out_of_band", "unknown", "1",
          "EXT1 code 1 (copyreg extension registry)")
    c.add("ext2.pkl", prog(EXT2 + b"\x01\x01", 2), "out_of_band", "unknown", "1", "EXT2")
    c.add("ext4.pkl", prog(EXT4 + b"\x01\x00\x00\x01", 2), "out_of_band", "unknown", "1", "EXT4")
    c.add("next_buffer.pkl", prog(NEXT_BUFFER, 5), "out_of_band", "unknown", "1",
          "NEXT_BUFFER (data outside the file)")
    c.add("readonly_buffer.pkl", prog(enc(b"abc", 5) + READONLY_BUFFER, 5), "out_of_band",
          "unknown", "1", "READONLY_BUFFER on in-band bytes")

    def ndarray_oob():
        import numpy as np
        return pickle.dumps(np.arange(4, dtype=np.float64), protocol=5, buffer_callback=lambda b: None)
    c.add("ndarray_out_of_band.pkl", ndarray_oob, "out_of_band", "unknown", "1",
          "numpy array pickled with buffer_callback: _frombuffer(NEXT_BUFFER, ...)")

    # -- legacy joblib NDArrayWrapper sidecar names ---------------------------
    def legacy(filename, module="joblib.numpy_pickle", cls="NDArrayWrapper", extra=None):
        state = {"filename": filename, "subclass": text_global("numpy", "ndarray"),
                 "allow_mmap": True}
        state.update(extra or {})
        return prog(text_global(module, cls) + EMPTY_TUPLE + NEWOBJ + enc(state, 2) + BUILD, 2)
    for n, fname, note in (
            ("legacy_sidecar_dotdot.pkl", "../etc/passwd", "'../etc/passwd'"),
            ("legacy_sidecar_absolute.pkl", "/etc/passwd", "'/etc/passwd'"),
            ("legacy_sidecar_sub_dotdot.pkl", "sub/../../x.npy", "'sub/../../x.npy'"),
            ("legacy_sidecar_backslash.pkl", "..\\..\\x.npy", "'..\\\\..\\\\x.npy'"),
            ("legacy_sidecar_dot.pkl", "..", "'..'")):
        c.add(n, legacy(fname), "joblib_legacy_sidecar", "unsafe", "1",
              "NDArrayWrapper filename %s (joblib would np.load it with allow_pickle=True)" % note)
    c.add("legacy_zsidecar_dotdot.pkl",
          legacy("../../x.z", cls="ZNDArrayWrapper",
                 extra={"init_args": (text_global("numpy", "ndarray"), (0,), "b"),
                        "state": (1, (1,), None, False)}),
          "joblib_legacy_sidecar", "unsafe", "1", "ZNDArrayWrapper filename '../../x.z'")
    c.add("legacy_sidecar_renamed_module.pkl",
          legacy("../etc/passwd", module="sklearn.externals.joblib.numpy_pickle"),
          "joblib_legacy_sidecar", "unsafe", "1",
          "old module spelling sklearn.externals.joblib.numpy_pickle, filename '../etc/passwd'")
    # A sidecar name that is a plain file name, but the file beside the pickle is
    # a symlink leading out of the directory.
    for n, target, note in (
            ("legacy_sidecar_symlink_etc.pkl", "/etc/passwd", "/etc/passwd"),
            ("legacy_sidecar_symlink_npy.pkl", "private/secret.npy",
             "private/secret.npy (a valid .npy outside the pickle's own directory)")):
        link = n[:-4] + ".npy"
        if c.wanted(n):
            path = os.path.join(c.out, link)
            if os.path.lexists(path):
                os.remove(path)
            os.symlink(target, path)
            if target.startswith("private/"):
                os.makedirs(os.path.join(c.out, "private"), exist_ok=True)
                with open(os.path.join(c.out, target), "wb") as f:
                    f.write(npy_bytes())
        c.add(n, legacy(link), "joblib_legacy_sidecar", "unsafe", "1",
              "plain filename %s, but that file beside the pickle is a symlink to %s" % (link, note))

    # -- truncated files ------------------------------------------------------
    lb = fixture("logistic_binary.pkl")
    for at in (1, 2, 11, len(lb) // 2, len(lb) - 1):
        c.add("truncated_logistic_%d.pkl" % at, lb[:at], "truncated", "invalid", "3",
              "logistic_binary.pkl cut to %d of %d bytes" % (at, len(lb)))
    n = "payload_then_truncated.pkl"
    c.add(n, PROTO + b"\x04" + bytes(call(glob("posix", "system", 4), T(n), proto=4)) + POP
          + SHORT_BINUNICODE + b"\x20abc", "truncated", "unsafe", "1",
          "runs: a posix.system call, then the file ends inside a string (Python has run the call "
          "when it hits the end)")
    start, end = w.joblib_arrays[0][1:]
    c.add("truncated_joblib_in_array.joblib", forest[:start + (end - start) // 2], "truncated",
          "invalid", "3", "joblib_forest.joblib cut inside its first raw array")
    zf = fixture("joblib_forest_zlib.joblib.z")
    c.add("truncated_joblib_zlib.joblib.z", zf[:len(zf) // 2], "truncated", "invalid", "3",
          "zlib container cut in half")
    xf = fixture("joblib_forest_xz.joblib.xz")
    c.add("truncated_joblib_xz.joblib.xz", xf[:len(xf) - 20], "truncated", "invalid", "3",
          "xz container without its index and footer")

    # -- random bytes, empty file, unknown opcodes, bad UTF-8 ----------------
    risky = {"GLOBAL", "INST", "STACK_GLOBAL", "OBJ", "REDUCE", "NEWOBJ", "NEWOBJ_EX", "BUILD",
             "PERSID", "BINPERSID", "EXT1", "EXT2", "EXT4", "NEXT_BUFFER", "READONLY_BUFFER",
             "LONG4", "LONG", "INT", "MARK"}

    def vetted_random(seed, size, prefix=b""):
        # The first seed whose bytes pickletools rejects before any opcode that
        # names a global, calls, refers outside the file or could hit a limit.
        while True:
            data = prefix + random.Random(seed).randbytes(size)
            if data[:1] not in (b"\x78", b"\x1f", b"\xfd", b"B", b"\x5d", b"\x04", b"\x28", b"Z"):
                try:
                    for op, _arg, _pos in pickletools.genops(data):
                        if op.name in risky:
                            break
                    else:
                        seed += 1
                        continue
                except Exception:  # noqa: BLE001 - malformed is what we want
                    return data, seed
            seed += 1

    for size, prefix in ((4096, b""), (65536, PROTO + b"\x04")):
        data, seed = vetted_random(1234, size, prefix)
        c.add("random_%d.pkl" % size, data, "random", "invalid", "3",
              "random bytes (random.Random(%d)); pickletools rejects them before any global" % seed)
    c.add("empty.pkl", b"", "malformed", "invalid", "3", "empty file")
    c.add("opcode_0x00.pkl", b"\x00", "malformed", "invalid", "3", "unknown opcode 0x00")
    c.add("opcode_0xff_p4.pkl", PROTO + b"\x04\xff" + STOP, "malformed", "invalid", "3",
          "unknown opcode 0xff after PROTO 4")
    c.add("opcode_0xb5.pkl", PROTO + b"\x02" + NONE + b"\xb5" + STOP, "malformed", "invalid", "3",
          "unknown opcode 0xb5 after a value")
    c.add("proto_6.pkl", PROTO + b"\x06" + NONE + STOP, "malformed", "invalid", "3",
          "PROTO 6 (no such protocol)")
    c.add("no_stop.pkl", PROTO + b"\x02" + NONE, "malformed", "invalid", "3", "no STOP opcode")
    c.add("binunicode_bad_utf8.pkl", prog(binunicode_raw(b"ab\xff\xfecd"), 2), "bad_utf8",
          "invalid", "3", "BINUNICODE with bytes ff fe")
    c.add("short_binunicode_overlong.pkl", prog(short_unicode(b"\xc0\xaf"), 4), "bad_utf8",
          "invalid", "3", "SHORT_BINUNICODE with an overlong encoding of '/'")
    c.add("global_bad_utf8.pkl", prog(GLOBAL + b"nump\xff\ndtype\n", 2), "bad_utf8", "invalid", "3",
          "GLOBAL module 'nump\\xff'")
    c.add("stack_global_bad_utf8.pkl", prog(short_unicode(b"os\xe9") + short_unicode(b"system")
                                            + STACK_GLOBAL, 4), "bad_utf8", "invalid", "3",
          "STACK_GLOBAL module 'os\\xe9' (latin-1, not UTF-8)")

    # -- huge declared lengths -------------------------------------------------
    c.add("long4_huge.pkl", prog(LONG4 + struct.pack("<i", 2**31 - 1) + b"\x01" * 16, 2),
          "huge_length", "invalid", "3|5", "LONG4 declaring 2^31-1 bytes")
    c.add("long4_negative.pkl", prog(LONG4 + struct.pack("<i", -1), 2), "huge_length", "invalid",
          "3", "LONG4 with a negative length")
    c.add("binbytes8_huge.pkl", prog(BINBYTES8 + struct.pack("<Q", 2**62) + b"abc", 4),
          "huge_length", "invalid", "3|5", "BINBYTES8 declaring 2^62 bytes")
    c.add("binbytes8_max.pkl", prog(BINBYTES8 + struct.pack("<Q", 2**64 - 1) + b"abc", 4),
          "huge_length", "invalid", "3|5", "BINBYTES8 declaring 2^64-1 bytes")
    c.add("binunicode8_huge.pkl", prog(BINUNICODE8 + struct.pack("<Q", 2**62) + b"abc", 4),
          "huge_length", "invalid", "3|5", "BINUNICODE8 declaring 2^62 bytes")
    c.add("bytearray8_huge.pkl", prog(BYTEARRAY8 + struct.pack("<Q", 2**63) + b"abc", 5),
          "huge_length", "invalid", "3|5", "BYTEARRAY8 declaring 2^63 bytes")
    c.add("binunicode_4g.pkl", prog(BINUNICODE + struct.pack("<I", 2**32 - 1) + b"abc", 2),
          "huge_length", "invalid", "3|5", "BINUNICODE declaring 2^32-1 bytes")
    c.add("binstring_negative.pkl", prog(BINSTRING + struct.pack("<i", -5) + b"abc", 2),
          "huge_length", "invalid", "3", "BINSTRING with a negative length")
    c.add("frame_huge.pkl", PROTO + b"\x04" + frame(2**62) + NONE + STOP, "huge_length",
          "invalid", "3|5", "FRAME declaring 2^62 bytes")
    c.add("int_text_huge.pkl", INT + b"9" * 100000 + b"\n" + STOP, "huge_length", "invalid", "3|5",
          "INT with 100000 decimal digits (quadratic int parsing in some VMs)")

    # -- memo ---------------------------------------------------------------------
    c.add("memo_long_binput_2_31.pkl", prog(EMPTY_LIST + LONG_BINPUT + struct.pack("<I", 2**31), 2),
          "memo_limit", "invalid", "5", "LONG_BINPUT 2^31 (beyond max_memo)")
    c.add("memo_put_text_huge.pkl", NONE + PUT + b"99999999999\n" + STOP, "memo_limit", "invalid",
          "5", "PUT 99999999999 (protocol 0 text index beyond max_memo)")
    c.add("memo_put_text_bignum.pkl", NONE + PUT + b"9" * 40 + b"\n" + STOP, "memo_limit",
          "invalid", "3|5", "PUT with a 40-digit index")
    c.add("memo_long_binget_unset.pkl", prog(LONG_BINGET + struct.pack("<I", 2**32 - 1), 2),
          "memo_limit", "invalid", "3", "LONG_BINGET 2^32-1 of an unset slot")

    # -- VM type confusion (memory safety of a C++ VM) -------------------------
    vm = [
        ("vm_setitem_on_list.pkl", EMPTY_LIST + NONE + NONE + SETITEM, "SETITEM on a list"),
        ("vm_append_on_int.pkl", BININT1 + b"\x01" + NONE + APPEND, "APPEND on an int"),
        ("vm_appends_no_target.pkl", MARK + NONE + APPENDS, "APPENDS with nothing below the MARK"),
        ("vm_setitems_odd.pkl", EMPTY_DICT + MARK + NONE + SETITEMS, "SETITEMS with one item"),
        ("vm_additems_on_dict.pkl", EMPTY_DICT + MARK + NONE + ADDITEMS, "ADDITEMS on a dict"),
        ("vm_build_on_int.pkl", BININT1 + b"\x01" + EMPTY_DICT + BUILD, "BUILD on an int"),
        ("vm_build_empty.pkl", BUILD, "BUILD on an empty stack"),
        ("vm_tuple_no_mark.pkl", NONE + TUPLE, "TUPLE without MARK"),
        ("vm_tuple2_underflow.pkl", NONE + TUPLE2, "TUPLE2 with one value"),
        ("vm_pop_mark_no_mark.pkl", NONE + POP_MARK, "POP_MARK without MARK"),
        ("vm_stop_empty.pkl", b"", "STOP on an empty stack"),
        ("vm_stop_after_mark.pkl", NONE + MARK, "STOP with only a MARK above the value"),
        ("vm_dup_empty.pkl", DUP, "DUP on an empty stack"),
        ("vm_pop_empty.pkl", POP, "POP on an empty stack"),
        ("vm_dup_below_mark.pkl", NONE + MARK + DUP, "DUP reaching below a MARK"),
        ("vm_newobj_args_not_tuple.pkl", text_global("builtins", "object") + NONE + NEWOBJ,
         "NEWOBJ with None as the arguments"),
        ("vm_newobj_ex_kwargs_list.pkl", text_global("builtins", "object") + EMPTY_TUPLE
         + EMPTY_LIST + NEWOBJ_EX, "NEWOBJ_EX with a list as keyword arguments"),
        ("vm_obj_no_class.pkl", MARK + OBJ, "OBJ with nothing after the MARK"),
        ("vm_setitem_on_global.pkl", text_global("builtins", "object") + NONE + NONE + SETITEM,
         "SETITEM on a class"),
        ("vm_append_on_tuple.pkl", EMPTY_TUPLE + NONE + APPEND, "APPEND on a tuple"),
    ]
    for n, body, note in vm:
        c.add(n, prog(body, 4), "vm_type_confusion", "invalid", "3", note)
    c.add("vm_reduce_int.pkl", prog(BININT1 + b"\x01" + EMPTY_TUPLE + REDUCE, 4),
          "vm_type_confusion", "unknown", "1|3", "REDUCE with an int as the callable")
    c.add("vm_reduce_list_args.pkl", prog(text_global("builtins", "set") + EMPTY_LIST + REDUCE, 4),
          "vm_type_confusion", "invalid", "3|4", "REDUCE of builtins.set with a list as args")

    # -- deep nesting ---------------------------------------------------------------
    depth = 200000
    c.add("nest_append_200k.pkl", prog(EMPTY_LIST * depth + APPEND * (depth - 1), 2), "deep_nesting",
          "safe", "0|5", "200000 lists nested with EMPTY_LIST ... APPEND")
    c.add("nest_mark_list_200k.pkl", prog(MARK * depth + LIST * depth, 2), "deep_nesting",
          "invalid", "5", "200000 open MARKs then LISTs (beyond max_marks)")
    c.add("nest_mark_list_60k.pkl", prog(MARK * 60000 + LIST * 60000, 2), "deep_nesting",
          "safe", "0|5", "60000 MARK/LIST nests (under max_marks)")
    c.add("nest_tuple1_200k.pkl", prog(NONE + TUPLE1 * depth, 2), "deep_nesting", "safe", "0|5",
          "200000 tuples nested with TUPLE1")
    c.add("nest_dict_200k.pkl", prog((EMPTY_DICT + BININT1 + b"\x00") * depth + EMPTY_DICT
                                     + SETITEM * depth, 2),
          "deep_nesting", "safe", "0|5", "200000 dicts nested with SETITEM")
    c.add("nest_dict_key_tuple_200k.pkl", prog(EMPTY_DICT + NONE + TUPLE1 * depth + NONE + SETITEM,
                                               2),
          "deep_nesting", "invalid", "5", "a dict key that is a 200000-deep tuple (hashing it "
          "hits max_nesting in the VM)")

    def nested_wrapper():
        st = {"subclass": glob("numpy", "ndarray", 4), "shape": (1,), "order": "C",
              "dtype": call(glob("numpy", "dtype", 4), "O8", False, True, proto=4),
              "allow_mmap": False}
        return (PROTO + b"\x04" + glob("joblib.numpy_pickle", "NumpyArrayWrapper", 4) + EMPTY_TUPLE
                + NEWOBJ + enc(st, 4) + BUILD)
    c.add("nest_joblib_object_arrays_5000.joblib",
          nested_wrapper() * 5000 + NONE + STOP + STOP * 5000, "deep_nesting", "invalid", "5",
          "5000 joblib object arrays, each followed by the next one's nested pickle")
    pipe = enc("sklearn.pipeline", 4) + enc("Pipeline", 4) + STACK_GLOBAL + MEMOIZE + POP
    level_open = (BINGET + b"\x00" + EMPTY_TUPLE + NEWOBJ + EMPTY_DICT + enc("steps", 4) + EMPTY_LIST
                  + enc("p", 4))
    level_close = TUPLE2 + APPEND + SETITEM + BUILD
    c.add("nest_pipelines_20k.pkl",
          prog(pipe + level_open * 20000 + enc("passthrough", 4) + level_close * 20000, 4),
          "deep_nesting", "safe", "0|5", "20000 Pipelines nested as each other's only step")
    c.add("nest_estimator_state_200k.pkl",
          prog(glob("sklearn.linear_model._logistic", "LogisticRegression", 4) + EMPTY_TUPLE
               + NEWOBJ + EMPTY_LIST * depth + APPEND * (depth - 1) + BUILD, 4),
          "deep_nesting", "safe", "0|5",
          "a LogisticRegression whose state is a 200000-deep list (ONNX: not a dict state)")

    # -- shared references, billion laughs, cycles ---------------------------
    c.add("dag_tuple_64.pkl", prog(NONE + (DUP + TUPLE2) * 64, 2), "dag_bomb", "safe", "0|5",
          "64 levels of (x, x): 2^64 leaves if expanded; JSON must stay small")
    laughs = EMPTY_LIST + BINPUT + b"\x00"
    for i in range(30):
        laughs += MARK + (BINGET + bytes([i])) * 10 + LIST + BINPUT + bytes([i + 1])
    c.add("billion_laughs_memo.pkl", prog(laughs, 2), "dag_bomb", "safe", "0|5",
          "30 levels of lists of 10 memo references: 10^30 leaves if expanded")
    laughs_dict = EMPTY_DICT + BINPUT + b"\x00"
    for i in range(30):
        laughs_dict += (MARK + b"".join(enc("k%d" % j, 2) + BINGET + bytes([i]) for j in range(10))
                        + DICT + BINPUT + bytes([i + 1]))
    c.add("billion_laughs_dict.pkl", prog(laughs_dict, 2), "dag_bomb", "safe", "0|5",
          "30 levels of dicts of 10 memo references")
    c.add("dag_in_estimator.pkl",
          prog(glob("sklearn.preprocessing._data", "StandardScaler", 4) + EMPTY_TUPLE + NEWOBJ
               + enc({"with_mean": True}, 4)[:-1] + enc("junk_", 4) + NONE
               + (DUP + TUPLE2) * 64 + DICT + BUILD, 4),
          "dag_bomb", "safe", "0|5", "a StandardScaler with a 2^64-leaf shared tuple attribute")
    key_dag = NONE + (DUP + TUPLE2) * 64
    c.add("dag_dict_key.pkl", prog(EMPTY_DICT + key_dag + NONE + SETITEM, 2), "dag_bomb",
          "invalid", "5", "a dict key of 64 levels of (x, x): hashing it walks 2^64 leaves")
    c.add("dag_set_member.pkl", prog(EMPTY_SET + MARK + key_dag + ADDITEMS, 4), "dag_bomb",
          "invalid", "5", "a set member of 64 levels of (x, x)")
    c.add("dag_keys_equal.pkl",
          prog(EMPTY_DICT + MARK + (NONE + (DUP + TUPLE2) * 24 + NONE) * 2 + SETITEMS, 2),
          "dag_bomb", "invalid", "5",
          "two distinct, equal 2^24-leaf (x, x) tuples as keys of one dict: comparing walks both")
    c.add("self_ref_list.pkl", prog(EMPTY_LIST + BINPUT + b"\x00" + BINGET + b"\x00" + APPEND, 2),
          "self_reference", "safe", "0", "a list containing itself")
    c.add("self_ref_dict.pkl", prog(EMPTY_DICT + BINPUT + b"\x00" + enc("self", 2) + BINGET + b"\x00"
                                    + SETITEM, 2),
          "self_reference", "safe", "0", "a dict containing itself")
    c.add("mutual_ref.pkl", prog(EMPTY_LIST + BINPUT + b"\x00" + EMPTY_DICT + BINPUT + b"\x01"
                                 + enc("back", 2) + BINGET + b"\x00" + SETITEM + APPEND, 2),
          "self_reference", "safe", "0", "a list holding a dict that holds the list")
    c.add("self_ref_estimator.pkl",
          prog(glob("sklearn.preprocessing._data", "StandardScaler", 4) + EMPTY_TUPLE + NEWOBJ
               + MEMOIZE + EMPTY_DICT + enc("me", 4) + BINGET + b"\x00" + SETITEM + BUILD, 4),
          "self_reference", "safe", "json=0;onnx=3|4;h5=0", "an estimator whose state holds the "
          "estimator itself "
          "(ONNX: unfitted scaler)")

    # -- ndarray shape / size lies ------------------------------------------------
    def nd(shape, dtype, data, fortran=False, proto=3):
        dt = call(glob("numpy", "dtype", proto), dtype, False, True, proto=proto)
        arr = call(glob("numpy.core.multiarray", "_reconstruct", proto),
                   glob("numpy", "ndarray", proto), (0,), b"b", proto=proto)
        shape = tuple(shape) if isinstance(shape, (tuple, list)) else shape
        return prog(arr + enc((1, shape, dt, fortran, data), proto) + BUILD, proto)
    c.add("nd_short_data.pkl", nd((10,), "f8", b"\x00" * 8), "ndarray_lie", "invalid", "3",
          "shape (10,) float64 with 8 bytes of data")
    c.add("nd_long_data.pkl", nd((1,), "f8", b"\x00" * 16), "ndarray_lie", "invalid", "3",
          "shape (1,) float64 with 16 bytes of data")
    c.add("nd_shape_overflow.pkl", nd((2**32, 2**32, 16), "f8", b"\x00" * 8), "ndarray_lie",
          "invalid", "3|5", "shape product 2^68 (overflows 64 bits)")
    c.add("nd_bytes_overflow.pkl", nd((2**61,), "f8", b"\x00" * 8), "ndarray_lie", "invalid", "3|5",
          "2^61 float64 elements: 2^64 bytes")
    c.add("nd_negative_dim.pkl", nd((-1,), "f8", b"\x00" * 8), "ndarray_lie", "invalid", "3",
          "shape (-1,)")
    c.add("nd_negative_pair.pkl", nd((-2, -4), "f8", b"\x00" * 64), "ndarray_lie", "invalid", "3",
          "shape (-2, -4): product 8 matches the data")
    c.add("nd_too_many_dims.pkl", nd((1,) * 65, "f8", b"\x00" * 8), "ndarray_lie", "invalid", "3|5",
          "65 dimensions")
    c.add("nd_bad_dtype.pkl", nd((1,), "f3", b"\x00" * 3), "ndarray_lie", "invalid", "3|4",
          "dtype 'f3'")
    c.add("nd_object_bytes.pkl", nd((2,), "O", b"\x00" * 16), "ndarray_lie", "invalid", "3|4",
          "object dtype with raw bytes as data")
    c.add("nd_shape_not_tuple.pkl", nd("abc", "f8", b"\x00" * 8), "ndarray_lie", "invalid", "3",
          "shape is a str")
    fb = call(glob("numpy.core.numeric", "_frombuffer", 5),
              Raw(BYTEARRAY8 + struct.pack("<Q", 8) + b"\x00" * 8),
              call(glob("numpy", "dtype", 5), "f8", False, True, proto=5), (10,), "C", proto=5)
    c.add("frombuffer_short.pkl", prog(fb, 5), "ndarray_lie", "invalid", "3",
          "protocol 5 _frombuffer: shape (10,) float64 over an 8-byte bytearray")
    state = {"subclass": glob("numpy", "ndarray", 4), "shape": (2**40,), "order": "C",
             "dtype": call(glob("numpy", "dtype", 4), "f8", False, True, proto=4),
             "allow_mmap": False}
    c.add("joblib_wrapper_shape_lie.joblib",
          prog(glob("joblib.numpy_pickle", "NumpyArrayWrapper", 4) + EMPTY_TUPLE + NEWOBJ
               + enc(state, 4) + BUILD + b"\x00" * 64, 4),
          "ndarray_lie", "invalid", "3|5", "NumpyArrayWrapper claiming 2^40 float64 elements")
    state["shape"] = (-3,)
    c.add("joblib_wrapper_negative.joblib",
          prog(glob("joblib.numpy_pickle", "NumpyArrayWrapper", 4) + EMPTY_TUPLE + NEWOBJ
               + enc(state, 4) + BUILD + b"\x00" * 64, 4),
          "ndarray_lie", "invalid", "3", "NumpyArrayWrapper with shape (-3,)")

    # -- decision trees with corrupt node links -------------------------------
    def patch_tree(fixture_name, edit):
        data = bytearray(fixture(fixture_name))
        tw = Walker(bytes(data))
        tw.run()
        for obj, st in tw.ndarrays:
            dtype = st[2]
            names = dtype.state[3] if isinstance(dtype, Obj) and dtype.state else None
            if names and "left_child" in names:
                fields = {k: v[1] for k, v in dtype.state[4].items()}
                rec = dtype.state[5]
                raw = st[4]
                count = len(raw) // rec

                def get(i, f):
                    at = raw.pos + i * rec + fields[f]
                    return struct.unpack("<q", bytes(data[at:at + 8]))[0]

                def put(i, f, v):
                    at = raw.pos + i * rec + fields[f]
                    data[at:at + 8] = struct.pack("<q", v)
                edit(get, put, count)
                return bytes(data)
        raise ValueError("no tree nodes in " + fixture_name)

    def first_internal(get, count, after=0):
        return next(i for i in range(after, count) if get(i, "left_child") != -1)

    def cycle(get, put, count):
        i = first_internal(get, count, 1)
        put(i, "left_child", 0)

    def child_out(get, put, count):
        put(0, "right_child", count + 1000)

    def child_negative(get, put, count):
        put(0, "left_child", -7)

    def self_loop(get, put, count):
        put(0, "left_child", 0)

    def feature_out(get, put, count):
        put(0, "feature", 7)

    def feature_huge(get, put, count):
        put(first_internal(get, count, 1), "feature", 2**40)
    per = "json=0;onnx=3;h5=0"
    for n, edit, note in (
            ("tree_cycle.pkl", cycle, "an internal node's left child is the root (cycle)"),
            ("tree_self_loop.pkl", self_loop, "the root's left child is the root"),
            ("tree_child_out_of_range.pkl", child_out, "the root's right child is node_count+1000"),
            ("tree_child_negative.pkl", child_negative, "the root's left child is -7"),
            ("tree_feature_out_of_range.pkl", feature_out, "the root splits on feature 7 of 4"),
            ("tree_feature_huge.pkl", feature_huge, "a node splits on feature 2^40")):
        c.add(n, (lambda e=edit: patch_tree("decision_tree_classifier.pkl", e)),
              "tree_corruption", "safe", per,
              "decision_tree_classifier.pkl with patched nodes: %s (JSON is data; ONNX must "
              "refuse naming the tree and node)" % note)
    c.add("forest_tree_cycle.pkl", lambda: patch_tree("random_forest_classifier.pkl", self_loop),
          "tree_corruption", "safe", per,
          "random_forest_classifier.pkl, first tree's root is its own left child")

    # -- tiny files asking the ONNX converter for huge vectors ----------------
    for n, cls, attrs in (
            ("onnx_standard_scaler_broadcast.pkl", "StandardScaler",
             {"with_mean": True, "with_std": True, "mean_": 0.5, "var_": 1.0, "scale_": 2.0}),
            ("onnx_maxabs_scaler_broadcast.pkl", "MaxAbsScaler",
             {"max_abs_": 2.0, "scale_": 2.0})):
        st = {"copy": True, "n_features_in_": 2**27, "n_samples_seen_": 10}
        st.update(attrs)
        st["_sklearn_version"] = "1.2.1"
        c.add(n, prog(glob("sklearn.preprocessing._data", cls, 4) + EMPTY_TUPLE + NEWOBJ + enc(st, 4)
                      + BUILD, 4),
              "amplification", "safe", "json=0;onnx=3|4|5;h5=0",
              "%s with n_features_in_ = 2^27 and scalar (not array) attributes: a 200-byte file "
              "must not make the ONNX writer build 2^27-element vectors" % cls)

    # -- HDF5 names ------------------------------------------------------------------
    c.add("h5_nul_in_key.pkl", prog(enc({"a\x00b": 1, "\x00": [1, 2]}, 4), 4), "hdf5_names", "safe",
          "json=0;onnx=4;h5=0|4", "dict keys with embedded NUL bytes (HDF5 names are C strings)")
    c.add("h5_long_key.pkl", prog(enc({"k" * 70000: 1}, 4), 4), "hdf5_names", "safe",
          "json=0;onnx=4;h5=0|4", "a 70000-character dict key (beyond HDF5's 64 KiB header message)")
    c.add("h5_reserved_keys.pkl", prog(enc({"format": "x", "python_type": "list", "a": [1],
                                            "a.python_type": "tuple", "a/b": 1, "a%2Fb": 2, ".": 3,
                                            "": 4, "..": 5}, 4), 4),
          "hdf5_names", "safe", "0", "dict keys that collide with depickle's own HDF5 attribute "
          "names and escapes")

    # -- decompression bombs ------------------------------------------------------
    c.add("bomb_zlib_3g.joblib.z", zlib_bomb, "decompression_bomb", "invalid", "5",
          "one zlib stream inflating to 3 GiB + 12 bytes (a valid pickle of 3 GiB of bytes)")
    c.add("bomb_lz4_3g.joblib.lz4", lz4_bomb, "decompression_bomb", "invalid", "5",
          "one lz4 frame inflating to 3 GiB (lz4 cannot exceed ~255:1, hence its size)")
    c.add("bomb_xz_3g.joblib.xz", xz_bomb, "decompression_bomb", "invalid", "5",
          "one xz stream (repeated LZMA2 blocks) inflating to 3 GiB")
    c.add("bomb_zstd_3g.joblib.zst", zstd_bomb, "decompression_bomb", "invalid", "5",
          "one zstd frame inflating to 3 GiB")
    c.add("bomb_bz2_3g.joblib.bz2", bz2_bomb, "decompression_bomb", "invalid", "5",
          "48 concatenated bzip2 streams inflating to 3 GiB")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="directory for the corpus (created)")
    ap.add_argument("--canary-dir", required=True,
                    help="directory where payloads would create <file>.ran if Python loaded them")
    ap.add_argument("--only", nargs="+", help="write only these files")
    ap.add_argument("--verify-bombs", action="store_true",
                    help="inflate each bomb in bounded chunks and check its size (slow)")
    a = ap.parse_args()
    out = os.path.abspath(a.out)
    cdir = os.path.abspath(a.canary_dir)
    os.makedirs(out, exist_ok=True)
    corpus = Corpus(out, cdir, set(a.only) if a.only else None)
    build(corpus)
    corpus.write_manifest()
    total = sum(os.path.getsize(os.path.join(out, r[0])) for r in corpus.rows)
    print("%d files, %d bytes, in %s" % (len(corpus.rows), total, out))
    if a.verify_bombs:
        for name, kind in (("bomb_zlib_3g.joblib.z", "zlib"), ("bomb_xz_3g.joblib.xz", "xz"),
                           ("bomb_lz4_3g.joblib.lz4", "lz4"), ("bomb_zstd_3g.joblib.zst", "zstd"),
                           ("bomb_bz2_3g.joblib.bz2", "bz2")):
            path = os.path.join(out, name)
            if os.path.exists(path):
                with open(path, "rb") as f:
                    n = verify_bomb(f.read(), kind)
                want = len(BOMB_HEAD) + BOMB_ZEROS + len(BOMB_TAIL)
                print("%s inflates to %d bytes%s" % (name, n, "" if n == want else " (WRONG)"))
                if n != want:
                    return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
