#!/usr/bin/env python3
"""Every fixture converts to JSON losslessly.

For each row of fixtures/MANIFEST.tsv: `depickle convert FILE -o OUT.json`
must exit 0; the document must validate against schemas/depickle.schema.json,
its `source` must match the MANIFEST row (sha256, size, container, protocol),
and every array in expected/<name>.arrays.npz (taken from the live
scikit-learn objects before pickling) must be found at its path, bit-exact.
Also `depickle scan` must call every fixture safe (exit 0).

Usage: fixtures_json_test.py DEPICKLE [--fixtures DIR]
DIR defaults to fixtures/ (fixtures/generations holds files of older generations;
there, the HDF5 output is also written and opened with h5py).
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
import check_json  # noqa: E402

FIXTURES = os.path.join(ROOT, "fixtures")


def manifest_rows():
    with open(os.path.join(FIXTURES, "MANIFEST.tsv")) as f:
        lines = f.read().splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:] if line]


def main():
    global FIXTURES
    depickle = sys.argv[1]
    if "--fixtures" in sys.argv:
        FIXTURES = os.path.abspath(sys.argv[sys.argv.index("--fixtures") + 1])
    validator = check_json.make_validator(os.path.join(ROOT, "schemas", "depickle.schema.json"))
    rows = manifest_rows()
    failures = []
    arrays_ok = 0
    with tempfile.TemporaryDirectory() as tmp:
        files = [os.path.join(FIXTURES, r["file"]) for r in rows]
        scan = subprocess.run([depickle, "scan", *files], capture_output=True, text=True)
        if scan.returncode != 0:
            failures.append("scan exited %d:\n%s%s" % (scan.returncode, scan.stdout, scan.stderr))
        for row in rows:
            name = row["name"]
            out = os.path.join(tmp, name + ".json")
            run = subprocess.run([depickle, "convert", os.path.join(FIXTURES, row["file"]),
                                  "-o", out], capture_output=True, text=True)
            if run.returncode != 0:
                failures.append("%s: convert exited %d: %s" % (name, run.returncode,
                                                               run.stderr.strip()))
                continue
            doc = check_json.load_json(out)
            problems = check_json.schema_errors(validator, doc, 5)
            if "container" in row:  # the main fixtures record container and protocol
                problems += check_json.check_manifest(doc, os.path.join(FIXTURES, "MANIFEST.tsv"),
                                                      name)
            else:  # generations: HDF5 too
                h5 = os.path.join(tmp, name + ".h5")
                r5 = subprocess.run([depickle, "convert", os.path.join(FIXTURES, row["file"]), "-o", h5],
                                    capture_output=True, text=True)
                if r5.returncode != 0:
                    problems.append("HDF5 exit %d: %s" % (r5.returncode, r5.stderr.strip()))
                else:
                    import h5py
                    with h5py.File(h5) as f:
                        if f.attrs["source_sha256"] != row["sha256"]:
                            problems.append("HDF5 source_sha256 differs")
            npz = os.path.join(FIXTURES, "expected", name + ".arrays.npz")
            if os.path.exists(npz):
                ok, errs = check_json.check_arrays(doc, check_json.load_npz(npz))
                arrays_ok += ok
                problems += errs
            failures += ["%s: %s" % (name, p) for p in problems]
    for f in failures:
        print("FAIL", f)
    print("%d fixtures, %d arrays bit-exact, %d failures" % (len(rows), arrays_ok, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
