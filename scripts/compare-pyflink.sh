#!/usr/bin/env bash
# spate's Python API beside PyFlink (apache-flink from PyPI, in a virtual environment of its
# own under ~/.cache/spate) on bench/python/workloads.py: a Python map UDF, SQL calling a
# Python scalar UDF, a keyed Python reduce. Prints a markdown table (docs/benchmarks.md).
#   scripts/compare-pyflink.sh [--pairs N] [--workloads map=N,sql_udf=N,keyed_reduce=N]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-common.sh
PYFLINK_VERSION="${PYFLINK_VERSION:-1.20.1}"
venv="${SPATE_PYFLINK_VENV:-$HOME/.cache/spate/pyflink-venv}"
if ! "$venv/bin/python" -c "import pyflink" 2>/dev/null; then
  echo "compare-pyflink: installing apache-flink $PYFLINK_VERSION into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "apache-flink==$PYFLINK_VERSION"
fi
flock /tmp/spate-build.lock cmake --build "${BUILD_DIR:-build}" -j 2 --target _spate spate_python_package >/dev/null
built_bin=$(ls "${BUILD_DIR:-build}"/python/spate/_spate*.so)
print_provenance
echo "PyFlink $("$venv/bin/python" -c 'import pyflink.version as v; print(v.__version__)'), $("$venv/bin/python" --version), $(java -version 2>&1 | head -1)"
echo
python3 bench/python/compare_pyflink.py --pyflink-python "$venv/bin/python" "$@"
