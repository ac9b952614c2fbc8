#!/usr/bin/env bash
# Installs the Debian packages spate needs that are not installed yet.
# Idempotent: does nothing (not even apt-get update) when everything is present.
# Also runs `npm ci` in web/ when web/node_modules is missing or older than its lock file.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  libcaf-dev
  libzmq3-dev cppzmq-dev libsodium-dev
  libmsgpack-cxx-dev
  librocksdb-dev
  libboost-dev libboost-test-dev
  libhiredis-dev redis-server
  librdkafka-dev libsimdjson-dev kcat
  openjdk-17-jre-headless maven
  libcpp-httplib-dev nlohmann-json3-dev libcli11-dev
  libspdlog-dev libfmt-dev
  libreadline-dev libpcre2-dev
  iproute2 util-linux e2fsprogs openssl
  clang libclang-rt-14-dev
  prometheus
  chromium
)
# The web dashboard (web/): npm for its libraries; Debian's nodejs and npm
# unless a node and npm are installed already (NodeSource's nodejs ships its
# own npm and conflicts with Debian's). Its browser test needs Node.js >= 20.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# web/node_modules as web/package-lock.json pins it (the dashboard's uPlot and
# dagre, embedded in the JobManager; Playwright for its test, which uses the
# system's chromium: no browser download).
web="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/web"
if [ ! -f "$web/node_modules/.package-lock.json" ] ||
   [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
  echo "install-deps: npm ci in web/"
  (cd "$web" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

# The Python package (python/): nanobind builds its native module, pytest runs
# its suite, scikit-build-core serves `pip install ./python`. Into the python3
# on PATH, the one CMake finds (docs/python.md); Debian's own python3 refuses
# pip installs into it (PEP 668) unless told.
python_reqs="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/python/requirements-dev.txt"
if ! python3 - "$python_reqs" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import version
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if line:
        name, want = line.split("==")
        if version(name) != want:
            sys.exit(1)
PY
  echo "install-deps: pip install -r python/requirements-dev.txt"
  python3 -m pip install -q --disable-pip-version-check -r "$python_reqs" ||
    python3 -m pip install -q --disable-pip-version-check --break-system-packages -r "$python_reqs"
fi
