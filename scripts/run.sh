#!/usr/bin/env bash
# `make run`: the main job. Starts the capturing proxy with its defaults (127.0.0.1:5566 -> $ROCKETRIDE_URI or
# ws://127.0.0.1:5565, store in $DAPSCOPE_DB or $XDG_DATA_HOME/dapscope/traces.db). Extra arguments: ARGS="...".
set -euo pipefail
cd "$(dirname "$0")/.."
exec ./build/bin/dapscope proxy ${ARGS:-}
