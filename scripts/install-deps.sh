#!/usr/bin/env bash
# Install the Debian 12 packages dapscope needs, only those that are missing. Runs as root or through sudo.
set -euo pipefail

packages=(
    build-essential cmake pkg-config clang libclang-rt-14-dev
    libwebsockets-dev libssl-dev libhttp-parser-dev zlib1g-dev libboost-json1.81-dev libsqlite3-dev libsqlitecpp-dev sqlite3 libcli11-dev libyaml-cpp-dev
    libimgui-dev libglfw3-dev libgl-dev libgtest-dev
    prometheus-cpp-dev libcurl4-openssl-dev
    xvfb xauth libgl1-mesa-dri prometheus
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node and npm run the tests' JavaScript clients and decoders (tests/mcp, tests/otlp/node); any node will do
# (e.g. NodeSource's, which bundles npm and conflicts with Debian's npm package).
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
    echo "dapscope: installing missing packages: ${missing[*]}"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "dapscope: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
        sudo="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Test-only npm packages (independent decoders the tests check dapscope's output with), from their lock files.
here=$(cd "$(dirname "$0")/.." && pwd)
for dir in tests/otlp/node; do
    if [ ! -d "$here/$dir/node_modules" ]; then
        echo "dapscope: installing the test packages of $dir (npm ci)"
        (cd "$here/$dir" && npm ci --no-audit --no-fund --silent)
    fi
done
