#!/usr/bin/python3
"""Generates the scikit-learn models the depickle benchmarks read.

    bench/make_models.py [--out DIR] [--quick] [--force] [--only NAME ...]

DIR defaults to ${DEPICKLE_BENCH_DIR:-/tmp/depickle-bench} and must not be
inside the repository. Every model is built with fixed seeds. A file is
rebuilt only if it is missing, its size differs from the one recorded in
DIR/models.json, or its recipe changed (or with --force). DIR/models.json
records, per file: description, bytes, tree count, total tree nodes and (for
plain pickles up to 100 MB) the number of pickle opcodes (pickletools.genops).

--quick builds only the small models the smoke test uses (a few seconds).
"""

import argparse
import copy
import json
import os
import pickle
import pickletools
import sys
import time

import joblib
import numpy as np
import sklearn
from sklearn.datasets import load_iris, make_classification
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPCODE_COUNT_MAX_BYTES = 100 << 20

# ---- recipes -----------------------------------------------------------------
# One RandomForestClassifier recipe for the whole growth series. Tree i of a
# forest depends only on random_state and i (the trees draw their seeds in
# order from RandomState(0)), so the first k trees of the 200-tree fit are
# exactly the forest fit with n_estimators=k: fit once, slice.
FOREST = dict(n_samples=250_000, n_features=20, n_informative=10, data_seed=0,
              min_samples_leaf=1, max_features="sqrt", forest_seed=0)
FORESTS = {  # name -> trees
    "forest_small": 2,     # ~4 MB
    "forest_medium": 20,   # ~40 MB
    "forest_half": 100,    # ~200 MB
    "forest_large": 200,   # ~400 MB, ~5.5 M nodes
}
GB = dict(n_samples=500, n_features=10, n_informative=5, n_classes=3, data_seed=0,
          max_depth=3, gb_seed=0)
LINEAR_WIDE = dict(n_classes=10, n_features=2_000_000, seed=0)


def make_forest_data():
    return make_classification(n_samples=FOREST["n_samples"], n_features=FOREST["n_features"],
                               n_informative=FOREST["n_informative"],
                               random_state=FOREST["data_seed"])


_forest_cache = {}


def forest(trees, max_trees):
    """The forest with `trees` trees (fits max_trees once, then slices)."""
    if "fit" not in _forest_cache or len(_forest_cache["fit"].estimators_) < trees:
        X, y = make_forest_data()
        n = max(trees, max_trees)
        log(f"  fitting RandomForestClassifier({n} trees) on {X.shape}")
        rf = RandomForestClassifier(n_estimators=n, min_samples_leaf=FOREST["min_samples_leaf"],
                                    max_features=FOREST["max_features"], n_jobs=2,
                                    random_state=FOREST["forest_seed"])
        rf.fit(X, y)
        _forest_cache["fit"] = rf
    rf = _forest_cache["fit"]
    out = copy.copy(rf)
    out.estimators_ = rf.estimators_[:trees]
    out.n_estimators = trees
    return out


def gradient_boosting(iterations):
    X, y = make_classification(n_samples=GB["n_samples"], n_features=GB["n_features"],
                               n_informative=GB["n_informative"], n_classes=GB["n_classes"],
                               random_state=GB["data_seed"])
    gb = GradientBoostingClassifier(n_estimators=iterations, max_depth=GB["max_depth"],
                                    random_state=GB["gb_seed"])
    return gb.fit(X, y)


def linear_wide():
    p = LINEAR_WIDE
    rng = np.random.RandomState(p["seed"])
    X = rng.standard_normal((200, 5))
    y = np.arange(200) % p["n_classes"]
    lr = LogisticRegression(max_iter=200).fit(X, y)
    lr.coef_ = rng.standard_normal((p["n_classes"], p["n_features"]))  # float64, C order
    lr.intercept_ = rng.standard_normal(p["n_classes"])
    lr.n_features_in_ = p["n_features"]
    lr.classes_ = np.arange(p["n_classes"])
    return lr


def pipeline_tiny():
    X, y = load_iris(return_X_y=True)
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)


def specs(max_trees):
    """(name, file, quick, recipe, description, build, dump) for every model."""
    out = []
    for name, trees in FORESTS.items():
        out.append((name, name + ".pkl", name == "forest_small", dict(FOREST, trees=trees),
                    f"RandomForestClassifier, {trees} trees, make_classification"
                    f"({FOREST['n_samples']}x{FOREST['n_features']}), pickle protocol 4",
                    lambda t=trees: forest(t, max_trees), "pickle"))
    out.append(("gb_many", "gb_many.pkl", False, dict(GB, iterations=2000),
                "GradientBoostingClassifier, 3 classes x 2000 iterations, max_depth=3, pickle protocol 4",
                lambda: gradient_boosting(2000), "pickle"))
    out.append(("gb_quick", "gb_quick.pkl", True, dict(GB, iterations=300),
                "GradientBoostingClassifier, 3 classes x 300 iterations, max_depth=3, pickle protocol 4",
                lambda: gradient_boosting(300), "pickle"))
    out.append(("linear_wide", "linear_wide.pkl", False, dict(LINEAR_WIDE),
                "LogisticRegression, coef_ (10, 2000000) float64 random (160 MB), pickle protocol 4",
                linear_wide, "pickle"))
    out.append(("pipeline_tiny", "pipeline_tiny.pkl", True, {"iris": True},
                "Pipeline(StandardScaler, LogisticRegression) on iris, pickle protocol 4",
                pipeline_tiny, "pickle"))
    out.append(("forest_medium_zlib", "forest_medium.joblib.z", False,
                dict(FOREST, trees=FORESTS["forest_medium"], compress=["zlib", 3]),
                "forest_medium as joblib.dump(compress=('zlib', 3)): a zlib stream",
                lambda: forest(FORESTS["forest_medium"], max_trees), ("zlib", 3)))
    out.append(("forest_medium_lzma", "forest_medium.joblib.lzma", False,
                dict(FOREST, trees=FORESTS["forest_medium"], compress=["lzma", 3]),
                "forest_medium as joblib.dump(compress=('lzma', 3)): legacy .lzma (FORMAT_ALONE)",
                lambda: forest(FORESTS["forest_medium"], max_trees), ("lzma", 3)))
    return out


# ---- facts about a model ------------------------------------------------------
def tree_facts(obj):
    if isinstance(obj, RandomForestClassifier):
        trees = list(obj.estimators_)
    elif isinstance(obj, GradientBoostingClassifier):
        trees = list(np.asarray(obj.estimators_).ravel())
    else:
        return 0, 0
    return len(trees), int(sum(t.tree_.node_count for t in trees))


def count_opcodes(path):
    with open(path, "rb") as f:
        return sum(1 for _ in pickletools.genops(f))


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.environ.get("DEPICKLE_BENCH_DIR", "/tmp/depickle-bench"))
    ap.add_argument("--quick", action="store_true", help="only the small smoke-test models")
    ap.add_argument("--force", action="store_true", help="rebuild even if up to date")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="only these models (names or files)")
    args = ap.parse_args()

    out_dir = os.path.realpath(args.out)
    if out_dir == REPO or out_dir.startswith(REPO + os.sep):
        sys.exit(f"make_models.py: {out_dir} is inside the repository; choose another --out")
    os.makedirs(out_dir, exist_ok=True)
    index_path = os.path.join(out_dir, "models.json")
    index = {}
    if os.path.exists(index_path):
        with open(index_path) as f:
            index = {m["file"]: m for m in json.load(f).get("models", [])}

    versions = {"sklearn": sklearn.__version__, "numpy": np.__version__,
                "joblib": joblib.__version__, "python": sys.version.split()[0]}
    wanted = [s for s in specs(0) if (s[2] or not args.quick)
              and (not args.only or s[0] in args.only or s[1] in args.only)]

    def up_to_date(spec):
        name, file, _, recipe, *_ = spec
        entry = index.get(file)
        path = os.path.join(out_dir, file)
        return (not args.force and entry is not None and os.path.exists(path)
                and entry.get("recipe") == recipe and entry.get("versions") == versions
                and entry.get("bytes") == os.path.getsize(path))

    stale = [s for s in wanted if not up_to_date(s)]
    # Fit the forest once, with as many trees as the largest missing forest.
    max_trees = max([s[3]["trees"] for s in stale if "trees" in s[3]], default=0)
    by_name = {s[0]: s for s in specs(max_trees)}

    t_all = time.monotonic()
    for spec in wanted:
        name, file, _, recipe, description, build, dump = by_name[spec[0]]
        path = os.path.join(out_dir, file)
        if spec not in stale:
            log(f"{file}: up to date ({index[file]['bytes']} bytes)")
            continue
        log(f"{file}: building")
        t0 = time.monotonic()
        obj = build()
        t_fit = time.monotonic() - t0
        tmp = path + ".tmp"
        if dump == "pickle":
            with open(tmp, "wb") as f:
                pickle.dump(obj, f, protocol=4)
        else:
            joblib.dump(obj, tmp, compress=dump)
        os.replace(tmp, path)
        size = os.path.getsize(path)
        trees, nodes = tree_facts(obj)
        opcodes = None
        if dump == "pickle" and size <= OPCODE_COUNT_MAX_BYTES:
            opcodes = count_opcodes(path)
        index[file] = {
            "file": file, "name": name, "description": description, "bytes": size,
            "trees": trees, "tree_nodes": nodes, "pickle_opcodes": opcodes,
            "container": "pickle" if dump == "pickle" else f"joblib-{dump[0]}",
            "recipe": recipe, "versions": versions,
            "build_seconds": round(time.monotonic() - t0, 2), "fit_seconds": round(t_fit, 2),
        }
        log(f"{file}: {size} bytes, {trees} trees, {nodes} nodes, opcodes {opcodes}, "
            f"{time.monotonic() - t0:.1f} s")
        with open(index_path + ".tmp", "w") as f:
            json.dump({"models": sorted(index.values(), key=lambda m: m["file"])}, f, indent=1)
        os.replace(index_path + ".tmp", index_path)
        del obj
    log(f"models in {out_dir} ({time.monotonic() - t_all:.1f} s)")


if __name__ == "__main__":
    main()
