#!/usr/bin/env bash
# `make run`: the main job. With a display ($DISPLAY or $WAYLAND_DISPLAY) and the GUI built, opens dapscope-ui with
# the capturing proxy inside it (sessions show up live as they happen); otherwise starts the capturing proxy alone.
# Both use the same defaults: listen on 127.0.0.1:5566, upstream $ROCKETRIDE_URI or ws://127.0.0.1:5565, store
# $DAPSCOPE_DB or $XDG_DATA_HOME/dapscope/traces.db. Extra arguments: ARGS="..." (e.g. ARGS="--db my.db").
set -euo pipefail
cd "$(dirname "$0")/.."
args=(${ARGS:-})

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x ./build/bin/dapscope-ui ]; then
    listen=(--listen 127.0.0.1:5566)
    for a in "${args[@]}"; do
        case "$a" in --listen | --listen=*) listen=() ;; esac
    done
    exec ./build/bin/dapscope-ui "${listen[@]}" "${args[@]}"
fi
exec ./build/bin/dapscope proxy "${args[@]}"
