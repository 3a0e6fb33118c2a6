#!/usr/bin/env bash
# Installs a depickle build and uses it from the example CMake project
# (docs/examples/cmake_project): find_package(depickle), the library, and the
# depickle_convert() build step.
#
# Usage: install_test.sh DEPICKLE_BUILD_DIR SOURCE_DIR
#
#   1. cmake --install DEPICKLE_BUILD_DIR --prefix TMP/prefix; the prefix has
#      bin/depickle (runs), include/depickle.h and the CMake package.
#   2. Configures the example with -DCMAKE_PREFIX_PATH=TMP/prefix and
#      -DDEPICKLE_EXAMPLE_MODEL=<a copy of fixtures/models/pipeline_scaler_logistic.pkl
#      in TMP, so that touching it leaves the source tree alone>, builds it: the
#      build writes model.onnx and model.manifest.json.
#   3. The example program converts fixtures/models/logistic_binary.pkl to JSON
#      (exit 0, file starts with {"format":"depickle.json") and refuses a pickle
#      calling posix.system (exit 1, no output file).
#   4. Touching the input model makes the next build convert again (model.onnx
#      gets a new mtime); a build with nothing changed leaves it alone.
#
# Prints each check; exits 0 if all pass, 1 otherwise. The temp dir is removed
# on exit (set KEEP_TMP=1 to keep it).
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 DEPICKLE_BUILD_DIR SOURCE_DIR" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)
example_src="$source_dir/docs/examples/cmake_project"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/depickle-install-test.XXXXXX")
cleanup() {
  if [[ "${KEEP_TMP:-0}" == 1 ]]; then
    echo "kept $tmp"
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

prefix="$tmp/prefix"
example="$tmp/example"
checks=0

check() { checks=$((checks + 1)); echo "ok   $*"; }
fail() {
  echo "FAIL $*" >&2
  exit 1
}
# run LOG CMD...: run CMD with its output in LOG; on failure show LOG and fail.
run() {
  local log=$1
  shift
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    fail "command failed: $*"
  fi
}
mtime() { stat -c %y "$1"; }

generator=()
if command -v ninja >/dev/null 2>&1; then
  generator=(-G Ninja)
fi

# ---- 1. install -------------------------------------------------------------
echo "== install $build_dir into $prefix"
run "$tmp/install.log" cmake --install "$build_dir" --prefix "$prefix"
check "cmake --install exit 0"

[[ -f "$prefix/include/depickle.h" ]] || fail "no include/depickle.h in the prefix"
check "include/depickle.h installed"
[[ -x "$prefix/bin/depickle" ]] || fail "no executable bin/depickle in the prefix"
run "$tmp/version.log" "$prefix/bin/depickle" --version
check "installed bin/depickle runs: $(head -n 1 "$tmp/version.log")"
config=$(find "$prefix" -path '*/cmake/depickle/depickleConfig.cmake' -print -quit)
[[ -n "$config" ]] || fail "no lib*/cmake/depickle/depickleConfig.cmake in the prefix"
[[ -f "$(dirname "$config")/DepickleConvert.cmake" ]] ||
  fail "DepickleConvert.cmake is not installed next to $config"
check "CMake package installed: ${config#"$prefix"/}"

# ---- 1b. library search paths never depend on the working directory -----------
# An empty or relative RPATH/RUNPATH entry makes ld.so look in the current
# directory: running depickle in a folder of untrusted files could then load a
# planted library. CMake pads build RPATHs with ':' unless told otherwise.
for elf in "$build_dir/depickle" "$build_dir"/libdepickle.so.*.*.* "$prefix/bin/depickle" \
  "$prefix"/lib*/libdepickle.so.*.*.*; do
  [[ -f "$elf" ]] || fail "missing $elf"
  paths=$(readelf -d "$elf" | sed -n 's/.*(R[UN]*PATH).*\[\(.*\)\]/\1/p')
  entries=()
  [[ -z $paths ]] || IFS=: read -r -a entries <<<"$paths"
  for entry in "${entries[@]}"; do
    [[ $entry == /* || $entry == '$ORIGIN'* ]] ||
      fail "$elf has a search path entry '$entry' (in '$paths') relative to the working directory"
  done
  [[ $paths != *: && $paths != :* && $paths != *::* ]] ||
    fail "$elf has an empty search path entry (the working directory): '$paths'"
  check "search path of ${elf#"$tmp"/} has no cwd-relative entry: '${paths:-none}'"
done
for exe in "$build_dir/depickle" "$prefix/bin/depickle"; do
  relative=$(cd "$tmp" && LD_DEBUG=libs "$exe" --version 2>&1 >/dev/null |
    grep -o 'trying file=[^/].*' || true)
  [[ -z "$relative" ]] || fail "$exe looks for libraries in the working directory: $relative"
  check "ld.so never looks in the working directory for ${exe#"$tmp"/}"
done

# ---- 2. configure and build the example --------------------------------------
model="$tmp/pipeline_scaler_logistic.pkl"
cp "$source_dir/fixtures/models/pipeline_scaler_logistic.pkl" "$model"

echo "== configure $example_src"
run "$tmp/configure.log" cmake -S "$example_src" -B "$example" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" \
  -DDEPICKLE_EXAMPLE_MODEL="$model"
check "example configures with find_package(depickle CONFIG REQUIRED)"
if grep -q '^DEPICKLE_EXECUTABLE:' "$example/CMakeCache.txt"; then
  fail "depickle_convert fell back to find_program(); the package should provide depickle::cli"
fi
check "depickle_convert uses the package's depickle::cli"

echo "== build the example"
run "$tmp/build1.log" cmake --build "$example"
check "example builds (program + conversion step)"
[[ -x "$example/convert" ]] || fail "no $example/convert"
check "convert program built"
onnx="$example/model.onnx"
manifest="$example/model.manifest.json"
[[ -s "$onnx" ]] || fail "model.onnx missing or empty"
# An ONNX ModelProto starts with field 1 (ir_version, varint): byte 0x08.
[[ "$(head -c 1 "$onnx" | od -An -tx1 | tr -d ' \n')" == "08" ]] ||
  fail "model.onnx does not look like an ONNX model"
check "model.onnx written ($(stat -c %s "$onnx") bytes)"
[[ -s "$manifest" ]] || fail "model.manifest.json missing or empty"
[[ "$(head -c 1 "$manifest")" == "{" ]] || fail "model.manifest.json is not a JSON object"
check "model.manifest.json written"

# ---- 3. the example program ----------------------------------------------------
echo "== run the example program"
json="$tmp/logistic.json"
rc=0
"$example/convert" "$source_dir/fixtures/models/logistic_binary.pkl" "$json" \
  >"$tmp/run_ok.log" 2>&1 || rc=$?
if [[ $rc -ne 0 ]]; then
  cat "$tmp/run_ok.log" >&2
  fail "convert logistic_binary.pkl -> json exited $rc"
fi
check "convert logistic_binary.pkl logistic.json: exit 0"
[[ -s "$tmp/run_ok.log" ]] || fail "convert printed no summary"
check "summary printed ($(wc -l <"$tmp/run_ok.log") lines)"
want='{"format":"depickle.json"'
[[ "$(head -c ${#want} "$json")" == "$want" ]] ||
  fail "logistic.json does not start with $want: $(head -c 60 "$json")"
check "logistic.json starts with $want"

evil="$tmp/evil.pkl"
printf "cposix\nsystem\n(S'true'\ntR." >"$evil"
rc=0
"$example/convert" "$evil" "$tmp/evil.json" >"$tmp/run_evil.log" 2>&1 || rc=$?
[[ $rc -eq 1 ]] || {
  cat "$tmp/run_evil.log" >&2
  fail "convert evil.pkl exited $rc, expected 1 (refused)"
}
check "convert evil.pkl (posix.system): exit 1 — $(tail -n 1 "$tmp/run_evil.log")"
[[ ! -e "$tmp/evil.json" ]] || fail "a refused pickle still produced evil.json"
check "no output written for the refused pickle"

# ---- 4. rebuild behaviour of depickle_convert() ---------------------------------
echo "== rebuild after touching the input model"
before=$(mtime "$onnx")
before_manifest=$(mtime "$manifest")
sleep 1.1 # past any coarse timestamp granularity
touch "$model"
run "$tmp/build2.log" cmake --build "$example"
after=$(mtime "$onnx")
[[ "$after" != "$before" ]] || {
  cat "$tmp/build2.log" >&2
  fail "touching the input did not re-run the conversion (model.onnx mtime $before)"
}
check "touched input: conversion re-ran (model.onnx $before -> $after)"
[[ "$(mtime "$manifest")" != "$before_manifest" ]] ||
  fail "touching the input did not rewrite model.manifest.json"
check "touched input: model.manifest.json rewritten"

echo "== rebuild without changes"
sleep 1.1
run "$tmp/build3.log" cmake --build "$example"
[[ "$(mtime "$onnx")" == "$after" ]] || {
  cat "$tmp/build3.log" >&2
  fail "a build without changes re-ran the conversion"
}
check "no changes: conversion not re-run (model.onnx mtime unchanged)"

echo "install test: $checks checks passed"
