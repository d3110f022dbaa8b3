#!/usr/bin/env bash
# `make bench`: every benchmark, in one go, on this machine. Installs mitmproxy (Debian) for the comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v mitmdump >/dev/null; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mitmproxy >/dev/null || echo "bench: mitmproxy not installed; measuring without it"
fi
./build/bin/dapscope-bench-relay "$@"
