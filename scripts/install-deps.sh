#!/usr/bin/env bash
# Installs the Debian packages spate needs that are not installed yet.
# Idempotent: does nothing (not even apt-get update) when everything is present.
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
  iproute2 util-linux e2fsprogs openssl
  clang libclang-rt-14-dev
  prometheus
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
