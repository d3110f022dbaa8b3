#!/usr/bin/env bash
# `make bench`: every benchmark, one after the other, on this machine; figures and what they mean are in
# docs/performance.md. Installs mitmproxy (Debian) for the relay comparison. Takes about 5 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v mitmdump >/dev/null; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mitmproxy >/dev/null || echo "bench: mitmproxy not installed; measuring without it"
fi
bin=./build/bin
echo "== relay: direct vs dapscope proxy vs mitmproxy"
$bin/dapscope-bench-relay
echo "== sustained capture: 20,000 messages/s for 60 s"
$bin/dapscope-bench-sustained
echo "== store: ingest, size, filtered first page on a 1,000,000-message session"
$bin/dapscope-bench-store
echo "== replay: asap against the mock engine"
$bin/dapscope-bench-replay
if [ -x $bin/dapscope-ui-bench ]; then
    echo "== GUI: 1,000,000-message session"
    $bin/dapscope-ui-bench
fi
